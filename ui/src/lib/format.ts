// Formatting for the screen. Money arrives as integer fen and is only turned into yuan here.
import type { Locale } from './i18n/index.svelte';

const moneyFormats = new Map<Locale, Intl.NumberFormat>();

/** ¥59.90 from 5990 fen, in the locale's style. */
export function formatFen(fen: number, locale: Locale): string {
  let format = moneyFormats.get(locale);
  if (!format) {
    format = new Intl.NumberFormat(locale, { style: 'currency', currency: 'CNY', currencyDisplay: 'narrowSymbol', minimumFractionDigits: 2 });
    moneyFormats.set(locale, format);
  }
  return format.format(fen / 100);
}

/** The yuan text a form field shows for an amount in fen: 5990 → "59.90". Exact, no float. */
export function fenToYuanText(fen: number): string {
  const sign = fen < 0 ? '-' : '';
  const abs = Math.abs(Math.trunc(fen));
  return `${sign}${Math.floor(abs / 100)}.${String(abs % 100).padStart(2, '0')}`;
}

/** "1 h 25 min" / "1 小时 25 分钟" from minutes. */
export function formatMinutes(minutes: number, locale: Locale): string {
  const hours = Math.floor(minutes / 60);
  const rest = minutes % 60;
  if (locale === 'zh-CN') {
    return hours > 0 ? `${hours} 小时 ${rest} 分钟` : `${rest} 分钟`;
  }
  return hours > 0 ? `${hours} h ${rest} min` : `${rest} min`;
}

/** A planned start `2026-12-04T19:30` as the locale writes dates. */
export function formatStart(value: string, locale: Locale): string {
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) return value;
  return new Intl.DateTimeFormat(locale, { dateStyle: 'medium', timeStyle: 'short' }).format(date);
}

/** Moves the item at `from` to `to` and returns a new array. */
export function moveItem<T>(items: readonly T[], from: number, to: number): T[] {
  const copy = items.slice();
  if (from < 0 || from >= copy.length || to < 0 || to >= copy.length) return copy;
  const [item] = copy.splice(from, 1);
  copy.splice(to, 0, item);
  return copy;
}
