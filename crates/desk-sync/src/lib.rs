//! The desk's side of platform sync: `anchordesk-core` queues every change in its SQLite
//! outbox, in the same transaction as the change, in the desk's own words; this crate
//! turns those rows into the platform contract's commands for the platform crate's
//! `SyncWorker`, and records what became of them.
//!
//! It is the one place that knows both the domain (`core`) and the contract (`platform`),
//! so neither of them has to know the other.

pub mod ingest;
pub mod room;
pub mod secrets;

use anchordesk_core::Store;
use anchordesk_core::model::ProductDraft;
use anchordesk_core::store::{
    CREATE_BROADCAST, END_BROADCAST, LIST_IN_BAG, OutboxRow, PIN, REPLY, SET_LINEUP, SET_SCRIPT, SET_STOCK, START_BROADCAST, UNLIST_FROM_BAG, UPSERT_PRODUCT,
};
use anchordesk_platform::{BroadcastCreate, BroadcastScript, ProductUpsert, ReplyCreate, ScriptedEvent, ScriptedKind};
use anchordesk_platform::sync::{Command, OutboxEntry, OutboxStore, StoreError};
use std::sync::{Arc, Mutex};

/// A row the desk wrote that this build cannot turn into a platform command.
#[derive(Debug, thiserror::Error)]
pub enum MappingError {
    #[error("outbox {id}: unknown operation {operation:?}")]
    UnknownOperation { id: i64, operation: String },
    #[error("outbox {id}: payload does not read as {what}: {message}")]
    Payload { id: i64, what: &'static str, message: String },
}

/// The platform command for one outbox row.
pub fn command_for(row: &OutboxRow) -> Result<Command, MappingError> {
    match row.operation.as_str() {
        UPSERT_PRODUCT => {
            let draft: ProductDraft = serde_json::from_value(row.payload.clone())
                .map_err(|err| MappingError::Payload { id: row.id, what: "a product", message: err.to_string() })?;
            Ok(Command::UpsertProduct {
                sku: draft.sku.clone(),
                product: ProductUpsert {
                    title: draft.name,
                    description: draft.selling_points,
                    price_fen: draft.price.0,
                    stock: draft.stock as i64,
                    origin: Some(draft.origin).filter(|o| !o.is_empty()),
                },
            })
        }
        CREATE_BROADCAST => Ok(Command::CreateBroadcast {
            broadcast: BroadcastCreate {
                id: text(row, "broadcastId")?,
                title: text(row, "title")?,
                anchor_id: None,
                products: skus(row)?,
                scheduled_start_ms: None,
            },
        }),
        UNLIST_FROM_BAG => Ok(Command::UnlistFromBag { broadcast_id: text(row, "broadcastId")?, sku: text(row, "sku")? }),
        SET_LINEUP => Ok(Command::SetLineup { broadcast_id: text(row, "broadcastId")?, products: skus(row)? }),
        LIST_IN_BAG => Ok(Command::ListInBag {
            broadcast_id: text(row, "broadcastId")?,
            sku: text(row, "sku")?,
            live_price_fen: row.payload["livePriceFen"]
                .as_i64()
                .ok_or_else(|| MappingError::Payload { id: row.id, what: "a bag listing", message: "no livePriceFen".into() })?,
        }),
        SET_STOCK => Ok(Command::SetStock {
            sku: text(row, "sku")?,
            stock: row.payload["stock"]
                .as_i64()
                .ok_or_else(|| MappingError::Payload { id: row.id, what: "a stock change", message: "no stock".into() })?,
        }),
        START_BROADCAST => Ok(Command::StartBroadcast { broadcast_id: text(row, "broadcastId")? }),
        END_BROADCAST => Ok(Command::EndBroadcast { broadcast_id: text(row, "broadcastId")? }),
        PIN => Ok(Command::Pin { broadcast_id: text(row, "broadcastId")?, sku: row.payload["sku"].as_str().map(str::to_string) }),
        REPLY => Ok(Command::Reply {
            broadcast_id: text(row, "broadcastId")?,
            reply: ReplyCreate {
                comment_seq: row.payload["commentSeq"]
                    .as_i64()
                    .ok_or_else(|| MappingError::Payload { id: row.id, what: "a reply", message: "no commentSeq".into() })?,
                text: text(row, "text")?,
            },
        }),
        SET_SCRIPT => Ok(Command::SetScript { broadcast_id: text(row, "broadcastId")?, script: script(row)? }),
        other => Err(MappingError::UnknownOperation { id: row.id, operation: other.to_string() }),
    }
}

/// A rehearsal's scripted events, in the desk's words: `{id, afterMs, user, text}` for a
/// viewer's comment, `{id, afterMs, stockOutSku}` for a stock-out.
fn script(row: &OutboxRow) -> Result<BroadcastScript, MappingError> {
    let bad = |message: String| MappingError::Payload { id: row.id, what: "a script", message };
    let events = row.payload["events"].as_array().ok_or_else(|| bad("no events".into()))?;
    let events = events
        .iter()
        .map(|event| {
            let field = |name: &str| event[name].as_str().map(str::to_string);
            let id = field("id").ok_or_else(|| bad(format!("an event without an id: {event}")))?;
            let after_ms = event["afterMs"].as_i64().ok_or_else(|| bad(format!("event {id} has no afterMs")))?;
            let kind = match (field("stockOutSku"), field("user"), field("text")) {
                (Some(sku), _, _) => ScriptedKind::StockOut { sku },
                (None, Some(user), Some(text)) => ScriptedKind::Comment { user, text },
                _ => return Err(bad(format!("event {id} is neither a comment nor a stock-out"))),
            };
            Ok(ScriptedEvent { id, after_ms, kind })
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(BroadcastScript { events })
}

fn skus(row: &OutboxRow) -> Result<Vec<String>, MappingError> {
    row.payload["skus"]
        .as_array()
        .map(|skus| skus.iter().filter_map(|s| s.as_str().map(str::to_string)).collect())
        .ok_or_else(|| MappingError::Payload { id: row.id, what: "a line-up", message: "no skus".into() })
}

fn text(row: &OutboxRow, field: &'static str) -> Result<String, MappingError> {
    row.payload[field]
        .as_str()
        .map(str::to_string)
        .ok_or_else(|| MappingError::Payload { id: row.id, what: field, message: format!("missing in {}", row.payload) })
}

/// The app's store as the sync worker's outbox.
#[derive(Clone)]
pub struct DeskOutbox {
    store: Arc<Mutex<Store>>,
}

impl DeskOutbox {
    /// Wraps the store the app (or a test) already shares.
    pub fn new(store: Arc<Mutex<Store>>) -> DeskOutbox {
        DeskOutbox { store }
    }

    fn with<T>(&self, f: impl FnOnce(&Store) -> Result<T, anchordesk_core::StoreError>) -> Result<T, StoreError> {
        let guard = self.store.lock().unwrap_or_else(|p| p.into_inner());
        f(&guard).map_err(StoreError::new)
    }
}

impl OutboxStore for DeskOutbox {
    fn pending(&self, limit: usize) -> Result<Vec<OutboxEntry>, StoreError> {
        let rows = self.with(|store| store.outbox_pending(limit))?;
        // The worker keeps order within an entity, not across them, but a broadcast names its
        // products: hold back broadcast changes queued after a product change that is still
        // pending, so the platform never hears of a line-up before its products.
        let first_product = rows.iter().find(|row| row.entity.starts_with("product:")).map(|row| row.id);
        let rows: Vec<OutboxRow> = rows
            .into_iter()
            .filter(|row| !(row.entity.starts_with("broadcast:") && first_product.is_some_and(|first| row.id > first)))
            .collect();
        let mut entries = Vec::with_capacity(rows.len());
        for row in rows {
            match command_for(&row) {
                Ok(command) => {
                    let (operation, payload) = command.into_parts();
                    entries.push(OutboxEntry {
                        id: row.id,
                        entity: row.entity,
                        operation,
                        payload,
                        created_at_ms: row.created_at_ms,
                        attempts: row.attempts,
                        retry_at_ms: row.retry_at_ms,
                    });
                }
                Err(err) => {
                    // A row this build cannot read would block its entity forever: give it up
                    // and say why.
                    tracing::error!("{err}");
                    self.with(|store| store.outbox_mark_failed(row.id, &err.to_string(), None))?;
                }
            }
        }
        Ok(entries)
    }

    fn mark_done(&self, id: i64) -> Result<(), StoreError> {
        self.with(|store| store.outbox_mark_done(id))
    }

    fn mark_failed(&self, id: i64, error: &str, retry_at_ms: Option<i64>) -> Result<(), StoreError> {
        self.with(|store| store.outbox_mark_failed(id, error, retry_at_ms))
    }
}

/// Where the desk's platform is: a platform of the team's own, or (when none is set) the
/// embedded practice platform. Kept in SQLite; the secret is not here but in the OS keyring.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PlatformSettings {
    pub base_url: String,
    pub client_id: String,
}

const PLATFORM_KEY: &str = "platform";

/// The saved platform, or `None` for the embedded practice platform.
pub fn platform_settings(store: &Store) -> Result<Option<PlatformSettings>, anchordesk_core::StoreError> {
    match store.setting(PLATFORM_KEY)? {
        Some(json) if !json.is_empty() => Ok(serde_json::from_str(&json).ok()),
        _ => Ok(None),
    }
}

/// Saves the platform's address and client id (not the secret); `None` goes back to the
/// embedded practice platform.
pub fn save_platform_settings(store: &Store, settings: Option<&PlatformSettings>) -> Result<(), anchordesk_core::StoreError> {
    let json = match settings {
        Some(settings) => serde_json::to_string(settings).map_err(|err| anchordesk_core::StoreError::Corrupt(err.to_string()))?,
        None => String::new(),
    };
    store.set_setting(PLATFORM_KEY, &json)
}
