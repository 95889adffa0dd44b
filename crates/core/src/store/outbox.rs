//! Table `outbox`: what the platform must be told, queued in the same transaction as the
//! local change so that nothing is told that did not happen and nothing that happened is
//! left untold. The platform crate's sync worker drains it (through `anchordesk-desk-sync`).

use super::Store;
use crate::error::StoreError;
use crate::model::ProductDraft;
use rusqlite::{Connection, OptionalExtension, params};
use serde::{Deserialize, Serialize};

/// One queued change, as read back.
#[derive(Clone, Debug, PartialEq)]
pub struct OutboxRow {
    pub id: i64,
    /// What it is about, e.g. `product:SAMPLE-ORANGE-5KG`; changes to one entity go in order.
    pub entity: String,
    /// The operation's code as stored (the tag of [`OutboxOp`]).
    pub operation: String,
    /// The operation; `Err` says why a row does not read as one (written by a newer build, or
    /// damaged): the sync gives it up with that reason instead of guessing.
    pub op: Result<OutboxOp, String>,
    pub created_at_ms: i64,
    pub attempts: u32,
    pub retry_at_ms: Option<i64>,
}

/// What the platform must be told, in the desk's words; the sync layer turns each variant
/// into the platform contract's command with an exhaustive match. Stored as two columns: the
/// variant's tag in `operation` and its fields (camelCase JSON) in `payload`. Rows written
/// before this type existed have exactly that form (the same tags and field names, checked
/// by a test on such rows), so they read back without a migration.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "operation", content = "payload", rename_all = "camelCase", rename_all_fields = "camelCase")]
pub enum OutboxOp {
    UpsertProduct(ProductDraft),
    /// A product's stock for sale (0: withdrawn, the contract has no delete).
    SetStock { sku: String, stock: i64 },
    CreateBroadcast { broadcast_id: String, title: String, skus: Vec<String> },
    SetLineup { broadcast_id: String, skus: Vec<String> },
    ListInBag { broadcast_id: String, sku: String, live_price_fen: i64 },
    StartBroadcast { broadcast_id: String },
    /// A product on air is pinned (讲解).
    Pin { broadcast_id: String, sku: Option<String> },
    /// A product taken off (下架) leaves the shopping bag.
    UnlistFromBag { broadcast_id: String, sku: String },
    EndBroadcast { broadcast_id: String },
    /// A reply from the desk to a viewer's comment.
    Reply { broadcast_id: String, comment_seq: i64, text: String },
    /// The scripted events of a rehearsal (a course scenario) for the practice shop.
    SetScript { broadcast_id: String, events: Vec<ScriptEvent> },
}

/// One scripted event of a rehearsal, in the desk's words.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged, rename_all_fields = "camelCase")]
pub enum ScriptEvent {
    /// The product sells out `after_ms` into the broadcast.
    StockOut { id: String, after_ms: i64, stock_out_sku: String },
    /// A viewer comments.
    Comment { id: String, after_ms: i64, user: String, text: String },
}

impl OutboxOp {
    /// The code stored in the `operation` column.
    pub fn code(&self) -> &'static str {
        match self {
            OutboxOp::UpsertProduct(_) => UPSERT_PRODUCT,
            OutboxOp::SetStock { .. } => SET_STOCK,
            OutboxOp::CreateBroadcast { .. } => CREATE_BROADCAST,
            OutboxOp::SetLineup { .. } => SET_LINEUP,
            OutboxOp::ListInBag { .. } => LIST_IN_BAG,
            OutboxOp::StartBroadcast { .. } => START_BROADCAST,
            OutboxOp::Pin { .. } => PIN,
            OutboxOp::UnlistFromBag { .. } => UNLIST_FROM_BAG,
            OutboxOp::EndBroadcast { .. } => END_BROADCAST,
            OutboxOp::Reply { .. } => REPLY,
            OutboxOp::SetScript { .. } => SET_SCRIPT,
        }
    }

    /// The two stored columns: the code and the payload's JSON text.
    fn columns(&self) -> Result<(&'static str, String), StoreError> {
        let mut value = serde_json::to_value(self).map_err(|err| StoreError::Corrupt(err.to_string()))?;
        let payload = value.get_mut("payload").map(serde_json::Value::take).unwrap_or(serde_json::Value::Null);
        Ok((self.code(), payload.to_string()))
    }

    /// Reads the two stored columns back.
    pub fn from_columns(operation: &str, payload: &str) -> Result<OutboxOp, String> {
        let payload: serde_json::Value = serde_json::from_str(payload).map_err(|err| format!("payload is not JSON: {err}"))?;
        serde_json::from_value(serde_json::json!({ "operation": operation, "payload": payload }))
            .map_err(|err| format!("operation {operation:?} does not read: {err}"))
    }
}

/// What became of one queued entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OutboxState {
    pub id: i64,
    pub done: bool,
    pub given_up: bool,
    pub last_error: Option<String>,
}

/// The queue's state, for the sync badge.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct OutboxCounts {
    pub pending: i32,
    pub given_up: i32,
    pub done: i32,
}

/// The operation code for a product upsert.
pub const UPSERT_PRODUCT: &str = "upsertProduct";

pub(crate) fn now_ms() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_millis() as i64).unwrap_or(0)
}

/// Operation codes for a broadcast's life on the platform.
pub const CREATE_BROADCAST: &str = "createBroadcast";
pub const START_BROADCAST: &str = "startBroadcast";
pub const LIST_IN_BAG: &str = "listInBag";
pub const PIN: &str = "pin";
pub const END_BROADCAST: &str = "endBroadcast";
pub const SET_LINEUP: &str = "setLineup";
pub const UNLIST_FROM_BAG: &str = "unlistFromBag";
/// A reply from the desk to a viewer's comment.
pub const REPLY: &str = "reply";
/// The scripted events of a rehearsal (a course scenario) for the practice shop.
pub const SET_SCRIPT: &str = "setScript";

/// The platform's id for a desk broadcast.
pub fn platform_broadcast_id(broadcast: crate::model::BroadcastId) -> String {
    format!("b{}", broadcast.0)
}

/// Queues one broadcast operation; all of a broadcast's operations share its entity key,
/// so they reach the platform in the order they happened. Nothing is queued for a
/// broadcast on air in a silent session (a rehearsal while the desk is set to a real
/// platform).
pub(super) fn enqueue_broadcast(conn: &Connection, broadcast: crate::model::BroadcastId, op: OutboxOp) -> Result<(), StoreError> {
    let silent: bool = conn
        .prepare_cached("SELECT EXISTS(SELECT 1 FROM live_session WHERE broadcast_id = ?1 AND status = 'live' AND platform_silent = 1)")?
        .query_row(params![broadcast.0], |r| r.get(0))?;
    if silent {
        return Ok(());
    }
    enqueue(conn, &format!("broadcast:{}", platform_broadcast_id(broadcast)), &op)
}

/// Queues one operation about `entity`.
fn enqueue(conn: &Connection, entity: &str, op: &OutboxOp) -> Result<(), StoreError> {
    let (operation, payload) = op.columns()?;
    conn.prepare_cached("INSERT INTO outbox (entity, operation, payload, created_at_ms) VALUES (?1, ?2, ?3, ?4)")?
        .execute(params![entity, operation, payload, now_ms()])?;
    Ok(())
}

/// Tells the platform the broadcast's line-up as it stands: the first time (no create
/// queued yet) by creating the broadcast with it, afterwards by replacing its product
/// list. Call inside the transaction that changed the line-up, so that edits made before
/// going live reach the platform in the order they were made.
pub(super) fn publish_lineup(conn: &Connection, broadcast: crate::model::BroadcastId) -> Result<(), StoreError> {
    let platform_id = platform_broadcast_id(broadcast);
    let skus: Vec<String> = conn
        .prepare_cached(
            "SELECT p.sku FROM lineup_item l JOIN product p ON p.id = l.product_id WHERE l.broadcast_id = ?1 ORDER BY l.position, l.id",
        )?
        .query_map(params![broadcast.0], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    if created_on_platform(conn, broadcast)? {
        enqueue_broadcast(conn, broadcast, OutboxOp::SetLineup { broadcast_id: platform_id, skus })
    } else {
        let title: String = conn.query_row("SELECT title FROM broadcast WHERE id = ?1", params![broadcast.0], |r| r.get(0))?;
        enqueue_broadcast(conn, broadcast, OutboxOp::CreateBroadcast { broadcast_id: platform_id, title, skus })
    }
}

/// Whether the broadcast's creation was queued (sent or not) for the current platform.
pub(super) fn created_on_platform(conn: &Connection, broadcast: crate::model::BroadcastId) -> Result<bool, StoreError> {
    Ok(conn
        .prepare_cached("SELECT EXISTS(SELECT 1 FROM outbox WHERE entity = ?1 AND operation = ?2 AND id > ?3)")?
        .query_row(params![format!("broadcast:{}", platform_broadcast_id(broadcast)), CREATE_BROADCAST, platform_epoch(conn)?], |r| r.get(0))?)
}

/// The last outbox id queued for an earlier platform: entries up to it say nothing of what
/// the current platform has heard (set when the desk switches platforms).
pub(super) fn platform_epoch(conn: &Connection) -> Result<i64, StoreError> {
    let epoch: Option<String> = conn
        .prepare_cached("SELECT value FROM setting WHERE key = 'platform_epoch'")?
        .query_row([], |r| r.get(0))
        .optional()?;
    Ok(epoch.and_then(|e| e.parse().ok()).unwrap_or(0))
}

/// The operation code for a product's allocated stock.
pub const SET_STOCK: &str = "setStock";

/// Queues "no more stock for this SKU" (the contract has no delete: a deleted or renamed
/// product stops selling); call inside the transaction that deletes it.
pub(super) fn enqueue_withdraw(conn: &Connection, sku: &str) -> Result<(), StoreError> {
    enqueue(conn, &format!("product:{sku}"), &OutboxOp::SetStock { sku: sku.to_string(), stock: 0 })
}

/// Queues a product upsert; call inside the transaction that writes the product.
pub(super) fn enqueue_product(conn: &Connection, draft: &ProductDraft) -> Result<(), StoreError> {
    enqueue(conn, &format!("product:{}", draft.sku), &OutboxOp::UpsertProduct(draft.clone()))
}

impl Store {
    /// Entries neither done nor given up, oldest first (also those waiting for a retry:
    /// they hold back later changes of the same entity).
    pub fn outbox_pending(&self, limit: usize) -> Result<Vec<OutboxRow>, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT id, entity, operation, payload, created_at_ms, attempts, retry_at_ms FROM outbox \
             WHERE done_at_ms IS NULL AND given_up = 0 ORDER BY id LIMIT ?1",
        )?;
        let rows = stmt.query_map(params![limit as i64], |r| {
            Ok((r.get::<_, i64>(0)?, r.get(1)?, r.get::<_, String>(2)?, r.get::<_, String>(3)?, r.get(4)?, r.get::<_, i64>(5)?, r.get(6)?))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (id, entity, operation, payload, created_at_ms, attempts, retry_at_ms) = row?;
            let op = OutboxOp::from_columns(&operation, &payload);
            out.push(OutboxRow { id, entity, operation, op, created_at_ms, attempts: attempts as u32, retry_at_ms });
        }
        Ok(out)
    }

    /// The latest entry queued for a broadcast with `operation` (for the current platform).
    /// The app uses it to replay the start call (same Idempotency-Key, so the platform
    /// answers with its first response: the ingest URL and stream key).
    pub fn outbox_latest(&self, broadcast: crate::model::BroadcastId, operation: &str) -> Result<Option<OutboxState>, StoreError> {
        Ok(self
            .conn
            .query_row(
                "SELECT id, done_at_ms IS NOT NULL, given_up, last_error FROM outbox WHERE entity = ?1 AND operation = ?2 AND id > ?3 \
                 ORDER BY id DESC LIMIT 1",
                params![format!("broadcast:{}", platform_broadcast_id(broadcast)), operation, platform_epoch(&self.conn)?],
                |r| Ok(OutboxState { id: r.get(0)?, done: r.get(1)?, given_up: r.get(2)?, last_error: r.get(3)? }),
            )
            .optional()?)
    }

    /// After switching to another platform, which has heard of nothing: marks the switch
    /// (earlier entries no longer count as told) and queues every product of the catalog
    /// and every broadcast not ended, with its line-up, again. Returns how many entries
    /// were queued. One transaction.
    pub fn requeue_for_new_platform(&mut self) -> Result<usize, StoreError> {
        let products = self.products("")?;
        let tx = self.conn.transaction()?;
        let last: i64 = tx.query_row("SELECT coalesce(max(id), 0) FROM outbox", [], |r| r.get(0))?;
        tx.execute(
            "INSERT INTO setting (key, value) VALUES ('platform_epoch', ?1) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            params![last.to_string()],
        )?;
        for product in &products {
            enqueue_product(&tx, &product.draft)?;
        }
        let open: Vec<i64> = tx
            .prepare(
                "SELECT b.id FROM broadcast b WHERE b.deleted_at IS NULL \
                 AND NOT EXISTS(SELECT 1 FROM live_session s WHERE s.broadcast_id = b.id AND s.status = 'ended')",
            )?
            .query_map([], |r| r.get(0))?
            .collect::<Result<_, _>>()?;
        for broadcast in &open {
            publish_lineup(&tx, crate::model::BroadcastId(*broadcast))?;
        }
        tx.commit()?;
        Ok(products.len() + open.len())
    }

    /// Marks an entry sent.
    pub fn outbox_mark_done(&self, id: i64) -> Result<(), StoreError> {
        self.conn.execute("UPDATE outbox SET done_at_ms = ?1, last_error = NULL WHERE id = ?2", params![now_ms(), id])?;
        Ok(())
    }

    /// Records a failed attempt; `retry_at_ms = None` gives the entry up (the platform
    /// refused it for good).
    pub fn outbox_mark_failed(&self, id: i64, error: &str, retry_at_ms: Option<i64>) -> Result<(), StoreError> {
        self.conn.execute(
            "UPDATE outbox SET attempts = attempts + 1, last_error = ?1, retry_at_ms = ?2, given_up = ?3 WHERE id = ?4",
            params![error, retry_at_ms, retry_at_ms.is_none(), id],
        )?;
        Ok(())
    }

    /// A stable id of this database, made once: the platform's idempotency keys start with
    /// it, so a new database whose outbox ids restart at 1 never reuses an old key.
    pub fn desk_id(&self) -> Result<String, StoreError> {
        if let Some(id) = self.setting("desk_id")? {
            return Ok(id);
        }
        let id = format!("desk-{:x}-{:x}", now_ms(), std::process::id());
        self.set_setting("desk_id", &id)?;
        Ok(id)
    }

    /// How many entries are pending, given up and done.
    pub fn outbox_counts(&self) -> Result<OutboxCounts, StoreError> {
        Ok(self.conn.query_row(
            "SELECT coalesce(sum(done_at_ms IS NULL AND given_up = 0), 0), coalesce(sum(given_up), 0), coalesce(sum(done_at_ms IS NOT NULL), 0) FROM outbox",
            [],
            |r| Ok(OutboxCounts { pending: r.get(0)?, given_up: r.get(1)?, done: r.get(2)? }),
        )?)
    }
}
