//! The archive journal: the intent of archiving a session, and its commit.

use super::{Store, now_rfc3339};
use crate::archive::ArchiveJob;
use crate::error::StoreError;
use crate::live::SessionId;
use rusqlite::params;

impl Store {
    /// Records the intent to archive a session (before any file moves). A job already
    /// recorded for the session is kept as it was: it is carried on, not started again.
    pub fn begin_archive_job(&mut self, job: &ArchiveJob) -> Result<(), StoreError> {
        let report = serde_json::to_string(&job.report).map_err(|err| StoreError::Corrupt(err.to_string()))?;
        self.conn.execute(
            "INSERT OR IGNORE INTO archive_job (session_id, folder, report_json, keep_until, created_at) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![job.session.0, job.folder.display().to_string(), report, job.keep_until, now_rfc3339()],
        )?;
        // The store commits without an fsync (WAL, synchronous=NORMAL); the intent must be on
        // disk before any file moves, or a power cut could keep the move and lose the intent.
        self.conn.query_row("PRAGMA wal_checkpoint(FULL)", [], |_| Ok(()))?;
        Ok(())
    }

    /// Archiving jobs cut short (by a crash), oldest first.
    pub fn archive_jobs(&self) -> Result<Vec<ArchiveJob>, StoreError> {
        let mut stmt = self.conn.prepare("SELECT session_id, folder, report_json, keep_until FROM archive_job ORDER BY created_at, session_id")?;
        let rows = stmt.query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?, r.get::<_, String>(2)?, r.get::<_, String>(3)?)))?;
        let mut jobs = Vec::new();
        for row in rows {
            let (session, folder, report, keep_until) = row?;
            let report = serde_json::from_str(&report).map_err(|err| StoreError::Corrupt(format!("archive job of session {session}: {err}")))?;
            jobs.push(ArchiveJob { session: SessionId(session), folder: folder.into(), report, keep_until });
        }
        Ok(jobs)
    }

    /// The commit: the session now points at its archived recording, and the job is done —
    /// both in one transaction.
    pub fn commit_archive_job(&mut self, session: SessionId, recording_path: &str) -> Result<(), StoreError> {
        let tx = self.conn.transaction()?;
        tx.execute("UPDATE live_session SET recording_path = ?1 WHERE id = ?2", params![recording_path, session.0])?;
        tx.execute("DELETE FROM archive_job WHERE session_id = ?1", params![session.0])?;
        tx.commit()?;
        Ok(())
    }

    /// Drops a job that cannot be carried on (its recording is gone from both places).
    pub fn abandon_archive_job(&mut self, session: SessionId) -> Result<(), StoreError> {
        self.conn.execute("DELETE FROM archive_job WHERE session_id = ?1", params![session.0])?;
        Ok(())
    }
}
