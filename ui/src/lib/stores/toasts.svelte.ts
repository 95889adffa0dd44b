// Short notices at the bottom of the window, some with an undo action. Ctrl+Z undoes the
// newest one that can be undone.
import { t } from '../i18n/index.svelte';
import { describeError } from '../errors';

export interface Toast {
  id: number;
  message: string;
  kind: 'info' | 'error';
  undo?: () => Promise<void>;
}

const LIFETIME_MS = 8000;

class Toasts {
  items = $state<Toast[]>([]);
  #nextId = 1;

  push(message: string, options: { kind?: Toast['kind']; undo?: () => Promise<void> } = {}): number {
    const toast: Toast = { id: this.#nextId++, message, kind: options.kind ?? 'info', undo: options.undo };
    // A repeat of the same plain notice replaces the old one instead of stacking up.
    const rest = this.items.filter((item) => item.undo || item.message !== message);
    this.items = [...rest.slice(-2), toast];
    const lifetime = toast.kind === 'error' ? LIFETIME_MS * 2 : toast.undo ? LIFETIME_MS : LIFETIME_MS / 2;
    setTimeout(() => this.dismiss(toast.id), lifetime);
    return toast.id;
  }

  error(err: unknown) {
    this.push(describeError(err), { kind: 'error' });
  }

  dismiss(id: number) {
    this.items = this.items.filter((toast) => toast.id !== id);
  }

  async undo(id: number) {
    const toast = this.items.find((item) => item.id === id);
    if (!toast?.undo) return;
    this.dismiss(id);
    try {
      await toast.undo();
      this.push(t('common.undone'));
    } catch (err) {
      this.error(err);
    }
  }

  /** Undoes the newest undoable action; returns false when there is none. */
  async undoLast(): Promise<boolean> {
    const last = [...this.items].reverse().find((item) => item.undo);
    if (!last) return false;
    await this.undo(last.id);
    return true;
  }
}

export const toasts = new Toasts();
