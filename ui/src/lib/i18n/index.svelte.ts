// A small i18n layer: the active locale is reactive state, `t` reads it, so markup that
// calls `t(...)` re-renders when the locale changes.
import { zhCN, type MessageKey } from './zh-CN';
import { en } from './en';

export type Locale = 'zh-CN' | 'en';
export const LOCALES: Locale[] = ['zh-CN', 'en'];
export const catalogs: Record<Locale, Record<MessageKey, string>> = { 'zh-CN': zhCN, en };

export const i18n = $state({ locale: 'zh-CN' as Locale });

export function isLocale(value: string): value is Locale {
  return (LOCALES as string[]).includes(value);
}

/** The message for `key` in the active locale, with `{name}` placeholders filled in. */
export function t(key: MessageKey, params: Record<string, string | number> = {}): string {
  return interpolate(catalogs[i18n.locale][key] ?? key, params);
}

export function interpolate(template: string, params: Record<string, string | number>): string {
  return template.replace(/\{(\w+)\}/g, (whole, name: string) => (name in params ? String(params[name]) : whole));
}

export type { MessageKey };
