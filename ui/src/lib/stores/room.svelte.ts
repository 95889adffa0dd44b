// The live room of the session on air, as the desk keeps it: loaded once when the console
// opens, then kept current by the `roomAppended` events the app pushes after each pull
// (only what is new). Replies go out through here, linted first by the live session.
import { commands, events, type LiveReply, type ReplyOutcome, type RoomItem, type RoomSummary, type SessionId } from '../bindings';
import { tick } from 'svelte';
import { call } from '../api';

/** Kinds the console shows (likes and viewer counts feed the figures only). */
const SHOWN = new Set(['comment', 'order', 'stock']);
const KEEP = 300;

class RoomStore {
  sessionId = $state<SessionId | null>(null);
  /** Newest first. */
  events = $state<RoomItem[]>([]);
  replies = $state<LiveReply[]>([]);
  summary = $state<RoomSummary | null>(null);
  quick = $state<string[]>([]);
  error = $state(false);
  /** How long the last push took from the desk's store to the screen (ms), measured after
   *  the feed rendered it: the console's promise is 300 ms. */
  shownAfterMs = $state<number | null>(null);
  #after = 0;
  #unlisten: (() => void) | null = null;

  /** Opens the room of `sessionId`: what the desk has, then every push. */
  async open(sessionId: SessionId) {
    if (this.sessionId === sessionId) return;
    this.close();
    this.sessionId = sessionId;
    this.events = [];
    this.replies = [];
    this.summary = null;
    this.#after = 0;
    this.#unlisten = await events.roomAppended.listen(async (event) => {
      if (event.payload.sessionId !== this.sessionId) return;
      const shown = this.#append(event.payload.events);
      this.summary = event.payload.summary;
      const pulledAt = event.payload.pulledAtMs;
      if (shown && pulledAt != null) {
        await tick();
        // Painted on the next frame after the DOM changed.
        requestAnimationFrame(() => (this.shownAfterMs = Date.now() - pulledAt));
      }
    });
    try {
      const page = await call(commands.roomEvents(sessionId, 0, true));
      this.#append(page.events);
      this.replies = page.replies;
      this.summary = page.summary;
      this.error = false;
    } catch {
      this.error = true;
    }
    call(commands.quickReplies()).then(
      (list) => (this.quick = list),
      () => (this.quick = []),
    );
  }

  close() {
    this.#unlisten?.();
    this.#unlisten = null;
    this.sessionId = null;
  }

  /** Adds what is new; whether any of it is shown in the feed. */
  #append(items: RoomItem[]): boolean {
    const fresh = items.filter((item) => item.event.seq > this.#after);
    if (fresh.length === 0) return false;
    this.#after = fresh[fresh.length - 1].event.seq;
    const shown = fresh.filter((item) => SHOWN.has(item.event.kind ?? ''));
    this.events = [...shown.reverse(), ...this.events].slice(0, KEEP);
    return shown.length > 0;
  }

  /** A reply to comment `seq`, linted with the product on air; held back with an error. */
  async reply(seq: number, text: string): Promise<ReplyOutcome> {
    const outcome = await call(commands.sendReply(seq, text));
    if (outcome.sent) this.replies = [...this.replies, outcome.sent];
    return outcome;
  }
}

export const room = new RoomStore();
