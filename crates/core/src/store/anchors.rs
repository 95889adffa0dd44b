//! Tables `anchor` and `qualification`.

use super::{Store, now_rfc3339};
use crate::error::StoreError;
use crate::model::{AnchorId, AnchorProfile, Qualification, QualificationField};
use rusqlite::{OptionalExtension, params};

impl Store {
    /// All anchor profiles, by name.
    pub fn anchors(&self) -> Result<Vec<AnchorProfile>, StoreError> {
        let ids: Vec<i64> = self
            .conn
            .prepare_cached("SELECT id FROM anchor ORDER BY name COLLATE NOCASE, id")?
            .query_map([], |r| r.get(0))?
            .collect::<Result<_, _>>()?;
        ids.into_iter().map(|id| self.anchor(AnchorId(id))).collect()
    }

    /// One anchor profile with its qualifications.
    pub fn anchor(&self, id: AnchorId) -> Result<AnchorProfile, StoreError> {
        let name: String = self
            .conn
            .query_row("SELECT name FROM anchor WHERE id = ?1", params![id.0], |r| r.get(0))
            .optional()?
            .ok_or(StoreError::NotFound { entity: "anchor", id: id.0 })?;
        let mut stmt = self.conn.prepare_cached(
            "SELECT field, title, number, valid_until FROM qualification WHERE anchor_id = ?1 ORDER BY position",
        )?;
        let rows = stmt.query_map(params![id.0], |r| {
            Ok((r.get::<_, String>(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
        })?;
        let mut qualifications = Vec::new();
        for row in rows {
            let (field, title, number, valid_until) = row?;
            let field = QualificationField::parse(&field)
                .ok_or_else(|| StoreError::Corrupt(format!("qualification field {field:?} of anchor {id}")))?;
            qualifications.push(Qualification { field, title, number, valid_until });
        }
        Ok(AnchorProfile { id, name, qualifications })
    }

    /// Creates an anchor profile, or replaces one's name and qualifications when `id` is set.
    pub fn save_anchor(
        &mut self,
        id: Option<AnchorId>,
        name: &str,
        qualifications: &[Qualification],
    ) -> Result<AnchorProfile, StoreError> {
        let tx = self.conn.transaction()?;
        let id = match id {
            Some(id) => {
                let n = tx.execute("UPDATE anchor SET name = ?1 WHERE id = ?2", params![name.trim(), id.0])?;
                if n == 0 {
                    return Err(StoreError::NotFound { entity: "anchor", id: id.0 });
                }
                tx.execute("DELETE FROM qualification WHERE anchor_id = ?1", params![id.0])?;
                id
            }
            None => {
                tx.execute("INSERT INTO anchor (name, created_at) VALUES (?1, ?2)", params![name.trim(), now_rfc3339()])?;
                AnchorId(tx.last_insert_rowid())
            }
        };
        for (position, q) in qualifications.iter().enumerate() {
            tx.execute(
                "INSERT INTO qualification (anchor_id, position, field, title, number, valid_until) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![id.0, position as i64, q.field.code(), q.title, q.number, q.valid_until],
            )?;
        }
        tx.commit()?;
        self.anchor(id)
    }
}
