//! The platform contract of AnchorDesk (主播工作台): how the desk talks to a live-commerce
//! platform.
//!
//! Real platforms' live-commerce APIs are closed, so AnchorDesk defines one open contract
//! and keeps every platform behind the [`Platform`] trait. This crate holds:
//!
//! - [`types`]: the request and response bodies of the contract (serde, utoipa schemas,
//!   and `specta::Type` behind the `specta` feature);
//! - [`routes`] and [`openapi`]: the route table and the OpenAPI 3.1 document generated
//!   from it and from the types (committed as `crates/platform/openapi.json`);
//! - [`sign`]: request signing (HMAC-SHA256 over method, path, timestamp and body hash);
//! - [`Client`]: the HTTP client of the open contract (OAuth2 client credentials, signing,
//!   an `Idempotency-Key` on every write, retries with full jitter that honour
//!   `Retry-After`, RFC 9457 problem details as errors);
//! - [`Platform`] and [`ContractClient`]: the adapter trait and its first implementation;
//! - [`sync`]: the worker that drains the desk's outbox through a [`Platform`];
//! - [`pull`]: cursored, resumable pulls of events and orders;
//! - [`probe`]: the upload-speed probe of the go-live preflight.
//!
//! The main design choice: the desk names every entity itself (a product by its SKU, a
//! broadcast by the desk's id), so each outbox entry can be sent on its own, in any
//! process, after any crash, and the entry's id is enough to make the send idempotent.
//!
//! Wiring the desk to a platform: the desk implements [`sync::OutboxStore`] over its own
//! database and runs one [`sync::SyncWorker`]:
//!
//! ```no_run
//! use anchordesk_platform::sync::{OutboxStore, SyncConfig, SyncWorker};
//! use anchordesk_platform::{ClientConfig, Platform, ContractClient};
//! use std::sync::Arc;
//!
//! # async fn wire(store: Arc<dyn OutboxStore>) -> Result<(), anchordesk_platform::PlatformError> {
//! let config = ClientConfig::new("http://127.0.0.1:8787", "demo-desk", "secret from the keyring");
//! let platform: Arc<dyn Platform> = Arc::new(ContractClient::new(config)?);
//! println!("connected to {}", platform.shop().await?.name); // "test connection"
//! let sync = SyncConfig { key_prefix: "desk-7f3a-".into(), ..SyncConfig::default() };
//! let worker = SyncWorker::new(platform, store, sync);
//! let handle = worker.handle(); // wake() after each commit, status() for the badge
//! let (stop, shutdown) = tokio::sync::watch::channel(false);
//! tokio::spawn(worker.run(shutdown));
//! handle.wake();
//! # let _ = stop;
//! # Ok(()) }
//! ```
#![deny(missing_docs)]

pub mod adapter;
pub mod client;
pub mod error;
pub mod openapi;
pub mod probe;
pub mod pull;
pub mod routes;
pub mod sign;
pub mod sync;
pub mod types;

pub use adapter::{BoxFuture, Platform, ContractClient};
pub use client::{Client, ClientConfig, RetryPolicy};
pub use error::PlatformError;
pub use probe::measure_upload_kbps;
pub use types::*;

/// The current time as milliseconds since the Unix epoch.
pub fn now_ms() -> i64 {
    let since = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("the system clock is after 1970");
    since.as_millis() as i64
}

#[cfg(test)]
mod send_sync {
    fn assert_send_sync<T: Send + Sync>() {}

    /// The app keeps these in Tauri state and moves them across tasks.
    #[test]
    fn public_handles_are_send_and_sync() {
        assert_send_sync::<crate::Client>();
        assert_send_sync::<crate::ContractClient>();
        assert_send_sync::<std::sync::Arc<dyn crate::Platform>>();
        assert_send_sync::<crate::sync::SyncWorker>();
        assert_send_sync::<crate::sync::SyncHandle>();
        assert_send_sync::<crate::PlatformError>();
        assert_send_sync::<crate::sync::StoreError>();
    }
}
