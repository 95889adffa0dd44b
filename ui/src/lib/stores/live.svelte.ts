// The broadcast on air: status from Rust, health figures from events, the picture over the
// preview channel (preview.svelte.ts).
import { commands, events, type BroadcastId, type BroadcastReport, type Clip, type DuePrompt, type LiveStatus, type ReplyOutcome, type Stats } from '../bindings';
import { call } from '../api';
import { app } from './app.svelte';
import { preview } from './preview.svelte';
import { room } from './room.svelte';

class LiveStore {
  status = $state<LiveStatus | null>(null);
  stats = $state<Stats | null>(null);
  report = $state<BroadcastReport | null>(null);
  /** A rehearsal's reminders due now (a coupon to announce), pushed by the app. */
  prompts = $state<DuePrompt[]>([]);
  /** Clips cut when the broadcast stopped (shown with the report right after). */
  clips = $state<Clip[]>([]);
  #unlisten: (() => void)[] = [];

  async goLive(broadcastId: BroadcastId, rehearsal: boolean, pushUrl: string | null, scene: string | null = null) {
    await this.#listen();
    this.status = await call(commands.goLive(broadcastId, rehearsal, pushUrl, scene));
    this.report = null;
    app.page = 'live';
  }

  async #listen() {
    if (this.#unlisten.length > 0) return;
    this.#unlisten.push(await events.liveStats.listen((event) => (this.stats = event.payload.stats)));
    await preview.open();
    this.#unlisten.push(
      await events.promptsDue.listen((event) => {
        if (event.payload.sessionId === this.status?.session.id) this.prompts = event.payload.prompts;
      }),
    );
    // Every change on air is pushed by the live session (the end is handled by stop()).
    this.#unlisten.push(
      await events.liveChanged.listen((event) => {
        if (event.payload.status) this.status = event.payload.status;
      }),
    );
  }

  /** A caption on the picture (empty clears it); the new state arrives as an event. */
  caption(text: string): Promise<ReplyOutcome> {
    return call(commands.liveCaption(text));
  }

  /** An announcement to the whole room, linted like a reply. */
  announce(text: string): Promise<ReplyOutcome> {
    return call(commands.sendReply(0, text));
  }

  async overlay(visible: boolean) {
    this.status = await call(commands.liveOverlay(visible));
  }

  async takeOff(index: number) {
    this.status = await call(commands.liveTakeOff(index));
  }



  async product(step: number, index: number | null = null) {
    this.status = await call(commands.liveProduct(step, index));
  }

  /** Another scene on air (same canvas); a marker in the report. */
  async scene(name: string) {
    this.status = await call(commands.liveScene(name));
  }

  /** Mutes the microphone or unmutes it. */
  async muteMic(muted: boolean) {
    this.status = await call(commands.liveSound({ kind: 'micMuted', muted }));
  }

  /** The microphone's, the music's or the phone's gain on air, in dB (kept as the desk's). */
  async gain(source: 'mic' | 'music' | 'phone', gainDb: number) {
    const change = source === 'mic' ? { kind: 'micGain' as const, gainDb } : source === 'music' ? { kind: 'musicGain' as const, gainDb } : { kind: 'phoneGain' as const, gainDb };
    this.status = await call(commands.liveSound(change));
  }

  /** Mutes the phone's sound or unmutes it. */
  async mutePhone(muted: boolean) {
    this.status = await call(commands.liveSound({ kind: 'phoneMuted', muted }));
  }

  /** Stops the music bed or plays it again. */
  async musicOn(on: boolean) {
    this.status = await call(commands.liveSound({ kind: 'musicOn', on }));
  }

  /** A push destination tries to connect at once. */
  async reconnectPush(index: number) {
    await call(commands.liveReconnectPush(index));
  }

  async marker(label: string) {
    await call(commands.liveMarker(label));
  }

  async stop() {
    const result = await call(commands.stopLive());
    room.close();
    this.prompts = [];
    this.report = result.report;
    this.clips = result.clips;
    this.status = null;
    this.stats = null;
    preview.clear();
    app.page = 'report';
  }

  /** Goes on air again in a new session; the interrupted one is archived as it is. */
  async resumeInterrupted(sessionId: number) {
    await this.#listen();
    this.status = await call(commands.resumeInterrupted(sessionId));
    this.report = null;
    app.page = 'live';
  }

  async closeInterrupted(sessionId: number) {
    this.report = await call(commands.closeInterrupted(sessionId));
    this.clips = [];
    app.page = 'report';
  }

  async loadReport(broadcastId: BroadcastId) {
    this.report = await call(commands.broadcastReport(broadcastId));
    this.clips = [];
    app.page = 'report';
  }

  exportReport(broadcastId: BroadcastId): Promise<string> {
    return call(commands.exportReport(broadcastId));
  }
}

export const live = new LiveStore();
