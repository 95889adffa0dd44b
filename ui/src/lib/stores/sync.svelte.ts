// The sync badge: how many changes wait for the platform, and the last error.
import { commands, events, type PlatformView, type SyncChanged } from '../bindings';
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
