// Preview pictures (the Devices page's and the broadcast's on air) arrive as JPEG bytes over
// one channel the window opens once; each becomes an object URL, and the previous one is
// released so that a long broadcast does not grow the window's memory.
import { Channel } from '@tauri-apps/api/core';
import { commands, type PreviewFrame } from '../bindings';

class PreviewStore {
  /** The latest picture, or null when there is none to show. */
  url = $state<string | null>(null);
  #opened: Promise<void> | null = null;

  /** Opens the channel (once). */
  open(): Promise<void> {
    this.#opened ??= (async () => {
      const frames = new Channel<PreviewFrame>();
      // Raw bytes reach the window as an ArrayBuffer (the binding's `number[]` is the Rust
      // side's Vec<u8>).
      frames.onmessage = (data) => this.#show(data as unknown as ArrayBuffer);
      await commands.watchPreview(frames);
    })();
    return this.#opened;
  }

  #show(jpeg: ArrayBuffer) {
    const previous = this.url;
    this.url = URL.createObjectURL(new Blob([jpeg], { type: 'image/jpeg' }));
    if (previous) URL.revokeObjectURL(previous);
  }

  /** Forgets the picture (the preview or the broadcast stopped). */
  clear() {
    if (this.url) URL.revokeObjectURL(this.url);
    this.url = null;
  }
}

export const preview = new PreviewStore();
