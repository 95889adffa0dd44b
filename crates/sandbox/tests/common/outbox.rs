//! A SQLite outbox shaped like the desk's: one table, rows written in the caller's
//! transaction, read by the sync worker through `OutboxStore`.

use anchordesk_platform::sync::{Command, Operation, OutboxEntry, OutboxStore, StoreError};
use rusqlite::{Connection, params};
use std::path::Path;
use std::sync::Mutex;

/// The outbox of a test desk.
pub struct SqliteOutbox {
    conn: Mutex<Connection>,
}

/// How many entries are in each state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Counts {
    pub pending: i64,
    pub done: i64,
    pub given_up: i64,
}

impl SqliteOutbox {
    pub fn open(path: &Path) -> rusqlite::Result<SqliteOutbox> {
        let conn = Connection::open(path)?;
        conn.execute_batch(
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=5000;
             CREATE TABLE IF NOT EXISTS outbox (
                 id INTEGER PRIMARY KEY AUTOINCREMENT,
                 entity TEXT NOT NULL,
                 operation TEXT NOT NULL,
                 payload TEXT NOT NULL,
                 created_at_ms INTEGER NOT NULL,
                 state TEXT NOT NULL DEFAULT 'pending',
                 attempts INTEGER NOT NULL DEFAULT 0,
                 retry_at_ms INTEGER,
                 last_error TEXT
             );
             CREATE INDEX IF NOT EXISTS outbox_pending ON outbox (state, id);",
        )?;
        Ok(SqliteOutbox { conn: Mutex::new(conn) })
    }

    /// Appends commands in one transaction, as the desk does with its own change.
    pub fn enqueue(&self, commands: &[Command]) -> rusqlite::Result<()> {
        let mut conn = self.conn.lock().unwrap();
        let tx = conn.transaction()?;
        {
            let mut insert = tx.prepare_cached(
                "INSERT INTO outbox (entity, operation, payload, created_at_ms) VALUES (?1, ?2, ?3, ?4)",
            )?;
            let now = anchordesk_platform::now_ms();
            for command in commands {
                let (operation, payload) = command.into_parts();
                insert.execute(params![command.entity(), operation.as_str(), payload.to_string(), now])?;
            }
        }
        tx.commit()
    }

    pub fn counts(&self) -> rusqlite::Result<Counts> {
        let conn = self.conn.lock().unwrap();
        conn.query_row(
            "SELECT count(CASE WHEN state = 'pending' THEN 1 END), count(CASE WHEN state = 'done' THEN 1 END),
                    count(CASE WHEN state = 'given_up' THEN 1 END) FROM outbox",
            [],
            |row| Ok(Counts { pending: row.get(0)?, done: row.get(1)?, given_up: row.get(2)? }),
        )
    }

    /// Errors of entries given up, for assertion messages.
    pub fn given_up_errors(&self) -> rusqlite::Result<Vec<String>> {
        let conn = self.conn.lock().unwrap();
        let mut statement = conn.prepare("SELECT id || ' ' || operation || ': ' || coalesce(last_error, '') FROM outbox WHERE state = 'given_up'")?;
        statement.query_map([], |row| row.get(0))?.collect()
    }

    /// The id of the newest entry.
    pub fn last_id(&self) -> rusqlite::Result<i64> {
        let conn = self.conn.lock().unwrap();
        conn.query_row("SELECT max(id) FROM outbox", [], |row| row.get(0))
    }

    /// Total failed attempts over all entries.
    pub fn failed_attempts(&self) -> rusqlite::Result<i64> {
        let conn = self.conn.lock().unwrap();
        conn.query_row("SELECT coalesce(sum(attempts), 0) FROM outbox", [], |row| row.get(0))
    }
}

fn store_error(err: rusqlite::Error) -> StoreError {
    StoreError::new(err)
}

impl OutboxStore for SqliteOutbox {
    fn pending(&self, limit: usize) -> Result<Vec<OutboxEntry>, StoreError> {
        let conn = self.conn.lock().unwrap();
        let mut statement = conn
            .prepare_cached(
                "SELECT id, entity, operation, payload, created_at_ms, attempts, retry_at_ms FROM outbox
                 WHERE state = 'pending' ORDER BY id LIMIT ?1",
            )
            .map_err(store_error)?;
        let rows = statement
            .query_map(params![limit as i64], |row| {
                Ok((
                    row.get::<_, i64>(0)?,
                    row.get::<_, String>(1)?,
                    row.get::<_, String>(2)?,
                    row.get::<_, String>(3)?,
                    row.get::<_, i64>(4)?,
                    row.get::<_, u32>(5)?,
                    row.get::<_, Option<i64>>(6)?,
                ))
            })
            .map_err(store_error)?
            .collect::<Result<Vec<_>, _>>()
            .map_err(store_error)?;
        rows.into_iter()
            .map(|(id, entity, operation, payload, created_at_ms, attempts, retry_at_ms)| {
                let operation = Operation::parse(&operation)
                    .ok_or_else(|| StoreError(format!("entry {id}: unknown operation {operation:?}").into()))?;
                let payload = serde_json::from_str(&payload).map_err(StoreError::new)?;
                Ok(OutboxEntry { id, entity, operation, payload, created_at_ms, attempts, retry_at_ms })
            })
            .collect()
    }

    fn mark_done(&self, id: i64) -> Result<(), StoreError> {
        let conn = self.conn.lock().unwrap();
        conn.execute("UPDATE outbox SET state = 'done', last_error = NULL WHERE id = ?1", params![id]).map_err(store_error)?;
        Ok(())
    }

    fn mark_failed(&self, id: i64, error: &str, retry_at_ms: Option<i64>) -> Result<(), StoreError> {
        let conn = self.conn.lock().unwrap();
        let state = if retry_at_ms.is_some() { "pending" } else { "given_up" };
        conn.execute(
            "UPDATE outbox SET state = ?1, attempts = attempts + 1, retry_at_ms = ?2, last_error = ?3 WHERE id = ?4",
            params![state, retry_at_ms, error, id],
        )
        .map_err(store_error)?;
        Ok(())
    }
}
