// The run-of-show and the checklist of the broadcast being edited.
import {
  type PreflightItem,
  commands,
  type BroadcastId,
  type ChecklistItemId,
  type ChecklistState,
  type RunOfShow,
  type Segment,
  type SegmentDraft,
  type SegmentId,
  type TemplateSummary,
} from '../bindings';
import { call } from '../api';
import { t } from '../i18n/index.svelte';
import { moveItem } from '../format';
import { toasts } from './toasts.svelte';

const OPERATOR_KEY = 'anchordesk.operator';

class PlanStore {
  show = $state<RunOfShow | null>(null);
  checklist = $state<ChecklistState | null>(null);
  templates = $state<TemplateSummary[]>([]);
  /** Who ticks checklist items on this machine; kept between starts. */
  operator = $state(localStorage.getItem(OPERATOR_KEY) ?? '');

  setOperator(name: string) {
    this.operator = name;
    localStorage.setItem(OPERATOR_KEY, name);
  }

  /** The built-in templates and the team's (which a team sync or a share can change). */
  async loadTemplates() {
    this.templates = await commands.listTemplates();
  }

  async loadShow(broadcastId: BroadcastId) {
    this.show = await call(commands.runOfShow(broadcastId));
  }

  /** The measured preflight (devices, encoder speed, disk, platform, upload). */
  preflight(broadcastId: BroadcastId): Promise<PreflightItem[]> {
    return call(commands.preflight(broadcastId));
  }

  async loadChecklist(broadcastId: BroadcastId) {
    this.checklist = await call(commands.checklistState(broadcastId));
  }

  async addSegment(broadcastId: BroadcastId, draft: SegmentDraft) {
    await call(commands.addSegment(broadcastId, draft));
    await this.loadShow(broadcastId);
  }

  async updateSegment(broadcastId: BroadcastId, id: SegmentId, draft: SegmentDraft) {
    await call(commands.updateSegment(id, draft));
    await this.loadShow(broadcastId);
  }

  async removeSegment(broadcastId: BroadcastId, segment: Segment) {
    const removed = await call(commands.removeSegment(segment.id));
    await this.loadShow(broadcastId);
    toasts.push(t('segment.removed', { title: segment.title }), {
      undo: async () => {
        await call(commands.restoreSegment(removed));
        await this.loadShow(broadcastId);
      },
    });
  }

  async moveSegment(broadcastId: BroadcastId, from: number, to: number) {
    if (!this.show || to < 0 || to >= this.show.segments.length || from === to) return;
    const order = moveItem(this.show.segments, from, to).map((view) => view.segment.id);
    this.show = await call(commands.reorderSegments(broadcastId, order));
  }

  exportScript(broadcastId: BroadcastId, format: 'md' | 'html'): Promise<string> {
    return call(commands.exportScript(broadcastId, format));
  }

  async importScript(broadcastId: BroadcastId, text: string) {
    this.show = await call(commands.importScript(broadcastId, text));
  }

  async tick(broadcastId: BroadcastId, id: ChecklistItemId, done: boolean) {
    await call(commands.setChecklistDone(id, done, this.operator));
    await this.loadChecklist(broadcastId);
  }

  async override(broadcastId: BroadcastId, reason: string, by: string) {
    await call(commands.overrideGoLive(broadcastId, reason, by));
    await this.loadChecklist(broadcastId);
  }

  async clearOverride(broadcastId: BroadcastId) {
    await call(commands.clearGoLiveOverride(broadcastId));
    await this.loadChecklist(broadcastId);
  }
}

export const plan = new PlanStore();
