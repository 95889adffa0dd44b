//! The AnchorDesk platform sandbox: a real HTTP server that implements the open platform
//! contract of `anchordesk-platform`, the default platform of the desk, of every test and
//! of courses' practice shops.
//!
//! The main design choice: everything a client can observe lives in the sandbox's own
//! SQLite database, and every write runs in one transaction together with its
//! idempotency record. A write is therefore applied exactly once however often it is
//! sent, even when the process is killed between applying it and answering, and the
//! sandbox restarts with exactly the state it acknowledged.
//!
//! Around that sit the parts that make it a platform rather than a test double: OAuth2
//! client credentials and request signatures ([`anchordesk_platform::sign`]), rate limits
//! with `429` and `Retry-After`, a simulated audience while a broadcast is live
//! ([`audience`]), practice scenarios whose scripted comments and stock-outs fire once
//! at set times after going live (`script`), and fault switches (latency, 500s, 429
//! storms, dropped connections, clock skew) set through `PUT /admin/faults`.
//!
//! ```no_run
//! # async fn demo() -> Result<(), anchordesk_sandbox::SandboxError> {
//! let config = anchordesk_sandbox::Config::new("/tmp/anchordesk-sandbox");
//! let running = anchordesk_sandbox::Sandbox::start(config).await?;
//! println!("serving {}", running.base_url());
//! running.shutdown().await?;
//! # Ok(()) }
//! ```

pub mod audience;
mod api;
mod db;
mod observe;
mod page;
mod script;
mod server;

pub use db::DbError;
pub use observe::{ObservedBroadcast, ObservedPrice, ObservedReply, ObservedSales, ObservedScripted};

use anchordesk_platform::FaultSettings;
use rusqlite::OptionalExtension;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;

/// Client id of the demo shop created on first start.
pub const DEMO_CLIENT_ID: &str = "demo-desk";
/// Client secret of the demo shop. The sandbox is a practice platform on loopback.
pub const DEMO_CLIENT_SECRET: &str = "demo-secret-for-the-practice-shop";
/// Shop id of the demo shop.
pub const DEMO_SHOP_ID: &str = "demo";

/// A token-bucket rate limit per bearer token.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RateLimit {
    /// Requests per second, sustained.
    pub per_second: f64,
    /// Requests allowed in a burst.
    pub burst: f64,
}

/// How to run a sandbox.
#[derive(Debug, Clone)]
pub struct Config {
    /// Address to bind; port 0 picks a free port. Loopback unless you mean it.
    pub addr: SocketAddr,
    /// Directory of the database (`sandbox.sqlite3`), created if missing.
    pub data_dir: PathBuf,
    /// Seed of the simulated audience.
    pub seed: u64,
    /// Interval of the audience simulation while a broadcast is live; `None` advances it
    /// only through `POST /admin/broadcasts/{id}/tick` (deterministic runs).
    pub audience_tick: Option<Duration>,
    /// Rate limit per token; `None` for none.
    pub rate_limit: Option<RateLimit>,
    /// RTMP ingest URL handed out when a broadcast starts.
    pub ingest_url: String,
    /// Lifetime of bearer tokens.
    pub token_ttl: Duration,
    /// Fault switches at start.
    pub faults: FaultSettings,
    /// The credential of the admin routes (faults, shops, ticks), sent as
    /// `x-ad-admin-token`; `None` makes a random one at start (see
    /// [`RunningSandbox::admin_token`]).
    pub admin_token: Option<String>,
}

pub use anchordesk_platform::routes::ADMIN_TOKEN_HEADER;

impl Config {
    /// Defaults: 127.0.0.1:8787, seed 0, a tick a second, 100 requests/s (burst 200).
    pub fn new(data_dir: impl Into<PathBuf>) -> Config {
        Config {
            addr: SocketAddr::from(([127, 0, 0, 1], 8787)),
            data_dir: data_dir.into(),
            seed: 0,
            audience_tick: Some(Duration::from_secs(1)),
            rate_limit: Some(RateLimit { per_second: 100.0, burst: 200.0 }),
            ingest_url: "rtmp://127.0.0.1:1935/live".to_owned(),
            token_ttl: Duration::from_secs(3600),
            faults: FaultSettings::default(),
            admin_token: None,
        }
    }
}

/// Why the sandbox could not start or stop cleanly.
#[derive(Debug, thiserror::Error)]
pub enum SandboxError {
    /// The data directory could not be created.
    #[error("creating the sandbox data directory {path}: {source}")]
    DataDir {
        /// The directory.
        path: String,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The database could not be opened.
    #[error(transparent)]
    Db(#[from] DbError),
    /// Seeding the demo shop failed.
    #[error("creating the demo shop: {0}")]
    Seed(rusqlite::Error),
    /// The address could not be bound.
    #[error("binding {addr}: {source}")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The server stopped with an error.
    #[error("serving: {0}")]
    Serve(std::io::Error),
}

/// The sandbox server.
pub struct Sandbox;

impl Sandbox {
    /// Opens the database, binds `config.addr` and serves in a background task.
    pub async fn start(config: Config) -> Result<RunningSandbox, SandboxError> {
        let addr = config.addr;
        let mounted = Sandbox::mount(config)?;
        db::ensure_shop(&mounted.state.db_now(), DEMO_SHOP_ID, "助农示范店 (demo)", DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, anchordesk_platform::now_ms())
            .map_err(SandboxError::Seed)?;
        let listener = tokio::net::TcpListener::bind(addr).await.map_err(|source| SandboxError::Bind { addr, source })?;
        let addr = listener.local_addr().map_err(|source| SandboxError::Bind { addr, source })?;
        let router = mounted.router();
        let mut signal = mounted.shutdown_tx.subscribe();
        let server = tokio::spawn(async move {
            axum::serve(listener, router)
                .with_graceful_shutdown(async move {
                    let _ = signal.wait_for(|stop| *stop).await;
                })
                .await
        });
        tracing::info!(%addr, "sandbox serving");
        Ok(RunningSandbox { addr, mounted, server })
    }

    /// Opens the database and resumes live broadcasts, without binding: for a server that
    /// serves the contract under its own address (the team server mounts one per class).
    /// Must be called inside a Tokio runtime (the audience and script clocks are tasks).
    pub fn mount(mut config: Config) -> Result<MountedSandbox, SandboxError> {
        if config.admin_token.as_deref().is_none_or(str::is_empty) {
            config.admin_token = Some(format!("{:016x}{:016x}", fastrand::u64(..), fastrand::u64(..)));
        }
        std::fs::create_dir_all(&config.data_dir)
            .map_err(|source| SandboxError::DataDir { path: config.data_dir.display().to_string(), source })?;
        let conn = db::open(&config.data_dir.join("sandbox.sqlite3"))?;
        let (shutdown_tx, shutdown_rx) = watch::channel(false);
        let state = server::AppState::new(config, conn, shutdown_rx);
        state.resume_live_broadcasts();
        Ok(MountedSandbox { state, shutdown_tx })
    }
}

/// Client credentials of a shop.
#[derive(Clone, PartialEq, Eq)]
pub struct ShopCredentials {
    /// The shop's id.
    pub shop_id: String,
    /// The OAuth client id.
    pub client_id: String,
    /// The client secret (HMAC key of request signatures).
    pub client_secret: String,
}

impl std::fmt::Debug for ShopCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ShopCredentials").field("shop_id", &self.shop_id).field("client_id", &self.client_id).field("client_secret", &"***").finish()
    }
}

/// A sandbox's state and routes, served by whoever holds it.
pub struct MountedSandbox {
    state: Arc<server::AppState>,
    shutdown_tx: watch::Sender<bool>,
}

impl MountedSandbox {
    /// The contract's routes at the root (`/oauth/token`, `/v1/...`): nest or forward to it
    /// with the prefix taken off, since requests are signed over the path below the base URL.
    pub fn router(&self) -> axum::Router {
        server::router(self.state.clone())
    }

    /// The shop `shop_id` with one client, created with a random secret on first call; later
    /// calls return the same credentials. A quick SQLite write: call it off the async threads
    /// if that matters to you.
    pub fn ensure_shop(&self, shop_id: &str, name: &str) -> Result<ShopCredentials, DbError> {
        let conn = self.state.db_now();
        let sqlite = |source| DbError::Sqlite { path: self.state.config.data_dir.display().to_string(), source };
        let existing: Option<(String, String)> = conn
            .query_row("SELECT client_id, secret FROM client WHERE shop_id = ?1 ORDER BY rowid LIMIT 1", [shop_id], |row| Ok((row.get(0)?, row.get(1)?)))
            .optional()
            .map_err(sqlite)?;
        let (client_id, client_secret) = match existing {
            Some(found) => found,
            None => {
                // From the operating system's random source (UUID v4): a client id nobody can
                // guess (so nobody can lock it out) and a secret nobody can derive.
                let random = || uuid::Uuid::new_v4().simple().to_string();
                let (client_id, secret) = (format!("shop-{}", random()), format!("{}{}", random(), random()));
                db::ensure_shop(&conn, shop_id, name, &client_id, &secret, anchordesk_platform::now_ms()).map_err(sqlite)?;
                (client_id, secret)
            }
        };
        Ok(ShopCredentials { shop_id: shop_id.to_owned(), client_id, client_secret })
    }

    /// Revokes the shop's clients and their tokens (a student who left the class): its
    /// records stay, nobody signs in to it any more until [`MountedSandbox::ensure_shop`]
    /// makes it new credentials.
    pub fn revoke_shop(&self, shop_id: &str) -> Result<(), DbError> {
        let conn = self.state.db_now();
        let sqlite = |source| DbError::Sqlite { path: self.state.config.data_dir.display().to_string(), source };
        conn.execute("DELETE FROM token WHERE client_id IN (SELECT client_id FROM client WHERE shop_id = ?1)", [shop_id]).map_err(sqlite)?;
        conn.execute("DELETE FROM client WHERE shop_id = ?1", [shop_id]).map_err(sqlite)?;
        Ok(())
    }

    /// What the shop recorded of one of its broadcasts; `None` when it has no such broadcast.
    pub fn observe(&self, shop_id: &str, broadcast_id: &str) -> Result<Option<ObservedBroadcast>, DbError> {
        observe::observe(&self.state.db_now(), shop_id, broadcast_id)
            .map_err(|source| DbError::Sqlite { path: self.state.config.data_dir.display().to_string(), source })
    }

    /// Stops the audience and script clocks and ends open event streams.
    pub fn shutdown(&self) {
        let _ = self.shutdown_tx.send(true);
        self.state.stop_tickers();
    }
}

/// A sandbox serving in the background. Dropping it without [`RunningSandbox::shutdown`]
/// leaves the server running until the runtime stops.
pub struct RunningSandbox {
    addr: SocketAddr,
    mounted: MountedSandbox,
    server: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl RunningSandbox {
    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://<addr>`.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The admin routes' credential (header [`ADMIN_TOKEN_HEADER`]).
    pub fn admin_token(&self) -> &str {
        self.mounted.state.config.admin_token.as_deref().unwrap_or_default()
    }

    /// Replaces the fault switches (what `PUT /admin/faults` does).
    pub fn set_faults(&self, faults: FaultSettings) {
        self.mounted.state.set_faults(faults);
    }

    /// How many faults (dropped connections, 500s, 429s) were injected so far.
    pub fn injected_faults(&self) -> u64 {
        self.mounted.state.injected.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Waits until the server stops (after [`RunningSandbox::trigger_shutdown`] or a failure).
    pub async fn wait(self) -> Result<(), SandboxError> {
        match self.server.await {
            Ok(result) => result.map_err(SandboxError::Serve),
            Err(join) => Err(SandboxError::Serve(std::io::Error::other(join.to_string()))),
        }
    }

    /// Asks the server to stop: no new connections, open requests and event streams end.
    pub fn trigger_shutdown(&self) {
        let _ = self.mounted.shutdown_tx.send(true);
    }

    /// Stops gracefully and waits for it.
    pub async fn shutdown(self) -> Result<(), SandboxError> {
        self.mounted.shutdown();
        self.wait().await
    }
}

/// Waits for Ctrl+C, or SIGTERM on Unix: what a binary serving the sandbox stops on.
pub async fn stop_signal() -> std::io::Result<()> {
    #[cfg(unix)]
    {
        let mut terminate = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
        tokio::select! {
            result = tokio::signal::ctrl_c() => result,
            _ = terminate.recv() => Ok(()),
        }
    }
    #[cfg(not(unix))]
    {
        tokio::signal::ctrl_c().await
    }
}

#[cfg(test)]
mod send_sync {
    fn assert_send_sync<T: Send + Sync>() {}

    /// The app keeps the embedded sandbox in Tauri state.
    #[test]
    fn running_sandbox_is_send_and_sync() {
        assert_send_sync::<super::RunningSandbox>();
        assert_send_sync::<super::Config>();
        assert_send_sync::<super::SandboxError>();
    }
}
