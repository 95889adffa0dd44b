// Turning error codes from Rust into sentences that say what to do.
import type { FieldError } from './bindings';
import { ApiError } from './api';
import { i18n, t, type MessageKey } from './i18n/index.svelte';

/** field name → message, for showing next to each input. */
export function fieldMessages(fields: readonly FieldError[]): Record<string, string> {
  const messages: Record<string, string> = {};
  for (const field of fields) {
    messages[field.field] ??= t(`fieldError.${field.code}` as MessageKey);
  }
  return messages;
}

/** A sentence for a toast, for any error a store call may throw. */
export function describeError(err: unknown): string {
  if (err instanceof ApiError) {
    switch (err.error.code) {
      case 'invalid':
        return t('error.invalid');
      case 'notFound':
        return t('error.notFound');
      case 'notADatabase':
        return t('error.notADatabaseBody', { path: err.error.path ?? '' });
      case 'newerSchema':
        return t('error.newerSchemaBody', { path: err.error.path ?? '' });
      case 'io':
        return t('error.ioBody', { path: err.error.path ?? '' });
      case 'gateClosed': {
        const blockers = err.error.conflict?.kind === 'gateClosed' ? err.error.conflict.blockers : [];
        return t('error.gateClosed', { blockers: blockers.join(i18n.locale === 'en' ? '; ' : '；') });
      }
      case 'alreadyLive':
      case 'notLive':
      case 'takenOff':
      case 'emptyLineup':
      case 'practicePlatformNeeded':
        return t(`error.${err.error.code}`);
      case 'testSourceOnRealPlatform':
        return t('error.testSourceOnRealPlatform');
      case 'sceneCanvas': {
        const c = err.error.conflict?.kind === 'sceneCanvas' ? err.error.conflict : null;
        return t('error.sceneCanvas', { scene: c?.scene ?? '', asked: c?.asked ?? '', onAir: c?.onAir ?? '' });
      }
      case 'sceneMissing': {
        const c = err.error.conflict?.kind === 'sceneMissing' ? err.error.conflict : null;
        return t('error.sceneMissing', { scene: c?.scene ?? '' });
      }
      case 'secondSceneMissing': {
        const c = err.error.conflict?.kind === 'secondSceneMissing' ? err.error.conflict : null;
        return t('error.secondSceneMissing', { scene: c?.scene ?? '' });
      }
      case 'sceneIsSecondPicture': {
        const c = err.error.conflict?.kind === 'sceneIsSecondPicture' ? err.error.conflict : null;
        return t('error.sceneIsSecondPicture', { scene: c?.scene ?? '' });
      }
      default:
        return t('error.internal', { message: err.error.message });
    }
  }
  return t('error.internal', { message: err instanceof Error ? err.message : String(err) });
}
