//! Courses observed by the server: each class's practice shop runs here (the platform
//! contract of `anchordesk-sandbox`, one database per class, one shop per student), so the
//! comments, replies and orders of a rehearsal are recorded by the server, not reported by
//! the student; an attempt handed in is reconciled with what the shop observed and graded by
//! the class's rubric from the reconciled facts.
//!
//! What the server observes and what it takes from the desk:
//! - observed: whether and when each scripted event fired, every reply sent to it (the
//!   delay from the shop's own clock, the text linted here), the script as the shop ran it,
//!   the figures (orders, units, GMV, viewers, comments), how long the broadcast ran;
//! - the desk's measurements: time per product, prices and after-sales stated, the script's
//!   findings, the checklist, take-offs and captions (the shop does not see them).
//!
//! Where the two disagree the observed value is graded and the disagreement kept, naming the
//! fact, for the teacher's table; an event the shop did not run as the class's scenario says
//! counts as missed, and a shop selling at other prices than the scenario's earns no sales.

use crate::routes::{ApiError, ApiResult, AppState, Caller};
use anchordesk_course::{AttemptFacts, EventKind, Response, Rubric, Scenario};
use anchordesk_sandbox::{MountedSandbox, ObservedBroadcast};
use axum::extract::{Path, Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response as HttpResponse};
use axum::routing::{any, get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, OnceLock};
use tower::ServiceExt;

/// Who may set a class's course and read every student's attempts.
const COURSE_SETTERS: &[&str] = &["owner", "teacher"];
/// How far the desk's and the shop's durations may differ before it is a disagreement: the
/// recording starts a moment before the platform's start call and stops after its end.
const DURATION_TOLERANCE_S: i64 = 30;

/// The classes' practice shops, mounted on first use under `<data dir>/classes/<room id>`.
pub(crate) struct Shops {
    dir: PathBuf,
    mounted: Mutex<HashMap<i64, (Arc<MountedSandbox>, Router)>>,
}

impl Shops {
    pub(crate) fn new(dir: PathBuf) -> Shops {
        Shops { dir, mounted: Mutex::new(HashMap::new()) }
    }

    async fn get(&self, room: i64) -> ApiResult<(Arc<MountedSandbox>, Router)> {
        if let Some(shop) = self.mounted.lock().unwrap_or_else(|p| p.into_inner()).get(&room) {
            return Ok(shop.clone());
        }
        // Opening the database is file work: off the async threads, and not under the lock.
        let dir = self.dir.join("classes").join(room.to_string());
        let opened = tokio::task::spawn_blocking(move || {
            let mut config = anchordesk_sandbox::Config::new(dir);
            // A practice shop has no ingest of its own: rehearsals record on the desk.
            config.ingest_url = "rtmp://127.0.0.1:1935/practice".into();
            anchordesk_sandbox::Sandbox::mount(config)
        })
        .await
        .map_err(|err| ApiError::internal(err.to_string()))?
        .map_err(|err| ApiError::internal(format!("the class's practice shop did not open: {err}")))?;
        let mut mounted = self.mounted.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(shop) = mounted.get(&room) {
            // Another request opened it meanwhile: keep theirs.
            opened.shutdown();
            return Ok(shop.clone());
        }
        let shop = Arc::new(opened);
        let router = shop.router();
        mounted.insert(room, (shop.clone(), router.clone()));
        Ok((shop, router))
    }

    /// Takes a member's shop credentials away (they left the class): their records stay.
    pub(crate) async fn revoke(&self, room: i64, member: i64) -> ApiResult<()> {
        if !self.dir.join("classes").join(room.to_string()).is_dir() {
            return Ok(()); // the class never opened its shop
        }
        let (shop, _) = self.get(room).await?;
        tokio::task::spawn_blocking(move || shop.revoke_shop(&shop_id(member)))
            .await
            .map_err(|err| ApiError::internal(err.to_string()))?
            .map_err(|err| ApiError::internal(err.to_string()))
    }

    /// Stops every shop's clocks (at server shutdown).
    pub(crate) fn shutdown(&self) {
        for (shop, _) in self.mounted.lock().unwrap_or_else(|p| p.into_inner()).values() {
            shop.shutdown();
        }
    }
}

pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/classes/{room}/shop/{*rest}", any(shop))
        .route("/api/v1/orgs/{org}/rooms/{room}/course", get(get_course).put(put_course))
        .route("/api/v1/orgs/{org}/rooms/{room}/shop", post(open_shop))
        .route("/api/v1/orgs/{org}/rooms/{room}/attempts", get(list_attempts).post(submit_attempt))
}

/// Serves the class's practice shop: the platform contract below `/classes/{room}/shop`.
/// The contract's own credentials (a shop's client id and secret, signed requests) guard it.
async fn shop(State(state): State<AppState>, Path((room, rest)): Path<(i64, String)>, request: Request) -> HttpResponse {
    let client = match state.pool.get().await {
        Ok(client) => client,
        Err(err) => return ApiError::from(err).into_response(),
    };
    match client.query_opt("SELECT 1 FROM room WHERE id = $1 AND kind = 'class'", &[&room]).await {
        Ok(Some(_)) => {}
        Ok(None) => return ApiError::not_found().into_response(),
        Err(err) => return ApiError::from(err).into_response(),
    }
    drop(client);
    // The contract's client routes only: not the sandbox's admin routes (audience, faults)
    // nor its public shop pages.
    if !(rest == "oauth/token" || rest == "openapi.json" || rest.starts_with("v1/")) {
        return ApiError::not_found().into_response();
    }
    let router = match state.shops.get(room).await {
        Ok((_, router)) => router,
        Err(err) => return err.into_response(),
    };
    let (mut parts, body) = request.into_parts();
    let query = parts.uri.query().map(|q| format!("?{q}")).unwrap_or_default();
    // Requests are signed over the path below the base URL: the shop sees that path, as a
    // request of its own (this router's matched path would otherwise prefix the shop's).
    parts.extensions = Default::default();
    parts.uri = match format!("/{rest}{query}").parse() {
        Ok(uri) => uri,
        Err(_) => return ApiError::not_found().into_response(),
    };
    match router.oneshot(Request::from_parts(parts, body)).await {
        Ok(response) => response,
        Err(never) => match never {},
    }
}

/// The class a member works in, or 404 (another organisation's, a live room, not theirs).
async fn class_of(state: &AppState, caller: &Caller, org: i64, room: i64) -> ApiResult<String> {
    caller.in_org(org)?;
    let client = state.pool.get().await?;
    let row = client
        .query_opt(
            "SELECT r.name, EXISTS(SELECT 1 FROM room_member rm WHERE rm.room_id = r.id AND rm.member_id = $3) FROM room r \
             WHERE r.id = $1 AND r.org_id = $2 AND r.kind = 'class'",
            &[&room, &org, &caller.member_id],
        )
        .await?
        .ok_or_else(ApiError::not_found)?;
    let member: bool = row.get(1);
    if !member && !COURSE_SETTERS.contains(&caller.role.as_str()) {
        return Err(ApiError::forbidden("work in a class you are not in"));
    }
    Ok(row.get(0))
}

/// The class's course as stored: the scenario and the rubric.
struct Course {
    scenario: Scenario,
    source: Option<String>,
    rubric: Rubric,
    rubric_source: Option<String>,
}

async fn course(state: &AppState, room: i64) -> ApiResult<Option<Course>> {
    let client = state.pool.get().await?;
    let Some(row) = client.query_opt("SELECT scenario_id, scenario, rubric FROM class_course WHERE room_id = $1", &[&room]).await? else {
        return Ok(None);
    };
    let (id, source, rubric_source): (String, Option<String>, Option<String>) = (row.get(0), row.get(1), row.get(2));
    let scenario = scenario_for(&id, source.as_deref()).map_err(|err| ApiError::internal(format!("the class's scenario no longer reads: {err}")))?;
    let rubric = rubric_for(rubric_source.as_deref()).map_err(|err| ApiError::internal(format!("the class's rubric no longer reads: {err}")))?;
    Ok(Some(Course { scenario, source, rubric, rubric_source }))
}

fn scenario_for(id: &str, source: Option<&str>) -> Result<Scenario, String> {
    match source {
        Some(source) => anchordesk_course::parse_scenario(&format!("{id}.toml"), source).map_err(|err| err.to_string()),
        None => anchordesk_course::embedded_scenarios().into_iter().find(|s| s.id == id).ok_or_else(|| {
            let known: Vec<String> = anchordesk_course::embedded_scenarios().into_iter().map(|s| s.id).collect();
            format!("no shipped scenario is called {id:?} (shipped: {}); or send the scenario's TOML", known.join(", "))
        }),
    }
}

fn rubric_for(source: Option<&str>) -> Result<Rubric, String> {
    match source {
        Some(source) => Rubric::parse("rubric.toml", source).map_err(|err| err.to_string()),
        None => Ok(Rubric::default_rubric()),
    }
}

async fn get_course(State(state): State<AppState>, caller: Caller, Path((org, room)): Path<(i64, i64)>) -> ApiResult<Json<Value>> {
    class_of(&state, &caller, org, room).await?;
    let course = course(&state, room).await?.ok_or_else(|| ApiError::new(StatusCode::NOT_FOUND, "no-course", "the teacher has not set this class's scenario yet"))?;
    Ok(Json(course_view(&course)))
}

fn course_view(course: &Course) -> Value {
    json!({
        "scenarioId": course.scenario.id,
        "scenarioTitle": course.scenario.title_zh,
        "scenarioTitleEn": course.scenario.title_en,
        "scenarioVersion": course.scenario.version,
        // The teacher's own scenario travels to the students' desks; a shipped one they have.
        "scenario": course.source,
        "ownScenario": course.source.is_some(),
        "rubricId": course.rubric.id,
        "rubric": course.rubric_source,
    })
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct CourseWrite {
    /// A shipped scenario's id, or the id of `scenario`.
    scenario_id: Option<String>,
    /// The teacher's own scenario (TOML).
    scenario: Option<String>,
    /// The class's rubric (TOML); the default rubric when absent.
    rubric: Option<String>,
}

async fn put_course(State(state): State<AppState>, caller: Caller, Path((org, room)): Path<(i64, i64)>, Json(body): Json<CourseWrite>) -> ApiResult<Json<Value>> {
    let name = class_of(&state, &caller, org, room).await?;
    caller.may(COURSE_SETTERS, "set a class's scenario")?;
    let scenario = match (&body.scenario, &body.scenario_id) {
        (Some(source), _) => anchordesk_course::parse_scenario("scenario.toml", source).map_err(|err| ApiError::invalid(format!("the scenario does not read: {err}")))?,
        (None, Some(id)) => scenario_for(id.trim(), None).map_err(ApiError::invalid)?,
        (None, None) => return Err(ApiError::invalid("send scenarioId (a shipped scenario) or scenario (the TOML of your own)")),
    };
    let rubric = rubric_for(body.rubric.as_deref()).map_err(|err| ApiError::invalid(format!("the rubric does not read: {err}")))?;
    let mut client = state.pool.get().await?;
    let tx = client.transaction().await?;
    tx.execute(
        "INSERT INTO class_course (room_id, scenario_id, scenario, rubric, set_by) VALUES ($1, $2, $3, $4, $5) \
         ON CONFLICT (room_id) DO UPDATE SET scenario_id = excluded.scenario_id, scenario = excluded.scenario, rubric = excluded.rubric, set_by = excluded.set_by, set_at = now()",
        &[&room, &scenario.id, &body.scenario, &body.rubric, &caller.member_id],
    )
    .await?;
    tx.execute("INSERT INTO audit (org_id, member_id, action, target) VALUES ($1, $2, 'set-course', $3)", &[&org, &caller.member_id, &format!("{name}: {}", scenario.id)]).await?;
    tx.commit().await?;
    Ok(Json(course_view(&Course { scenario, source: body.scenario, rubric, rubric_source: body.rubric })))
}

/// The caller's own shop in the class's practice platform, created on first call: the path
/// of the platform below the server's address and the shop's client credentials.
async fn open_shop(State(state): State<AppState>, caller: Caller, Path((org, room)): Path<(i64, i64)>) -> ApiResult<Json<Value>> {
    let name = class_of(&state, &caller, org, room).await?;
    let (shop, _) = state.shops.get(room).await?;
    let member = caller.member_id;
    let credentials = tokio::task::spawn_blocking(move || shop.ensure_shop(&shop_id(member), &format!("{name} · {member}")))
        .await
        .map_err(|err| ApiError::internal(err.to_string()))?
        .map_err(|err| ApiError::internal(err.to_string()))?;
    Ok(Json(json!({
        "path": format!("/classes/{room}/shop"),
        "shopId": credentials.shop_id,
        "clientId": credentials.client_id,
        "clientSecret": credentials.client_secret,
    })))
}

fn shop_id(member: i64) -> String {
    format!("member-{member}")
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct AttemptWrite {
    /// The rehearsal's broadcast id on the practice platform.
    broadcast_id: String,
    /// What the desk measured.
    facts: AttemptFacts,
}

/// One place where the desk's facts and the shop's observation differ.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Disagreement {
    /// The fact, as a path into the facts (`events.organic-question.responses`).
    pub fact: String,
    /// What the desk said.
    pub submitted: String,
    /// What the shop observed (and the grade uses).
    pub observed: String,
}

async fn submit_attempt(State(state): State<AppState>, caller: Caller, Path((org, room)): Path<(i64, i64)>, Json(body): Json<AttemptWrite>) -> ApiResult<(StatusCode, Json<Value>)> {
    let name = class_of(&state, &caller, org, room).await?;
    let course = course(&state, room).await?.ok_or_else(|| ApiError::new(StatusCode::CONFLICT, "no-course", "the teacher has not set this class's scenario yet"))?;
    if body.facts.scenario_id != course.scenario.id {
        return Err(ApiError::invalid(format!(
            "this rehearsal was of scenario {:?}; the class rehearses {:?} ({})",
            body.facts.scenario_id, course.scenario.id, course.scenario.title_zh
        )));
    }
    let (shop, _) = state.shops.get(room).await?;
    let (member, broadcast) = (caller.member_id, body.broadcast_id.clone());
    let observed = tokio::task::spawn_blocking(move || shop.observe(&shop_id(member), &broadcast))
        .await
        .map_err(|err| ApiError::internal(err.to_string()))?
        .map_err(|err| ApiError::internal(err.to_string()))?
        .ok_or_else(|| {
            ApiError::invalid(format!(
                "your practice shop in {name} has no broadcast {:?}: rehearse with the desk set to the class's practice shop (anchordesk team practice-shop)",
                body.broadcast_id
            ))
        })?;
    if observed.ended_at_ms.is_none() {
        return Err(ApiError::new(StatusCode::CONFLICT, "still-live", "the practice shop has not seen this rehearsal end: end it on the desk and let it sync, then hand it in"));
    }
    let (facts, disagreements) = reconcile(&course.scenario, &body.facts, &observed, linter());
    let report = anchordesk_course::grade(&course.scenario, &course.rubric, &facts).map_err(|err| ApiError::invalid(err.to_string()))?;
    let to_json = |value: &dyn erased::Json| value.json();
    let mut client = state.pool.get().await?;
    let tx = client.transaction().await?;
    tx.execute(
        "INSERT INTO course_attempt (room_id, member_id, broadcast_id, submitted, observed, disagreements, facts) VALUES ($1, $2, $3, $4, $5, $6, $7) \
         ON CONFLICT (room_id, member_id, broadcast_id) DO UPDATE SET submitted = excluded.submitted, observed = excluded.observed, \
         disagreements = excluded.disagreements, facts = excluded.facts, submitted_at = now()",
        &[&room, &caller.member_id, &body.broadcast_id, &to_json(&body.facts), &to_json(&observed), &to_json(&disagreements), &to_json(&facts)],
    )
    .await?;
    tx.execute("INSERT INTO audit (org_id, member_id, action, target) VALUES ($1, $2, 'hand-in', $3)", &[&org, &caller.member_id, &format!("{name}: {}", body.broadcast_id)]).await?;
    tx.commit().await?;
    Ok((StatusCode::CREATED, Json(json!({ "total": report.total, "disagreements": disagreements, "report": report }))))
}

/// serde_json values of the few types stored, without a generic per call site.
mod erased {
    pub trait Json {
        fn json(&self) -> serde_json::Value;
    }
    impl<T: serde::Serialize> Json for T {
        fn json(&self) -> serde_json::Value {
            serde_json::to_value(self).unwrap_or(serde_json::Value::Null)
        }
    }
}

/// The class table: each student's latest attempt re-graded now from its reconciled facts
/// with the class's current rubric (a teacher sees everyone; a student their own).
async fn list_attempts(State(state): State<AppState>, caller: Caller, Path((org, room)): Path<(i64, i64)>) -> ApiResult<Json<Value>> {
    class_of(&state, &caller, org, room).await?;
    Ok(Json(class_table(&state, room, (!COURSE_SETTERS.contains(&caller.role.as_str())).then_some(caller.member_id)).await?))
}

/// The table the API and the web page show.
pub(crate) async fn class_table(state: &AppState, room: i64, only: Option<i64>) -> ApiResult<Value> {
    let course = course(state, room).await?;
    let client = state.pool.get().await?;
    let rows = client
        .query(
            "SELECT DISTINCT ON (a.member_id) m.email, a.broadcast_id, a.facts, a.disagreements, to_char(a.submitted_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI'), \
             (SELECT count(*) FROM course_attempt c WHERE c.room_id = a.room_id AND c.member_id = a.member_id) \
             FROM course_attempt a JOIN member m ON m.id = a.member_id WHERE a.room_id = $1 AND ($2::BIGINT IS NULL OR a.member_id = $2) \
             ORDER BY a.member_id, a.submitted_at DESC, a.id DESC",
            &[&room, &only],
        )
        .await?;
    let mut out = Vec::new();
    for row in &rows {
        let facts: Value = row.get(2);
        let graded = match (&course, serde_json::from_value::<AttemptFacts>(facts)) {
            (Some(course), Ok(facts)) => anchordesk_course::grade(&course.scenario, &course.rubric, &facts).map_err(|err| err.to_string()),
            (None, _) => Err("the class has no scenario now".into()),
            (_, Err(err)) => Err(format!("the stored facts do not read: {err}")),
        };
        let (total, student, problem) = match graded {
            Ok(report) => (Some(report.total), Some(report.student), None),
            Err(problem) => (None, None, Some(problem)),
        };
        out.push(json!({
            "email": row.get::<_, String>(0),
            "studentId": student.as_ref().map(|s| s.id.clone()),
            "studentName": student.as_ref().map(|s| s.name.clone()),
            "broadcastId": row.get::<_, String>(1),
            "total": total,
            "problem": problem,
            "disagreements": row.get::<_, Value>(3),
            "submittedAt": row.get::<_, String>(4),
            "attempts": row.get::<_, i64>(5),
        }));
    }
    out.sort_by(|a, b| b["total"].as_f64().unwrap_or(-1.0).total_cmp(&a["total"].as_f64().unwrap_or(-1.0)).then_with(|| a["email"].as_str().cmp(&b["email"].as_str())));
    Ok(json!({ "course": course.as_ref().map(course_view), "attempts": out }))
}

/// The linter replies are checked with here: the shipped packs (a reply the desk sent was
/// clean by its own linter; one the desk left out of its facts is checked by this one).
fn linter() -> &'static anchordesk_claims::Linter {
    static LINTER: OnceLock<anchordesk_claims::Linter> = OnceLock::new();
    LINTER.get_or_init(anchordesk_claims::Linter::default_packs)
}

fn lint_errors(linter: &anchordesk_claims::Linter, text: &str) -> u32 {
    let options = anchordesk_claims::LintOptions { lang: anchordesk_claims::Lang::Auto, product: None };
    linter.lint(text, &options).iter().filter(|f| f.severity == anchordesk_claims::Severity::Error).count() as u32
}

/// The facts to grade: the desk's, with what the shop observed in place of what it says of
/// the same things, and every place they differ.
pub fn reconcile(scenario: &Scenario, submitted: &AttemptFacts, observed: &ObservedBroadcast, linter: &anchordesk_claims::Linter) -> (AttemptFacts, Vec<Disagreement>) {
    let mut facts = submitted.clone();
    let mut found = Vec::new();
    let mut differ = |fact: String, submitted: String, observed: String| found.push(Disagreement { fact, submitted, observed });

    // The script the shop ran must be the class's: a student cannot drop the hard question.
    // An event the shop did not run as the class's scenario says counts as missed.
    let mut altered: Vec<String> = Vec::new();
    for event in &scenario.events {
        let want = match &event.kind {
            EventKind::Comment { text, .. } => text.clone(),
            EventKind::StockOut { sku } => sku.clone(),
            EventKind::CouponDue { .. } => continue, // the desk's own reminder
        };
        let ran = observed.script.iter().find(|s| s.id == event.id);
        let kind = ran.and_then(|s| s.kind["type"].as_str()).unwrap_or_default();
        let ran_as = ran.map(|s| (s.after_ms, s.kind["text"].as_str().or(s.kind["sku"].as_str()).unwrap_or_default().to_owned()));
        let same_kind = matches!((&event.kind, kind), (EventKind::Comment { .. }, "comment") | (EventKind::StockOut { .. }, "stock_out"));
        if !same_kind || ran_as.as_ref() != Some(&(event.at_seconds as i64 * 1000, want.clone())) {
            differ(
                format!("script.{}", event.id),
                format!("{} s: {want}", event.at_seconds),
                ran_as.map_or_else(|| "not in the shop's script".into(), |(at, what)| format!("{} s: {what}", at / 1000)),
            );
            altered.push(event.id.clone());
        }
    }

    // Each event the shop fires: whether it fired, and the replies it received.
    for event in &scenario.events {
        if matches!(event.kind, EventKind::CouponDue { .. }) {
            continue;
        }
        let ran = observed.script.iter().find(|s| s.id == event.id && s.fired_after_ms.is_some());
        let index = facts.events.iter().position(|e| e.event_id == event.id);
        let (ran, index) = match (ran, index) {
            (None, None) => continue,
            (None, Some(index)) => {
                differ(format!("events.{}.firedAtMs", event.id), format!("{} ms", facts.events[index].fired_at_ms), "never fired".into());
                facts.events.remove(index);
                continue;
            }
            (Some(ran), None) => {
                let fired = ran.fired_after_ms.unwrap_or_default();
                differ(format!("events.{}.firedAtMs", event.id), "not reported".into(), format!("{fired} ms"));
                facts.events.push(anchordesk_course::EventFacts { event_id: event.id.clone(), risk: event.risk, fired_at_ms: fired, responses: Vec::new(), product_taken_off_at_ms: None });
                (ran, facts.events.len() - 1)
            }
            (Some(ran), Some(index)) => (ran, index),
        };
        // Replies are observed for comments; a stock-out is answered by announcements and
        // captions the shop does not see, so the desk's stand.
        if altered.contains(&event.id) {
            facts.events[index].responses.clear();
            facts.events[index].product_taken_off_at_ms = None;
            continue;
        }
        let EventKind::Comment { .. } = event.kind else { continue };
        let fired = ran.fired_after_ms.unwrap_or_default();
        let desk_fired = facts.events[index].fired_at_ms;
        let replies: Vec<Response> = observed
            .replies
            .iter()
            .filter(|r| Some(r.comment_seq) == ran.fired_seq)
            .map(|r| Response {
                // The delay measured by the shop, placed on the desk's recording clock.
                at_ms: desk_fired + (r.after_ms - fired).max(0),
                text: r.text.clone(),
                lint_error_count: lint_errors(linter, &r.text),
            })
            .collect();
        let texts = |responses: &[Response]| {
            let mut texts: Vec<String> = responses.iter().map(|r| r.text.trim().to_owned()).collect();
            texts.sort();
            texts
        };
        let said = texts(&facts.events[index].responses);
        let seen = texts(&replies);
        if said != seen {
            let list = |texts: &[String]| if texts.is_empty() { "none".to_owned() } else { texts.iter().map(|t| format!("「{t}」")).collect::<Vec<_>>().join(" ") };
            differ(format!("events.{}.responses", event.id), list(&said), list(&seen));
        }
        facts.events[index].responses = replies;
    }

    // The shop's prices are the desk's to set: a shop selling at other prices than the
    // scenario's (a ¥1,000,000 box that makes the GMV with one order) earns no sales.
    let mut priced_apart = false;
    for seen in &observed.prices {
        let Some(product) = scenario.products.iter().find(|p| p.sku == seen.sku) else { continue };
        let wanted_live = product.live_price_fen;
        if seen.price_fen != product.price_fen || seen.live_price_fen.is_some_and(|live| live != wanted_live) {
            differ(
                format!("prices.{}", seen.sku),
                format!("{} / {} fen", product.price_fen, wanted_live),
                format!("{} / {} fen", seen.price_fen, seen.live_price_fen.map_or_else(|| "-".into(), |l| l.to_string())),
            );
            priced_apart = true;
        }
    }
    for sold in &observed.sales {
        let paid_too_much = scenario.products.iter().find(|p| p.sku == sold.sku).is_none_or(|p| sold.amount_fen > sold.units * p.price_fen);
        if paid_too_much {
            differ(format!("sales.{}", sold.sku), "sold at the scenario's prices".into(), format!("{} units for {} fen", sold.units, sold.amount_fen));
            priced_apart = true;
        }
    }

    // The shop's figures: graded as the shop counted them; a desk that claims more is marked.
    let audience = &mut facts.audience;
    let figures: [(&str, i64, i64); 5] = [
        ("audience.orders", audience.orders.into(), observed.orders.into()),
        ("audience.units", audience.units.into(), observed.units.into()),
        ("audience.gmvFen", audience.gmv_fen, observed.gmv_fen),
        ("audience.peakViewers", audience.peak_viewers.into(), observed.viewers_peak.into()),
        ("audience.totalViewers", audience.total_viewers.into(), observed.viewers_total.into()),
    ];
    for (fact, said, seen) in figures {
        // A desk pulls the room once a second and stops pulling when it goes off air, so
        // it may have seen a little less than the shop; it never honestly sees more.
        if said > seen {
            differ(fact.into(), said.to_string(), seen.to_string());
        }
    }
    let (orders, units, gmv) = if priced_apart { (0, 0, 0) } else { (observed.orders.max(0) as u32, observed.units.max(0) as u32, observed.gmv_fen) };
    audience.orders = orders;
    audience.units = units;
    audience.gmv_fen = gmv;
    audience.peak_viewers = observed.viewers_peak.max(0) as u32;
    audience.total_viewers = observed.viewers_total.max(0) as u32;

    // How long it ran.
    if let (Some(start), Some(end)) = (observed.started_at_ms, observed.ended_at_ms) {
        let seen = (end - start) / 1000;
        if (seen - facts.duration_seconds).abs() > DURATION_TOLERANCE_S {
            differ("durationSeconds".into(), facts.duration_seconds.to_string(), seen.to_string());
            facts.duration_seconds = seen;
        }
    }
    (facts, found)
}

#[cfg(test)]
mod tests {
    use super::*;
    use anchordesk_course::{Student, model_attempt};
    use anchordesk_sandbox::{ObservedPrice, ObservedReply, ObservedSales, ObservedScripted};

    fn scenario() -> Scenario {
        anchordesk_course::embedded_scenarios().into_iter().find(|s| s.id == "orange-organic").unwrap()
    }

    /// What an honest shop records of the model attempt: every event as scripted, each
    /// reply the attempt made, the scenario's prices.
    fn observed(scenario: &Scenario, facts: &AttemptFacts) -> ObservedBroadcast {
        let mut script = Vec::new();
        let mut replies = Vec::new();
        for (seq, event) in scenario.events.iter().enumerate() {
            let kind = match &event.kind {
                EventKind::Comment { user, text } => json!({ "type": "comment", "user": user, "text": text }),
                EventKind::StockOut { sku } => json!({ "type": "stock_out", "sku": sku }),
                EventKind::CouponDue { .. } => continue,
            };
            let at = event.at_seconds as i64 * 1000;
            script.push(ObservedScripted { id: event.id.clone(), after_ms: at, kind, fired_after_ms: Some(at), fired_seq: Some(seq as i64 + 1) });
            if matches!(event.kind, EventKind::Comment { .. }) {
                for response in &facts.events.iter().find(|e| e.event_id == event.id).unwrap().responses {
                    replies.push(ObservedReply { comment_seq: seq as i64 + 1, after_ms: response.at_ms, text: response.text.clone() });
                }
            }
        }
        let prices = scenario.products.iter().map(|p| ObservedPrice { sku: p.sku.clone(), price_fen: p.price_fen, live_price_fen: Some(p.live_price_fen) }).collect();
        let sales = vec![ObservedSales { sku: scenario.products[0].sku.clone(), orders: 2, units: 2, amount_fen: 2 * scenario.products[0].live_price_fen }];
        let a = &facts.audience;
        ObservedBroadcast {
            broadcast_id: "b".into(),
            status: anchordesk_platform::BroadcastStatus::Ended,
            started_at_ms: Some(0),
            ended_at_ms: Some(facts.duration_seconds * 1000),
            script,
            replies,
            viewers_peak: a.peak_viewers as i32,
            viewers_total: a.total_viewers as i32,
            comments: a.comments as i32,
            orders: a.orders as i32,
            units: a.units as i32,
            gmv_fen: a.gmv_fen,
            prices,
            sales,
        }
    }

    fn attempt(scenario: &Scenario) -> AttemptFacts {
        model_attempt(scenario, Student { id: "1".into(), name: "陈同学".into() }, "2026-12-07T10:00:00+08:00", "2026-12-07T10:10:00+08:00")
    }

    #[test]
    fn an_honest_attempt_agrees_with_its_shop() {
        let (scenario, facts) = (scenario(), attempt(&scenario()));
        let (graded, found) = reconcile(&scenario, &facts, &observed(&scenario, &facts), linter());
        assert_eq!(found, []);
        let rubric = Rubric::default_rubric();
        assert_eq!(anchordesk_course::grade(&scenario, &rubric, &graded).unwrap().total, anchordesk_course::grade(&scenario, &rubric, &facts).unwrap().total);
    }

    #[test]
    fn an_event_the_shop_ran_otherwise_counts_as_missed() {
        let (scenario, facts) = (scenario(), attempt(&scenario()));
        let mut shop = observed(&scenario, &facts);
        // The stock-out swapped for a harmless comment under the same id.
        let swapped = shop.script.iter_mut().find(|s| s.id == "small-box-sold-out").unwrap();
        swapped.kind = json!({ "type": "comment", "user": "路人", "text": "GN-ORANGE-5KG" });
        let (graded, found) = reconcile(&scenario, &facts, &shop, linter());
        assert_eq!(found.iter().map(|d| d.fact.as_str()).collect::<Vec<_>>(), ["script.small-box-sold-out"]);
        let event = graded.events.iter().find(|e| e.event_id == "small-box-sold-out").unwrap();
        assert!(event.responses.is_empty() && event.product_taken_off_at_ms.is_none());
        let report = anchordesk_course::grade(&scenario, &Rubric::default_rubric(), &graded).unwrap();
        assert!(report.missed_events.contains(&"small-box-sold-out".to_string()), "{:?}", report.missed_events);
    }

    #[test]
    fn a_shop_priced_apart_from_the_scenario_earns_no_sales() {
        let (scenario, facts) = (scenario(), attempt(&scenario()));
        let mut shop = observed(&scenario, &facts);
        shop.prices[0].price_fen = 100_000_000;
        shop.sales[0].amount_fen = 50_000_000;
        let (graded, found) = reconcile(&scenario, &facts, &shop, linter());
        let named: Vec<&str> = found.iter().map(|d| d.fact.as_str()).collect();
        assert!(named.contains(&"prices.GN-ORANGE-5KG") && named.contains(&"sales.GN-ORANGE-5KG"), "{named:?}");
        assert_eq!((graded.audience.orders, graded.audience.units, graded.audience.gmv_fen), (0, 0, 0));
    }
}
