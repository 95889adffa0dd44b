//! IPC commands for the claims linter: lint as you type, and the broadcast's compliance review.

use crate::state::{AppState, UiError};
use anchordesk_claims::{Finding, RuleSummary, TeamSettings};
use anchordesk_core::compliance::{ComplianceReport, FindingKey};
use anchordesk_core::{BroadcastId, LineupItemId, ProductId};
use tauri::State;

/// Lints one text as it is typed. With a product (or a line-up item), its facts are
/// cross-checked: certificates, prices, stock, gifts in the line-up.
#[tauri::command]
#[specta::specta]
pub async fn lint_text(
    state: State<'_, AppState>,
    text: String,
    product_id: Option<ProductId>,
    lineup_item_id: Option<LineupItemId>,
) -> Result<Vec<Finding>, UiError> {
    let linter = state.linter();
    state.with_store(move |store| store.lint_text_for(&linter, &text, product_id, lineup_item_id)).await
}

/// Lints everything the broadcast will say and show.
#[tauri::command]
#[specta::specta]
pub async fn compliance_report(state: State<'_, AppState>, broadcast_id: BroadcastId) -> Result<ComplianceReport, UiError> {
    let linter = state.linter();
    state.with_store(move |store| store.compliance_report(broadcast_id, &linter)).await
}

crate::state::store_commands! {
    fn acknowledge_finding(broadcast_id: BroadcastId, key: FindingKey, reason: String, by: String) -> () = |store| store.acknowledge_finding(broadcast_id, &key, &reason, &by);
    fn withdraw_acknowledgement(broadcast_id: BroadcastId, key: FindingKey) -> () = |store| store.withdraw_acknowledgement(broadcast_id, &key);
}

/// What Settings → Rules shows: every rule (with whether it is on), the team's own settings,
/// and team packs that were refused.
#[derive(Debug, Clone, serde::Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct RulesOverview {
    pub rules: Vec<RuleSummary>,
    pub team: TeamSettings,
    pub errors: Vec<String>,
    pub rules_dir: String,
    /// The lexicons the rules compose, with sizes, sources and the team's additions.
    pub lexicons: Vec<anchordesk_claims::LexiconSummary>,
}

#[tauri::command]
#[specta::specta]
pub async fn rules_overview(state: State<'_, AppState>) -> Result<RulesOverview, UiError> {
    let team = state.with_store(|store| store.team_rules()).await?;
    Ok(RulesOverview {
        rules: state.linter().rules(),
        team,
        errors: state.rule_errors(),
        rules_dir: state.rules_dir().display().to_string(),
        lexicons: state.linter().lexicons(),
    })
}

/// Saves the team's rules (refused, with the pack error, when they do not compile) and
/// rebuilds the linter.
#[tauri::command]
#[specta::specta]
pub async fn save_team_rules(state: State<'_, AppState>, settings: TeamSettings) -> Result<RulesOverview, UiError> {
    let dir = state.rules_dir();
    state.with_store(move |store| store.save_team_rules(&settings, &dir)).await?;
    state.reload_linter();
    rules_overview(state).await
}
