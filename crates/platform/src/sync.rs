//! The sync worker: drains the desk's outbox through a [`Platform`].
//!
//! The desk writes every change the platform must hear of into an outbox in the same
//! SQLite transaction as the change itself, and implements [`OutboxStore`] over it. The
//! [`SyncWorker`] then sends the entries:
//!
//! - the entry's id (with [`SyncConfig::key_prefix`]) is the `Idempotency-Key`, so a send
//!   repeated after a crash or a lost answer changes nothing on the platform;
//! - entries of one entity (a product, a broadcast, an anchor) are sent one after the
//!   other in id order, and an entry also waits for every earlier entry of the entities
//!   it refers to (a broadcast's line-up waits for its products); different entities go
//!   in parallel;
//! - an entry is marked done only after the platform accepted it; a retriable failure
//!   (network, 5xx, 429, and also rejected credentials, which are no fault of the entry)
//!   schedules a retry with exponential backoff and full jitter, never sooner than
//!   `Retry-After`, and holds back the later entries of its entity; a refusal of the
//!   entry itself ([`PlatformError::is_refusal`]: validation, conflict, not found) is
//!   recorded as given up and the entity moves on.

use crate::adapter::Platform;
use crate::error::PlatformError;
use crate::types::{AnchorUpsert, BroadcastCreate, BroadcastScript, CouponCreate, ProductUpsert, ReplyCreate, ScriptedKind};
use futures_util::StreamExt;
use serde::{Deserialize, Serialize};
use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{Notify, watch};

/// The kind of an outbox entry; stored as its snake_case name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub enum Operation {
    /// [`Command::UpsertAnchor`].
    UpsertAnchor,
    /// [`Command::UpsertProduct`].
    UpsertProduct,
    /// [`Command::SetStock`].
    SetStock,
    /// [`Command::CreateBroadcast`].
    CreateBroadcast,
    /// [`Command::SetLineup`].
    SetLineup,
    /// [`Command::StartBroadcast`].
    StartBroadcast,
    /// [`Command::EndBroadcast`].
    EndBroadcast,
    /// [`Command::ListInBag`].
    ListInBag,
    /// [`Command::UnlistFromBag`].
    UnlistFromBag,
    /// [`Command::Pin`].
    Pin,
    /// [`Command::CreateCoupon`].
    CreateCoupon,
    /// [`Command::SetScript`].
    SetScript,
    /// [`Command::Reply`].
    Reply,
}

impl Operation {
    /// The snake_case name, as stored.
    pub fn as_str(&self) -> &'static str {
        match self {
            Operation::UpsertAnchor => "upsert_anchor",
            Operation::UpsertProduct => "upsert_product",
            Operation::SetStock => "set_stock",
            Operation::CreateBroadcast => "create_broadcast",
            Operation::SetLineup => "set_lineup",
            Operation::StartBroadcast => "start_broadcast",
            Operation::EndBroadcast => "end_broadcast",
            Operation::ListInBag => "list_in_bag",
            Operation::UnlistFromBag => "unlist_from_bag",
            Operation::Pin => "pin",
            Operation::CreateCoupon => "create_coupon",
            Operation::SetScript => "set_script",
            Operation::Reply => "reply",
        }
    }

    /// Parses a stored name.
    pub fn parse(name: &str) -> Option<Operation> {
        serde_json::from_value(serde_json::Value::String(name.to_owned())).ok()
    }
}

/// One change the platform must hear of, with everything needed to send it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum Command {
    /// Create or replace an anchor.
    UpsertAnchor {
        /// The desk's anchor id.
        anchor_id: String,
        /// The anchor.
        anchor: AnchorUpsert,
    },
    /// Create or replace a product.
    UpsertProduct {
        /// SKU.
        sku: String,
        /// What the desk owns of it.
        product: ProductUpsert,
    },
    /// Set a product's allocated stock.
    SetStock {
        /// SKU.
        sku: String,
        /// Units.
        stock: i64,
    },
    /// Create a broadcast with its line-up.
    CreateBroadcast {
        /// The broadcast.
        broadcast: BroadcastCreate,
    },
    /// Replace the line-up (排品) before or during the broadcast.
    SetLineup {
        /// The desk's broadcast id.
        broadcast_id: String,
        /// SKUs in order.
        products: Vec<String>,
    },
    /// Go live.
    StartBroadcast {
        /// The desk's broadcast id.
        broadcast_id: String,
    },
    /// End the broadcast.
    EndBroadcast {
        /// The desk's broadcast id.
        broadcast_id: String,
    },
    /// List a product in the bag (上架).
    ListInBag {
        /// The desk's broadcast id.
        broadcast_id: String,
        /// SKU.
        sku: String,
        /// Live price in fen.
        live_price_fen: i64,
    },
    /// Remove a product from the bag (下架).
    UnlistFromBag {
        /// The desk's broadcast id.
        broadcast_id: String,
        /// SKU.
        sku: String,
    },
    /// Present a product now (讲解), or nothing.
    Pin {
        /// The desk's broadcast id.
        broadcast_id: String,
        /// SKU, or `None` to unpin.
        sku: Option<String>,
    },
    /// Create a coupon.
    CreateCoupon {
        /// The desk's broadcast id.
        broadcast_id: String,
        /// The coupon.
        coupon: CouponCreate,
    },
    /// Replace the practice scenario's scripted events of a broadcast.
    SetScript {
        /// The desk's broadcast id.
        broadcast_id: String,
        /// The script.
        script: BroadcastScript,
    },
    /// Answer a viewer's comment (回复).
    Reply {
        /// The desk's broadcast id.
        broadcast_id: String,
        /// The comment's `seq` and the answer.
        reply: ReplyCreate,
    },
}

impl Command {
    /// The operation, for the outbox's `operation` column.
    pub fn operation(&self) -> Operation {
        match self {
            Command::UpsertAnchor { .. } => Operation::UpsertAnchor,
            Command::UpsertProduct { .. } => Operation::UpsertProduct,
            Command::SetStock { .. } => Operation::SetStock,
            Command::CreateBroadcast { .. } => Operation::CreateBroadcast,
            Command::SetLineup { .. } => Operation::SetLineup,
            Command::StartBroadcast { .. } => Operation::StartBroadcast,
            Command::EndBroadcast { .. } => Operation::EndBroadcast,
            Command::ListInBag { .. } => Operation::ListInBag,
            Command::UnlistFromBag { .. } => Operation::UnlistFromBag,
            Command::Pin { .. } => Operation::Pin,
            Command::CreateCoupon { .. } => Operation::CreateCoupon,
            Command::SetScript { .. } => Operation::SetScript,
            Command::Reply { .. } => Operation::Reply,
        }
    }

    /// The entity key, for the outbox's `entity` column: `product:<sku>`,
    /// `broadcast:<id>` or `anchor:<id>`.
    pub fn entity(&self) -> String {
        match self {
            Command::UpsertAnchor { anchor_id, .. } => format!("anchor:{anchor_id}"),
            Command::UpsertProduct { sku, .. } | Command::SetStock { sku, .. } => format!("product:{sku}"),
            Command::CreateBroadcast { broadcast } => format!("broadcast:{}", broadcast.id),
            Command::StartBroadcast { broadcast_id }
            | Command::SetLineup { broadcast_id, .. }
            | Command::EndBroadcast { broadcast_id }
            | Command::ListInBag { broadcast_id, .. }
            | Command::UnlistFromBag { broadcast_id, .. }
            | Command::Pin { broadcast_id, .. }
            | Command::CreateCoupon { broadcast_id, .. }
            | Command::SetScript { broadcast_id, .. }
            | Command::Reply { broadcast_id, .. } => format!("broadcast:{broadcast_id}"),
        }
    }

    /// Other entities that must reach the platform first.
    pub fn depends_on(&self) -> Vec<String> {
        let product = |sku: &str| format!("product:{sku}");
        match self {
            Command::CreateBroadcast { broadcast } => {
                let mut entities: Vec<String> = broadcast.products.iter().map(|sku| product(sku)).collect();
                if let Some(anchor_id) = &broadcast.anchor_id {
                    entities.push(format!("anchor:{anchor_id}"));
                }
                entities
            }
            Command::SetLineup { products, .. } => products.iter().map(|sku| product(sku)).collect(),
            Command::ListInBag { sku, .. } => vec![product(sku)],
            Command::Pin { sku: Some(sku), .. } => vec![product(sku)],
            Command::CreateCoupon { coupon, .. } => coupon.sku.iter().map(|sku| product(sku)).collect(),
            // A stock-out names a product the platform must know before the script arrives.
            Command::SetScript { script, .. } => script
                .events
                .iter()
                .filter_map(|event| match &event.kind {
                    ScriptedKind::StockOut { sku } => Some(product(sku)),
                    ScriptedKind::Comment { .. } => None,
                })
                .collect(),
            _ => Vec::new(),
        }
    }

    /// Splits into the stored operation and JSON payload.
    pub fn into_parts(&self) -> (Operation, serde_json::Value) {
        let mut value = serde_json::to_value(self).expect("commands serialise to JSON");
        if let Some(object) = value.as_object_mut() {
            object.remove("op");
        }
        (self.operation(), value)
    }

    /// Joins a stored operation and payload back into a command.
    pub fn from_parts(operation: Operation, payload: &serde_json::Value) -> Result<Command, PlatformError> {
        let bad = |message: String| PlatformError::Payload { operation: operation.as_str().to_owned(), message };
        let mut object = payload.as_object().cloned().ok_or_else(|| bad(format!("payload {payload} is not an object")))?;
        object.insert("op".to_owned(), serde_json::Value::String(operation.as_str().to_owned()));
        serde_json::from_value(serde_json::Value::Object(object)).map_err(|err| bad(err.to_string()))
    }
}

/// One row of the desk's outbox.
#[derive(Debug, Clone, PartialEq)]
pub struct OutboxEntry {
    /// Increasing id; the order of sending within an entity, and the idempotency key.
    pub id: i64,
    /// [`Command::entity`] of the command.
    pub entity: String,
    /// What to do.
    pub operation: Operation,
    /// [`Command::into_parts`]'s payload.
    pub payload: serde_json::Value,
    /// When the desk made the change.
    pub created_at_ms: i64,
    /// Failed attempts so far.
    pub attempts: u32,
    /// Not before this time (set by [`OutboxStore::mark_failed`]).
    pub retry_at_ms: Option<i64>,
}

impl OutboxEntry {
    /// An entry for `command` (for stores that build rows in memory).
    pub fn new(id: i64, command: &Command, created_at_ms: i64) -> OutboxEntry {
        let (operation, payload) = command.into_parts();
        OutboxEntry { id, entity: command.entity(), operation, payload, created_at_ms, attempts: 0, retry_at_ms: None }
    }
}

/// An error of the desk's outbox storage.
#[derive(Debug, thiserror::Error)]
#[error("outbox store: {0}")]
pub struct StoreError(#[source] pub Box<dyn std::error::Error + Send + Sync>);

impl StoreError {
    /// Wraps any storage error.
    pub fn new(err: impl std::error::Error + Send + Sync + 'static) -> StoreError {
        StoreError(Box::new(err))
    }
}

/// The desk's outbox, as the worker needs it. Calls are blocking; the worker makes them
/// on tokio's blocking pool.
pub trait OutboxStore: Send + Sync + 'static {
    /// Entries neither done nor given up, in id order, at most `limit`. Entries waiting
    /// for their `retry_at_ms` are included: they hold back later entries of their entity.
    fn pending(&self, limit: usize) -> Result<Vec<OutboxEntry>, StoreError>;
    /// The platform accepted entry `id`; it must never be returned by `pending` again.
    fn mark_done(&self, id: i64) -> Result<(), StoreError>;
    /// Entry `id` failed: add one to its attempts and store `error`. With `retry_at_ms`
    /// it is retried from then on; with `None` the platform refused it for good and it
    /// must no longer be returned by `pending` (the desk shows it to the user).
    fn mark_failed(&self, id: i64, error: &str, retry_at_ms: Option<i64>) -> Result<(), StoreError>;
}

/// Checks that an [`OutboxStore`] keeps the contract the worker relies on. Call it from
/// the store's own tests with an empty outbox and a function that commits one command
/// and returns its id; it returns the first broken rule.
pub fn check_store(store: &dyn OutboxStore, enqueue: &dyn Fn(&Command) -> i64) -> Result<(), String> {
    let upsert = |sku: &str, price_fen: i64| Command::UpsertProduct {
        sku: sku.to_owned(),
        product: ProductUpsert { title: format!("商品 {sku}"), description: String::new(), price_fen, stock: 1, origin: None },
    };
    let commands = [upsert("A", 100), upsert("B", 200), upsert("A", 300)];
    let ids: Vec<i64> = commands.iter().map(enqueue).collect();
    let err = |what: String| Err::<(), String>(what);
    if !ids.windows(2).all(|pair| pair[0] < pair[1]) {
        return err(format!("ids {ids:?} do not increase in the order of enqueueing"));
    }
    let pending = store.pending(10).map_err(|e| e.to_string())?;
    if pending.iter().map(|entry| entry.id).collect::<Vec<_>>() != ids {
        return err(format!("pending(10) gave ids {:?}, expected {ids:?}", pending.iter().map(|entry| entry.id).collect::<Vec<_>>()));
    }
    for (entry, command) in pending.iter().zip(&commands) {
        if entry.entity != command.entity() || entry.attempts != 0 || entry.retry_at_ms.is_some() {
            return err(format!("entry {} should be entity {} with no attempts and no retry time: {entry:?}", entry.id, command.entity()));
        }
        match Command::from_parts(entry.operation, &entry.payload) {
            Ok(decoded) if decoded == *command => {}
            other => return err(format!("entry {} does not give back its command: {other:?}", entry.id)),
        }
    }
    let first_two = store.pending(2).map_err(|e| e.to_string())?;
    if first_two.iter().map(|entry| entry.id).collect::<Vec<_>>() != ids[..2] {
        return err(format!("pending(2) did not give the two oldest entries: {first_two:?}"));
    }
    let retry_at = crate::now_ms() + 60_000;
    store.mark_failed(ids[0], "platform unreachable", Some(retry_at)).map_err(|e| e.to_string())?;
    store.mark_failed(ids[1], "refused: validation", None).map_err(|e| e.to_string())?;
    let pending = store.pending(10).map_err(|e| e.to_string())?;
    let waiting = pending.iter().find(|entry| entry.id == ids[0]);
    if waiting.is_none_or(|entry| entry.attempts != 1 || entry.retry_at_ms != Some(retry_at)) {
        return err(format!("an entry failed with a retry time must stay pending with attempts 1 and that time: {waiting:?}"));
    }
    if pending.iter().any(|entry| entry.id == ids[1]) {
        return err(format!("an entry given up (retry time None) must leave pending: {pending:?}"));
    }
    store.mark_done(ids[0]).map_err(|e| e.to_string())?;
    let pending = store.pending(10).map_err(|e| e.to_string())?;
    if pending.iter().map(|entry| entry.id).collect::<Vec<_>>() != [ids[2]] {
        return err(format!("after done and given up only {} should be pending: {pending:?}", ids[2]));
    }
    Ok(())
}

/// How the worker schedules.
#[derive(Debug, Clone)]
pub struct SyncConfig {
    /// Prepended to the entry id to form the idempotency key. Use an id of the desk's
    /// database, so that a fresh database whose ids restart at 1 never reuses a key.
    pub key_prefix: String,
    /// Entries read per round.
    pub batch: usize,
    /// Entities sent in parallel.
    pub concurrency: usize,
    /// Backoff ceiling after the first failure (before jitter).
    pub min_backoff: Duration,
    /// Backoff ceiling after many failures (before jitter).
    pub max_backoff: Duration,
    /// How long [`SyncWorker::run`] sleeps when nothing is pending and nobody wakes it.
    pub idle_poll: Duration,
}

impl Default for SyncConfig {
    fn default() -> Self {
        SyncConfig {
            key_prefix: String::new(),
            batch: 512,
            concurrency: 8,
            min_backoff: Duration::from_millis(500),
            max_backoff: Duration::from_secs(60),
            idle_poll: Duration::from_secs(5),
        }
    }
}

/// What the sync badge shows.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct SyncStatus {
    /// Entries pending after the last round (capped at the batch size).
    pub pending: u32,
    /// The last failure, if the last round had one.
    pub last_error: Option<String>,
    /// When the platform last accepted an entry.
    #[cfg_attr(feature = "specta", specta(type = Option<i32>))]
    pub last_success_ms: Option<i64>,
    /// Entries accepted since the worker started.
    pub sent: u32,
    /// Entries the platform refused for good since the worker started.
    pub given_up: u32,
}

/// What one round did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RoundReport {
    /// Entries read.
    pub read: usize,
    /// Entries accepted.
    pub sent: usize,
    /// Entries that failed and will be retried.
    pub retrying: usize,
    /// Entries refused for good.
    pub given_up: usize,
    /// The earliest `retry_at_ms` of an entry that had to wait.
    pub next_retry_at_ms: Option<i64>,
}

/// A handle to wake the worker and watch its status.
#[derive(Clone)]
pub struct SyncHandle {
    notify: Arc<Notify>,
    status: watch::Receiver<SyncStatus>,
}

impl SyncHandle {
    /// Wakes the worker now (call after committing an outbox entry).
    pub fn wake(&self) {
        self.notify.notify_one();
    }

    /// The status after the last round.
    pub fn status(&self) -> SyncStatus {
        self.status.borrow().clone()
    }

    /// A receiver that changes after every round.
    pub fn subscribe(&self) -> watch::Receiver<SyncStatus> {
        self.status.clone()
    }
}

/// Sends outbox entries to a platform. One worker per outbox.
pub struct SyncWorker {
    platform: Arc<dyn Platform>,
    store: Arc<dyn OutboxStore>,
    config: SyncConfig,
    notify: Arc<Notify>,
    status: watch::Sender<SyncStatus>,
}

enum Outcome {
    Sent,
    GivenUp,
}

impl SyncWorker {
    /// A worker over `platform` and `store`.
    pub fn new(platform: Arc<dyn Platform>, store: Arc<dyn OutboxStore>, config: SyncConfig) -> SyncWorker {
        let (status, _) = watch::channel(SyncStatus::default());
        SyncWorker { platform, store, config, notify: Arc::new(Notify::new()), status }
    }

    /// A handle for waking and watching.
    pub fn handle(&self) -> SyncHandle {
        SyncHandle { notify: self.notify.clone(), status: self.status.subscribe() }
    }

    /// Runs rounds until `shutdown` becomes true: right after a round that made progress,
    /// when woken, when the earliest retry is due, or every `idle_poll`.
    pub async fn run(self, mut shutdown: watch::Receiver<bool>) {
        loop {
            if *shutdown.borrow() {
                return;
            }
            let pause = match self.round().await {
                Ok(report) if report.sent + report.given_up > 0 => Duration::ZERO,
                Ok(report) => match report.next_retry_at_ms {
                    Some(at) => Duration::from_millis((at - crate::now_ms()).max(0) as u64).min(self.config.idle_poll),
                    None => self.config.idle_poll,
                },
                Err(err) => {
                    tracing::warn!(%err, "outbox round failed");
                    self.status.send_modify(|status| status.last_error = Some(err.to_string()));
                    self.config.idle_poll
                }
            };
            if pause.is_zero() {
                continue;
            }
            tokio::select! {
                _ = self.notify.notified() => {}
                _ = tokio::time::sleep(pause) => {}
                _ = shutdown.changed() => {}
            }
        }
    }

    /// Runs rounds until the outbox is empty or `timeout` passes; returns the entries
    /// still pending (0 when drained).
    pub async fn drain(&self, timeout: Duration) -> Result<usize, StoreError> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let report = self.round().await?;
            if report.read == 0 {
                return Ok(0);
            }
            if tokio::time::Instant::now() >= deadline {
                return Ok(report.read - report.sent - report.given_up);
            }
            if report.sent + report.given_up == 0 {
                let wait = match report.next_retry_at_ms {
                    Some(at) => Duration::from_millis((at - crate::now_ms()).clamp(1, 1000) as u64),
                    None => Duration::from_millis(50),
                };
                tokio::time::sleep(wait).await;
            }
        }
    }

    /// One round: read pending entries, send every entity's runnable chain, record results.
    pub async fn round(&self) -> Result<RoundReport, StoreError> {
        let store = self.store.clone();
        let batch = self.config.batch;
        let entries = blocking(move || store.pending(batch)).await?;
        let now = crate::now_ms();
        let mut report = RoundReport { read: entries.len(), ..RoundReport::default() };
        let plan = plan_round(entries, now);
        report.next_retry_at_ms = plan.next_retry_at_ms;
        for (entry, err) in plan.undecodable {
            self.record(&entry, Outcome::GivenUp, Some(err.to_string())).await?;
            report.given_up += 1;
        }
        let results = futures_util::stream::iter(plan.chains)
            .map(|chain| self.send_chain(chain))
            .buffer_unordered(self.config.concurrency.max(1))
            .collect::<Vec<_>>()
            .await;
        let mut last_error = None;
        for result in results {
            let chain = result?;
            report.sent += chain.sent;
            report.retrying += chain.retrying;
            report.given_up += chain.given_up;
            if chain.last_error.is_some() {
                last_error = chain.last_error;
            }
        }
        self.status.send_modify(|status| {
            status.pending = (report.read - report.sent - report.given_up) as u32;
            status.sent += report.sent as u32;
            status.given_up += report.given_up as u32;
            if report.sent > 0 {
                status.last_success_ms = Some(crate::now_ms());
            }
            status.last_error = last_error;
        });
        Ok(report)
    }

    async fn send_chain(&self, chain: Vec<(OutboxEntry, Command)>) -> Result<ChainReport, StoreError> {
        let mut report = ChainReport::default();
        for (entry, command) in chain {
            let key = format!("{}{}", self.config.key_prefix, entry.id);
            match self.platform.apply(&key, &command).await {
                Ok(()) => {
                    self.record(&entry, Outcome::Sent, None).await?;
                    report.sent += 1;
                }
                Err(err) if !err.is_refusal() => {
                    let message = err.to_string();
                    let delay = self.backoff(entry.attempts).max(err.retry_after().unwrap_or_default());
                    self.record_retry(&entry, &message, crate::now_ms() + delay.as_millis() as i64).await?;
                    report.retrying += 1;
                    report.last_error = Some(message);
                    // Later entries of this entity must not overtake this one.
                    break;
                }
                Err(err) => {
                    let message = err.to_string();
                    tracing::warn!(id = entry.id, %message, "platform refused an outbox entry");
                    self.record(&entry, Outcome::GivenUp, Some(message.clone())).await?;
                    report.given_up += 1;
                    report.last_error = Some(message);
                }
            }
        }
        Ok(report)
    }

    fn backoff(&self, attempts: u32) -> Duration {
        let ceiling = self.config.min_backoff.saturating_mul(1u32 << attempts.min(20)).min(self.config.max_backoff);
        ceiling.mul_f64(fastrand::f64())
    }

    async fn record(&self, entry: &OutboxEntry, outcome: Outcome, error: Option<String>) -> Result<(), StoreError> {
        let store = self.store.clone();
        let id = entry.id;
        match outcome {
            Outcome::Sent => blocking(move || store.mark_done(id)).await,
            Outcome::GivenUp => {
                let error = error.unwrap_or_default();
                blocking(move || store.mark_failed(id, &error, None)).await
            }
        }
    }

    async fn record_retry(&self, entry: &OutboxEntry, error: &str, retry_at_ms: i64) -> Result<(), StoreError> {
        let store = self.store.clone();
        let id = entry.id;
        let error = error.to_owned();
        blocking(move || store.mark_failed(id, &error, Some(retry_at_ms))).await
    }
}

#[derive(Default)]
struct ChainReport {
    sent: usize,
    retrying: usize,
    given_up: usize,
    last_error: Option<String>,
}

async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, StoreError> + Send + 'static,
) -> Result<T, StoreError> {
    match tokio::task::spawn_blocking(work).await {
        Ok(result) => result,
        Err(join) => Err(StoreError(format!("outbox store call panicked: {join}").into())),
    }
}

/// Which entries one round sends.
struct Plan {
    /// Per entity, the entries to send in order.
    chains: Vec<Vec<(OutboxEntry, Command)>>,
    /// Entries whose payload does not fit their operation.
    undecodable: Vec<(OutboxEntry, PlatformError)>,
    /// The earliest retry time of a waiting entry.
    next_retry_at_ms: Option<i64>,
}

/// Groups entries (in id order) into per-entity chains. An entity's chain stops at its
/// first entry that must wait: one whose retry time has not come, or one that refers to
/// another entity with an earlier pending entry.
fn plan_round(entries: Vec<OutboxEntry>, now_ms: i64) -> Plan {
    let mut chains: Vec<Vec<(OutboxEntry, Command)>> = Vec::new();
    let mut chain_of: HashMap<String, usize> = HashMap::new();
    let mut closed: HashSet<String> = HashSet::new();
    let mut seen: HashSet<String> = HashSet::new();
    let mut undecodable = Vec::new();
    let mut next_retry_at_ms: Option<i64> = None;
    for entry in entries {
        let entity = entry.entity.clone();
        let runnable = 'decide: {
            if closed.contains(&entity) {
                break 'decide None;
            }
            if let Some(at) = entry.retry_at_ms.filter(|at| *at > now_ms) {
                next_retry_at_ms = Some(next_retry_at_ms.map_or(at, |next| next.min(at)));
                break 'decide None;
            }
            let command = match Command::from_parts(entry.operation, &entry.payload) {
                Ok(command) => command,
                Err(err) => {
                    undecodable.push((entry.clone(), err));
                    // Nothing will be sent for it, so it holds nothing back.
                    break 'decide Some(None);
                }
            };
            if command.depends_on().iter().any(|dep| *dep != entity && seen.contains(dep)) {
                break 'decide None;
            }
            Some(Some(command))
        };
        match runnable {
            None => {
                closed.insert(entity.clone());
            }
            Some(None) => continue,
            Some(Some(command)) => {
                let idx = *chain_of.entry(entity.clone()).or_insert_with(|| {
                    chains.push(Vec::new());
                    chains.len() - 1
                });
                chains[idx].push((entry, command));
            }
        }
        seen.insert(entity);
    }
    Plan { chains, undecodable, next_retry_at_ms }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn product(sku: &str, price_fen: i64) -> Command {
        Command::UpsertProduct {
            sku: sku.to_owned(),
            product: ProductUpsert { title: format!("商品 {sku}"), description: String::new(), price_fen, stock: 10, origin: None },
        }
    }

    fn entries(commands: &[Command]) -> Vec<OutboxEntry> {
        commands.iter().enumerate().map(|(idx, command)| OutboxEntry::new(idx as i64 + 1, command, 0)).collect()
    }

    fn ids(plan: &Plan) -> Vec<Vec<i64>> {
        plan.chains.iter().map(|chain| chain.iter().map(|(entry, _)| entry.id).collect()).collect()
    }

    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    enum RowState {
        Pending,
        Done,
        GivenUp,
    }

    /// An outbox in memory, for tests of the worker only.
    #[derive(Default)]
    struct MemoryOutbox {
        rows: std::sync::Mutex<Vec<(OutboxEntry, RowState, Option<String>)>>,
    }

    impl MemoryOutbox {
        fn with(commands: &[Command]) -> MemoryOutbox {
            let rows = entries(commands).into_iter().map(|entry| (entry, RowState::Pending, None)).collect();
            MemoryOutbox { rows: std::sync::Mutex::new(rows) }
        }

        fn snapshot(&self) -> Vec<(OutboxEntry, RowState, Option<String>)> {
            self.rows.lock().unwrap().clone()
        }
    }

    impl OutboxStore for MemoryOutbox {
        fn pending(&self, limit: usize) -> Result<Vec<OutboxEntry>, StoreError> {
            let rows = self.rows.lock().unwrap();
            Ok(rows.iter().filter(|(_, state, _)| *state == RowState::Pending).take(limit).map(|(entry, _, _)| entry.clone()).collect())
        }

        fn mark_done(&self, id: i64) -> Result<(), StoreError> {
            let mut rows = self.rows.lock().unwrap();
            let row = rows.iter_mut().find(|(entry, _, _)| entry.id == id).expect("marking a known entry");
            row.1 = RowState::Done;
            Ok(())
        }

        fn mark_failed(&self, id: i64, error: &str, retry_at_ms: Option<i64>) -> Result<(), StoreError> {
            let mut rows = self.rows.lock().unwrap();
            let row = rows.iter_mut().find(|(entry, _, _)| entry.id == id).expect("marking a known entry");
            row.0.attempts += 1;
            row.0.retry_at_ms = retry_at_ms;
            row.1 = if retry_at_ms.is_some() { RowState::Pending } else { RowState::GivenUp };
            row.2 = Some(error.to_owned());
            Ok(())
        }
    }

    #[test]
    fn the_memory_outbox_keeps_the_store_contract() {
        let store = MemoryOutbox::default();
        let enqueue = |command: &Command| {
            let mut rows = store.rows.lock().unwrap();
            let id = rows.len() as i64 + 1;
            rows.push((OutboxEntry::new(id, command, 0), RowState::Pending, None));
            id
        };
        assert_eq!(check_store(&store, &enqueue), Ok(()));
    }

    #[test]
    fn a_store_that_returns_given_up_entries_is_caught() {
        /// Forgets that `None` means given up.
        struct Leaky(MemoryOutbox);
        impl OutboxStore for Leaky {
            fn pending(&self, limit: usize) -> Result<Vec<OutboxEntry>, StoreError> {
                self.0.pending(limit)
            }
            fn mark_done(&self, id: i64) -> Result<(), StoreError> {
                self.0.mark_done(id)
            }
            fn mark_failed(&self, id: i64, error: &str, _retry_at_ms: Option<i64>) -> Result<(), StoreError> {
                self.0.mark_failed(id, error, Some(0))
            }
        }
        let store = Leaky(MemoryOutbox::default());
        let enqueue = |command: &Command| {
            let mut rows = store.0.rows.lock().unwrap();
            let id = rows.len() as i64 + 1;
            rows.push((OutboxEntry::new(id, command, 0), RowState::Pending, None));
            id
        };
        let verdict = check_store(&store, &enqueue);
        assert!(verdict.is_err_and(|why| why.contains("retry time")), "the leak went unnoticed");
    }

    #[tokio::test]
    async fn an_unreachable_platform_is_tried_once_per_entity_and_nothing_is_marked_done() {
        // A port nobody listens on: every connection is refused.
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let mut config = crate::ClientConfig::new(format!("http://127.0.0.1:{port}"), "desk", "secret");
        config.retry = crate::RetryPolicy { max_retries: 1, min_delay: Duration::from_millis(1), max_delay: Duration::from_millis(2) };
        let platform = Arc::new(crate::ContractClient::new(config).unwrap());
        let bag = Command::ListInBag { broadcast_id: "b1".into(), sku: "A".into(), live_price_fen: 990 };
        let store = Arc::new(MemoryOutbox::with(&[product("A", 1), product("B", 1), product("A", 2), bag]));
        let sync = SyncConfig { min_backoff: Duration::from_secs(10), ..SyncConfig::default() };
        let worker = SyncWorker::new(platform, store.clone(), sync);
        let before = crate::now_ms();

        let report = worker.round().await.unwrap();

        assert_eq!((report.read, report.sent, report.retrying, report.given_up), (4, 0, 2, 0));
        let rows = store.snapshot();
        assert!(rows.iter().all(|(_, state, _)| *state == RowState::Pending));
        // Only the first entry of A and of B went out; A's second upsert and the bag entry
        // that refers to A were held back, untouched.
        let tried: Vec<i64> = rows.iter().filter(|(entry, _, _)| entry.attempts > 0).map(|(entry, _, _)| entry.id).collect();
        assert_eq!(tried, vec![1, 2]);
        for (entry, _, error) in rows.iter().filter(|(entry, _, _)| entry.attempts > 0) {
            assert!(entry.retry_at_ms.is_some_and(|at| at >= before), "{entry:?}");
            assert!(error.as_deref().is_some_and(|error| error.contains("/oauth/token")), "{error:?}");
        }
        let status = worker.handle().status();
        assert_eq!((status.pending, status.sent), (4, 0));
        assert!(status.last_error.is_some());
    }

    #[test]
    fn commands_survive_the_trip_through_operation_and_payload() {
        let commands = [
            product("GN-1", 3990),
            Command::Pin { broadcast_id: "b1".into(), sku: None },
            Command::SetLineup { broadcast_id: "b1".into(), products: vec!["GN-1".into()] },
            Command::ListInBag { broadcast_id: "b1".into(), sku: "GN-1".into(), live_price_fen: 2990 },
            Command::SetScript {
                broadcast_id: "b1".into(),
                script: crate::types::BroadcastScript {
                    events: vec![crate::types::ScriptedEvent {
                        id: "oos".into(),
                        after_ms: 400,
                        kind: ScriptedKind::StockOut { sku: "GN-1".into() },
                    }],
                },
            },
            Command::Reply { broadcast_id: "b1".into(), reply: ReplyCreate { comment_seq: 17, text: "是有机的，证书在详情页".into() } },
        ];
        for command in commands {
            let (operation, payload) = command.into_parts();
            assert_eq!(Operation::parse(operation.as_str()), Some(operation));
            assert_eq!(Command::from_parts(operation, &payload).unwrap(), command);
        }
        let wrong = Command::from_parts(Operation::SetStock, &serde_json::json!({"sku": "A"}));
        assert!(matches!(wrong, Err(PlatformError::Payload { .. })), "{wrong:?}");
    }

    #[test]
    fn a_script_waits_for_the_products_it_stocks_out_and_a_reply_for_its_broadcast() {
        let comment = |id: &str| crate::types::ScriptedEvent {
            id: id.into(),
            after_ms: 0,
            kind: ScriptedKind::Comment { user: "阿强".into(), text: "能直接支付宝转给你吗".into() },
        };
        let stock_out = crate::types::ScriptedEvent { id: "oos".into(), after_ms: 1, kind: ScriptedKind::StockOut { sku: "A".into() } };
        let script = Command::SetScript { broadcast_id: "b1".into(), script: crate::types::BroadcastScript { events: vec![comment("c"), stock_out] } };
        assert_eq!(script.entity(), "broadcast:b1");
        assert_eq!(script.depends_on(), vec!["product:A".to_owned()]);
        let plan = plan_round(entries(&[product("A", 1), script.clone()]), 0);
        assert_eq!(ids(&plan), vec![vec![1]]);

        let reply = Command::Reply { broadcast_id: "b1".into(), reply: ReplyCreate { comment_seq: 3, text: "不支持私下交易".into() } };
        assert_eq!((reply.entity().as_str(), reply.operation().as_str()), ("broadcast:b1", "reply"));
        // A reply goes after the broadcast's earlier entries, in order.
        let plan = plan_round(entries(&[Command::StartBroadcast { broadcast_id: "b1".into() }, reply]), 0);
        assert_eq!(ids(&plan), vec![vec![1, 2]]);
    }

    #[test]
    fn each_entity_is_one_chain_in_id_order() {
        let plan = plan_round(entries(&[product("A", 1), product("B", 1), product("A", 2), product("B", 2)]), 0);
        assert_eq!(ids(&plan), vec![vec![1, 3], vec![2, 4]]);
    }

    #[test]
    fn a_waiting_entry_holds_back_its_entity_and_its_dependants() {
        let mut outbox = entries(&[
            product("A", 1),
            product("B", 1),
            product("A", 2),
            Command::CreateBroadcast {
                broadcast: BroadcastCreate {
                    id: "b1".into(),
                    title: "助农专场".into(),
                    anchor_id: None,
                    products: vec!["A".into()],
                    scheduled_start_ms: None,
                },
            },
            Command::StartBroadcast { broadcast_id: "b1".into() },
        ]);
        outbox[0].retry_at_ms = Some(5_000);
        let plan = plan_round(outbox, 1_000);
        // A waits, so A's later upsert and the broadcast that lists A wait too.
        assert_eq!(ids(&plan), vec![vec![2]]);
        assert_eq!(plan.next_retry_at_ms, Some(5_000));
    }

    #[test]
    fn a_dependant_waits_for_an_earlier_entry_even_when_it_is_runnable() {
        let plan = plan_round(
            entries(&[product("A", 1), Command::ListInBag { broadcast_id: "b1".into(), sku: "A".into(), live_price_fen: 9 }]),
            0,
        );
        assert_eq!(ids(&plan), vec![vec![1]]);
        let due = plan_round(entries(&[Command::ListInBag { broadcast_id: "b1".into(), sku: "A".into(), live_price_fen: 9 }]), 0);
        assert_eq!(ids(&due), vec![vec![1]]);
    }
}
