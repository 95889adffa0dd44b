// App-wide state: what the backend said at start, the current page, the locale.
import { commands, type AppInfo } from '../bindings';
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

  async setLocale(locale: Locale) {
    i18n.locale = locale;
    document.documentElement.lang = locale;
    await call(commands.setLocale(locale));
  }
}

export const app = new AppStore();
