// The archive (档案): every ended broadcast's folder with its digests and keep-until date.
import { commands, type ArchiveListing } from '../bindings';
import { call } from '../api';

class ArchiveStore {
  listing = $state<ArchiveListing | null>(null);

  async load() {
    this.listing = await call(commands.listArchive());
  }

  /** Checks a folder's digests and copies it to the data directory's exports; its path. */
  export(name: string): Promise<string> {
    return call(commands.exportArchive(name));
  }
}

export const archive = new ArchiveStore();
