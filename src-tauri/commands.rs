//! IPC commands: each one unpacks its arguments and calls `anchordesk_core`.

use crate::state::{AppState, UiError};
use anchordesk_core::validate::{FieldError, FieldErrorCode, LineupTermsForm, ProductForm};
use anchordesk_core::{
    AnchorId, AnchorProfile, Broadcast, BroadcastDraft, BroadcastId, LineupItem, LineupItemId, Product, ProductId,
    Qualification,
};
use anchordesk_live::scenes::SceneEntry;
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
    pub interrupted: Vec<anchordesk_core::live::InterruptedSession>,
    /// The first-run guide is still to be shown (never after it was finished or skipped;
    /// `ANCHORDESK_SKIP_FIRST_RUN=1` skips it on managed installs).
    pub first_run: bool,
    /// The kind of seller chosen in the guide: new broadcasts start from its template.
    pub seller_kind: Option<anchordesk_core::first_run::SellerKind>,
}

const LOCALE_KEY: &str = "locale";
const LOCALES: [&str; 2] = ["zh-CN", "en"];

#[tauri::command]
#[specta::specta]
pub async fn app_info(state: State<'_, AppState>) -> Result<AppInfo, UiError> {
    let sessions = state.interrupted.clone();
    let (locale, interrupted, first_run, seller_kind) = match state.startup_error() {
        Some(_) => (None, Vec::new(), false, None),
        None => {
            let facts = move |store: &mut anchordesk_core::Store| -> Result<_, anchordesk_core::StoreError> {
                Ok((store.setting(LOCALE_KEY)?, store.still_interrupted(&sessions)?, store.first_run_pending()?, store.seller_kind()?))
            };
            state.with_store(facts).await?
        }
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

crate::state::store_commands! {
    /// Ends the first-run guide with the chosen kind of seller (`None` when skipped); returns
    /// the sample products removed for it, so the window can offer undo.
    fn delete_products(ids: Vec<ProductId>) -> () = |store| store.delete_products(&ids), then wake;
    fn restore_products(ids: Vec<ProductId>) -> () = |store| store.restore_products(&ids), then wake;
    fn finish_first_run(kind: Option<anchordesk_core::first_run::SellerKind>) -> Vec<ProductId> = |store| store.finish_first_run(kind);
    fn list_products(query: String) -> Vec<Product> = |store| store.products(&query);
    fn list_broadcasts() -> Vec<Broadcast> = |store| store.broadcasts();
    fn delete_broadcast(id: BroadcastId) -> () = |store| store.delete_broadcast(id);
    fn restore_broadcast(id: BroadcastId) -> () = |store| store.restore_broadcast(id);
    fn get_lineup(broadcast_id: BroadcastId) -> Vec<LineupItem> = |store| store.lineup(broadcast_id);
    fn add_lineup_item(broadcast_id: BroadcastId, product_id: ProductId) -> LineupItem = |store| store.add_lineup_item(broadcast_id, product_id);
    /// Removes an item; returns it so the UI can offer undo.
    fn remove_lineup_item(id: LineupItemId) -> LineupItem = |store| store.remove_lineup_item(id);
    fn restore_lineup_item(item: LineupItem) -> LineupItem = |store| store.restore_lineup_item(&item);
    fn reorder_lineup(broadcast_id: BroadcastId, order: Vec<LineupItemId>) -> Vec<LineupItem> = |store| store.reorder_lineup(broadcast_id, &order);
    fn list_anchors() -> Vec<AnchorProfile> = |store| store.anchors();
    /// The built-in layouts and the team's saved scenes.
    fn list_scenes() -> Vec<SceneEntry> = |store| anchordesk_live::scenes::library(store);
    fn save_scene(scene: anchordesk_capture::Scene) -> Vec<SceneEntry> = |store| anchordesk_live::scenes::save(store, scene);
    /// Deletes a saved scene; returns it for undo.
    fn delete_scene(name: String) -> anchordesk_capture::Scene = |store| anchordesk_live::scenes::delete(store, &name);
    /// The scene a broadcast goes on air with (`None`: the camera fills the picture).
    fn plan_broadcast_scene(broadcast_id: BroadcastId, scene: Option<String>) -> Broadcast = |store| anchordesk_live::scenes::plan_for(store, broadcast_id, scene.as_deref());
    /// The desk's second picture (第二画面) and whether the platform's ingest takes it.
    fn set_second_picture(scene: Option<String>, platform: bool) -> anchordesk_core::devices::CaptureSettings = |store| anchordesk_live::scenes::set_second_picture(store, scene.as_deref(), platform);
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
pub async fn save_broadcast(
    state: State<'_, AppState>,
    id: Option<BroadcastId>,
    draft: BroadcastDraft,
    template: Option<String>,
) -> Result<Broadcast, UiError> {
    let draft = draft.validated().map_err(UiError::invalid)?;
    let template = template
        .map(|name| anchordesk_core::templates::find(&state.data_dir, &name))
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
pub async fn update_lineup_terms(
    state: State<'_, AppState>,
    id: LineupItemId,
    form: LineupTermsForm,
) -> Result<LineupItem, UiError> {
    let terms = form.parse().map_err(UiError::invalid)?;
    state.with_store(move |store| store.update_lineup_terms(id, &terms)).await
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
