// Preview pictures (the Devices page's and the broadcast's on air) arrive as JPEG bytes over
// one channel the window opens once; each becomes an object URL, and the previous one is
// released so that a long broadcast does not grow the window's memory.
import { Channel } from '@tauri-apps/api/core';
import { commands, type PreviewFrame } from '../bindings';

class PreviewStore {
  /** The latest picture, or null when there is none to show. */
  url = $state<string | null>(null);
  /** The latest picture of the second picture (on air with one), or null. */
  secondUrl = $state<string | null>(null);
  #opened: Promise<void> | null = null;

  /** Opens the channels (once). */
  open(): Promise<void> {
    this.#opened ??= (async () => {
      // Raw bytes reach the window as an ArrayBuffer (the binding's `number[]` is the Rust
      // side's Vec<u8>).
      const frames = new Channel<PreviewFrame>();
      frames.onmessage = (data) => (this.url = replace(this.url, data as unknown as ArrayBuffer));
      const second = new Channel<PreviewFrame>();
      second.onmessage = (data) => (this.secondUrl = replace(this.secondUrl, data as unknown as ArrayBuffer));
      await commands.watchPreview(frames);
      await commands.watchSecondPreview(second);
    })();
    return this.#opened;
  }

  /** Forgets the pictures (the preview or the broadcast stopped). */
  clear() {
    if (this.url) URL.revokeObjectURL(this.url);
    if (this.secondUrl) URL.revokeObjectURL(this.secondUrl);
    this.url = null;
    this.secondUrl = null;
  }
}

/** A new object URL for `jpeg`; the one it replaces is released. */
function replace(previous: string | null, jpeg: ArrayBuffer): string {
  const url = URL.createObjectURL(new Blob([jpeg], { type: 'image/jpeg' }));
  if (previous) URL.revokeObjectURL(previous);
  return url;
}

export const preview = new PreviewStore();
