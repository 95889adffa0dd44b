// The sync badge: how many changes wait for the platform, and the last error. Team products
// the background team sync applied make the lists that show them load again.
import { commands, events, type PlatformView, type SyncChanged } from '../bindings';
import { call } from '../api';
import { products } from './products.svelte';
import { team } from './team.svelte';

class SyncStore {
  status = $state<SyncChanged | null>(null);
  #listening = false;

  async start() {
    if (this.#listening) return;
    this.#listening = true;
    await events.syncChanged.listen((event) => {
      const before = this.status?.teamReceived ?? 0;
      this.status = event.payload;
      if (event.payload.teamReceived > before) {
        products.load().catch(() => {});
        if (team.loaded) team.load().catch(() => {});
      }
    });
    this.status = await call(commands.syncStatus());
  }
}

export const sync = new SyncStore();

/** Settings → Platform: where the desk syncs to (the secret stays in the OS keyring). */
export const platform = {
  view(): Promise<PlatformView> {
    return call(commands.platformSettings());
  },
  /** The shop's name, when these credentials work. */
  test(baseUrl: string, clientId: string, secret: string): Promise<string> {
    return call(commands.testPlatformConnection(baseUrl, clientId, secret));
  },
  /** `null` goes back to the built-in practice platform. */
  save(own: { baseUrl: string; clientId: string; secret: string | null } | null): Promise<PlatformView> {
    return call(own ? commands.savePlatformSettings(own.baseUrl, own.clientId, own.secret) : commands.savePlatformSettings(null, null, null));
  },
};
