//! Table `course_attempt`: a student's rehearsal of a course scenario, and its grade.

use super::{Store, now_rfc3339};
use crate::error::StoreError;
use crate::model::BroadcastId;
use rusqlite::{OptionalExtension, Row, params};
use serde::{Deserialize, Serialize};

/// A rehearsal attempt. `facts` and `graded` are JSON written by `anchordesk-course`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CourseAttempt {
    pub id: i64,
    pub broadcast_id: BroadcastId,
    pub scenario_id: String,
    pub student_id: String,
    pub student_name: String,
    pub created_at: String,
    pub facts: Option<serde_json::Value>,
    pub graded: Option<serde_json::Value>,
    pub total: Option<f64>,
    pub graded_at: Option<String>,
}

const COLUMNS: &str = "id, broadcast_id, scenario_id, student_id, student_name, created_at, facts, graded, total, graded_at";

impl Store {
    /// Records that `broadcast` is `student`'s attempt at `scenario_id`.
    pub fn create_course_attempt(&mut self, broadcast: BroadcastId, scenario_id: &str, student_id: &str, student_name: &str) -> Result<CourseAttempt, StoreError> {
        self.conn.execute(
            "INSERT INTO course_attempt (broadcast_id, scenario_id, student_id, student_name, created_at) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![broadcast.0, scenario_id, student_id.trim(), student_name.trim(), now_rfc3339()],
        )?;
        self.course_attempt(broadcast)?.ok_or(StoreError::NotFound { entity: "courseAttempt", id: broadcast.0 })
    }

    /// The attempt a broadcast is, if it is one.
    pub fn course_attempt(&self, broadcast: BroadcastId) -> Result<Option<CourseAttempt>, StoreError> {
        let sql = format!("SELECT {COLUMNS} FROM course_attempt WHERE broadcast_id = ?1");
        self.conn.query_row(&sql, params![broadcast.0], attempt_from_row).optional()?.transpose()
    }

    /// A student's attempts, oldest first (all students' when `student_id` is `None`).
    pub fn course_attempts(&self, student_id: Option<&str>) -> Result<Vec<CourseAttempt>, StoreError> {
        let sql = format!("SELECT {COLUMNS} FROM course_attempt WHERE ?1 IS NULL OR student_id = ?1 ORDER BY id");
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let rows = stmt.query_map(params![student_id], attempt_from_row)?;
        rows.map(|r| r?).collect()
    }

    /// Keeps an attempt's measured facts and graded report (regrading replaces them).
    pub fn save_course_grade(&mut self, broadcast: BroadcastId, facts: &serde_json::Value, graded: &serde_json::Value, total: f64) -> Result<CourseAttempt, StoreError> {
        let n = self.conn.execute(
            "UPDATE course_attempt SET facts = ?1, graded = ?2, total = ?3, graded_at = ?4 WHERE broadcast_id = ?5",
            params![facts.to_string(), graded.to_string(), total, now_rfc3339(), broadcast.0],
        )?;
        if n == 0 {
            return Err(StoreError::NotFound { entity: "courseAttempt", id: broadcast.0 });
        }
        self.course_attempt(broadcast)?.ok_or(StoreError::NotFound { entity: "courseAttempt", id: broadcast.0 })
    }
}

fn attempt_from_row(row: &Row<'_>) -> rusqlite::Result<Result<CourseAttempt, StoreError>> {
    let json = |text: Option<String>| -> Result<Option<serde_json::Value>, StoreError> {
        text.map(|t| serde_json::from_str(&t).map_err(|err| StoreError::Corrupt(format!("course attempt: {err}")))).transpose()
    };
    let facts = json(row.get(6)?);
    let graded = json(row.get(7)?);
    Ok((|| {
        Ok(CourseAttempt {
            id: row.get(0)?,
            broadcast_id: BroadcastId(row.get(1)?),
            scenario_id: row.get(2)?,
            student_id: row.get(3)?,
            student_name: row.get(4)?,
            created_at: row.get(5)?,
            facts: facts?,
            graded: graded?,
            total: row.get(8)?,
            graded_at: row.get(9)?,
        })
    })())
}
