// Push destinations besides the platform's ingest (Settings → Destinations). The URLs with
// their stream keys stay in the system's credential store; the window only sees them masked.
import { commands, type DestinationView } from '../bindings';
import { call } from '../api';

class DestinationsStore {
  items = $state<DestinationView[]>([]);

  async load() {
    this.items = await call(commands.pushDestinations());
  }

  /** `second`: it pushes the desk's second picture (第二画面) instead of the broadcast's. */
  async save(name: string, url: string, second: boolean) {
    this.items = await call(commands.savePushDestination(name, url, second));
  }

  async remove(name: string) {
    this.items = await call(commands.deletePushDestination(name));
  }
}

export const destinations = new DestinationsStore();
