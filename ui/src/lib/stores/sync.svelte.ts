// The sync badge: how many changes wait for the platform, and the last error.
import { commands, events, type SyncChanged } from '../bindings';
import { call } from '../api';

class SyncStore {
  status = $state<SyncChanged | null>(null);
  #listening = false;

  async start() {
    if (this.#listening) return;
    this.#listening = true;
    await events.syncChanged.listen((event) => (this.status = event.payload));
    this.status = await call(commands.syncStatus());
  }
}

export const sync = new SyncStore();
