//! IPC commands for the claims linter: lint as you type, and the broadcast's compliance review.

use crate::state::{AppState, UiError};
use anchordesk_claims::{Finding, LintOptions};
use anchordesk_core::compliance::{ComplianceReport, FindingKey, product_context};
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
    let linter = state.linter.clone();
    if product_id.is_none() && lineup_item_id.is_none() {
        return Ok(linter.lint(&text, &LintOptions::default()));
    }
    state
        .with_store(move |store| {
            let item = lineup_item_id.map(|id| store.lineup_item(id)).transpose()?;
            let product = store.product(item.as_ref().map(|i| i.product_id).or(product_id).expect("one of the two ids is set"))?;
            let lineup = match &item {
                Some(item) => store.lineup(item.broadcast_id)?,
                None => Vec::new(),
            };
            let context = product_context(&product, item.as_ref(), &lineup);
            Ok(linter.lint(&text, &LintOptions { product: Some(&context), ..LintOptions::default() }))
        })
        .await
}

/// Lints everything the broadcast will say and show.
#[tauri::command]
#[specta::specta]
pub async fn compliance_report(state: State<'_, AppState>, broadcast_id: BroadcastId) -> Result<ComplianceReport, UiError> {
    let linter = state.linter.clone();
    state.with_store(move |store| store.compliance_report(broadcast_id, &linter)).await
}

#[tauri::command]
#[specta::specta]
pub async fn acknowledge_finding(
    state: State<'_, AppState>,
    broadcast_id: BroadcastId,
    key: FindingKey,
    reason: String,
    by: String,
) -> Result<(), UiError> {
    state.with_store(move |store| store.acknowledge_finding(broadcast_id, &key, &reason, &by)).await
}

#[tauri::command]
#[specta::specta]
pub async fn withdraw_acknowledgement(state: State<'_, AppState>, broadcast_id: BroadcastId, key: FindingKey) -> Result<(), UiError> {
    state.with_store(move |store| store.withdraw_acknowledgement(broadcast_id, &key)).await
}
