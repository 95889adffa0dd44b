// Anchor profiles with their qualifications.
import { commands, type AnchorId, type AnchorProfile, type Qualification } from '../bindings';
import { call } from '../api';

class AnchorsStore {
  items = $state<AnchorProfile[]>([]);

  async load() {
    this.items = await call(commands.listAnchors());
  }

  async save(id: AnchorId | null, name: string, qualifications: Qualification[]) {
    await call(commands.saveAnchor(id, name, qualifications));
    await this.load();
  }
}

export const anchors = new AnchorsStore();
