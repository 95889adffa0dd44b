// Broadcasts and the line-up of the one being edited.
import {
  commands,
  type Broadcast,
  type BroadcastDraft,
  type BroadcastId,
  type LineupItem,
  type LineupItemId,
  type LineupTermsForm,
  type ProductId,
  type AnchorProfile,
} from '../bindings';
import { call } from '../api';
import { t } from '../i18n/index.svelte';
import { toasts } from './toasts.svelte';
import { moveItem } from '../format';

class BroadcastsStore {
  items = $state<Broadcast[]>([]);
  loaded = $state(false);
  selectedId = $state<BroadcastId | null>(null);
  lineup = $state<LineupItem[]>([]);
  anchors = $state<AnchorProfile[]>([]);

  selected = $derived(this.items.find((b) => b.id === this.selectedId) ?? null);
  totalMinutes = $derived(this.lineup.reduce((sum, item) => sum + item.plannedMinutes, 0));

  async load() {
    const [items, anchors] = await Promise.all([call(commands.listBroadcasts()), call(commands.listAnchors())]);
    this.items = items;
    this.anchors = anchors;
    this.loaded = true;
    if (this.selectedId !== null && !items.some((b) => b.id === this.selectedId)) {
      this.selectedId = null;
      this.lineup = [];
    }
  }

  async select(id: BroadcastId | null) {
    this.selectedId = id;
    const lineup = id === null ? [] : await call(commands.getLineup(id));
    // A slower answer for a broadcast no longer selected must not replace the line-up shown.
    if (this.selectedId === id) this.lineup = lineup;
  }

  async save(id: BroadcastId | null, draft: BroadcastDraft, template: string | null = null): Promise<Broadcast> {
    const broadcast = await call(commands.saveBroadcast(id, draft, template));
    await this.load();
    await this.select(broadcast.id);
    return broadcast;
  }

  /** Sets the scene a broadcast goes on air with ('' for none: the camera fills the picture). */
  async planScene(id: BroadcastId, scene: string) {
    const changed = await call(commands.planBroadcastScene(id, scene === '' ? null : scene));
    this.items = this.items.map((b) => (b.id === id ? changed : b));
  }

  async remove(broadcast: Broadcast) {
    await call(commands.deleteBroadcast(broadcast.id));
    await this.load();
    toasts.push(t('broadcast.deleted', { title: broadcast.title }), {
      undo: async () => {
        await call(commands.restoreBroadcast(broadcast.id));
        await this.load();
        await this.select(broadcast.id);
      },
    });
  }

  async duplicate(broadcast: Broadcast, title: string) {
    const copy = await call(commands.duplicateBroadcast(broadcast.id, title));
    await this.load();
    await this.select(copy.id);
    toasts.push(t('broadcast.duplicated', { title: copy.title }));
  }

  async #refreshSummary() {
    this.items = await call(commands.listBroadcasts());
  }

  async addProduct(broadcastId: BroadcastId, productId: ProductId) {
    const item = await call(commands.addLineupItem(broadcastId, productId));
    this.lineup = [...this.lineup, item];
    await this.#refreshSummary();
    return item;
  }

  async updateTerms(id: LineupItemId, form: LineupTermsForm) {
    const item = await call(commands.updateLineupTerms(id, form));
    this.lineup = this.lineup.map((existing) => (existing.id === id ? item : existing));
    await this.#refreshSummary();
    return item;
  }

  async removeItem(item: LineupItem) {
    const removed = await call(commands.removeLineupItem(item.id));
    this.lineup = await call(commands.getLineup(item.broadcastId));
    await this.#refreshSummary();
    toasts.push(t('lineupItem.removed', { name: item.productName }), {
      undo: async () => {
        await call(commands.restoreLineupItem(removed));
        if (this.selectedId === item.broadcastId) this.lineup = await call(commands.getLineup(item.broadcastId));
        await this.#refreshSummary();
      },
    });
  }

  /** Moves an item and saves the new order; the list changes at once and is put back if saving fails. */
  async move(from: number, to: number) {
    if (this.selectedId === null || from === to || to < 0 || to >= this.lineup.length) return;
    const before = this.lineup;
    this.lineup = moveItem(before, from, to);
    try {
      this.lineup = await call(commands.reorderLineup(this.selectedId, this.lineup.map((item) => item.id)));
    } catch (err) {
      this.lineup = before;
      toasts.error(err);
    }
  }
}

export const broadcasts = new BroadcastsStore();
