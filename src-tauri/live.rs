//! Going live from the window: the gate (in `anchordesk_core`), the capture pipeline
//! (`anchordesk_capture`), markers and overlay on each product change, and the report.
//! The pipeline is owned here, by one `LiveRun`; health figures and preview frames reach
//! the window as events.

use crate::state::{AppState, UiError};
use anchordesk_capture::{MarkerKind, Overlay, Pipeline, PipelineHandle, Stats, StreamUrl};
use anchordesk_core::{archive, preflight};
use anchordesk_core::live::{BroadcastReport, LiveMarkerKind, LiveSession, report_html};
use anchordesk_core::plan::CheckEnv;
use anchordesk_core::validate::{FieldError, FieldErrorCode};
use anchordesk_core::{BroadcastId, ErrorCode, LineupItem};
use base64::Engine as _;
use serde::{Deserialize, Serialize};
use tauri::{AppHandle, Manager, State};
use tauri_specta::Event;

/// What is on air now.
pub struct LiveRun {
    session: LiveSession,
    handle: PipelineHandle,
    on_air: Option<usize>,
    /// The line-up item on air (replies are linted with its product's facts).
    on_air_item: Option<anchordesk_core::LineupItemId>,
    push: PushPlan,
    /// The product card on the picture (kept while hidden, to show it again).
    overlay: Option<Overlay>,
    overlay_hidden: bool,
    /// A caption typed live, shown instead of the product card until cleared or the next
    /// product.
    caption: Option<String>,
    /// Items taken off the bag (下架): not put on air again.
    taken_off: Vec<anchordesk_core::LineupItemId>,
}

/// Where the picture goes besides the recording, as the console says it.
#[derive(Debug, Clone, Serialize, specta::Type)]
#[serde(rename_all = "camelCase", tag = "kind")]
pub enum PushPlan {
    /// To the platform's ingest, from its answer to the start call (key masked).
    Platform { url: String },
    /// To an ingest URL the team typed (key masked).
    Typed { url: String },
    /// A rehearsal without an ingest: recording only.
    Rehearsal,
    /// The platform did not answer in time: recording only, the start is queued.
    PlatformUnreachable { reason: String },
}

/// Health figures from the pipeline, once a second.
#[derive(Debug, Clone, Serialize, Deserialize, specta::Type, tauri_specta::Event)]
#[serde(rename_all = "camelCase")]
pub struct LiveStats {
    pub stats: Stats,
}

/// A small preview picture (JPEG, base64), a few times a second.
#[derive(Debug, Clone, Serialize, Deserialize, specta::Type, tauri_specta::Event)]
#[serde(rename_all = "camelCase")]
pub struct LivePreview {
    pub jpeg_base64: String,
}

/// The live console's state.
#[derive(Debug, Clone, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct LiveStatus {
    pub session: LiveSession,
    pub lineup: Vec<LineupItem>,
    /// Index into `lineup` of the product on air.
    pub on_air: Option<i32>,
    pub recording_path: String,
    pub push: PushPlan,
    pub overlay_visible: bool,
    pub caption: Option<String>,
    pub taken_off: Vec<anchordesk_core::LineupItemId>,
}


impl LiveRun {
    pub fn session_id(&self) -> anchordesk_core::live::SessionId {
        self.session.id
    }
}

/// The session on air, the line-up item on air (if any) and the media time now.
pub(crate) fn on_air_facts(state: &AppState) -> Result<(anchordesk_core::live::SessionId, Option<anchordesk_core::LineupItemId>, i64), UiError> {
    let guard = state.live.lock().unwrap_or_else(|p| p.into_inner());
    let run = guard.as_ref().ok_or_else(not_live)?;
    Ok((run.session.id, run.on_air_item, run.handle.media_time().as_millis() as i64))
}

fn not_live() -> UiError {
    UiError { code: ErrorCode::NotFound, message: "nothing is live".into(), fields: Vec::new(), path: None }
}

/// The facts the checklist needs from outside the database: disk, the linter with the
/// team's rules, whether the chosen camera and microphone are connected, and the platform.
pub(crate) async fn check_env(state: &AppState) -> CheckEnv {
    let mut env = CheckEnv::measure(&state.data_dir);
    env.linter = Some(state.linter());
    if let Ok(settings) = state.with_store(|store| store.capture_settings()).await {
        let (camera, microphone) = crate::devices::device_facts(&settings);
        env.camera = Some(camera);
        env.microphone = Some(microphone);
    }
    env.platform = Some(crate::sync::platform_fact(state));
    env
}

/// Goes live: the gate must be open (or overridden), then the recording (and the push to
/// `push_url`, when given) starts. Without a camera the synthetic source is used.
#[tauri::command]
#[specta::specta]
pub async fn go_live(
    app: AppHandle,
    state: State<'_, AppState>,
    broadcast_id: BroadcastId,
    rehearsal: bool,
    push_url: Option<String>,
) -> Result<LiveStatus, UiError> {
    // Reserve going live before any await, so two clicks cannot start two pipelines.
    if state.live.lock().unwrap_or_else(|p| p.into_inner()).is_some()
        || state.starting.swap(true, std::sync::atomic::Ordering::SeqCst)
    {
        return Err(UiError::invalid(vec![anchordesk_core::validate::FieldError::new(
            "session",
            anchordesk_core::validate::FieldErrorCode::UnknownValue,
            "already live",
        )]));
    }
    let result = start_live(&app, &state, broadcast_id, rehearsal, push_url).await;
    state.starting.store(false, std::sync::atomic::Ordering::SeqCst);
    result
}

async fn start_live(
    app: &AppHandle,
    state: &AppState,
    broadcast_id: BroadcastId,
    rehearsal: bool,
    push_url: Option<String>,
) -> Result<LiveStatus, UiError> {
    let push = match push_url.filter(|url| !url.trim().is_empty()) {
        Some(url) => Some(StreamUrl::parse(&url).map_err(|err| {
            UiError::invalid(vec![anchordesk_core::validate::FieldError::new(
                "pushUrl",
                anchordesk_core::validate::FieldErrorCode::UnknownValue,
                err.to_string(),
            )])
        })?),
        None => None,
    };
    let recordings = state.data_dir.join("recordings");
    std::fs::create_dir_all(&recordings).map_err(UiError::internal)?;
    let stamp = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
    let path = recordings.join(format!("broadcast-{}-{stamp}.mp4", broadcast_id.0));
    let env = check_env(state).await;
    let path_text = path.display().to_string();
    let (session, lineup, planned_minutes, settings) = state
        .with_store(move |store| {
            // A rehearsal while the desk is set to a real platform tells it nothing; on the
            // practice platform it runs in full (the audience, a course's scripted events).
            let silent = rehearsal && anchordesk_desk_sync::platform_settings(store)?.is_some();
            let session = store.go_live_with(broadcast_id, &env, &path_text, rehearsal, silent)?;
            let planned = store.run_of_show(broadcast_id)?.planned_minutes;
            Ok((session, store.lineup(broadcast_id)?, planned, store.capture_settings()?))
        })
        .await?;

    let (push, plan) = match push {
        Some(url) => {
            let plan = PushPlan::Typed { url: url.masked() };
            (Some(url), plan)
        }
        None if rehearsal => (None, PushPlan::Rehearsal),
        None => match platform_ingest(state, broadcast_id).await {
            Ok(url) => {
                let plan = PushPlan::Platform { url: url.masked() };
                (Some(url), plan)
            }
            Err(reason) => {
                tracing::warn!("recording without a push: {reason}");
                (None, PushPlan::PlatformUnreachable { reason })
            }
        },
    };

    // The devices cannot be in the Devices page's preview and on air at once.
    if let Some(preview) = state.device_preview.lock().unwrap_or_else(|p| p.into_inner()).take() {
        preview.stop();
    }
    let mut config = crate::devices::config_for(&settings, &path);
    config.push = push;
    // The ingest may come back later; the recording never waits for it.
    config.start_push_offline = true;
    config.realtime = true;
    config.preview_fps = 2;
    config.preview_width = 480;
    config.planned_duration_ms = Some((planned_minutes.max(1) as u32).saturating_mul(60_000));
    let started = tauri::async_runtime::spawn_blocking(move || {
        anchordesk_capture::init();
        Pipeline::start(config)
    })
    .await
    .map_err(UiError::internal)?;
    let mut handle = match started {
        Ok(handle) => handle,
        Err(err) => {
            // Nothing was recorded: close the session so the broadcast is not left live.
            let id = session.id;
            let _ = state.with_store(move |store| store.end_session(id, "", None)).await;
            return Err(UiError::internal(format!("the recording could not start: {err}")));
        }
    };
    // The recording's time 0 on the wall clock: the platform's events are placed by it.
    let origin_ms = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_millis() as i64).unwrap_or(0)
        - handle.media_time().as_millis() as i64;
    let session_id = session.id;
    state.with_store(move |store| store.set_media_origin(session_id, origin_ms)).await?;
    forward_stats(app, handle.stats());
    if let Some(preview) = handle.take_preview() {
        forward_preview(app, preview);
    }
    let status =
        LiveStatus { session: session.clone(), lineup, on_air: None, recording_path: path.display().to_string(), push: plan.clone(), overlay_visible: true, caption: None, taken_off: Vec::new() };
    crate::sync::pull_room_while_live(app, session.clone());
    *state.live.lock().unwrap_or_else(|p| p.into_inner()) = Some(LiveRun { session, handle, on_air: None, on_air_item: None, push: plan, overlay: None, overlay_hidden: false, caption: None, taken_off: Vec::new() });
    crate::sync::wake(state);
    Ok(status)
}

/// How long going live waits for the platform to answer the start before recording
/// without a push.
const PLATFORM_START_WAIT: std::time::Duration = std::time::Duration::from_secs(6);

/// The platform's ingest for this broadcast: waits (a few seconds at most) for the outbox to
/// send the start, then replays that call with the same Idempotency-Key, which returns the
/// platform's first answer: the ingest URL and the stream key. The key is never stored or
/// logged; only its masked form leaves this function.
async fn platform_ingest(state: &AppState, broadcast_id: BroadcastId) -> Result<StreamUrl, String> {
    let platform = state.platform.lock().unwrap_or_else(|p| p.into_inner()).as_ref().map(|link| link.platform.clone());
    let platform = platform.ok_or_else(|| "the platform link is not running".to_string())?;
    crate::sync::wake(state);
    let deadline = std::time::Instant::now() + PLATFORM_START_WAIT;
    let (start_id, desk_id) = loop {
        let latest = state
            .with_store(move |store| Ok((store.outbox_latest(broadcast_id, anchordesk_core::store::START_BROADCAST)?, store.desk_id()?)))
            .await
            .map_err(|err| err.message)?;
        match latest {
            (Some(start), desk_id) if start.done => break (start.id, desk_id),
            (Some(start), _) if start.given_up => {
                return Err(format!("the platform refused the start: {}", start.last_error.unwrap_or_default()));
            }
            (None, _) => return Err("no start was queued for this broadcast".into()),
            _ if std::time::Instant::now() >= deadline => return Err("the platform did not confirm the start in time; it is queued".into()),
            _ => tokio::time::sleep(std::time::Duration::from_millis(200)).await,
        }
    };
    use anchordesk_platform::Platform as _;
    let platform_id = anchordesk_core::store::platform_broadcast_id(broadcast_id);
    let target = platform.start_broadcast(&format!("{desk_id}-{start_id}"), &platform_id).await.map_err(|err| err.to_string())?;
    let url = format!("{}/{}", target.ingest_url.trim_end_matches('/'), target.stream_key);
    StreamUrl::parse(&url).map_err(|err| err.to_string())
}

fn forward_stats(app: &AppHandle, mut stats: tokio::sync::watch::Receiver<Stats>) {
    let app = app.clone();
    tauri::async_runtime::spawn(async move {
        while stats.changed().await.is_ok() {
            let current = stats.borrow_and_update().clone();
            let finished = current.finished;
            let _ = LiveStats { stats: current }.emit(&app);
            if finished {
                break;
            }
        }
    });
}

fn forward_preview(app: &AppHandle, mut preview: tokio::sync::mpsc::Receiver<anchordesk_capture::PreviewFrame>) {
    let app = app.clone();
    tauri::async_runtime::spawn(async move {
        while let Some(frame) = preview.recv().await {
            let jpeg_base64 = base64::engine::general_purpose::STANDARD.encode(&frame.jpeg);
            let _ = LivePreview { jpeg_base64 }.emit(&app);
        }
    });
}

/// Puts the next (`step` = 1), previous (-1) or a given line-up item on air: the overlay
/// changes and a marker is stamped in the recording and in the database.
#[tauri::command]
#[specta::specta]
pub async fn live_product(app: AppHandle, state: State<'_, AppState>, step: i32, index: Option<i32>) -> Result<LiveStatus, UiError> {
    let broadcast_id = state.live.lock().unwrap_or_else(|p| p.into_inner()).as_ref().ok_or_else(not_live)?.session.broadcast_id;
    // The overlay shows the first selling point of each product, read from the catalog.
    let (lineup, first_points) = state
        .with_store(move |store| {
            let lineup = store.lineup(broadcast_id)?;
            let points = lineup
                .iter()
                .map(|item| {
                    let product = store.product(item.product_id)?;
                    Ok(anchordesk_core::live::overlay_line(&item.terms.coupon, &product.draft.selling_points))
                })
                .collect::<Result<Vec<String>, anchordesk_core::StoreError>>()?;
            Ok((lineup, points))
        })
        .await?;
    if lineup.is_empty() {
        return Err(not_live());
    }
    let changed = {
        let mut guard = state.live.lock().unwrap_or_else(|p| p.into_inner());
        let run = guard.as_mut().ok_or_else(not_live)?;
        let target = anchordesk_core::live::next_on_air_for_sale(run.on_air, step, index, lineup.len(), |i| run.taken_off.contains(&lineup[i].id))
            .ok_or_else(|| UiError::invalid(vec![FieldError::new("index", FieldErrorCode::UnknownValue, "taken off")]))?;
        // Already on air (the first or last item for sale): no new marker or pin.
        if run.on_air == Some(target) {
            None
        } else {
            let item = lineup[target].clone();
            run.on_air = Some(target);
            run.on_air_item = Some(item.id);
            let selling_point = first_points[target].clone();
            let card = Overlay::ProductCard { name: item.product_name.clone(), price_fen: item.terms.live_price.0.max(0) as u32, selling_point };
            if !run.overlay_hidden {
                run.handle.set_overlay(Some(&card)).map_err(UiError::internal)?;
            }
            run.overlay = Some(card);
            run.caption = None;
            let marker = run.handle.marker(MarkerKind::Product, &item.product_name, Some(&item.product_sku));
            Some((run.session.id, item, marker.start_ms as i64))
        }
    };
    let Some((session_id, item, media_ms)) = changed else {
        return live_status(state).await;
    };
    let label = item.product_name.clone();
    let item_id = item.id;
    state.with_store(move |store| store.add_marker(session_id, LiveMarkerKind::Product, &label, Some(item_id), media_ms)).await?;
    crate::sync::wake(&state);
    crate::prompter::follow_product(&app, &state, item_id).await;
    live_status(state).await
}

/// Takes a line-up item off the shopping bag (下架, e.g. it sold out): a marker is stamped
/// and the platform unlists it; when it was on air, the next item goes on air.
#[tauri::command]
#[specta::specta]
pub async fn live_take_off(app: AppHandle, state: State<'_, AppState>, index: i32) -> Result<LiveStatus, UiError> {
    let broadcast_id = state.live.lock().unwrap_or_else(|p| p.into_inner()).as_ref().ok_or_else(not_live)?.session.broadcast_id;
    let lineup = state.with_store(move |store| store.lineup(broadcast_id)).await?;
    let refused = |why: &str| UiError::invalid(vec![FieldError::new("index", FieldErrorCode::UnknownValue, why)]);
    let item = usize::try_from(index).ok().and_then(|i| lineup.get(i)).cloned().ok_or_else(|| refused("no such item"))?;
    let (session_id, media_ms, was_on_air) = {
        let mut guard = state.live.lock().unwrap_or_else(|p| p.into_inner());
        let run = guard.as_mut().ok_or_else(not_live)?;
        if run.taken_off.contains(&item.id) {
            return Err(refused("taken off"));
        }
        run.taken_off.push(item.id);
        let marker = run.handle.marker(MarkerKind::Manual, &format!("下架 {}", item.product_name), Some(&item.product_sku));
        (run.session.id, marker.start_ms as i64, run.on_air_item == Some(item.id))
    };
    let label = format!("下架 {}", item.product_name);
    let item_id = item.id;
    state.with_store(move |store| store.add_marker(session_id, LiveMarkerKind::TakeOff, &label, Some(item_id), media_ms)).await?;
    crate::sync::wake(&state);
    if was_on_air {
        // On to the next item still for sale; with none left the taken-off one stays shown.
        if let Ok(status) = live_product(app, state.clone(), 1, None).await {
            return Ok(status);
        }
    }
    live_status(state).await
}

/// Hides or shows the product card on the picture (the key O in the console).
#[tauri::command]
#[specta::specta]
pub async fn live_overlay(state: State<'_, AppState>, visible: bool) -> Result<LiveStatus, UiError> {
    {
        let mut guard = state.live.lock().unwrap_or_else(|p| p.into_inner());
        let run = guard.as_mut().ok_or_else(not_live)?;
        run.overlay_hidden = !visible;
        let caption = run.caption.clone().map(|text| Overlay::Title { text });
        let shown = if visible { caption.as_ref().or(run.overlay.as_ref()) } else { None };
        run.handle.set_overlay(shown).map_err(UiError::internal)?;
    }
    live_status(state).await
}

/// Shows a caption typed live on the picture, linted with the product on air first: with
/// an error finding it is held back (kept as evidence, not shown) and the findings come
/// back. An empty text clears the caption and brings the product card back.
#[tauri::command]
#[specta::specta]
pub async fn live_caption(state: State<'_, AppState>, text: String) -> Result<crate::sync::ReplyOutcome, UiError> {
    let text = text.trim().to_string();
    if text.is_empty() {
        let mut guard = state.live.lock().unwrap_or_else(|p| p.into_inner());
        let run = guard.as_mut().ok_or_else(not_live)?;
        run.caption = None;
        if !run.overlay_hidden {
            run.handle.set_overlay(run.overlay.as_ref()).map_err(UiError::internal)?;
        }
        return Ok(crate::sync::ReplyOutcome { sent: None, findings: Vec::new() });
    }
    let (session_id, item, media_ms) = on_air_facts(&state)?;
    let linter = state.linter();
    let outcome = state
        .with_store(move |store| {
            let findings = store.lint_text_for(&linter, &text, None, item)?;
            let kept = store.add_reply(session_id, anchordesk_core::store::CAPTION, &text, media_ms, &findings)?;
            Ok(crate::sync::ReplyOutcome { sent: Some(kept).filter(|k| !k.held), findings })
        })
        .await?;
    if let Some(shown) = &outcome.sent {
        let mut guard = state.live.lock().unwrap_or_else(|p| p.into_inner());
        let run = guard.as_mut().ok_or_else(not_live)?;
        run.caption = Some(shown.text.clone());
        if !run.overlay_hidden {
            run.handle.set_overlay(Some(&Overlay::Title { text: shown.text.clone() })).map_err(UiError::internal)?;
        }
    }
    Ok(outcome)
}

/// Drops a manual marker at the current media time.
#[tauri::command]
#[specta::specta]
pub async fn live_marker(state: State<'_, AppState>, label: String) -> Result<(), UiError> {
    let (session_id, media_ms) = {
        let guard = state.live.lock().unwrap_or_else(|p| p.into_inner());
        let run = guard.as_ref().ok_or_else(not_live)?;
        let marker = run.handle.marker(MarkerKind::Manual, &label, None);
        (run.session.id, marker.start_ms as i64)
    };
    state.with_store(move |store| store.add_marker(session_id, LiveMarkerKind::Manual, &label, None, media_ms)).await?;
    Ok(())
}

/// The live console's state, or `NotFound` when nothing is live.
#[tauri::command]
#[specta::specta]
pub async fn live_status(state: State<'_, AppState>) -> Result<LiveStatus, UiError> {
    let (session, on_air, push, overlay_visible, caption, taken_off) = {
        let guard = state.live.lock().unwrap_or_else(|p| p.into_inner());
        let run = guard.as_ref().ok_or_else(not_live)?;
        (run.session.clone(), run.on_air, run.push.clone(), !run.overlay_hidden, run.caption.clone(), run.taken_off.clone())
    };
    let broadcast_id = session.broadcast_id;
    let lineup = state.with_store(move |store| store.lineup(broadcast_id)).await?;
    Ok(LiveStatus { recording_path: session.recording_path.clone(), session, lineup, on_air: on_air.map(|i| i as i32), push, overlay_visible, caption, taken_off })
}

/// Stops: finalises the recording (chapters and the marker sidecar), ends the session and
/// returns the report.
#[tauri::command]
#[specta::specta]
pub async fn stop_live(state: State<'_, AppState>) -> Result<StopResult, UiError> {
    let run = state.live.lock().unwrap_or_else(|p| p.into_inner()).take().ok_or_else(not_live)?;
    let session = run.session.clone();
    let clips_dir = state.data_dir.join("clips").join(format!("broadcast-{}-session-{}", session.broadcast_id.0, session.id.0));
    // Stop, then cut one clip per product marker by stream copy (seconds, not minutes,
    // even for hours of recording), before the recording moves into the archive.
    let stopped = tauri::async_runtime::spawn_blocking(move || {
        let summary = run.handle.stop()?;
        let clips = anchordesk_capture::cut_clips(&summary.path, &clips_dir, &anchordesk_capture::product_clips(&summary.markers))
            .unwrap_or_else(|err| {
                tracing::error!("cutting the product clips failed: {err}");
                Vec::new()
            });
        Ok::<_, anchordesk_capture::CaptureError>((summary, clips))
    })
    .await
    .map_err(UiError::internal)?;
    let (path, duration_ms, clips) = match stopped {
        Ok((summary, clips)) => {
            let (id, dropped, reconnects) = (session.id, summary.dropped_frames, summary.push_reconnects);
            // The session must end whatever happens here: a failure is logged, not returned.
            if let Err(err) = state.with_store(move |store| store.set_session_health(id, dropped, reconnects)).await {
                tracing::error!("keeping the session's health figures failed: {}", err.message);
            }
            (summary.path.display().to_string(), Some(summary.duration_ms as i64), clips)
        }
        Err(err) => {
            tracing::error!("the recording did not finalise cleanly: {err}");
            (String::new(), None, Vec::new())
        }
    };
    // The last orders and comments, so the report counts them (bounded: an unreachable
    // platform must not hold the stop; the pull resumes from its cursor next time).
    if !session.platform_silent {
        let _ = tokio::time::timeout(std::time::Duration::from_secs(3), crate::sync::pull_room_now(&state, &session)).await;
    }
    let report = finish(&state, session.id, path, duration_ms).await?;
    Ok(StopResult { report, clips })
}

/// What stopping produced: the report and the per-product clips (切片).
#[derive(Debug, Clone, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct StopResult {
    pub report: BroadcastReport,
    pub clips: Vec<anchordesk_capture::Clip>,
}

/// Ends a session, builds its report and archives its files, then records where the
/// recording went. The archive (a rename, or a copy across disks, and a SHA-256 of the
/// whole recording) runs without holding the store.
async fn finish(state: &AppState, session_id: anchordesk_core::live::SessionId, path: String, duration_ms: Option<i64>) -> Result<BroadcastReport, UiError> {
    finish_with(state, session_id, duration_ms, move |store| store.end_session(session_id, &path, duration_ms).map(|_| ())).await
}

/// `end` (ending or retiring the session), then the report, the archive and the move of the
/// recording into it.
async fn finish_with(
    state: &AppState,
    session_id: anchordesk_core::live::SessionId,
    duration_ms: Option<i64>,
    end: impl FnOnce(&mut anchordesk_core::Store) -> Result<(), anchordesk_core::StoreError> + Send + 'static,
) -> Result<BroadcastReport, UiError> {
    let env = check_env(state).await;
    let today = env.today;
    let (report, env) = state
        .with_store(move |store| {
            end(store)?;
            let session = store.session(session_id)?;
            let report = store.report(session.broadcast_id, &env, duration_ms)?;
            Ok((report, env))
        })
        .await?;
    let archive_dir = state.data_dir.join("archive");
    let archived = {
        let report = report.clone();
        tauri::async_runtime::spawn_blocking(move || archive::archive_session(&archive_dir.clone(), &report, today, archive::DEFAULT_RETENTION_YEARS).map(|entry| (archive_dir, entry)))
            .await
            .map_err(UiError::internal)?
    };
    let broadcast_id = report.broadcast.id;
    let recording = report.session.as_ref().map(|s| s.recording_path.clone()).unwrap_or_default();
    match archived {
        Ok((archive_dir, entry)) => {
            let moved = std::path::Path::new(&recording).file_name().map(|name| archive_dir.join(&entry.name).join(name).display().to_string());
            state
                .with_store(move |store| {
                    if let Some(moved) = moved {
                        store.move_recording(session_id, &moved)?;
                    }
                    store.report(broadcast_id, &env, duration_ms)
                })
                .await
        }
        Err(err) => {
            tracing::error!("archiving the session failed, the recording stays where it is: {err}");
            Ok(report)
        }
    }
}

/// Closes a session left interrupted by a crash: its recording (fragmented, so playable up
/// to the last second written) is measured, archived, and the report built.
#[tauri::command]
#[specta::specta]
pub async fn close_interrupted(state: State<'_, AppState>, session_id: anchordesk_core::live::SessionId) -> Result<BroadcastReport, UiError> {
    let session = state.with_store(move |store| store.session(session_id)).await?;
    // The recording was written until the crash: its last write time, from the start of
    // the session, is how long it runs.
    let duration = anchordesk_core::live::elapsed_until_last_write(std::path::Path::new(&session.recording_path), &session.started_at);
    finish(&state, session_id, String::new(), duration).await
}

/// Resumes a broadcast whose session was interrupted by a crash: the interrupted session
/// keeps its recording and markers (and is archived), and the broadcast goes on air again
/// in a new session and a new recording; the platform broadcast, still live, is not
/// started again.
#[tauri::command]
#[specta::specta]
pub async fn resume_interrupted(app: AppHandle, state: State<'_, AppState>, session_id: anchordesk_core::live::SessionId) -> Result<LiveStatus, UiError> {
    let session = state.with_store(move |store| store.session(session_id)).await?;
    // Check what would stop going live before retiring the interrupted session, so that a
    // refusal leaves it to resume or close later.
    if state.live.lock().unwrap_or_else(|p| p.into_inner()).is_some() || state.starting.load(std::sync::atomic::Ordering::SeqCst) {
        return Err(UiError::invalid(vec![FieldError::new("session", FieldErrorCode::UnknownValue, "already live")]));
    }
    let env = check_env(&state).await;
    let broadcast_id = session.broadcast_id;
    let gate = state.with_store(move |store| store.checklist_state(broadcast_id, &env)).await?.gate;
    if !gate.allowed {
        return Err(UiError::invalid(gate.blockers.iter().map(|b| FieldError::new("gate", FieldErrorCode::Required, &b.item.title)).collect()));
    }
    let duration = anchordesk_core::live::elapsed_until_last_write(std::path::Path::new(&session.recording_path), &session.started_at);
    finish_with(&state, session_id, duration, move |store| store.retire_interrupted(session_id, duration).map(|_| ())).await?;
    go_live(app, state, broadcast_id, session.rehearsal, None).await
}

/// The archive: every ended session's folder, and folders whose manifest is unreadable.
#[derive(Debug, Clone, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct ArchiveListing {
    pub entries: Vec<archive::ArchiveEntry>,
    pub problems: Vec<String>,
    pub dir: String,
}

#[tauri::command]
#[specta::specta]
pub async fn list_archive(state: State<'_, AppState>) -> Result<ArchiveListing, UiError> {
    let dir = state.data_dir.join("archive");
    let (entries, problems) = tauri::async_runtime::spawn_blocking({
        let dir = dir.clone();
        move || archive::list(&dir)
    })
    .await
    .map_err(UiError::internal)?;
    Ok(ArchiveListing { entries, problems, dir: dir.display().to_string() })
}

/// Checks an archive folder's digests and copies it to `<data dir>/exports/`; returns the
/// folder's path. A file that changed since archiving refuses the export.
#[tauri::command]
#[specta::specta]
pub async fn export_archive(state: State<'_, AppState>, name: String) -> Result<String, UiError> {
    let archive_dir = state.data_dir.join("archive");
    let exports = state.data_dir.join("exports");
    tauri::async_runtime::spawn_blocking(move || archive::export(&archive_dir, &name, &exports))
        .await
        .map_err(UiError::internal)?
        .map(|path| path.display().to_string())
        .map_err(UiError::internal)
}

/// The report of a broadcast's latest session.
#[tauri::command]
#[specta::specta]
pub async fn broadcast_report(state: State<'_, AppState>, broadcast_id: BroadcastId) -> Result<BroadcastReport, UiError> {
    let env = check_env(&state).await;
    state.with_store(move |store| store.report(broadcast_id, &env, None)).await
}

/// Writes the report as a printable HTML page under `<data dir>/reports/` and returns its path.
#[tauri::command]
#[specta::specta]
pub async fn export_report(state: State<'_, AppState>, broadcast_id: BroadcastId) -> Result<String, UiError> {
    let env = check_env(&state).await;
    let report = state.with_store(move |store| store.report(broadcast_id, &env, None)).await?;
    let dir = state.data_dir.join("reports");
    std::fs::create_dir_all(&dir).map_err(UiError::internal)?;
    let path = dir.join(format!("broadcast-{}.html", broadcast_id.0));
    anchordesk_core::paths::write_atomic(&path, report_html(&report).as_bytes()).map_err(UiError::internal)?;
    Ok(path.display().to_string())
}

/// Stops a run left behind when the window closes, so the recording is finalised.
pub fn stop_on_exit(app: &AppHandle) {
    let state = app.state::<AppState>();
    let run = state.live.lock().unwrap_or_else(|p| p.into_inner()).take();
    if let Some(run) = run {
        let id = run.session.id;
        let (path, duration) = match run.handle.stop() {
            Ok(summary) => (summary.path.display().to_string(), Some(summary.duration_ms as i64)),
            Err(_) => (String::new(), None),
        };
        let _ = tauri::async_runtime::block_on(finish(state.inner(), id, path, duration));
    }
}

/// The automatic preflight: devices, the encoder's speed at the chosen size (a second of
/// the test pattern through each preset), free disk for the planned length, the platform
/// (reachable and authorised) and the upload speed to it. Each result says what was
/// measured against what is needed.
#[tauri::command]
#[specta::specta]
pub async fn preflight(state: State<'_, AppState>, broadcast_id: BroadcastId) -> Result<Vec<preflight::PreflightItem>, UiError> {
    let (settings, planned_minutes) =
        state.with_store(move |store| Ok((store.capture_settings()?, store.run_of_show(broadcast_id)?.planned_minutes))).await?;
    let mut items = Vec::new();
    let (camera, microphone) = crate::devices::device_facts(&settings);
    items.push(preflight::device(preflight::PreflightCheck::Camera, settings.camera.as_deref(), camera.is_ok()));
    items.push(preflight::device(preflight::PreflightCheck::Microphone, settings.microphone.as_deref(), microphone.is_ok()));

    let video = crate::devices::config_for(&settings, std::path::Path::new("preflight.mp4")).video;
    let fps = video.fps;
    let probed = tauri::async_runtime::spawn_blocking(move || anchordesk_capture::choose_preset(&video, preflight::ENCODER_MARGIN))
        .await
        .map_err(UiError::internal)?;
    items.push(match probed {
        Ok(probe) => {
            let measured = probe.measured.iter().find(|(preset, _)| *preset == probe.preset).map(|(_, fps)| *fps).unwrap_or(0.0);
            preflight::encoder(measured, fps, probe.preset.name())
        }
        Err(err) => preflight::failed(preflight::PreflightCheck::Encoder, err.to_string()),
    });

    items.push(match anchordesk_capture::available_bytes(&state.data_dir) {
        Some(free) => preflight::disk(free, planned_minutes.max(1) as u32, settings.bitrate_kbps.max(0) as u32),
        None => preflight::failed(preflight::PreflightCheck::Disk, "the data directory's disk could not be measured"),
    });

    let platform = state.platform.lock().unwrap_or_else(|p| p.into_inner()).as_ref().map(|link| link.platform.clone());
    match platform {
        Some(platform) => {
            use anchordesk_platform::Platform as _;
            items.push(preflight::platform(platform.shop().await.map(|shop| shop.name).map_err(|err| err.to_string())));
            items.push(match crate::sync::measure_upload(&platform).await {
                Ok(kbps) => preflight::bandwidth(kbps, settings.bitrate_kbps.max(0) as u32),
                Err(err) => preflight::failed(preflight::PreflightCheck::Bandwidth, err),
            });
        }
        None => {
            let reason = state.platform_offline.lock().unwrap_or_else(|p| p.into_inner()).clone().unwrap_or_else(|| "starting".into());
            items.push(preflight::failed(preflight::PreflightCheck::Platform, reason.clone()));
            items.push(preflight::failed(preflight::PreflightCheck::Bandwidth, reason));
        }
    }
    Ok(items)
}
