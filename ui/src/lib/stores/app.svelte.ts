// App-wide state: what the backend said at start, the current page, the locale.
import { commands, type AppInfo, type ProductId, type SellerKind } from '../bindings';
import { call } from '../api';
import { i18n, isLocale, type Locale } from '../i18n/index.svelte';

export type Page = 'products' | 'broadcasts' | 'archive' | 'course' | 'settings' | 'live' | 'report';

class AppStore {
  info = $state<AppInfo | null>(null);
  page = $state<Page>('products');
  loadError = $state<string | null>(null);

  async load() {
    try {
      const info = await call(commands.appInfo());
      if (isLocale(info.locale)) i18n.locale = info.locale;
      this.info = info;
    } catch (err) {
      this.loadError = err instanceof Error ? err.message : String(err);
    }
  }

  /** The first-run guide's choice; returns the sample products it removed (for undo). */
  finishFirstRun(kind: SellerKind | null): Promise<ProductId[]> {
    return call(commands.finishFirstRun(kind));
  }

  /** Puts back products the guide removed. */
  restoreProducts(removed: ProductId[]): Promise<null> {
    return call(commands.restoreProducts(removed));
  }

  async setLocale(locale: Locale) {
    i18n.locale = locale;
    document.documentElement.lang = locale;
    await call(commands.setLocale(locale));
  }
}

export const app = new AppStore();
