//! The desk's side of platform sync: `anchordesk-core` queues every change in its SQLite
//! outbox, in the same transaction as the change, in the desk's own words; this crate
//! turns those rows into the platform contract's commands for the platform crate's
//! `SyncWorker`, and records what became of them.
//!
//! It is the one place that knows both the domain (`core`) and the contract (`platform`),
//! so neither of them has to know the other.

pub mod class;
pub mod ingest;
pub mod link;
pub mod room;
pub mod secrets;
pub mod team;

use anchordesk_core::Store;
use anchordesk_core::store::{OutboxOp, OutboxRow, ScriptEvent};
use anchordesk_platform::{BroadcastCreate, BroadcastScript, ProductUpsert, ReplyCreate, ScriptedEvent, ScriptedKind};
use anchordesk_platform::sync::{Command, OutboxEntry, OutboxStore, StoreError};
use std::sync::{Arc, Mutex};

/// A row the desk wrote that this build cannot read (a newer build's, or damaged).
#[derive(Debug, thiserror::Error)]
#[error("outbox {id}: {reason}")]
pub struct MappingError {
    pub id: i64,
    pub reason: String,
}

/// The platform command for one outbox row: every operation the desk writes has exactly one
/// command (the match is exhaustive, so a new operation does not compile until it is mapped).
pub fn command_for(row: &OutboxRow) -> Result<Command, MappingError> {
    let op = row.op.clone().map_err(|reason| MappingError { id: row.id, reason })?;
    Ok(match op {
        OutboxOp::UpsertProduct(draft) => Command::UpsertProduct {
            sku: draft.sku.clone(),
            product: ProductUpsert {
                title: draft.name,
                description: draft.selling_points,
                price_fen: draft.price.0,
                stock: draft.stock as i64,
                origin: Some(draft.origin).filter(|o| !o.is_empty()),
            },
        },
        OutboxOp::SetStock { sku, stock } => Command::SetStock { sku, stock },
        OutboxOp::CreateBroadcast { broadcast_id, title, skus } => Command::CreateBroadcast {
            broadcast: BroadcastCreate { id: broadcast_id, title, anchor_id: None, products: skus, scheduled_start_ms: None },
        },
        OutboxOp::SetLineup { broadcast_id, skus } => Command::SetLineup { broadcast_id, products: skus },
        OutboxOp::ListInBag { broadcast_id, sku, live_price_fen } => Command::ListInBag { broadcast_id, sku, live_price_fen },
        OutboxOp::StartBroadcast { broadcast_id } => Command::StartBroadcast { broadcast_id },
        OutboxOp::Pin { broadcast_id, sku } => Command::Pin { broadcast_id, sku },
        OutboxOp::UnlistFromBag { broadcast_id, sku } => Command::UnlistFromBag { broadcast_id, sku },
        OutboxOp::EndBroadcast { broadcast_id } => Command::EndBroadcast { broadcast_id },
        OutboxOp::Reply { broadcast_id, comment_seq, text } => Command::Reply { broadcast_id, reply: ReplyCreate { comment_seq, text } },
        OutboxOp::SetScript { broadcast_id, events } => Command::SetScript {
            broadcast_id,
            script: BroadcastScript {
                events: events
                    .into_iter()
                    .map(|event| match event {
                        ScriptEvent::StockOut { id, after_ms, stock_out_sku } => ScriptedEvent { id, after_ms, kind: ScriptedKind::StockOut { sku: stock_out_sku } },
                        ScriptEvent::Comment { id, after_ms, user, text } => ScriptedEvent { id, after_ms, kind: ScriptedKind::Comment { user, text } },
                    })
                    .collect(),
            },
        },
    })
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
        // Order across entities (a line-up after its products) is the worker's to keep, from
        // each command's `depends_on`: one place decides it.
        let rows = self.with(|store| store.outbox_pending(limit))?;
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
    /// A class's practice shop on the team server: a rehearsal there runs in full (the
    /// server observes it), as on the embedded practice platform.
    #[serde(default)]
    pub practice: bool,
    /// The certificate (PEM) the platform is served with when a public authority did not sign
    /// it (the team server's, for a class's shop). Public, not a secret.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ca_pem: Option<String>,
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

/// Settings → Platform: where the desk syncs to, and whether a secret is kept.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct PlatformView {
    /// `None`: the embedded practice platform.
    pub base_url: Option<String>,
    pub client_id: Option<String>,
    /// The kept secret, masked (first two characters), when one is kept.
    pub secret_masked: Option<String>,
    /// A class's practice shop on the team server.
    pub practice: bool,
}

/// The saved platform as Settings shows it (the secret read from the keyring, masked).
pub fn platform_view(store: &Store) -> Result<PlatformView, anchordesk_core::StoreError> {
    Ok(match platform_settings(store)? {
        None => PlatformView::default(),
        Some(settings) => PlatformView {
            secret_masked: secrets::client_secret(&settings.client_id).ok().flatten().as_deref().map(secrets::masked),
            base_url: Some(settings.base_url),
            client_id: Some(settings.client_id),
            practice: settings.practice,
        },
    })
}

/// Switches the desk to a platform of the team's own (address and client id in the store,
/// a new secret in the OS keyring) or, with a blank address or client id, back to the
/// embedded practice platform. A platform that differs from the last is told the catalog
/// and every broadcast not ended (it has heard of nothing). The caller restarts the link.
pub fn switch_platform(store: &mut Store, base_url: &str, client_id: &str, secret: Option<&str>) -> Result<(), anchordesk_core::UiError> {
    let settings = (!base_url.trim().is_empty() && !client_id.trim().is_empty())
        .then(|| PlatformSettings { base_url: base_url.trim().to_string(), client_id: client_id.trim().to_string(), practice: false, ca_pem: None });
    switch_platform_to(store, settings, secret).map_err(|err| match err {
        SwitchError::Secret(err) => anchordesk_core::UiError::internal(err),
        SwitchError::Store(err) => err.into(),
    })
}

/// Why the platform was not switched.
#[derive(Debug, thiserror::Error)]
pub enum SwitchError {
    #[error(transparent)]
    Secret(#[from] secrets::SecretError),
    #[error(transparent)]
    Store(#[from] anchordesk_core::StoreError),
}

/// [`switch_platform`] with the settings made (a class's practice shop says so).
pub fn switch_platform_to(store: &mut Store, settings: Option<PlatformSettings>, secret: Option<&str>) -> Result<(), SwitchError> {
    if let (Some(settings), Some(secret)) = (&settings, secret.filter(|s| !s.is_empty())) {
        secrets::save_client_secret(&settings.client_id, secret)?;
    }
    let before = platform_settings(store)?;
    save_platform_settings(store, settings.as_ref())?;
    if before.map(|b| b.base_url) != settings.map(|s| s.base_url) {
        store.requeue_for_new_platform()?;
    }
    Ok(())
}
