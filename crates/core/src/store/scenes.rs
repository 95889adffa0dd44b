//! The scene library: each scene is kept as the capture crate's JSON under its name; this
//! crate does not read inside it (the live crate checks it before it is saved).

use super::{Store, now_rfc3339};
use crate::StoreError;
use crate::live::{LiveMarker, LiveMarkerKind, SessionId};
use rusqlite::{OptionalExtension, params};

/// A scene as stored: its name and its JSON.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredScene {
    pub name: String,
    pub body: String,
}

impl Store {
    /// Every stored scene, by name.
    pub fn scenes(&self) -> Result<Vec<StoredScene>, StoreError> {
        let mut stmt = self.conn.prepare_cached("SELECT name, body FROM scene ORDER BY name")?;
        let rows = stmt.query_map([], |r| Ok(StoredScene { name: r.get(0)?, body: r.get(1)? }))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Adds a scene or replaces the one of the same name.
    pub fn save_scene(&mut self, name: &str, body: &str) -> Result<(), StoreError> {
        self.conn.execute(
            "INSERT INTO scene (name, body, updated_at) VALUES (?1, ?2, ?3) \
             ON CONFLICT(name) DO UPDATE SET body = excluded.body, updated_at = excluded.updated_at",
            params![name, body, now_rfc3339()],
        )?;
        Ok(())
    }

    /// Deletes a scene; returns it, so the window can offer undo.
    pub fn delete_scene(&mut self, name: &str) -> Result<StoredScene, StoreError> {
        let body: Option<String> =
            self.conn.query_row("SELECT body FROM scene WHERE name = ?1", params![name], |r| r.get(0)).optional()?;
        let body = body.ok_or(StoreError::NotFound { entity: "scene", id: 0 })?;
        self.conn.execute("DELETE FROM scene WHERE name = ?1", params![name])?;
        Ok(StoredScene { name: name.to_owned(), body })
    }

    /// Puts a scene on air, in one transaction: the scene marker and the on-air state (what
    /// a resumed broadcast starts with).
    pub fn put_scene_on_air(&mut self, session: SessionId, name: &str, media_ms: i64) -> Result<LiveMarker, StoreError> {
        let broadcast = self.session(session)?.broadcast_id;
        let tx = self.conn.transaction()?;
        let marker = super::live::insert_marker(&tx, session, broadcast, LiveMarkerKind::Scene, name, None, None, media_ms)?;
        tx.execute(
            "INSERT INTO live_state (broadcast_id, scene, updated_at) VALUES (?1, ?2, ?3) \
             ON CONFLICT(broadcast_id) DO UPDATE SET scene = excluded.scene, updated_at = excluded.updated_at",
            params![broadcast.0, name, now_rfc3339()],
        )?;
        tx.commit()?;
        Ok(marker)
    }
}
