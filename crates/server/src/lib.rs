//! The team server (团队服务器): an MCN's rooms, a county's farmer anchors or a college's
//! classes share one catalog through a self-hosted server on PostgreSQL, while each desk
//! stays offline-first.
//!
//! This crate holds organisations and their members with one role each (owner, 运营
//! operator, 主播 anchor, 场控 controller, 助播 assistant, teacher, student), sessions as
//! opaque tokens stored hashed, the shared catalog with a version per product, the change
//! feed desks pull by sequence (not by wall clock), idempotent writes and an audit log of
//! who changed what. Every route checks the caller's organisation (another organisation's
//! data is 404, never 403, so it does not even confirm what exists) and role.
//!
//! ```text
//!  desk / browser ──HTTP (JSON)──▶ routes ──▶ deadpool ──▶ PostgreSQL (migrations in migrations/)
//!                  Bearer token      │
//!                                    └─ auth: argon2 passwords, sha256(token) sessions
//! ```

pub mod admin;
pub mod auth;
pub mod cli;
pub mod course;
pub mod db;
mod plan;
mod routes;
mod tls;
mod web;
#[cfg(feature = "testkit")]
pub mod testkit;

use std::net::SocketAddr;
use tokio::sync::watch;

/// How the server runs.
#[derive(Clone, Debug)]
pub struct Config {
    /// `postgres://user@host:port/db`.
    pub database_url: String,
    pub listen: SocketAddr,
    /// Plain HTTP on a non-loopback address is allowed only behind a TLS-terminating proxy
    /// (the passwords and tokens would travel in clear otherwise).
    pub behind_proxy: bool,
    /// Serve HTTPS with this certificate chain and key (PEM files), on any address.
    pub tls: Option<TlsFiles>,
    /// Where the classes' practice shops keep their databases (`classes/<room id>/`);
    /// `None` for [`default_data_dir`].
    pub data_dir: Option<std::path::PathBuf>,
}

/// `$XDG_STATE_HOME/anchordesk-server`, else `~/.local/state/anchordesk-server`, else
/// `./anchordesk-server-data`.
pub fn default_data_dir() -> std::path::PathBuf {
    let state = std::env::var_os("XDG_STATE_HOME").filter(|v| !v.is_empty()).map(std::path::PathBuf::from);
    let home = std::env::var_os("HOME").filter(|v| !v.is_empty()).map(|home| std::path::PathBuf::from(home).join(".local/state"));
    state.or(home).map_or_else(|| std::path::PathBuf::from("anchordesk-server-data"), |dir| dir.join("anchordesk-server"))
}

/// The server's certificate chain and private key, PEM files (`--tls-cert`, `--tls-key`).
#[derive(Clone, Debug)]
pub struct TlsFiles {
    pub cert: std::path::PathBuf,
    pub key: std::path::PathBuf,
}

/// Why the server could not start or a request failed inside it.
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    #[error("the database {url} was migrated by a newer server (schema {found}, this server knows up to {supported}); upgrade the server, never the other way round")]
    NewerSchema { url: String, found: i64, supported: i64 },
    #[error("cannot reach the database: {0}")]
    Database(String),
    #[error("{0} is not a loopback address: serve plain HTTP there only behind a TLS-terminating proxy (--behind-proxy), or listen on 127.0.0.1")]
    PlainHttpOutsideLoopback(SocketAddr),
    #[error("cannot listen on {addr}: {source}")]
    Listen { addr: SocketAddr, source: std::io::Error },
    #[error("{0}")]
    Invalid(String),
    #[error("cannot use the TLS certificate or key: {0} (give --tls-cert a PEM certificate chain, server certificate first, and --tls-key its PEM private key)")]
    Tls(String),
}

impl From<tokio_postgres::Error> for ServerError {
    fn from(err: tokio_postgres::Error) -> ServerError {
        ServerError::Database(err.to_string())
    }
}

impl From<deadpool_postgres::PoolError> for ServerError {
    fn from(err: deadpool_postgres::PoolError) -> ServerError {
        ServerError::Database(err.to_string())
    }
}

/// A server that is running; [`RunningServer::shutdown`] stops it.
pub struct RunningServer {
    addr: SocketAddr,
    https: bool,
    shutdown_tx: watch::Sender<bool>,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
    shops: std::sync::Arc<course::Shops>,
}

impl RunningServer {
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://<addr>`, or `https://<addr>` with TLS.
    pub fn base_url(&self) -> String {
        format!("{}://{}", if self.https { "https" } else { "http" }, self.addr)
    }

    /// Stops accepting, finishes the requests under way and returns.
    pub async fn shutdown(self) -> std::io::Result<()> {
        let _ = self.shutdown_tx.send(true);
        self.shops.shutdown();
        self.task.await.unwrap_or_else(|err| Err(std::io::Error::other(err)))
    }
}

/// Connects, runs the migrations (refusing a database a newer server migrated) and serves.
pub async fn start(config: Config) -> Result<RunningServer, ServerError> {
    if !config.listen.ip().is_loopback() && !config.behind_proxy && config.tls.is_none() {
        return Err(ServerError::PlainHttpOutsideLoopback(config.listen));
    }
    // The certificate is read before anything else, so a wrong path fails at once.
    let acceptor = config.tls.as_ref().map(tls::acceptor).transpose()?;
    let pool = db::connect(&config.database_url)?;
    db::migrate(&pool, &config.database_url).await?;
    let listener = tokio::net::TcpListener::bind(config.listen).await.map_err(|source| ServerError::Listen { addr: config.listen, source })?;
    let addr = listener.local_addr().map_err(|source| ServerError::Listen { addr: config.listen, source })?;
    let (shutdown_tx, mut shutdown_rx) = watch::channel(false);
    let shops = std::sync::Arc::new(course::Shops::new(config.data_dir.clone().unwrap_or_else(default_data_dir)));
    let app = routes::router(routes::AppState { pool, secure_cookies: config.tls.is_some() || config.behind_proxy, shops: shops.clone() });
    let https = acceptor.is_some();
    let task = match acceptor {
        None => tokio::spawn(async move {
            axum::serve(listener, app)
                .with_graceful_shutdown(async move {
                    let _ = shutdown_rx.wait_for(|stop| *stop).await;
                })
                .await
        }),
        Some(acceptor) => tokio::spawn(tls::serve(listener, acceptor, app, shutdown_rx)),
    };
    tracing::info!("team server on {}://{addr}", if https { "https" } else { "http" });
    Ok(RunningServer { addr, https, shutdown_tx, task, shops })
}
