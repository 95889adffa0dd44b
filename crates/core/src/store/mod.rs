//! The SQLite store: one connection, WAL, foreign keys, append-only migrations.

mod anchors;
mod archive_job;
mod broadcasts;
mod compliance;
mod live;
mod outbox;
mod plan;
mod products;
mod team;
pub use team::CatalogChange;
mod room;
mod scenes;
pub use scenes::StoredScene;
mod course;
pub use course::CourseAttempt;
pub use room::{ANNOUNCEMENT, CAPTION};

pub use outbox::{
    CREATE_BROADCAST, END_BROADCAST, LIST_IN_BAG, OutboxCounts, OutboxOp, OutboxRow, OutboxState, PIN, ScriptEvent, REPLY, SET_LINEUP, SET_SCRIPT, SET_STOCK, START_BROADCAST, UNLIST_FROM_BAG, UPSERT_PRODUCT,
    platform_broadcast_id,
};
pub use products::Upserted;

use crate::error::StoreError;
use rusqlite::{Connection, OptionalExtension, params};
use rusqlite_migration::{M, Migrations};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::LazyLock;

/// The schema's migrations, numbered by position. Append only: never edit a released one.
const MIGRATION_SQL: &[&str] = &[
    include_str!("../../migrations/001_catalog.sql"),
    include_str!("../../migrations/002_settings.sql"),
    include_str!("../../migrations/003_plan.sql"),
    include_str!("../../migrations/004_claims.sql"),
    include_str!("../../migrations/005_live.sql"),
    include_str!("../../migrations/006_session_duration.sql"),
    include_str!("../../migrations/007_outbox.sql"),
    include_str!("../../migrations/008_room.sql"),
    include_str!("../../migrations/009_course.sql"),
    include_str!("../../migrations/010_after_sales.sql"),
    include_str!("../../migrations/011_category.sql"),
    include_str!("../../migrations/012_live_state.sql"),
    include_str!("../../migrations/013_archive_job.sql"),
    include_str!("../../migrations/014_retired_sku.sql"),
    include_str!("../../migrations/015_scene.sql"),
    include_str!("../../migrations/016_broadcast_scene.sql"),
    include_str!("../../migrations/017_phone_muted.sql"),
];

static MIGRATIONS: LazyLock<Migrations<'static>> =
    LazyLock::new(|| Migrations::new(MIGRATION_SQL.iter().map(|sql| M::up(sql)).collect()));

/// The schema version this build writes.
pub const SCHEMA_VERSION: i64 = MIGRATION_SQL.len() as i64;

/// The database file's name inside the data directory.
pub const DB_FILE_NAME: &str = "anchordesk.sqlite3";

/// The application's database. Owns its connection; share it behind a mutex or an owner task.
pub struct Store {
    conn: Connection,
    path: PathBuf,
    /// The latest moment a product was written at (Unix ns): see [`Store::product_now`].
    product_clock: std::sync::atomic::AtomicI64,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").field("path", &self.path).finish()
    }
}

impl Store {
    /// Opens (or creates) the database at `path` and brings its schema up to date.
    ///
    /// Errors, without writing a byte to the file: [`StoreError::NotADatabase`] when the
    /// file exists but is not SQLite, [`StoreError::NewerSchema`] when a newer build wrote it.
    pub fn open(path: &Path) -> Result<Store, StoreError> {
        refuse_foreign_file(path)?;
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|source| StoreError::Io { path: dir.to_path_buf(), source })?;
        }
        let conn = Connection::open(path)?;
        // Read the version before any pragma that writes (journal_mode=WAL does).
        let found: i64 = conn.query_row("PRAGMA user_version", [], |row| row.get(0)).map_err(|err| {
            if is_not_a_database(&err) {
                StoreError::NotADatabase { path: path.to_path_buf() }
            } else {
                StoreError::Sqlite(err)
            }
        })?;
        if found > SCHEMA_VERSION {
            return Err(StoreError::NewerSchema { path: path.to_path_buf(), found, supported: SCHEMA_VERSION });
        }
        Self::configure_and_migrate(conn, path.to_path_buf(), None)
    }

    /// Opens the database and migrates it only up to `version`. For migration tests.
    #[doc(hidden)]
    pub fn open_at_version(path: &Path, version: usize) -> Result<Store, StoreError> {
        let conn = Connection::open(path)?;
        Self::configure_and_migrate(conn, path.to_path_buf(), Some(version))
    }

    fn configure_and_migrate(mut conn: Connection, path: PathBuf, version: Option<usize>) -> Result<Store, StoreError> {
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        match version {
            // rusqlite_migration runs all pending migrations in one transaction.
            None => MIGRATIONS.to_latest(&mut conn)?,
            Some(v) => MIGRATIONS.to_version(&mut conn, v)?,
        }
        let latest = if version.is_none() { latest_product_moment(&conn)? } else { 0 };
        Ok(Store { conn, path, product_clock: std::sync::atomic::AtomicI64::new(latest) })
    }

    /// The moment of a product write: now, or a microsecond after the latest product write
    /// if the wall clock went back (set by hand, a wrong network time), so that "what
    /// changed since" (the team sync's `catalog_changes_since`) never misses a change written
    /// after the jump. Only product rows use it; other times stay the wall clock's.
    pub(crate) fn product_now(&self) -> String {
        use std::sync::atomic::Ordering;
        let now = time::OffsetDateTime::now_utc().unix_timestamp_nanos() as i64;
        let previous = self.product_clock.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |latest| Some(now.max(latest + 1_000))).unwrap_or(now);
        format_unix_nanos(i128::from(now.max(previous + 1_000)))
    }

    /// The file this store lives in.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The schema version of the open database.
    pub fn schema_version(&self) -> Result<i64, StoreError> {
        Ok(self.conn.query_row("PRAGMA user_version", [], |row| row.get(0))?)
    }

    /// Runs SQLite's own consistency check; `true` when it answers `ok`.
    pub fn integrity_ok(&self) -> Result<bool, StoreError> {
        let answer: String = self.conn.query_row("PRAGMA integrity_check", [], |row| row.get(0))?;
        Ok(answer == "ok")
    }

    /// A setting's value, if set.
    pub fn setting(&self, key: &str) -> Result<Option<String>, StoreError> {
        Ok(self
            .conn
            .query_row("SELECT value FROM setting WHERE key = ?1", params![key], |row| row.get(0))
            .optional()?)
    }

    /// Sets a setting.
    pub fn set_setting(&self, key: &str, value: &str) -> Result<(), StoreError> {
        self.conn.execute(
            "INSERT INTO setting (key, value) VALUES (?1, ?2) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            params![key, value],
        )?;
        Ok(())
    }

    /// Seeds the bundled sample catalog the first time this database is opened, and never
    /// again (removing the samples is permanent). Returns how many products were added.
    pub fn seed_sample_catalog_once(&mut self) -> Result<usize, StoreError> {
        if self.setting(SAMPLE_SEEDED_KEY)?.is_some() {
            return Ok(0);
        }
        let drafts = crate::sample::catalog();
        let now = self.product_now();
        let tx = self.conn.transaction()?;
        for draft in &drafts {
            products::insert(&tx, draft, true, &now)?;
            outbox::enqueue_product(&tx, draft)?;
        }
        tx.execute(
            "INSERT INTO setting (key, value) VALUES (?1, ?2)",
            params![SAMPLE_SEEDED_KEY, now],
        )?;
        tx.commit()?;
        Ok(drafts.len())
    }
}

const SAMPLE_SEEDED_KEY: &str = "sample_catalog_seeded_at";

/// The current time as RFC 3339 UTC, for `created_at`/`updated_at` columns.
pub(crate) fn now_rfc3339() -> String {
    format_unix_nanos(time::OffsetDateTime::now_utc().unix_timestamp_nanos())
}

/// An RFC 3339 moment as Unix ns, a number that orders like time (the text does not:
/// `…05.12Z` sorts after `…05.123Z`).
pub(crate) fn unix_nanos(at: &str) -> Option<i128> {
    time::OffsetDateTime::parse(at, &time::format_description::well_known::Rfc3339).ok().map(|t| t.unix_timestamp_nanos())
}

fn format_unix_nanos(at: i128) -> String {
    time::OffsetDateTime::from_unix_timestamp_nanos(at)
        .expect("a moment within the calendar")
        .format(&time::format_description::well_known::Rfc3339)
        .expect("formatting a UTC time as RFC 3339 cannot fail")
}

/// The latest product change in the store (Unix ns), where [`Store::product_now`] starts.
fn latest_product_moment(conn: &Connection) -> Result<i64, StoreError> {
    let latest: Option<String> = conn
        .query_row(
            "SELECT at FROM (SELECT updated_at AS at FROM product UNION ALL SELECT deleted_at FROM product WHERE deleted_at IS NOT NULL)
             ORDER BY julianday(at) DESC LIMIT 1",
            [],
            |r| r.get(0),
        )
        .optional()?;
    Ok(latest.as_deref().and_then(unix_nanos).map_or(0, |at| at as i64))
}

/// Refuses, by its first 16 bytes, a file that exists, is not empty and is not SQLite.
/// Opening such a file with SQLite and setting WAL could otherwise write to it.
fn refuse_foreign_file(path: &Path) -> Result<(), StoreError> {
    let mut file = match std::fs::File::open(path) {
        Ok(file) => file,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(source) => return Err(StoreError::Io { path: path.to_path_buf(), source }),
    };
    let mut header = [0u8; 16];
    let mut n_read = 0;
    while n_read < header.len() {
        match file.read(&mut header[n_read..]) {
            Ok(0) => break,
            Ok(n) => n_read += n,
            Err(source) => return Err(StoreError::Io { path: path.to_path_buf(), source }),
        }
    }
    if n_read == 0 || (n_read == header.len() && &header == b"SQLite format 3\0") {
        return Ok(());
    }
    Err(StoreError::NotADatabase { path: path.to_path_buf() })
}

fn is_not_a_database(err: &rusqlite::Error) -> bool {
    matches!(err, rusqlite::Error::SqliteFailure(e, _) if e.code == rusqlite::ErrorCode::NotADatabase)
}
