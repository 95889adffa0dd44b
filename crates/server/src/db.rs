//! The database: a pool of connections, and the migrations, run at start in order, each in
//! one transaction under an advisory lock (two servers starting at once migrate once).

use crate::ServerError;
use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod};
use std::str::FromStr;

/// The migrations, in order; the schema version is how many have run.
pub const MIGRATIONS: &[&str] = &[include_str!("../migrations/001_tenancy.sql"), include_str!("../migrations/002_shared_documents.sql"), include_str!("../migrations/003_rooms.sql"), include_str!("../migrations/004_courses.sql")];

/// The lock key migrations hold (any constant shared by every server of this kind).
const MIGRATION_LOCK: i64 = 0x_4144_5345_5256; // "ADSERV"

/// How long a request waits for a free connection of the pool.
pub const POOL_WAIT: std::time::Duration = std::time::Duration::from_secs(10);
/// How long opening (or checking) one connection may take.
pub const CONNECT_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(5);

/// A pool of up to 16 connections to `url`.
pub fn connect(url: &str) -> Result<Pool, ServerError> {
    let config = tokio_postgres::Config::from_str(url).map_err(|err| ServerError::Invalid(format!("the database URL: {err}")))?;
    let manager = Manager::from_config(config, tokio_postgres::NoTls, ManagerConfig { recycling_method: RecyclingMethod::Fast });
    // No request waits for ever: a database that stops answering, or a pool worn out by slow
    // requests, gives the caller a 503 ("try again") after these limits.
    Pool::builder(manager)
        .max_size(16)
        .runtime(deadpool_postgres::Runtime::Tokio1)
        .wait_timeout(Some(POOL_WAIT))
        .create_timeout(Some(CONNECT_TIMEOUT))
        .recycle_timeout(Some(CONNECT_TIMEOUT))
        .build()
        .map_err(|err| ServerError::Database(err.to_string()))
}

/// Runs the migrations not yet run; refuses a database whose schema is newer than this
/// server (it is left untouched).
pub async fn migrate(pool: &Pool, url: &str) -> Result<(), ServerError> {
    let mut client = pool.get().await?;
    let tx = client.transaction().await?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK]).await?;
    tx.batch_execute("CREATE TABLE IF NOT EXISTS schema_version (version BIGINT NOT NULL)").await?;
    let found: i64 = tx.query_one("SELECT coalesce(max(version), 0) FROM schema_version", &[]).await?.get(0);
    let supported = MIGRATIONS.len() as i64;
    if found > supported {
        return Err(ServerError::NewerSchema { url: redact(url), found, supported });
    }
    for (index, sql) in MIGRATIONS.iter().enumerate().skip(found as usize) {
        tx.batch_execute(sql).await?;
        tx.execute("INSERT INTO schema_version (version) VALUES ($1)", &[&(index as i64 + 1)]).await?;
        tracing::info!("database migrated to schema {}", index + 1);
    }
    tx.commit().await?;
    Ok(())
}

/// The URL without its password, for messages.
fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let userinfo = &url[scheme + 3..at];
            let user = userinfo.split(':').next().unwrap_or_default();
            format!("{}{user}{}", &url[..scheme + 3], &url[at..])
        }
        _ => url.to_string(),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_password_never_reaches_a_message() {
        assert_eq!(super::redact("postgres://desk:s3cret@db:5432/team"), "postgres://desk@db:5432/team");
        assert_eq!(super::redact("postgres://desk@db/team"), "postgres://desk@db/team");
    }
}
