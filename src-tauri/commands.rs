//! IPC commands: each one unpacks its arguments and calls `anchordesk_core`.

use crate::state::{AppState, UiError};
use anchordesk_core::validate::{FieldError, FieldErrorCode, LineupTermsForm, ProductForm};
use anchordesk_core::{
    AnchorId, AnchorProfile, Broadcast, BroadcastDraft, BroadcastId, LineupItem, LineupItemId, Product, ProductId,
    Qualification,
};
use serde::Serialize;
use tauri::State;

/// What the window needs to know at start.
#[derive(Debug, Clone, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct AppInfo {
    pub version: String,
    pub data_dir: String,
    pub db_path: String,
    /// `zh-CN` or `en`.
    pub locale: String,
    /// Set when the database was refused; the window then shows only this.
    pub startup_error: Option<UiError>,
    /// Sessions that were live when the app last stopped (a crash or a kill), with their
    /// broadcast's title; their recordings are kept.
    pub interrupted: Vec<InterruptedSession>,
    /// The first-run guide is still to be shown (never after it was finished or skipped;
    /// `ANCHORDESK_SKIP_FIRST_RUN=1` skips it on managed installs).
    pub first_run: bool,
    /// The kind of seller chosen in the guide: new broadcasts start from its template.
    pub seller_kind: Option<anchordesk_core::first_run::SellerKind>,
}

/// A session found live at start.
#[derive(Debug, Clone, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct InterruptedSession {
    pub session: anchordesk_core::live::LiveSession,
    pub broadcast_title: String,
}

const LOCALE_KEY: &str = "locale";
const LOCALES: [&str; 2] = ["zh-CN", "en"];

#[tauri::command]
#[specta::specta]
pub async fn app_info(state: State<'_, AppState>) -> Result<AppInfo, UiError> {
    let locale = match state.startup_error() {
        Some(_) => None,
        None => state.with_store(|store| store.setting(LOCALE_KEY)).await?,
    };
    let sessions = state.interrupted.clone();
    let interrupted = match state.startup_error() {
        Some(_) => Vec::new(),
        None => {
            state
                .with_store(move |store| {
                    sessions
                        .into_iter()
                        // Only those the team has not closed yet.
                        .filter(|s| store.session(s.id).map(|now| now.status == anchordesk_core::live::SessionStatus::Interrupted).unwrap_or(false))
                        .map(|session| {
                            let broadcast_title = store.broadcast(session.broadcast_id)?.draft.title;
                            Ok(InterruptedSession { session, broadcast_title })
                        })
                        .collect()
                })
                .await?
        }
    };
    let (first_run, seller_kind) = match state.startup_error() {
        Some(_) => (false, None),
        None => state.with_store(|store| Ok((store.first_run_pending()?, store.seller_kind()?))).await?,
    };
    let skip = std::env::var("ANCHORDESK_SKIP_FIRST_RUN").is_ok_and(|v| v == "1");
    Ok(AppInfo {
        first_run: first_run && !skip,
        seller_kind,
        interrupted,
        version: env!("CARGO_PKG_VERSION").to_string(),
        data_dir: state.data_dir.display().to_string(),
        db_path: state.db_path.display().to_string(),
        locale: locale.filter(|l| LOCALES.contains(&l.as_str())).unwrap_or_else(|| LOCALES[0].to_string()),
        startup_error: state.startup_error(),
    })
}

/// Ends the first-run guide with the chosen kind of seller (`None` when skipped); returns
/// the sample products removed for it, so the window can offer undo.
#[tauri::command]
#[specta::specta]
pub async fn finish_first_run(
    state: State<'_, AppState>,
    kind: Option<anchordesk_core::first_run::SellerKind>,
) -> Result<Vec<ProductId>, UiError> {
    state.with_store(move |store| store.finish_first_run(kind)).await
}

#[tauri::command]
#[specta::specta]
pub async fn set_locale(state: State<'_, AppState>, locale: String) -> Result<(), UiError> {
    if !LOCALES.contains(&locale.as_str()) {
        return Err(UiError::invalid(vec![FieldError::new(
            "locale",
            FieldErrorCode::UnknownValue,
            locale,
        )]));
    }
    state.with_store(move |store| store.set_setting(LOCALE_KEY, &locale)).await
}

#[tauri::command]
#[specta::specta]
pub async fn list_products(state: State<'_, AppState>, query: String) -> Result<Vec<Product>, UiError> {
    state.with_store(move |store| store.products(&query)).await
}

/// Checks a product form as the user types; an empty list means it would save.
#[tauri::command]
#[specta::specta]
pub fn validate_product(form: ProductForm) -> Vec<FieldError> {
    form.parse().err().unwrap_or_default()
}

#[tauri::command]
#[specta::specta]
pub async fn save_product(state: State<'_, AppState>, id: Option<ProductId>, form: ProductForm) -> Result<Product, UiError> {
    let draft = form.parse().map_err(UiError::invalid)?;
    let saved = state
        .with_store(move |store| match id {
            Some(id) => store.update_product(id, &draft),
            None => store.create_product(&draft),
        })
        .await?;
    state.wake();
    Ok(saved)
}

#[tauri::command]
#[specta::specta]
pub async fn delete_products(state: State<'_, AppState>, ids: Vec<ProductId>) -> Result<(), UiError> {
    state.with_store(move |store| store.delete_products(&ids)).await?;
    state.wake();
    Ok(())
}

#[tauri::command]
#[specta::specta]
pub async fn restore_products(state: State<'_, AppState>, ids: Vec<ProductId>) -> Result<(), UiError> {
    state.with_store(move |store| store.restore_products(&ids)).await?;
    state.wake();
    Ok(())
}

/// Removes every sample product; returns their ids so the UI can offer undo.
#[tauri::command]
#[specta::specta]
pub async fn remove_sample_catalog(state: State<'_, AppState>) -> Result<Vec<ProductId>, UiError> {
    state
        .with_store(|store| {
            let ids = store.sample_product_ids()?;
            store.delete_products(&ids)?;
            Ok(ids)
        })
        .await
}

#[tauri::command]
#[specta::specta]
pub async fn list_broadcasts(state: State<'_, AppState>) -> Result<Vec<Broadcast>, UiError> {
    state.with_store(|store| store.broadcasts()).await
}

#[tauri::command]
#[specta::specta]
pub async fn save_broadcast(
    state: State<'_, AppState>,
    id: Option<BroadcastId>,
    draft: BroadcastDraft,
    template: Option<String>,
) -> Result<Broadcast, UiError> {
    let draft = draft.validated().map_err(UiError::invalid)?;
    let template = template
        .map(|name| anchordesk_core::templates::by_name(&name))
        .transpose()
        .map_err(|err| UiError::invalid(vec![FieldError::new("template", FieldErrorCode::UnknownValue, err.to_string())]))?;
    state
        .with_store(move |store| match (id, template) {
            (Some(id), _) => store.update_broadcast(id, &draft),
            (None, Some(template)) => store.create_broadcast_from_template(&draft, &template),
            (None, None) => store.create_broadcast(&draft),
        })
        .await
}

#[tauri::command]
#[specta::specta]
pub async fn delete_broadcast(state: State<'_, AppState>, id: BroadcastId) -> Result<(), UiError> {
    state.with_store(move |store| store.delete_broadcast(id)).await
}

#[tauri::command]
#[specta::specta]
pub async fn restore_broadcast(state: State<'_, AppState>, id: BroadcastId) -> Result<(), UiError> {
    state.with_store(move |store| store.restore_broadcast(id)).await
}

#[tauri::command]
#[specta::specta]
pub async fn get_lineup(state: State<'_, AppState>, broadcast_id: BroadcastId) -> Result<Vec<LineupItem>, UiError> {
    state.with_store(move |store| store.lineup(broadcast_id)).await
}

#[tauri::command]
#[specta::specta]
pub async fn add_lineup_item(
    state: State<'_, AppState>,
    broadcast_id: BroadcastId,
    product_id: ProductId,
) -> Result<LineupItem, UiError> {
    state.with_store(move |store| store.add_lineup_item(broadcast_id, product_id)).await
}

#[tauri::command]
#[specta::specta]
pub async fn update_lineup_terms(
    state: State<'_, AppState>,
    id: LineupItemId,
    form: LineupTermsForm,
) -> Result<LineupItem, UiError> {
    let terms = form.parse().map_err(UiError::invalid)?;
    state.with_store(move |store| store.update_lineup_terms(id, &terms)).await
}

/// Removes an item; returns it so the UI can offer undo.
#[tauri::command]
#[specta::specta]
pub async fn remove_lineup_item(state: State<'_, AppState>, id: LineupItemId) -> Result<LineupItem, UiError> {
    state.with_store(move |store| store.remove_lineup_item(id)).await
}

#[tauri::command]
#[specta::specta]
pub async fn restore_lineup_item(state: State<'_, AppState>, item: LineupItem) -> Result<LineupItem, UiError> {
    state.with_store(move |store| store.restore_lineup_item(&item)).await
}

#[tauri::command]
#[specta::specta]
pub async fn reorder_lineup(
    state: State<'_, AppState>,
    broadcast_id: BroadcastId,
    order: Vec<LineupItemId>,
) -> Result<Vec<LineupItem>, UiError> {
    state.with_store(move |store| store.reorder_lineup(broadcast_id, &order)).await
}

#[tauri::command]
#[specta::specta]
pub async fn list_anchors(state: State<'_, AppState>) -> Result<Vec<AnchorProfile>, UiError> {
    state.with_store(|store| store.anchors()).await
}

#[tauri::command]
#[specta::specta]
pub async fn save_anchor(
    state: State<'_, AppState>,
    id: Option<AnchorId>,
    name: String,
    qualifications: Vec<Qualification>,
) -> Result<AnchorProfile, UiError> {
    if name.trim().is_empty() {
        return Err(UiError::invalid(vec![FieldError::new(
            "name",
            FieldErrorCode::Required,
            name,
        )]));
    }
    state.with_store(move |store| store.save_anchor(id, &name, &qualifications)).await
}
