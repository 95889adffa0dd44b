// The claims linter as the UI uses it: lint a text as it is typed, and the broadcast review.
import {
  commands,
  type BroadcastId,
  type ComplianceReport,
  type Finding,
  type FindingKey,
  type LineupItemId,
  type ProductId,
  type RulesOverview,
  type TeamSettings,
} from '../bindings';
import { call } from '../api';

class ClaimsStore {
  /** Settings → Rules: every rule and lexicon, and the team's own. */
  rulesOverview(): Promise<RulesOverview> {
    return call(commands.rulesOverview());
  }

  saveTeamRules(team: TeamSettings): Promise<RulesOverview> {
    return call(commands.saveTeamRules(team));
  }

  report = $state<ComplianceReport | null>(null);

  lint(text: string, productId: ProductId | null = null, lineupItemId: LineupItemId | null = null): Promise<Finding[]> {
    return call(commands.lintText(text, productId, lineupItemId));
  }

  async loadReport(broadcastId: BroadcastId) {
    this.report = await call(commands.complianceReport(broadcastId));
  }

  async acknowledge(broadcastId: BroadcastId, key: FindingKey, reason: string, by: string) {
    await call(commands.acknowledgeFinding(broadcastId, key, reason, by));
    await this.loadReport(broadcastId);
  }

  async withdraw(broadcastId: BroadcastId, key: FindingKey) {
    await call(commands.withdrawAcknowledgement(broadcastId, key));
    await this.loadReport(broadcastId);
  }
}

export const claims = new ClaimsStore();
