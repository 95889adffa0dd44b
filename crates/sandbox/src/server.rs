//! The server's plumbing: shared state, problem responses, the signed-request extractor,
//! idempotent writes, rate limits and fault injection, and the router.

use crate::audience::{self, Audience, CouponOffer, Happening, Offer, Room};
use crate::{Config, RateLimit, api, script};
use anchordesk_platform::routes::{self, ROUTES, Route};
use anchordesk_platform::sign::{self, IDEMPOTENCY_HEADER, NONCE_HEADER, REPLAYED_HEADER, SIGNATURE_HEADER, SignatureError, TIMESTAMP_HEADER};
use anchordesk_platform::{BroadcastStatus, FaultConfig, FaultSettings, LiveEvent, LiveEventKind, Problem, ProblemCode, now_ms};
use axum::body::{Body, Bytes};
use axum::extract::{FromRequest, MatchedPath, Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodFilter, MethodRouter};
use axum::Router;
use rusqlite::{Connection, OptionalExtension, Transaction, params};
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};
use tokio::sync::{broadcast, watch};

/// Everything the handlers share.
pub(crate) struct AppState {
    pub(crate) config: Config,
    db: Arc<Mutex<Connection>>,
    faults: RwLock<FaultSettings>,
    buckets: Mutex<HashMap<String, Bucket>>,
    pub(crate) events: broadcast::Sender<(String, LiveEvent)>,
    pub(crate) shutdown: watch::Receiver<bool>,
    tickers: Mutex<HashMap<(String, String), tokio::task::JoinHandle<()>>>,
    clocks: Mutex<HashMap<(String, String), tokio::task::JoinHandle<()>>>,
    pub(crate) injected: std::sync::atomic::AtomicU64,
    /// When expired nonces are next deleted (ms): every few seconds, not on every request.
    next_nonce_prune_ms: std::sync::atomic::AtomicI64,
    /// Failed token requests per client id: how many, since when (see `check_token_attempts`).
    failed_logins: Mutex<HashMap<String, (u32, Instant)>>,
}

/// Wrong secrets a client id may send within [`FAILED_LOGIN_WINDOW`] before `/oauth/token`
/// answers 429 for it, right secret or not, until the window has passed.
pub(crate) const MAX_FAILED_LOGINS: u32 = 10;
pub(crate) const FAILED_LOGIN_WINDOW: std::time::Duration = std::time::Duration::from_secs(10);

struct Bucket {
    tokens: f64,
    at: Instant,
}

impl AppState {
    /// `Err(seconds to wait)` while a client id is locked out after too many wrong secrets.
    pub(crate) fn check_token_attempts(&self, client_id: &str) -> Result<(), u64> {
        let mut failed = self.failed_logins.lock().unwrap_or_else(|p| p.into_inner());
        match failed.get(client_id) {
            Some(&(count, since)) if since.elapsed() < FAILED_LOGIN_WINDOW && count >= MAX_FAILED_LOGINS => {
                Err((FAILED_LOGIN_WINDOW - since.elapsed()).as_secs().max(1))
            }
            Some(&(_, since)) if since.elapsed() >= FAILED_LOGIN_WINDOW => {
                failed.remove(client_id);
                Ok(())
            }
            _ => Ok(()),
        }
    }

    /// Records a token request's outcome for the lock-out.
    pub(crate) fn record_token_attempt(&self, client_id: &str, ok: bool) {
        let mut failed = self.failed_logins.lock().unwrap_or_else(|p| p.into_inner());
        if ok {
            failed.remove(client_id);
        } else {
            let entry = failed.entry(client_id.to_owned()).or_insert((0, Instant::now()));
            entry.0 += 1;
        }
    }

    pub(crate) fn new(config: Config, conn: Connection, shutdown: watch::Receiver<bool>) -> Arc<AppState> {
        let (events, _) = broadcast::channel(4096);
        Arc::new(AppState {
            faults: RwLock::new(config.faults.clone()),
            config,
            db: Arc::new(Mutex::new(conn)),
            buckets: Mutex::new(HashMap::new()),
            failed_logins: Mutex::new(HashMap::new()),
            events,
            shutdown,
            tickers: Mutex::new(HashMap::new()),
            clocks: Mutex::new(HashMap::new()),
            injected: std::sync::atomic::AtomicU64::new(0),
            next_nonce_prune_ms: std::sync::atomic::AtomicI64::new(0),
        })
    }

    /// The connection, for work that is already off the async threads (or is quick: start-up).
    pub(crate) fn db_now(&self) -> std::sync::MutexGuard<'_, Connection> {
        self.db.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Runs `work` on the blocking pool with the connection.
    pub(crate) async fn db<T: Send + 'static>(
        &self,
        work: impl FnOnce(&mut Connection) -> Result<T, ApiError> + Send + 'static,
    ) -> Result<T, ApiError> {
        let db = self.db.clone();
        tokio::task::spawn_blocking(move || {
            // A panic while holding the lock leaves SQLite consistent (the transaction
            // rolls back on drop), so a poisoned lock is safe to take over.
            let mut conn = db.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            work(&mut conn)
        })
        .await
        .map_err(|join| ApiError::new(ProblemCode::Internal, format!("database task failed: {join}")))?
    }

    pub(crate) fn faults(&self) -> FaultSettings {
        self.faults.read().unwrap_or_else(|poisoned| poisoned.into_inner()).clone()
    }

    pub(crate) fn set_faults(&self, faults: FaultSettings) {
        *self.faults.write().unwrap_or_else(|poisoned| poisoned.into_inner()) = faults;
    }

    fn fault_for(&self, route_key: &str) -> FaultConfig {
        let faults = self.faults.read().unwrap_or_else(|poisoned| poisoned.into_inner());
        faults.routes.get(route_key).cloned().unwrap_or_else(|| faults.global.clone())
    }

    /// Takes a token from the bucket of `key`, or says how many seconds to wait.
    fn take_token(&self, key: &str, limit: RateLimit) -> Result<(), u64> {
        let mut buckets = self.buckets.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let now = Instant::now();
        let bucket = buckets.entry(key.to_owned()).or_insert(Bucket { tokens: limit.burst, at: now });
        bucket.tokens = (bucket.tokens + now.duration_since(bucket.at).as_secs_f64() * limit.per_second).min(limit.burst);
        bucket.at = now;
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            Ok(())
        } else {
            Err(((1.0 - bucket.tokens) / limit.per_second).ceil().max(1.0) as u64)
        }
    }

    /// A handle for publishing committed events to the event streams.
    pub(crate) fn publisher(&self) -> Publisher {
        Publisher(self.events.clone())
    }

    /// Starts the audience ticker of a live broadcast (no-op without `audience_tick`).
    pub(crate) fn start_ticker(self: &Arc<Self>, shop_id: &str, broadcast_id: &str) {
        let Some(interval) = self.config.audience_tick else { return };
        let key = (shop_id.to_owned(), broadcast_id.to_owned());
        let state = self.clone();
        let (shop, id) = key.clone();
        let mut shutdown = self.shutdown.clone();
        let task = tokio::spawn(async move {
            loop {
                tokio::select! {
                    _ = tokio::time::sleep(interval) => {}
                    _ = shutdown.wait_for(|stop| *stop) => return,
                }
                let (shop2, id2, seed, publisher) = (shop.clone(), id.clone(), state.config.seed, state.publisher());
                let ticked = state.db(move |conn| {
                    let events = tick(conn, &shop2, &id2, seed, 1)?;
                    publisher.publish(&shop2, events.as_deref().unwrap_or_default());
                    Ok(events.is_some())
                });
                match ticked.await {
                    Ok(true) => {}
                    Ok(false) => return,
                    Err(err) => tracing::warn!(detail = %err.problem.detail, "audience tick failed"),
                }
            }
        });
        let mut tickers = self.tickers.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some(old) = tickers.insert(key, task) {
            old.abort();
        }
    }

    /// (Re)starts the script clock of a broadcast: a task that sleeps until the next
    /// scripted event is due and fires it, and ends when nothing is left to fire or the
    /// broadcast is not live. Started again whenever the script or the status changes.
    pub(crate) fn start_script_clock(self: &Arc<Self>, shop_id: &str, broadcast_id: &str) {
        let key = (shop_id.to_owned(), broadcast_id.to_owned());
        let state = self.clone();
        let (shop, id) = key.clone();
        let mut shutdown = self.shutdown.clone();
        let task = tokio::spawn(async move {
            loop {
                let (shop2, id2) = (shop.clone(), id.clone());
                let due_ms = match state.db(move |conn| script::next_due_ms(conn, &shop2, &id2)).await {
                    Ok(Some(due_ms)) => due_ms,
                    Ok(None) => return,
                    Err(err) => {
                        // Ticks and reads of the events still fire what is due.
                        tracing::warn!(detail = %err.problem.detail, "script clock stopped");
                        return;
                    }
                };
                // One millisecond more, so the wall clock has surely reached the due time.
                let wait = Duration::from_millis((due_ms - now_ms() + 1).max(0) as u64);
                tokio::select! {
                    _ = tokio::time::sleep(wait) => {}
                    _ = shutdown.wait_for(|stop| *stop) => return,
                }
                let (shop2, id2, publisher) = (shop.clone(), id.clone(), state.publisher());
                let fired = state.db(move |conn| {
                    publisher.publish(&shop2, &script::fire_due_now(conn, &shop2, &id2)?);
                    Ok(())
                });
                match fired.await {
                    Ok(()) => {}
                    Err(err) => {
                        tracing::warn!(detail = %err.problem.detail, "firing scripted events failed");
                        return;
                    }
                }
            }
        });
        let mut clocks = self.clocks.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some(old) = clocks.insert(key, task) {
            old.abort();
        }
    }

    /// Stops the audience ticker and the script clock of a broadcast.
    pub(crate) fn stop_ticker(&self, shop_id: &str, broadcast_id: &str) {
        let key = (shop_id.to_owned(), broadcast_id.to_owned());
        for tasks in [&self.tickers, &self.clocks] {
            let mut tasks = tasks.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            if let Some(task) = tasks.remove(&key) {
                task.abort();
            }
        }
    }

    /// Stops every audience ticker and script clock.
    pub(crate) fn stop_tickers(&self) {
        for tasks in [&self.tickers, &self.clocks] {
            let mut tasks = tasks.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            for (_, task) in tasks.drain() {
                task.abort();
            }
        }
    }

    /// Restarts the tickers and script clocks of broadcasts that were live when the
    /// process stopped; scripted events that fell due meanwhile fire at once.
    pub(crate) fn resume_live_broadcasts(self: &Arc<Self>) {
        let live: Vec<(String, String)> = {
            let conn = self.db.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            let mut statement = match conn.prepare("SELECT shop_id, id FROM broadcast WHERE status = 'live'") {
                Ok(statement) => statement,
                Err(err) => {
                    tracing::warn!(%err, "listing live broadcasts");
                    return;
                }
            };
            statement
                .query_map([], |row| Ok((row.get(0)?, row.get(1)?)))
                .and_then(|rows| rows.collect())
                .unwrap_or_default()
        };
        for (shop_id, broadcast_id) in live {
            self.start_ticker(&shop_id, &broadcast_id);
            self.start_script_clock(&shop_id, &broadcast_id);
        }
    }
}

/// Sends committed events to the open event streams.
///
/// Publish right after the commit and before the database lock is released (inside the
/// closure given to [`AppState::db`]): events then reach listeners in `seq` order, which
/// the streams rely on when they drop what they have seen, and a task aborted while its
/// database work runs cannot lose the publication.
#[derive(Clone)]
pub(crate) struct Publisher(broadcast::Sender<(String, LiveEvent)>);

impl Publisher {
    pub(crate) fn publish(&self, shop_id: &str, events: &[LiveEvent]) {
        for event in events {
            // No subscriber is fine: the log in SQLite is the source of truth.
            let _ = self.0.send((shop_id.to_owned(), event.clone()));
        }
    }
}

/// A problem answer.
#[derive(Debug)]
pub(crate) struct ApiError {
    pub(crate) problem: Problem,
    retry_after_s: Option<u64>,
}

impl ApiError {
    pub(crate) fn new(code: ProblemCode, detail: impl Into<String>) -> ApiError {
        ApiError { problem: Problem::new(code, detail), retry_after_s: None }
    }

    pub(crate) fn not_found(what: &str, id: &str) -> ApiError {
        ApiError::new(ProblemCode::NotFound, format!("{what} {id:?} does not exist"))
    }

    pub(crate) fn validation(detail: impl Into<String>) -> ApiError {
        ApiError::new(ProblemCode::Validation, detail)
    }

    pub(crate) fn rate_limited(retry_after_s: u64, detail: impl Into<String>) -> ApiError {
        ApiError { problem: Problem::new(ProblemCode::RateLimited, detail), retry_after_s: Some(retry_after_s) }
    }

    /// A 401: the caller is not who it says.
    pub(crate) fn is_unauthorized(&self) -> bool {
        self.problem.status == 401
    }
}

impl From<rusqlite::Error> for ApiError {
    fn from(err: rusqlite::Error) -> ApiError {
        tracing::error!(%err, "sandbox database");
        ApiError::new(ProblemCode::Internal, format!("database: {err}"))
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.problem.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let body = serde_json::to_vec(&self.problem).expect("problems serialise to JSON");
        let mut response = (status, body).into_response();
        let headers = response.headers_mut();
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/problem+json"));
        if let Some(seconds) = self.retry_after_s {
            headers.insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        response
    }
}

/// A request that passed authentication and signature checks.
pub(crate) struct Signed {
    pub(crate) shop_id: String,
    pub(crate) key: Option<String>,
    pub(crate) body: Bytes,
    /// From the arrival of the body's first chunk to that of its last; zero for an
    /// empty body or one that arrived in one chunk.
    pub(crate) receive_time: Duration,
    method: String,
    path: String,
}

impl Signed {
    /// The body as `T`.
    pub(crate) fn json<T: serde::de::DeserializeOwned>(&self) -> Result<T, ApiError> {
        serde_json::from_slice(&self.body).map_err(|err| ApiError::new(ProblemCode::BadRequest, format!("body: {err}")))
    }
}

impl FromRequest<Arc<AppState>> for Signed {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &Arc<AppState>) -> Result<Signed, ApiError> {
        let (parts, body) = request.into_parts();
        let template = parts.extensions.get::<MatchedPath>().map(|path| path.as_str().to_owned()).unwrap_or_default();
        let route = routes::find(parts.method.as_str(), &template);
        let header = |name: &str| parts.headers.get(name).and_then(|value| value.to_str().ok()).map(str::to_owned);
        let token = header(header::AUTHORIZATION.as_str())
            .and_then(|value| value.strip_prefix("Bearer ").map(str::to_owned))
            .ok_or_else(|| ApiError::new(ProblemCode::Unauthorized, "no bearer token; get one from POST /oauth/token"))?;
        let now = now_ms();
        let lookup = token.clone();
        let found: Option<(String, String)> = state
            .db(move |conn| {
                Ok(conn
                    .query_row(
                        "SELECT client.shop_id, client.secret FROM token JOIN client USING (client_id)
                         WHERE token.token = ?1 AND token.expires_at_ms > ?2",
                        params![lookup, now],
                        |row| Ok((row.get(0)?, row.get(1)?)),
                    )
                    .optional()?)
            })
            .await?;
        let (shop_id, secret) = found.ok_or_else(|| ApiError::new(ProblemCode::InvalidToken, "the bearer token is unknown or expired"))?;
        if let Some(limit) = state.config.rate_limit
            && let Err(wait_s) = state.take_token(&shop_id, limit)
        {
            return Err(ApiError::rate_limited(
                wait_s,
                format!("shop {shop_id} sent more than {} requests/s (burst {})", limit.per_second, limit.burst),
            ));
        }
        // Only a known token gets its body read, and no more of it than the route takes.
        let max_bytes = match route.map(|route| route.request) {
            Some(routes::Body::Binary(max_bytes)) => max_bytes,
            _ => JSON_MAX_BYTES,
        };
        let (body, receive_time) = read_body(body, max_bytes, &parts.method, &template).await?;
        let route_key = format!("{} {}", parts.method, template);
        let skewed_ms = now + state.fault_for(&route_key).clock_skew_s as i64 * 1000;
        let path = parts.uri.path_and_query().map_or_else(|| parts.uri.path().to_owned(), |pq| pq.as_str().to_owned());
        let method = parts.method.as_str().to_owned();
        let key = header(IDEMPOTENCY_HEADER);
        let nonce = header(NONCE_HEADER).unwrap_or_default();
        let signed = sign::Signed {
            method: &method,
            path_and_query: &path,
            timestamp_s: 0,
            nonce: &nonce,
            idempotency_key: key.as_deref().unwrap_or_default(),
            body: &body,
        };
        sign::verify(&secret, &signed, header(TIMESTAMP_HEADER).as_deref(), header(SIGNATURE_HEADER).as_deref(), skewed_ms.div_euclid(1000))
        .map_err(|err| match err {
            SignatureError::Skew { .. } => {
                let mut error = ApiError::new(ProblemCode::ClockSkew, err.to_string());
                error.problem.server_time_ms = Some(skewed_ms);
                error
            }
            SignatureError::Mismatch(_) => ApiError::new(ProblemCode::BadSignature, err.to_string()),
            SignatureError::Missing(_) | SignatureError::BadTimestamp(_) | SignatureError::BadNonce(_) => {
                ApiError::new(ProblemCode::Unauthorized, err.to_string())
            }
        })?;
        // An authentic request whose nonce was seen within the window is a captured copy.
        let (shop, seen, expires) = (shop_id.clone(), nonce.clone(), now + 2 * sign::SKEW_WINDOW_S * 1000);
        let prune = state.next_nonce_prune_ms.fetch_max(now + NONCE_PRUNE_EVERY_MS, std::sync::atomic::Ordering::Relaxed) <= now;
        let fresh = state
            .db(move |conn| {
                if prune {
                    conn.execute("DELETE FROM seen_nonce WHERE expires_at_ms < ?1", params![now])?;
                }
                Ok(conn.execute("INSERT OR IGNORE INTO seen_nonce (shop_id, nonce, expires_at_ms) VALUES (?1, ?2, ?3)", params![shop, seen, expires])? == 1)
            })
            .await?;
        if !fresh {
            return Err(ApiError::new(ProblemCode::ReplayedRequest, format!("nonce {nonce} was used before; every request needs a new one")));
        }
        if route.is_some_and(Route::is_write) {
            match &key {
                Some(key) if !key.is_empty() && key.len() <= 255 => {}
                _ => return Err(ApiError::new(ProblemCode::MissingIdempotencyKey, format!("{route_key} needs an Idempotency-Key header (1-255 chars)"))),
            }
        }
        Ok(Signed { shop_id, key, body, receive_time, method, path })
    }
}

/// The admin credential, checked (in constant time) before anything else of the request.
pub(crate) struct Admin;

impl axum::extract::FromRequestParts<Arc<AppState>> for Admin {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut axum::http::request::Parts, state: &Arc<AppState>) -> Result<Admin, ApiError> {
        let given = parts.headers.get(crate::ADMIN_TOKEN_HEADER).and_then(|value| value.to_str().ok()).unwrap_or_default();
        let expected = state.config.admin_token.as_deref().unwrap_or_default();
        if expected.is_empty() || !crate::api::constant_time_eq(given.as_bytes(), expected.as_bytes()) {
            return Err(ApiError::new(
                ProblemCode::Unauthorized,
                format!("the admin routes need the {} header (printed by `anchordesk sandbox` at start)", crate::ADMIN_TOKEN_HEADER),
            ));
        }
        Ok(Admin)
    }
}

/// How often expired nonces are deleted (an expired one is harmless meanwhile: its
/// timestamp is outside the window, so the request is refused as stale first).
const NONCE_PRUNE_EVERY_MS: i64 = 10_000;

/// Largest body of a JSON route, in bytes.
const JSON_MAX_BYTES: usize = 1 << 20;

/// How much of an oversized body is still read and thrown away before the 413 answer.
/// A client sends its whole body before it reads the answer; cutting it off mid-body
/// would show it a reset connection instead of the problem. Past this the connection
/// is dropped.
const DRAIN_MAX_BYTES: usize = 16 << 20;

/// Reads a body of at most `max_bytes` chunk by chunk, timing the first chunk's arrival
/// to the last one's.
async fn read_body(body: Body, max_bytes: usize, method: &Method, template: &str) -> Result<(Bytes, Duration), ApiError> {
    use futures_util::StreamExt;
    let mut stream = body.into_data_stream();
    let mut buffer = Vec::new();
    let mut n_bytes = 0usize;
    let mut first: Option<Instant> = None;
    let mut last: Option<Instant> = None;
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|err| ApiError::new(ProblemCode::BadRequest, format!("reading the body: {err}")))?;
        if chunk.is_empty() {
            continue;
        }
        let now = Instant::now();
        first.get_or_insert(now);
        last = Some(now);
        n_bytes += chunk.len();
        if n_bytes > DRAIN_MAX_BYTES {
            break;
        }
        if n_bytes <= max_bytes {
            buffer.extend_from_slice(&chunk);
        } else {
            buffer = Vec::new();
        }
    }
    if n_bytes > max_bytes {
        let read = if n_bytes > DRAIN_MAX_BYTES { format!("more than {DRAIN_MAX_BYTES}") } else { n_bytes.to_string() };
        return Err(ApiError::new(
            ProblemCode::PayloadTooLarge,
            format!("{method} {template}: body of {read} bytes is over the limit of {max_bytes} bytes"),
        ));
    }
    let receive_time = match (first, last) {
        (Some(first), Some(last)) => last - first,
        _ => Duration::ZERO,
    };
    Ok((Bytes::from(buffer), receive_time))
}

/// A write's context inside its transaction.
pub(crate) struct Ctx<'a> {
    pub(crate) tx: &'a Transaction<'a>,
    pub(crate) shop_id: String,
    pub(crate) now_ms: i64,
    events: Vec<LiveEvent>,
    pub(crate) started: Vec<String>,
    pub(crate) ended: Vec<String>,
    /// Broadcasts whose script changed, so their script clock restarts.
    pub(crate) scripted: Vec<String>,
}

impl Ctx<'_> {
    /// Appends an event to the log; it is published right after the commit.
    pub(crate) fn emit(&mut self, broadcast_id: &str, kind: LiveEventKind) -> Result<(), ApiError> {
        let event = append_event(self.tx, &self.shop_id, broadcast_id, self.now_ms, kind)?;
        self.events.push(event);
        Ok(())
    }

    /// The event this write emitted last.
    pub(crate) fn last_event(&self) -> Option<&LiveEvent> {
        self.events.last()
    }
}

pub(crate) fn append_event(tx: &Transaction<'_>, shop_id: &str, broadcast_id: &str, at_ms: i64, kind: LiveEventKind) -> Result<LiveEvent, ApiError> {
    let body = serde_json::to_string(&kind).expect("events serialise to JSON");
    let tag = serde_json::to_value(&kind).expect("events serialise to JSON")["type"].as_str().unwrap_or_default().to_owned();
    tx.execute(
        "INSERT INTO event (shop_id, broadcast_id, at_ms, kind, body) VALUES (?1, ?2, ?3, ?4, ?5)",
        params![shop_id, broadcast_id, at_ms, tag, body],
    )?;
    Ok(LiveEvent { seq: tx.last_insert_rowid(), broadcast_id: broadcast_id.to_owned(), at_ms, event: kind })
}

/// What a committed write leaves for the server to do.
#[derive(Default)]
struct AfterCommit {
    started: Vec<String>,
    ended: Vec<String>,
    scripted: Vec<String>,
}

/// Applies a write once per idempotency key: the first success is stored with the change
/// in one transaction, and every later request with the key gets that stored answer.
pub(crate) async fn write<F>(state: &Arc<AppState>, signed: Signed, status: StatusCode, op: F) -> Result<Response, ApiError>
where
    F: FnOnce(&mut Ctx<'_>) -> Result<serde_json::Value, ApiError> + Send + 'static,
{
    let shop_id = signed.shop_id.clone();
    let publisher = state.publisher();
    let outcome = state
        .db(move |conn| {
            let key = signed.key.clone().unwrap_or_default();
            let hash = sign::body_hash(&signed.body);
            let tx = conn.transaction()?;
            let stored: Option<(String, String, String, u16, String)> = tx
                .query_row(
                    "SELECT method, path, body_hash, status, response FROM idempotency WHERE shop_id = ?1 AND key = ?2",
                    params![signed.shop_id, key],
                    |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?, row.get(4)?)),
                )
                .optional()?;
            if let Some((method, path, body_hash, status, response)) = stored {
                if method != signed.method || path != signed.path || body_hash != hash {
                    return Err(ApiError::new(
                        ProblemCode::IdempotencyMismatch,
                        format!("Idempotency-Key {key:?} was first used for {method} {path} with another body"),
                    ));
                }
                return Ok((status, response, true, AfterCommit::default()));
            }
            let mut ctx = Ctx {
                tx: &tx,
                shop_id: signed.shop_id.clone(),
                now_ms: now_ms(),
                events: Vec::new(),
                started: Vec::new(),
                ended: Vec::new(),
                scripted: Vec::new(),
            };
            let value = op(&mut ctx)?;
            let Ctx { events, started, ended, scripted, .. } = ctx;
            let response = serde_json::to_string(&value).expect("answers serialise to JSON");
            tx.execute(
                "INSERT INTO idempotency (shop_id, key, method, path, body_hash, status, response, created_at_ms)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                params![signed.shop_id, key, signed.method, signed.path, hash, status.as_u16(), response, now_ms()],
            )?;
            tx.commit()?;
            publisher.publish(&signed.shop_id, &events);
            Ok((status.as_u16(), response, false, AfterCommit { started, ended, scripted }))
        })
        .await?;
    let (status, body, replayed, after) = outcome;
    for broadcast_id in after.started {
        state.start_ticker(&shop_id, &broadcast_id);
        state.start_script_clock(&shop_id, &broadcast_id);
    }
    for broadcast_id in after.scripted {
        state.start_script_clock(&shop_id, &broadcast_id);
    }
    for broadcast_id in after.ended {
        state.stop_ticker(&shop_id, &broadcast_id);
    }
    let mut response = (StatusCode::from_u16(status).unwrap_or(StatusCode::OK), body).into_response();
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    if replayed {
        response.headers_mut().insert(REPLAYED_HEADER, HeaderValue::from_static("true"));
    }
    Ok(response)
}

/// Runs `ticks` audience steps of a live broadcast in one transaction. `None` when the
/// broadcast is not live.
pub(crate) fn tick(conn: &mut Connection, shop_id: &str, broadcast_id: &str, seed: u64, ticks: u32) -> Result<Option<Vec<LiveEvent>>, ApiError> {
    let tx = conn.transaction()?;
    let row: Option<(String, Option<String>)> = tx
        .query_row(
            "SELECT status, pinned_sku FROM broadcast WHERE shop_id = ?1 AND id = ?2",
            params![shop_id, broadcast_id],
            |row| Ok((row.get(0)?, row.get(1)?)),
        )
        .optional()?;
    let Some((status, pinned)) = row else { return Ok(None) };
    if status != "live" {
        return Ok(None);
    }
    let stored: Option<String> = tx
        .query_row("SELECT state FROM audience WHERE shop_id = ?1 AND broadcast_id = ?2", params![shop_id, broadcast_id], |row| row.get(0))
        .optional()?;
    let mut audience: Audience = stored
        .and_then(|text| serde_json::from_str(&text).ok())
        .unwrap_or_else(|| Audience::new(seed, broadcast_id));
    let now = now_ms();
    // Scripted events first, so that a stock-out due now already holds for this tick.
    let mut events = script::fire_due(&tx, shop_id, broadcast_id, now)?;
    for _ in 0..ticks {
        let room = load_room(&tx, shop_id, broadcast_id, pinned.clone())?;
        for happening in audience::step(&mut audience, &room, broadcast_id) {
            let mut sold_out = None;
            let kind = match happening {
                Happening::Viewers { online, entered, left } => LiveEventKind::Viewers { online, entered, left },
                Happening::Comment { user, text } => LiveEventKind::Comment { user, text, scripted: None },
                Happening::Like { count } => LiveEventKind::Like { count },
                Happening::Order { order_id, buyer, sku, quantity, amount_fen, coupon_id } => {
                    tx.execute(
                        "INSERT INTO orders (id, shop_id, broadcast_id, sku, quantity, amount_fen, buyer, created_at_ms, coupon_id)
                         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                        params![order_id, shop_id, broadcast_id, sku, quantity, amount_fen, buyer, now, coupon_id],
                    )?;
                    tx.execute("UPDATE product SET sold = sold + ?1 WHERE shop_id = ?2 AND sku = ?3", params![quantity, shop_id, sku])?;
                    let available: i64 =
                        tx.query_row("SELECT stock - sold FROM product WHERE shop_id = ?1 AND sku = ?2", params![shop_id, sku], |row| row.get(0))?;
                    // This order took the last units.
                    if available <= 0 && available + quantity as i64 > 0 {
                        sold_out = Some(sku.clone());
                    }
                    if let Some(coupon_id) = &coupon_id {
                        tx.execute(
                            "UPDATE coupon SET claimed = claimed + 1 WHERE shop_id = ?1 AND broadcast_id = ?2 AND id = ?3",
                            params![shop_id, broadcast_id, coupon_id],
                        )?;
                    }
                    LiveEventKind::Order { order_id, sku, quantity, amount_fen, coupon_id }
                }
            };
            events.push(append_event(&tx, shop_id, broadcast_id, now, kind)?);
            if let Some(sku) = sold_out {
                events.push(append_event(&tx, shop_id, broadcast_id, now, LiveEventKind::Stock { sku, available: 0, scripted: None })?);
            }
        }
    }
    let text = serde_json::to_string(&audience).expect("audience state serialises to JSON");
    tx.execute(
        "INSERT INTO audience (shop_id, broadcast_id, state) VALUES (?1, ?2, ?3)
         ON CONFLICT (shop_id, broadcast_id) DO UPDATE SET state = excluded.state",
        params![shop_id, broadcast_id, text],
    )?;
    tx.commit()?;
    Ok(Some(events))
}

fn load_room(tx: &Transaction<'_>, shop_id: &str, broadcast_id: &str, pinned: Option<String>) -> Result<Room, ApiError> {
    let mut statement = tx.prepare_cached(
        "SELECT bag_item.sku, product.title, product.price_fen, bag_item.live_price_fen, max(product.stock - product.sold, 0)
         FROM bag_item JOIN product ON product.shop_id = bag_item.shop_id AND product.sku = bag_item.sku
         WHERE bag_item.shop_id = ?1 AND bag_item.broadcast_id = ?2 ORDER BY bag_item.position",
    )?;
    let stocked_out = script::stocked_out(tx, shop_id, broadcast_id)?;
    let bag = statement
        .query_map(params![shop_id, broadcast_id], |row| {
            Ok(Offer { sku: row.get(0)?, title: row.get(1)?, price_fen: row.get(2)?, live_price_fen: row.get(3)?, available: row.get(4)? })
        })?
        .map(|offer| {
            offer.map(|mut offer: Offer| {
                if stocked_out.contains(&offer.sku) {
                    offer.available = 0;
                }
                offer
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    let mut statement = tx.prepare_cached(
        "SELECT id, discount_fen, threshold_fen, quantity - claimed, sku FROM coupon
         WHERE shop_id = ?1 AND broadcast_id = ?2 ORDER BY position",
    )?;
    let coupons = statement
        .query_map(params![shop_id, broadcast_id], |row| {
            Ok(CouponOffer { id: row.get(0)?, discount_fen: row.get(1)?, threshold_fen: row.get(2)?, remaining: row.get(3)?, sku: row.get(4)? })
        })?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Room { bag, pinned, coupons })
}

/// Injected latency, dropped connections, 500s and 429s, in that order. The real rate
/// limit is per shop and applies in [`Signed`] once the shop is known.
async fn faults_and_limits(State(state): State<Arc<AppState>>, request: Request, next: Next) -> Response {
    let template = request.extensions().get::<MatchedPath>().map(|path| path.as_str().to_owned()).unwrap_or_default();
    // The admin routes stay reachable so that faults can always be switched off.
    if template.starts_with("/admin/") {
        return next.run(request).await;
    }
    let route_key = format!("{} {}", request.method(), template);
    let fault = state.fault_for(&route_key);
    if fault.latency_ms > 0 {
        tokio::time::sleep(Duration::from_millis(fault.latency_ms as u64)).await;
    }
    let count = || state.injected.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    if fault.drop_rate > 0.0 && fastrand::f64() < fault.drop_rate {
        count();
        if fastrand::bool() {
            return dropped_connection();
        }
        // Apply the request, then lose the answer: only idempotency prevents a duplicate.
        let _ = next.run(request).await;
        return dropped_connection();
    }
    if fault.error_rate > 0.0 && fastrand::f64() < fault.error_rate {
        count();
        return ApiError::new(ProblemCode::Internal, format!("injected fault on {route_key}")).into_response();
    }
    if fault.rate_limit_rate > 0.0 && fastrand::f64() < fault.rate_limit_rate {
        count();
        return ApiError::rate_limited(1, format!("injected 429 on {route_key}")).into_response();
    }
    next.run(request).await
}

/// A response whose body fails after the headers, so the client sees the connection cut.
fn dropped_connection() -> Response {
    let body = Body::from_stream(futures_util::stream::once(async {
        Err::<Bytes, std::io::Error>(std::io::Error::other("fault injection: connection dropped"))
    }));
    let mut response = Response::new(body);
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    response
}

fn filter_of(method: &str) -> MethodFilter {
    match method {
        "GET" => MethodFilter::GET,
        "PUT" => MethodFilter::PUT,
        "POST" => MethodFilter::POST,
        "DELETE" => MethodFilter::DELETE,
        "PATCH" => MethodFilter::PATCH,
        other => panic!("route table holds an unsupported method {other}"),
    }
}

/// The router: one handler per entry of the contract's route table, nothing else.
pub(crate) fn router(state: Arc<AppState>) -> Router {
    let mut by_path: BTreeMap<&str, MethodRouter<Arc<AppState>>> = BTreeMap::new();
    for route in ROUTES {
        let method_router = by_path.remove(route.path).unwrap_or_default();
        by_path.insert(route.path, api::add_handler(method_router, filter_of(route.method), route.operation_id));
    }
    let mut router = Router::new();
    for (path, method_router) in by_path {
        router = router.route(path, method_router);
    }
    router
        .route_layer(middleware::from_fn_with_state(state.clone(), faults_and_limits))
        .fallback(no_route)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(tower_http::catch_panic::CatchPanicLayer::new())
        .with_state(state)
}

async fn no_route(method: Method, uri: axum::http::Uri) -> ApiError {
    ApiError::new(ProblemCode::NoRoute, format!("{method} {} is not a route of the contract", uri.path()))
}

async fn method_not_allowed(method: Method, uri: axum::http::Uri) -> ApiError {
    ApiError::new(ProblemCode::MethodNotAllowed, format!("{method} is not allowed on {}", uri.path()))
}

/// Whether a status row says live.
pub(crate) fn parse_status(text: &str) -> BroadcastStatus {
    match text {
        "live" => BroadcastStatus::Live,
        "ended" => BroadcastStatus::Ended,
        _ => BroadcastStatus::Scheduled,
    }
}

pub(crate) fn status_text(status: &BroadcastStatus) -> &'static str {
    match status {
        BroadcastStatus::Scheduled => "scheduled",
        BroadcastStatus::Live => "live",
        BroadcastStatus::Ended => "ended",
    }
}
