//! The sandbox's own SQLite database: schema, migrations and opening.

use rusqlite::{Connection, OptionalExtension, params};
use std::path::Path;

/// Append-only migrations; `user_version` is the number applied.
const MIGRATIONS: &[&str] = &[r#"
CREATE TABLE shop (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    created_at_ms INTEGER NOT NULL
);
CREATE TABLE client (
    client_id TEXT PRIMARY KEY,
    shop_id TEXT NOT NULL REFERENCES shop(id),
    secret TEXT NOT NULL
);
CREATE TABLE token (
    token TEXT PRIMARY KEY,
    client_id TEXT NOT NULL REFERENCES client(client_id),
    expires_at_ms INTEGER NOT NULL
);
CREATE TABLE anchor (
    shop_id TEXT NOT NULL REFERENCES shop(id),
    id TEXT NOT NULL,
    name TEXT NOT NULL,
    qualifications TEXT NOT NULL,
    PRIMARY KEY (shop_id, id)
);
CREATE TABLE product (
    shop_id TEXT NOT NULL REFERENCES shop(id),
    sku TEXT NOT NULL,
    title TEXT NOT NULL,
    description TEXT NOT NULL,
    price_fen INTEGER NOT NULL,
    stock INTEGER NOT NULL,
    sold INTEGER NOT NULL DEFAULT 0,
    origin TEXT,
    revision INTEGER NOT NULL,
    updated_at_ms INTEGER NOT NULL,
    PRIMARY KEY (shop_id, sku)
);
CREATE TABLE broadcast (
    shop_id TEXT NOT NULL REFERENCES shop(id),
    id TEXT NOT NULL,
    title TEXT NOT NULL,
    anchor_id TEXT,
    status TEXT NOT NULL,
    products TEXT NOT NULL,
    pinned_sku TEXT,
    scheduled_start_ms INTEGER,
    started_at_ms INTEGER,
    ended_at_ms INTEGER,
    stream_key TEXT,
    PRIMARY KEY (shop_id, id)
);
CREATE TABLE bag_item (
    shop_id TEXT NOT NULL,
    broadcast_id TEXT NOT NULL,
    sku TEXT NOT NULL,
    live_price_fen INTEGER NOT NULL,
    position INTEGER NOT NULL,
    PRIMARY KEY (shop_id, broadcast_id, sku)
);
CREATE TABLE coupon (
    shop_id TEXT NOT NULL,
    broadcast_id TEXT NOT NULL,
    id TEXT NOT NULL,
    title TEXT NOT NULL,
    discount_fen INTEGER NOT NULL,
    threshold_fen INTEGER NOT NULL,
    quantity INTEGER NOT NULL,
    claimed INTEGER NOT NULL DEFAULT 0,
    sku TEXT,
    position INTEGER NOT NULL,
    PRIMARY KEY (shop_id, broadcast_id, id)
);
CREATE TABLE event (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    shop_id TEXT NOT NULL,
    broadcast_id TEXT NOT NULL,
    at_ms INTEGER NOT NULL,
    kind TEXT NOT NULL,
    body TEXT NOT NULL
);
CREATE INDEX event_by_broadcast ON event (shop_id, broadcast_id, seq);
CREATE TABLE orders (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    shop_id TEXT NOT NULL,
    broadcast_id TEXT NOT NULL,
    sku TEXT NOT NULL,
    quantity INTEGER NOT NULL,
    amount_fen INTEGER NOT NULL,
    buyer TEXT NOT NULL,
    created_at_ms INTEGER NOT NULL
);
CREATE INDEX orders_by_broadcast ON orders (shop_id, broadcast_id, seq);
CREATE TABLE audience (
    shop_id TEXT NOT NULL,
    broadcast_id TEXT NOT NULL,
    state TEXT NOT NULL,
    PRIMARY KEY (shop_id, broadcast_id)
);
CREATE TABLE idempotency (
    shop_id TEXT NOT NULL,
    key TEXT NOT NULL,
    method TEXT NOT NULL,
    path TEXT NOT NULL,
    body_hash TEXT NOT NULL,
    status INTEGER NOT NULL,
    response TEXT NOT NULL,
    created_at_ms INTEGER NOT NULL,
    PRIMARY KEY (shop_id, key)
);
"#, r#"
ALTER TABLE orders ADD COLUMN coupon_id TEXT;
"#, r#"
CREATE TABLE scripted_event (
    shop_id TEXT NOT NULL,
    broadcast_id TEXT NOT NULL,
    id TEXT NOT NULL,
    -- Place in the current script; NULL for a fired event that a later script left out.
    position INTEGER,
    after_ms INTEGER NOT NULL,
    -- A ScriptedKind as JSON.
    kind TEXT NOT NULL,
    fired_at_ms INTEGER,
    fired_seq INTEGER,
    PRIMARY KEY (shop_id, broadcast_id, id)
);
CREATE INDEX event_by_kind ON event (shop_id, broadcast_id, kind, seq);
"#, r#"
-- Nonces of signed requests seen within the skew window: one seen again is a replay.
CREATE TABLE seen_nonce (
    shop_id TEXT NOT NULL,
    nonce TEXT NOT NULL,
    expires_at_ms INTEGER NOT NULL,
    PRIMARY KEY (shop_id, nonce)
);
CREATE INDEX seen_nonce_expiry ON seen_nonce (expires_at_ms);
"#];

/// Why the database could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    /// SQLite failed.
    #[error("sandbox database {path}: {source}")]
    Sqlite {
        /// The file.
        path: String,
        /// The SQLite error.
        source: rusqlite::Error,
    },
    /// A newer build wrote this database.
    #[error("sandbox database {path} has schema version {found}, newer than this build's {supported}; update AnchorDesk")]
    TooNew {
        /// The file.
        path: String,
        /// Its `user_version`.
        found: i64,
        /// The newest this build knows.
        supported: i64,
    },
}

/// Opens (creating if needed) and migrates the database at `path`.
pub fn open(path: &Path) -> Result<Connection, DbError> {
    let name = path.display().to_string();
    let sqlite = |source| DbError::Sqlite { path: name.clone(), source };
    let mut conn = Connection::open(path).map_err(sqlite)?;
    let found: i64 = conn.query_row("PRAGMA user_version", [], |row| row.get(0)).map_err(sqlite)?;
    let supported = MIGRATIONS.len() as i64;
    if found > supported {
        return Err(DbError::TooNew { path: name, found, supported });
    }
    conn.execute_batch("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON; PRAGMA busy_timeout=5000;")
        .map_err(sqlite)?;
    let tx = conn.transaction().map_err(sqlite)?;
    for (idx, migration) in MIGRATIONS.iter().enumerate().skip(found as usize) {
        tx.execute_batch(migration).map_err(sqlite)?;
        tx.pragma_update(None, "user_version", idx as i64 + 1).map_err(sqlite)?;
    }
    tx.commit().map_err(sqlite)?;
    Ok(conn)
}

/// Creates the shop and client if the client id is new; returns the shop id.
pub fn ensure_shop(conn: &Connection, shop_id: &str, name: &str, client_id: &str, secret: &str, now_ms: i64) -> rusqlite::Result<String> {
    let existing: Option<String> =
        conn.query_row("SELECT shop_id FROM client WHERE client_id = ?1", params![client_id], |row| row.get(0)).optional()?;
    if let Some(shop_id) = existing {
        return Ok(shop_id);
    }
    conn.execute("INSERT OR IGNORE INTO shop (id, name, created_at_ms) VALUES (?1, ?2, ?3)", params![shop_id, name, now_ms])?;
    conn.execute("INSERT INTO client (client_id, shop_id, secret) VALUES (?1, ?2, ?3)", params![client_id, shop_id, secret])?;
    Ok(shop_id.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_database_from_a_newer_build_is_refused_and_left_alone() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sandbox.sqlite3");
        drop(open(&path).unwrap());
        Connection::open(&path).unwrap().pragma_update(None, "user_version", 99).unwrap();
        match open(&path) {
            Err(DbError::TooNew { found: 99, supported, .. }) => assert_eq!(supported, MIGRATIONS.len() as i64),
            other => panic!("expected TooNew, got {other:?}"),
        }
        let version: i64 = Connection::open(&path).unwrap().query_row("PRAGMA user_version", [], |row| row.get(0)).unwrap();
        assert_eq!(version, 99);
    }

    #[test]
    fn a_first_version_database_gains_the_later_columns() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sandbox.sqlite3");
        {
            let conn = Connection::open(&path).unwrap();
            conn.execute_batch(MIGRATIONS[0]).unwrap();
            conn.pragma_update(None, "user_version", 1).unwrap();
        }
        let conn = open(&path).unwrap();
        let version: i64 = conn.query_row("PRAGMA user_version", [], |row| row.get(0)).unwrap();
        assert_eq!(version, MIGRATIONS.len() as i64);
        conn.execute("UPDATE orders SET coupon_id = NULL", []).unwrap();
        conn.execute("DELETE FROM scripted_event WHERE fired_at_ms IS NULL", []).unwrap();
    }
}
