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
pub mod db;
mod routes;
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
    shutdown_tx: watch::Sender<bool>,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl RunningServer {
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://<addr>`.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Stops accepting, finishes the requests under way and returns.
    pub async fn shutdown(self) -> std::io::Result<()> {
        let _ = self.shutdown_tx.send(true);
        self.task.await.unwrap_or_else(|err| Err(std::io::Error::other(err)))
    }
}

/// Connects, runs the migrations (refusing a database a newer server migrated) and serves.
pub async fn start(config: Config) -> Result<RunningServer, ServerError> {
    if !config.listen.ip().is_loopback() && !config.behind_proxy {
        return Err(ServerError::PlainHttpOutsideLoopback(config.listen));
    }
    let pool = db::connect(&config.database_url)?;
    db::migrate(&pool, &config.database_url).await?;
    let listener = tokio::net::TcpListener::bind(config.listen).await.map_err(|source| ServerError::Listen { addr: config.listen, source })?;
    let addr = listener.local_addr().map_err(|source| ServerError::Listen { addr: config.listen, source })?;
    let (shutdown_tx, mut shutdown_rx) = watch::channel(false);
    let app = routes::router(routes::AppState { pool });
    let task = tokio::spawn(async move {
        axum::serve(listener, app)
            .with_graceful_shutdown(async move {
                let _ = shutdown_rx.wait_for(|stop| *stop).await;
            })
            .await
    });
    tracing::info!("team server on http://{addr}");
    Ok(RunningServer { addr, shutdown_tx, task })
}
