//! The HTTP API (`/api/v1`). Every route but sign-in needs `Authorization: Bearer TOKEN`;
//! routes under `/orgs/{org}` answer 404 for another organisation's id and 403 when the
//! caller's role may not do it. Writes take an `Idempotency-Key`: the same key returns the
//! first answer and changes nothing again.

use crate::auth;
use axum::extract::{DefaultBodyLimit, FromRequestParts, Path, Query, State};
use axum::http::{HeaderMap, StatusCode, request::Parts};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post, put};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

#[derive(Clone)]
pub struct AppState {
    pub pool: deadpool_postgres::Pool,
    /// Session cookies of the web page carry `Secure` (served over TLS or behind a proxy).
    pub secure_cookies: bool,
    /// The classes' practice shops.
    pub(crate) shops: std::sync::Arc<crate::course::Shops>,
}

pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/api/v1/sign-in", post(sign_in))
        .route("/api/v1/sign-out", post(sign_out))
        .route("/api/v1/me", get(me))
        .route("/api/v1/password", put(change_password))
        .route("/api/v1/orgs/{org}/products", get(list_products))
        .route("/api/v1/orgs/{org}/products/{sku}", put(put_product).delete(delete_product))
        .route("/api/v1/orgs/{org}/rule-pack", get(get_rule_pack).put(put_rule_pack))
        .route("/api/v1/orgs/{org}/broadcasts", get(list_broadcasts))
        .route("/api/v1/orgs/{org}/broadcasts/{key}", put(put_broadcast).delete(delete_broadcast))
        .route("/api/v1/orgs/{org}/changes", get(changes))
        .route("/api/v1/orgs/{org}/members", get(list_members).post(add_member))
        .route("/api/v1/orgs/{org}/rooms", get(list_rooms).post(add_room))
        .route("/api/v1/orgs/{org}/rooms/{room}/members/{member}", put(put_room_member).delete(delete_room_member))
        .route("/api/v1/orgs/{org}/audit", get(audit))
        .route("/api/v1/orgs/{org}/plans", get(waiting_plans))
        .route("/api/v1/orgs/{org}/plans/{key}", delete(withdraw_plan))
        .route("/api/v1/orgs/{org}/plans/{key}/claim", post(claim_plan))
        .route("/api/v1/orgs/{org}/templates/{name}", put(put_template).delete(delete_template))
        .merge(crate::web::router())
        .merge(crate::course::router())
        .layer(DefaultBodyLimit::max(1 << 20))
        .with_state(state)
}

/// An error as the API answers it: `{"error": code, "message": …}`.
#[derive(Debug)]
pub struct ApiError {
    pub(crate) status: StatusCode,
    pub(crate) code: &'static str,
    pub(crate) message: String,
}

impl ApiError {
    pub(crate) fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError { status, code, message: message.into() }
    }
    pub(crate) fn unauthorized() -> ApiError {
        ApiError::new(StatusCode::UNAUTHORIZED, "unauthorized", "sign in first: the token is missing, expired or revoked")
    }
    pub(crate) fn not_found() -> ApiError {
        ApiError::new(StatusCode::NOT_FOUND, "not-found", "no such thing in your organisation")
    }
    pub(crate) fn forbidden(what: &str) -> ApiError {
        ApiError::new(StatusCode::FORBIDDEN, "forbidden", format!("your role may not {what}"))
    }
    pub(crate) fn invalid(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid", message)
    }
    pub(crate) fn internal(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", message)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.status, Json(json!({ "error": self.code, "message": self.message }))).into_response()
    }
}

impl From<tokio_postgres::Error> for ApiError {
    fn from(err: tokio_postgres::Error) -> ApiError {
        tracing::error!("database: {err}");
        ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", "the database failed; try again")
    }
}

impl From<deadpool_postgres::PoolError> for ApiError {
    fn from(err: deadpool_postgres::PoolError) -> ApiError {
        tracing::error!("database pool: {err}");
        ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "unavailable", "the database is not reachable; try again")
    }
}

pub(crate) type ApiResult<T> = Result<T, ApiError>;

/// The member a request comes from, read from its bearer token.
pub struct Caller {
    pub member_id: i64,
    pub org_id: i64,
    pub role: String,
    token_hash: String,
}

impl Caller {
    /// 404 for another organisation's id.
    pub(crate) fn in_org(&self, org: i64) -> ApiResult<()> {
        if org == self.org_id { Ok(()) } else { Err(ApiError::not_found()) }
    }

    pub(crate) fn may(&self, roles: &[&str], what: &str) -> ApiResult<()> {
        if roles.contains(&self.role.as_str()) { Ok(()) } else { Err(ApiError::forbidden(what)) }
    }
}

/// Who may change the shared catalog.
const CATALOG_WRITERS: &[&str] = &["owner", "operator", "teacher"];
/// Who may change the team's rule pack (the words and switched-off rules every desk lints with).
const RULE_WRITERS: &[&str] = &["owner", "operator", "teacher"];
/// The largest rule pack accepted (its JSON).
const RULE_PACK_MAX: usize = 256 * 1024;
/// Who may add members and read the audit log.
const MEMBER_ADMINS: &[&str] = &["owner"];
/// Who may open rooms and classes and say who works in them: the owner any; an operator
/// (运营) live rooms; a teacher classes.
fn may_manage_room(caller: &Caller, kind: &str) -> ApiResult<()> {
    match (caller.role.as_str(), kind) {
        ("owner", _) | ("operator", "room") | ("teacher", "class") => Ok(()),
        _ => Err(ApiError::forbidden(if kind == "class" { "manage classes" } else { "manage live rooms" })),
    }
}
/// Who may publish a broadcast into a room they do not work in (planning for it).
pub(crate) const ROOM_PLANNERS: &[&str] = &["owner", "operator", "teacher"];
/// The roles a member can be given.
const ROLES: &[&str] = &["owner", "operator", "anchor", "controller", "assistant", "teacher", "student"];

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Caller, ApiError> {
        let token = parts
            .headers
            .get(axum::http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .ok_or_else(ApiError::unauthorized)?;
        caller_for_token(state, token, parts.uri.path()).await
    }
}

/// The member a session token belongs to, for a request to `path`: a one-time password's
/// session opens only the password change (and sign-out).
pub(crate) async fn caller_for_token(state: &AppState, token: &str, path: &str) -> ApiResult<Caller> {
    {
        let token_hash = auth::token_hash(token.trim());
        let client = state.pool.get().await?;
        let row = client
            .query_opt(
                "SELECT m.id, m.org_id, m.role, m.must_change_password FROM member_session s JOIN member m ON m.id = s.member_id
                 WHERE s.token_hash = $1 AND s.revoked_at IS NULL AND s.expires_at > now()",
                &[&token_hash],
            )
            .await?
            .ok_or_else(ApiError::unauthorized)?;
        // A one-time password opens only the door to choosing one's own.
        let must_change: bool = row.get(3);
        if must_change && !["/api/v1/me", "/api/v1/password", "/api/v1/sign-out", "/team", "/password", "/sign-out"].contains(&path) {
            return Err(ApiError::new(StatusCode::FORBIDDEN, "change-password", "choose your own password first (PUT /api/v1/password); the one-time password opens nothing else"));
        }
        Ok(Caller { member_id: row.get(0), org_id: row.get(1), role: row.get(2), token_hash })
    }
}

#[derive(Deserialize)]
struct SignIn {
    email: String,
    password: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Session {
    token: String,
    member: MemberView,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct MemberView {
    id: i64,
    email: String,
    role: String,
    org_id: i64,
    org_name: String,
    must_change_password: bool,
}

async fn member_view(client: &deadpool_postgres::Object, member_id: i64) -> ApiResult<MemberView> {
    let row = client
        .query_one("SELECT m.id, m.email, m.role, m.org_id, o.name, m.must_change_password FROM member m JOIN org o ON o.id = m.org_id WHERE m.id = $1", &[&member_id])
        .await?;
    Ok(MemberView { id: row.get(0), email: row.get(1), role: row.get(2), org_id: row.get(3), org_name: row.get(4), must_change_password: row.get(5) })
}

async fn sign_in(State(state): State<AppState>, Json(body): Json<SignIn>) -> ApiResult<Json<Session>> {
    let (token, member_id) = open_session(&state, &body.email, &body.password).await?;
    let client = state.pool.get().await?;
    Ok(Json(Session { token, member: member_view(&client, member_id).await? }))
}

/// Checks an email and password and opens a session: its token (kept by the caller; only
/// its hash is stored) and the member.
pub(crate) async fn open_session(state: &AppState, email: &str, password: &str) -> ApiResult<(String, i64)> {
    let email = email.trim().to_lowercase();
    let row = {
        let client = state.pool.get().await?;
        client.query_opt("SELECT id, password_hash, coalesce(locked_until > now(), false) FROM member WHERE email = $1", &[&email]).await?
    };
    // Locked, unknown and wrong all get the same answer after the same work, so that the
    // answers do not tell which emails exist.
    let wrong = || {
        let message = format!("the email or the password is wrong (after {} wrong passwords an account waits {} minutes)", auth::MAX_FAILED_SIGN_INS, auth::LOCKOUT_MINUTES);
        ApiError::new(StatusCode::UNAUTHORIZED, "wrong-credentials", message)
    };
    let (member_id, hash, locked) = match &row {
        Some(row) => (Some(row.get::<_, i64>(0)), row.get::<_, String>(1), row.get::<_, bool>(2)),
        None => (None, auth::decoy_hash().to_string(), false),
    };
    let matches = auth::verify_blocking(password.to_string(), hash).await;
    let Some(member_id) = member_id.filter(|_| matches && !locked) else {
        if let Some(id) = member_id.filter(|_| !locked) {
            count_failure(state, id).await?;
        }
        return Err(wrong());
    };
    let token = auth::new_token();
    let client = state.pool.get().await?;
    client.execute("UPDATE member SET failed_sign_ins = 0, locked_until = NULL WHERE id = $1", &[&member_id]).await?;
    client
        .execute(
            "INSERT INTO member_session (token_hash, member_id, expires_at) VALUES ($1, $2, now() + make_interval(days => $3))",
            &[&auth::token_hash(&token), &member_id, &auth::SESSION_DAYS],
        )
        .await?;
    Ok((token, member_id))
}

/// One more wrong password: after [`auth::MAX_FAILED_SIGN_INS`] the member waits; the count
/// starts again once a lock has passed (one wrong try then does not lock again).
async fn count_failure(state: &AppState, member_id: i64) -> ApiResult<bool> {
    let client = state.pool.get().await?;
    let row = client
        .query_one(
            "UPDATE member SET
               failed_sign_ins = CASE WHEN locked_until IS NOT NULL AND locked_until <= now() THEN 1 ELSE failed_sign_ins + 1 END,
               locked_until = CASE
                 WHEN locked_until IS NOT NULL AND locked_until <= now() THEN NULL
                 WHEN failed_sign_ins + 1 >= $2 THEN now() + make_interval(mins => $3)
                 ELSE locked_until END
             WHERE id = $1 RETURNING locked_until IS NOT NULL",
            &[&member_id, &auth::MAX_FAILED_SIGN_INS, &auth::LOCKOUT_MINUTES],
        )
        .await?;
    Ok(row.get(0))
}

async fn sign_out(State(state): State<AppState>, caller: Caller) -> ApiResult<StatusCode> {
    end_session(&state, &caller).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Revokes the caller's session.
pub(crate) async fn end_session(state: &AppState, caller: &Caller) -> ApiResult<()> {
    let client = state.pool.get().await?;
    client.execute("UPDATE member_session SET revoked_at = now() WHERE token_hash = $1", &[&caller.token_hash]).await?;
    Ok(())
}

async fn me(State(state): State<AppState>, caller: Caller) -> ApiResult<Json<MemberView>> {
    let client = state.pool.get().await?;
    Ok(Json(member_view(&client, caller.member_id).await?))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct NewPassword {
    current: String,
    new: String,
}

/// Changes the caller's password; every other session of the member is revoked.
async fn change_password(State(state): State<AppState>, caller: Caller, Json(body): Json<NewPassword>) -> ApiResult<StatusCode> {
    set_password(&state, &caller, &body.current, &body.new).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Changes the caller's password; every other session of the member is revoked.
pub(crate) async fn set_password(state: &AppState, caller: &Caller, current: &str, new: &str) -> ApiResult<()> {
    if new.chars().count() < 10 {
        return Err(ApiError::invalid("a password needs at least 10 characters"));
    }
    let hash: String = state.pool.get().await?.query_one("SELECT password_hash FROM member WHERE id = $1", &[&caller.member_id]).await?.get(0);
    if !auth::verify_blocking(current.to_string(), hash).await {
        // Guessing the current password with a stolen token is counted like sign-ins; a
        // lock ends this session too.
        if count_failure(state, caller.member_id).await? {
            state.pool.get().await?.execute("UPDATE member_session SET revoked_at = now() WHERE token_hash = $1", &[&caller.token_hash]).await?;
        }
        return Err(ApiError::new(StatusCode::UNAUTHORIZED, "wrong-credentials", "the current password is wrong"));
    }
    let new_hash = auth::hash_blocking(new.to_string()).await;
    let client = state.pool.get().await?;
    client.execute("UPDATE member SET password_hash = $2, must_change_password = FALSE, failed_sign_ins = 0 WHERE id = $1", &[&caller.member_id, &new_hash]).await?;
    client
        .execute("UPDATE member_session SET revoked_at = now() WHERE member_id = $1 AND token_hash <> $2 AND revoked_at IS NULL", &[&caller.member_id, &caller.token_hash])
        .await?;
    Ok(())
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ProductRow {
    sku: String,
    version: i64,
    body: Value,
}

async fn list_products(State(state): State<AppState>, caller: Caller, Path(org): Path<i64>) -> ApiResult<Json<Vec<ProductRow>>> {
    caller.in_org(org)?;
    let client = state.pool.get().await?;
    let rows = client.query("SELECT sku, version, body FROM product WHERE org_id = $1 AND body IS NOT NULL ORDER BY sku", &[&org]).await?;
    Ok(Json(rows.iter().map(|r| ProductRow { sku: r.get(0), version: r.get(1), body: r.get(2) }).collect()))
}

/// What a write answers (`sku` is the product's, or the shared document's key): the new
/// version and its place in the change feed; `replaced`
/// holds the body the write overwrote when the writer had not seen it (their `baseVersion`
/// was older): last writer by server sequence wins, the loser's text stays in the history.
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Written {
    /// What was written: `product` (older records have none), `rule-pack`, `broadcast`.
    #[serde(default)]
    kind: String,
    pub(crate) sku: String,
    version: i64,
    seq: i64,
    replaced: Option<Value>,
    #[serde(default)]
    deleted: bool,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ProductWrite {
    /// The product as the desk describes it (name, price, certificates …): a JSON object
    /// with at least a name.
    body: Value,
    /// The version the writer last saw (absent for a new product).
    base_version: Option<i64>,
}

fn idempotency_key(headers: &HeaderMap) -> ApiResult<Option<String>> {
    match headers.get("idempotency-key").map(|v| v.to_str()) {
        None => Ok(None),
        Some(Ok(key)) if !key.trim().is_empty() && key.len() <= 200 => Ok(Some(key.trim().to_string())),
        Some(_) => Err(ApiError::invalid("the Idempotency-Key must be 1 to 200 visible characters")),
    }
}

async fn put_product(
    State(state): State<AppState>,
    caller: Caller,
    Path((org, sku)): Path<(i64, String)>,
    headers: HeaderMap,
    Json(write): Json<ProductWrite>,
) -> ApiResult<Json<Written>> {
    caller.in_org(org)?;
    caller.may(CATALOG_WRITERS, "change the shared catalog")?;
    if write.body.get("name").and_then(Value::as_str).is_none_or(|n| n.trim().is_empty()) {
        return Err(ApiError::invalid("a product needs a name (body.name)"));
    }
    write_product(&state, &caller, org, &sku, Some(write.body), write.base_version, idempotency_key(&headers)?).await.map(Json)
}

async fn delete_product(State(state): State<AppState>, caller: Caller, Path((org, sku)): Path<(i64, String)>, headers: HeaderMap) -> ApiResult<Json<Written>> {
    caller.in_org(org)?;
    caller.may(CATALOG_WRITERS, "change the shared catalog")?;
    write_product(&state, &caller, org, &sku, None, None, idempotency_key(&headers)?).await.map(Json)
}

/// One write of the catalog in one transaction: the row, the change feed, the audit log and
/// the idempotency record.
async fn write_product(state: &AppState, caller: &Caller, org: i64, sku: &str, body: Option<Value>, base: Option<i64>, key: Option<String>) -> ApiResult<Written> {
    let sku = sku.trim();
    if sku.is_empty() || sku.chars().count() > 120 {
        return Err(ApiError::invalid("a SKU is 1 to 120 characters"));
    }
    write(state, caller, org, Shared::Product(sku), body, base, key).await
}

/// What a write changes: a product of the catalog, or a document the organisation shares
/// whole (its kind).
#[derive(Clone, Copy)]
pub(crate) enum Shared<'a> {
    Product(&'a str),
    Doc(&'static str, &'a str),
}

impl Shared<'_> {
    /// The entity and key of its entries in the change feed.
    fn feed(self) -> (&'static str, String) {
        match self {
            Shared::Product(sku) => ("product", sku.to_string()),
            Shared::Doc(kind, key) => (kind, key.to_string()),
        }
    }
}

/// One write in one transaction: the row, the change feed, the audit log and the
/// idempotency record.
pub(crate) async fn write(state: &AppState, caller: &Caller, org: i64, target: Shared<'_>, body: Option<Value>, base: Option<i64>, key: Option<String>) -> ApiResult<Written> {
    write_if(state, caller, org, target, body, base, key, |_| Ok(())).await
}

/// [`write`], after `precondition` accepted the current body (inside the transaction, with
/// the row locked): a write that must not happen over certain states (a plan another desk
/// claimed).
#[allow(clippy::too_many_arguments)]
pub(crate) async fn write_if(
    state: &AppState,
    caller: &Caller,
    org: i64,
    target: Shared<'_>,
    body: Option<Value>,
    base: Option<i64>,
    key: Option<String>,
    precondition: impl FnOnce(Option<&Value>) -> ApiResult<()>,
) -> ApiResult<Written> {
    let (entity, sku) = target.feed();
    let sku = sku.as_str();
    let mut client = state.pool.get().await?;
    let tx = client.transaction().await?;
    // One writer per organisation at a time: a change's place in the feed (its `seq`) is
    // taken and committed before the next writer takes one, so a desk that read up to a
    // `seq` never misses a change committed later with a smaller one.
    let org_key = i32::try_from(org).map_err(|_| ApiError::not_found())?;
    tx.execute("SELECT pg_advisory_xact_lock(7, $1)", &[&org_key]).await?;
    if let Some(key) = &key
        && let Some(row) = tx.query_opt("SELECT response FROM idempotent_write WHERE org_id = $1 AND key = $2", &[&org, key]).await?
    {
        let first: Written = serde_json::from_value(row.get(0)).map_err(|err| ApiError::invalid(err.to_string()))?;
        // The same key for another request (another SKU, a delete for a write) is a mistake,
        // not a retry: refuse it rather than answer for a write that did not happen.
        let first_kind = if first.kind.is_empty() { "product" } else { first.kind.as_str() };
        if first.sku != sku || first_kind != entity || first.deleted != body.is_none() {
            return Err(ApiError::invalid("this Idempotency-Key was used for another request; use a new key"));
        }
        return Ok(first);
    }
    let current = match target {
        Shared::Product(_) => tx.query_opt("SELECT version, body FROM product WHERE org_id = $1 AND sku = $2 FOR UPDATE", &[&org, &sku]).await?,
        Shared::Doc(kind, _) => tx.query_opt("SELECT version, body FROM shared_doc WHERE org_id = $1 AND kind = $2 AND key = $3 FOR UPDATE", &[&org, &kind, &sku]).await?,
    };
    let (version, previous): (i64, Option<Value>) = match &current {
        Some(row) => (row.get::<_, i64>(0) + 1, row.get(1)),
        None if body.is_none() => return Err(ApiError::not_found()),
        None => (1, None),
    };
    precondition(previous.as_ref())?;
    let seen = base.is_some_and(|b| b >= version - 1) || current.is_none();
    let upsert = match target {
        Shared::Product(_) => {
            "INSERT INTO product (org_id, sku, body, version, updated_by) VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (org_id, sku) DO UPDATE SET body = $3, version = $4, updated_by = $5, updated_at = now()"
        }
        Shared::Doc(..) => {
            "INSERT INTO shared_doc (org_id, key, body, version, updated_by, kind) VALUES ($1, $2, $3, $4, $5, $6)
             ON CONFLICT (org_id, kind, key) DO UPDATE SET body = $3, version = $4, updated_by = $5, updated_at = now()"
        }
    };
    match target {
        Shared::Product(_) => tx.execute(upsert, &[&org, &sku, &body, &version, &caller.member_id]).await?,
        Shared::Doc(..) => tx.execute(upsert, &[&org, &sku, &body, &version, &caller.member_id, &entity]).await?,
    };
    let seq: i64 = tx
        .query_one(
            "INSERT INTO change (org_id, entity, key, version, body, previous, member_id) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING seq",
            &[&org, &entity, &sku, &version, &body, &previous, &caller.member_id],
        )
        .await?
        .get(0);
    let action = format!("{}-{entity}", if body.is_some() { "put" } else { "delete" });
    tx.execute("INSERT INTO audit (org_id, member_id, action, target) VALUES ($1, $2, $3, $4)", &[&org, &caller.member_id, &action, &sku]).await?;
    let written = Written { kind: entity.to_string(), sku: sku.to_string(), version, seq, replaced: if seen { None } else { previous }, deleted: body.is_none() };
    if let Some(key) = &key {
        let response = serde_json::to_value(&written).map_err(|err| ApiError::invalid(err.to_string()))?;
        tx.execute("INSERT INTO idempotent_write (org_id, key, response) VALUES ($1, $2, $3)", &[&org, key, &response]).await?;
    }
    tx.commit().await?;
    Ok(written)
}

/// The team's rule pack: its version (0 before anyone shared one) and its body (the words
/// and switched-off rules, as the desks' Settings → Rules writes them; null when none).
async fn get_rule_pack(State(state): State<AppState>, caller: Caller, Path(org): Path<i64>) -> ApiResult<Json<Value>> {
    caller.in_org(org)?;
    let client = state.pool.get().await?;
    let row = client.query_opt("SELECT version, body FROM shared_doc WHERE org_id = $1 AND kind = 'rule-pack' AND key = 'team'", &[&org]).await?;
    let (version, body): (i64, Option<Value>) = row.map_or((0, None), |r| (r.get(0), r.get(1)));
    Ok(Json(json!({ "version": version, "body": body })))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct DocWrite {
    body: Value,
    base_version: Option<i64>,
}

/// Replaces the team's rule pack. The server keeps it as the desks send it (a JSON object,
/// checked by each desk's linter before it is sent and again before it is used).
async fn put_rule_pack(State(state): State<AppState>, caller: Caller, Path(org): Path<i64>, headers: HeaderMap, Json(doc): Json<DocWrite>) -> ApiResult<Json<Written>> {
    caller.in_org(org)?;
    caller.may(RULE_WRITERS, "change the team's rule pack")?;
    if !doc.body.is_object() {
        return Err(ApiError::invalid("a rule pack is a JSON object (disabledRules, words, lexiconWords)"));
    }
    if doc.body.to_string().len() > RULE_PACK_MAX {
        return Err(ApiError::invalid(format!("a rule pack may hold at most {} KiB", RULE_PACK_MAX / 1024)));
    }
    write(&state, &caller, org, Shared::Doc("rule-pack", "team"), Some(doc.body), doc.base_version, idempotency_key(&headers)?).await.map(Json)
}

/// The largest template accepted (its TOML).
const TEMPLATE_MAX: usize = 64 * 1024;

/// Shares a broadcast template with the team (owner, 运营, teacher): `{ "body": { "toml": … } }`,
/// the template as a desk writes it. The server checks it is TOML with a title in both
/// languages; each desk checks the rest before it uses it.
async fn put_template(State(state): State<AppState>, caller: Caller, Path((org, name)): Path<(i64, String)>, headers: HeaderMap, Json(doc): Json<DocWrite>) -> ApiResult<Json<Written>> {
    caller.in_org(org)?;
    caller.may(ROOM_PLANNERS, "share templates")?;
    template_name(&name)?;
    let text = doc.body["toml"].as_str().ok_or_else(|| ApiError::invalid("send the template as { \"body\": { \"toml\": \"…\" } }"))?;
    if text.len() > TEMPLATE_MAX {
        return Err(ApiError::invalid(format!("a template may hold at most {} KiB", TEMPLATE_MAX / 1024)));
    }
    let table: toml::Table = text.parse().map_err(|err: toml::de::Error| ApiError::invalid(format!("the template is not TOML: {}", err.message())))?;
    let title = |key: &str| table.get(key).and_then(|v| v.as_str()).map(str::to_owned).ok_or_else(|| ApiError::invalid(format!("the template has no {key}")));
    let body = serde_json::json!({ "toml": text, "title": title("title")?, "titleEn": title("title_en")? });
    write(&state, &caller, org, Shared::Doc("template", &name), Some(body), doc.base_version, idempotency_key(&headers)?).await.map(Json)
}

async fn delete_template(State(state): State<AppState>, caller: Caller, Path((org, name)): Path<(i64, String)>, headers: HeaderMap) -> ApiResult<Json<Written>> {
    caller.in_org(org)?;
    caller.may(ROOM_PLANNERS, "share templates")?;
    write(&state, &caller, org, Shared::Doc("template", &name), None, None, idempotency_key(&headers)?).await.map(Json)
}

/// A team template's name: 1-40 ASCII letters, digits, `-` or `_`, none of the built-in ones.
fn template_name(name: &str) -> ApiResult<()> {
    let ok = (1..=40).contains(&name.len()) && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if !ok || crate::plan::templates().iter().any(|(built_in, ..)| built_in == name) {
        return Err(ApiError::invalid(format!("{name:?} cannot name a team template: use 1-40 letters, digits, - or _, and not a built-in template's name")));
    }
    Ok(())
}

/// Publishes (or replaces) a broadcast a desk plans: its title and planned start, line-up
/// and run-of-show, as the desk describes them. Every member may publish the broadcasts of
/// their own desk; `key` is the desk's own name for it.
async fn put_broadcast(State(state): State<AppState>, caller: Caller, Path((org, key)): Path<(i64, String)>, headers: HeaderMap, Json(doc): Json<DocWrite>) -> ApiResult<Json<Written>> {
    caller.in_org(org)?;
    let key = broadcast_key(&caller, &key)?;
    if doc.body["broadcast"]["title"].as_str().is_none_or(|t| t.trim().is_empty()) {
        return Err(ApiError::invalid("a broadcast needs a title (body.broadcast.title)"));
    }
    if doc.body.to_string().len() > RULE_PACK_MAX {
        return Err(ApiError::invalid(format!("a broadcast may hold at most {} KiB", RULE_PACK_MAX / 1024)));
    }
    let mut body = doc.body;
    if let Some(room) = body.get("room").filter(|room| !room.is_null()) {
        let id = room["id"].as_i64().ok_or_else(|| ApiError::invalid("a broadcast's room is {\"id\": number}"))?;
        body["room"] = broadcast_room(&state, &caller, id).await?;
    }
    // A broadcast made from a plan of the web page names it; only the member whose desk took
    // the plan may (so nobody else can take a plan off the waiting list).
    if let Some(plan) = body.get("plan").filter(|plan| !plan.is_null()) {
        let key = plan.as_str().ok_or_else(|| ApiError::invalid("a broadcast's plan is the plan's key"))?;
        crate::plan::check_taken_by(&state, &caller, key).await?;
    }
    write(&state, &caller, org, Shared::Doc("broadcast", &key), Some(body), doc.base_version, idempotency_key(&headers)?).await.map(Json)
}

/// The room a broadcast is published into, as the server names it: one of the caller's
/// organisation, and one the caller works in unless they plan for every room.
async fn broadcast_room(state: &AppState, caller: &Caller, id: i64) -> ApiResult<Value> {
    let client = state.pool.get().await?;
    let row = client
        .query_opt(
            "SELECT r.name, r.kind, EXISTS (SELECT 1 FROM room_member rm WHERE rm.room_id = r.id AND rm.member_id = $3) FROM room r WHERE r.id = $1 AND r.org_id = $2",
            &[&id, &caller.org_id, &caller.member_id],
        )
        .await?
        .ok_or_else(|| ApiError::invalid(format!("room {id} is not one of your organisation's (it may have been removed): pick the room again")))?;
    if !row.get::<_, bool>(2) && !ROOM_PLANNERS.contains(&caller.role.as_str()) {
        return Err(ApiError::forbidden("publish into a room or class you are not in"));
    }
    Ok(json!({ "id": id, "name": row.get::<_, String>(0), "kind": row.get::<_, String>(1) }))
}

/// A member's broadcasts live under their own id: nobody replaces or withdraws another
/// member's.
fn broadcast_key(caller: &Caller, key: &str) -> ApiResult<String> {
    let key = key.trim();
    if key.is_empty() || key.len() > 200 {
        return Err(ApiError::invalid("a broadcast's key is 1 to 200 characters"));
    }
    Ok(format!("{}:{key}", caller.member_id))
}

/// Withdraws a broadcast the member's desk no longer has.
async fn delete_broadcast(State(state): State<AppState>, caller: Caller, Path((org, key)): Path<(i64, String)>, headers: HeaderMap) -> ApiResult<Json<Written>> {
    caller.in_org(org)?;
    let key = broadcast_key(&caller, &key)?;
    write(&state, &caller, org, Shared::Doc("broadcast", &key), None, None, idempotency_key(&headers)?).await.map(Json)
}

/// The organisation's published broadcasts, the latest planned start first (at most 200),
/// each with who published it.
async fn list_broadcasts(State(state): State<AppState>, caller: Caller, Path(org): Path<i64>) -> ApiResult<Json<Value>> {
    caller.in_org(org)?;
    Ok(Json(Value::Array(broadcasts(&state, org).await?)))
}

/// The published broadcasts of `org` as the API lists them (shared with the web page).
pub(crate) async fn broadcasts(state: &AppState, org: i64) -> ApiResult<Vec<Value>> {
    let client = state.pool.get().await?;
    let rows = client
        .query(
            "SELECT d.key, d.version, d.body, coalesce(m.email, '') FROM shared_doc d LEFT JOIN member m ON m.id = d.updated_by
             WHERE d.org_id = $1 AND d.kind = 'broadcast' AND d.body IS NOT NULL
             ORDER BY d.body->'broadcast'->>'plannedStart' DESC NULLS LAST, d.key LIMIT 200",
            &[&org],
        )
        .await?;
    Ok(rows.iter().map(|r| json!({ "key": r.get::<_, String>(0), "version": r.get::<_, i64>(1), "body": r.get::<_, Value>(2), "publishedBy": r.get::<_, String>(3) })).collect())
}

#[derive(Deserialize)]
struct Cursor {
    #[serde(default)]
    after: i64,
    limit: Option<i64>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ChangeRow {
    seq: i64,
    entity: String,
    key: String,
    version: i64,
    body: Option<Value>,
}

/// The organisation's changes after a cursor, in the server's order (at most 500).
async fn changes(State(state): State<AppState>, caller: Caller, Path(org): Path<i64>, Query(cursor): Query<Cursor>) -> ApiResult<Json<Value>> {
    caller.in_org(org)?;
    let limit = cursor.limit.unwrap_or(500).clamp(1, 500);
    let client = state.pool.get().await?;
    let rows = client
        .query("SELECT seq, entity, key, version, body FROM change WHERE org_id = $1 AND seq > $2 ORDER BY seq LIMIT $3", &[&org, &cursor.after, &limit])
        .await?;
    let changes: Vec<ChangeRow> = rows.iter().map(|r| ChangeRow { seq: r.get(0), entity: r.get(1), key: r.get(2), version: r.get(3), body: r.get(4) }).collect();
    let next = changes.last().map(|c| c.seq).unwrap_or(cursor.after);
    Ok(Json(json!({ "changes": changes, "next": next })))
}

#[derive(Deserialize)]
struct NewMember {
    email: String,
    role: String,
}

async fn add_member(State(state): State<AppState>, caller: Caller, Path(org): Path<i64>, Json(body): Json<NewMember>) -> ApiResult<(StatusCode, Json<Value>)> {
    caller.in_org(org)?;
    caller.may(MEMBER_ADMINS, "add members")?;
    let email = body.email.trim().to_lowercase();
    if !email.contains('@') {
        return Err(ApiError::invalid(format!("{email:?} is not an email address")));
    }
    if !ROLES.contains(&body.role.as_str()) {
        return Err(ApiError::invalid(format!("unknown role {:?}; use one of {}", body.role, ROLES.join(", "))));
    }
    let password = auth::one_time_password();
    let hash = auth::hash_blocking(password.clone()).await;
    let mut client = state.pool.get().await?;
    let tx = client.transaction().await?;
    if tx.query_opt("SELECT 1 FROM member WHERE email = $1", &[&email]).await?.is_some() {
        return Err(ApiError::new(StatusCode::CONFLICT, "exists", format!("{email} is already a member")));
    }
    let id: i64 = tx
        .query_one("INSERT INTO member (org_id, email, role, password_hash) VALUES ($1, $2, $3, $4) RETURNING id", &[&org, &email, &body.role, &hash])
        .await?
        .get(0);
    tx.execute("INSERT INTO audit (org_id, member_id, action, target) VALUES ($1, $2, 'add-member', $3)", &[&org, &caller.member_id, &format!("{email} ({})", body.role)]).await?;
    tx.commit().await?;
    Ok((StatusCode::CREATED, Json(json!({ "id": id, "email": email, "role": body.role, "oneTimePassword": password }))))
}

async fn list_members(State(state): State<AppState>, caller: Caller, Path(org): Path<i64>) -> ApiResult<Json<Value>> {
    caller.in_org(org)?;
    let client = state.pool.get().await?;
    let rows = client.query("SELECT id, email, role FROM member WHERE org_id = $1 ORDER BY id", &[&org]).await?;
    Ok(Json(Value::Array(rows.iter().map(|r| json!({ "id": r.get::<_, i64>(0), "email": r.get::<_, String>(1), "role": r.get::<_, String>(2) })).collect())))
}

async fn audit(State(state): State<AppState>, caller: Caller, Path(org): Path<i64>) -> ApiResult<Json<Value>> {
    caller.in_org(org)?;
    caller.may(MEMBER_ADMINS, "read the audit log")?;
    let client = state.pool.get().await?;
    let rows = client
        .query(
            "SELECT a.id, coalesce(m.email, ''), a.action, a.target, to_char(a.at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')
             FROM audit a LEFT JOIN member m ON m.id = a.member_id WHERE a.org_id = $1 ORDER BY a.id DESC LIMIT 500",
            &[&org],
        )
        .await?;
    Ok(Json(Value::Array(
        rows.iter()
            .map(|r| json!({ "id": r.get::<_, i64>(0), "by": r.get::<_, String>(1), "action": r.get::<_, String>(2), "target": r.get::<_, String>(3), "at": r.get::<_, String>(4) }))
            .collect(),
    )))
}

#[derive(Deserialize)]
struct NewRoom {
    name: String,
    kind: String,
}

/// The organisation's rooms and classes with who works in each; `mine` marks the caller's.
/// Broadcasts planned on the web page that no desk has taken yet (any member reads them;
/// a desk takes those for its room).
async fn waiting_plans(State(state): State<AppState>, caller: Caller, Path(org): Path<i64>) -> ApiResult<Json<Value>> {
    caller.in_org(org)?;
    Ok(Json(Value::Array(crate::plan::waiting(&state, org).await?)))
}

/// Withdraws a plan no desk has taken yet (owner, 运营, teacher).
async fn withdraw_plan(State(state): State<AppState>, caller: Caller, Path((org, key)): Path<(i64, String)>) -> ApiResult<Json<Written>> {
    caller.in_org(org)?;
    crate::plan::withdraw(&state, &caller, &key).await.map(Json)
}

#[derive(Deserialize)]
struct Claim {
    /// The desk taking it.
    desk: String,
}

/// A desk of the plan's room takes the plan: the first to ask gets it (the same desk asking
/// again gets it again); any other desk gets 409.
async fn claim_plan(State(state): State<AppState>, caller: Caller, Path((org, key)): Path<(i64, String)>, Json(body): Json<Claim>) -> ApiResult<Json<Written>> {
    caller.in_org(org)?;
    crate::plan::claim(&state, &caller, &key, &body.desk).await.map(Json)
}

async fn list_rooms(State(state): State<AppState>, caller: Caller, Path(org): Path<i64>) -> ApiResult<Json<Value>> {
    caller.in_org(org)?;
    Ok(Json(Value::Array(rooms(&state, org, Some(caller.member_id)).await?)))
}

/// The rooms of `org` as the API lists them (shared with the web page).
pub(crate) async fn rooms(state: &AppState, org: i64, caller: Option<i64>) -> ApiResult<Vec<Value>> {
    let client = state.pool.get().await?;
    let rows = client
        .query(
            "SELECT r.id, r.name, r.kind, m.id, m.email, m.role FROM room r
             LEFT JOIN room_member rm ON rm.room_id = r.id LEFT JOIN member m ON m.id = rm.member_id
             WHERE r.org_id = $1 ORDER BY r.kind DESC, r.name, m.email",
            &[&org],
        )
        .await?;
    let mut rooms: Vec<Value> = Vec::new();
    for row in &rows {
        let id: i64 = row.get(0);
        if rooms.last().is_none_or(|room| room["id"] != id) {
            rooms.push(json!({ "id": id, "name": row.get::<_, String>(1), "kind": row.get::<_, String>(2), "mine": false, "members": [] }));
        }
        let room = rooms.last_mut().expect("pushed above");
        if let Some(member) = row.get::<_, Option<i64>>(3) {
            if Some(member) == caller {
                room["mine"] = Value::Bool(true);
            }
            if let Some(members) = room["members"].as_array_mut() {
                members.push(json!({ "id": member, "email": row.get::<_, String>(4), "role": row.get::<_, String>(5) }));
            }
        }
    }
    Ok(rooms)
}

/// Opens a live room (`kind: "room"`) or a class (`"class"`).
async fn add_room(State(state): State<AppState>, caller: Caller, Path(org): Path<i64>, Json(body): Json<NewRoom>) -> ApiResult<(StatusCode, Json<Value>)> {
    caller.in_org(org)?;
    if !["room", "class"].contains(&body.kind.as_str()) {
        return Err(ApiError::invalid(format!("unknown kind {:?}; a room is \"room\" (直播间) or \"class\"", body.kind)));
    }
    may_manage_room(&caller, &body.kind)?;
    let name = body.name.trim();
    if name.is_empty() || name.chars().count() > 80 {
        return Err(ApiError::invalid("a room's name is 1 to 80 characters"));
    }
    let mut client = state.pool.get().await?;
    let tx = client.transaction().await?;
    if tx.query_opt("SELECT 1 FROM room WHERE org_id = $1 AND name = $2", &[&org, &name]).await?.is_some() {
        return Err(ApiError::new(StatusCode::CONFLICT, "exists", format!("{name} already exists in your organisation")));
    }
    let id: i64 = tx.query_one("INSERT INTO room (org_id, name, kind) VALUES ($1, $2, $3) RETURNING id", &[&org, &name, &body.kind]).await?.get(0);
    tx.execute("INSERT INTO audit (org_id, member_id, action, target) VALUES ($1, $2, $3, $4)", &[&org, &caller.member_id, &format!("add-{}", body.kind), &name]).await?;
    tx.commit().await?;
    Ok((StatusCode::CREATED, Json(json!({ "id": id, "name": name, "kind": body.kind, "mine": false, "members": [] }))))
}

async fn put_room_member(State(state): State<AppState>, caller: Caller, Path((org, room, member)): Path<(i64, i64, i64)>) -> ApiResult<StatusCode> {
    room_membership(&state, &caller, org, room, member, true).await
}

async fn delete_room_member(State(state): State<AppState>, caller: Caller, Path((org, room, member)): Path<(i64, i64, i64)>) -> ApiResult<StatusCode> {
    room_membership(&state, &caller, org, room, member, false).await
}

/// Puts a member of the organisation in a room or class (`join`), or takes them out.
async fn room_membership(state: &AppState, caller: &Caller, org: i64, room: i64, member: i64, join: bool) -> ApiResult<StatusCode> {
    caller.in_org(org)?;
    let mut client = state.pool.get().await?;
    let tx = client.transaction().await?;
    let (name, kind): (String, String) = tx
        .query_opt("SELECT name, kind FROM room WHERE id = $1 AND org_id = $2", &[&room, &org])
        .await?
        .map(|r| (r.get(0), r.get(1)))
        .ok_or_else(ApiError::not_found)?;
    may_manage_room(caller, &kind)?;
    let email: String = tx.query_opt("SELECT email FROM member WHERE id = $1 AND org_id = $2", &[&member, &org]).await?.map(|r| r.get(0)).ok_or_else(ApiError::not_found)?;
    let changed = if join {
        tx.execute("INSERT INTO room_member (room_id, member_id) VALUES ($1, $2) ON CONFLICT DO NOTHING", &[&room, &member]).await?
    } else {
        tx.execute("DELETE FROM room_member WHERE room_id = $1 AND member_id = $2", &[&room, &member]).await?
    };
    if changed > 0 {
        let action = if join { "join-room" } else { "leave-room" };
        tx.execute("INSERT INTO audit (org_id, member_id, action, target) VALUES ($1, $2, $3, $4)", &[&org, &caller.member_id, &action, &format!("{email} → {name}")]).await?;
    }
    tx.commit().await?;
    // Out of a class: out of its practice shop too (their records stay for the teacher).
    if !join && kind == "class" {
        state.shops.revoke(room, member).await?;
    }
    Ok(StatusCode::NO_CONTENT)
}
