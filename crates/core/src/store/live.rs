//! Tables `live_session` and `live_marker`, and the report.

use super::broadcasts::ensure_live_broadcast;
use super::outbox::OutboxOp;
use super::{Store, now_rfc3339};
use crate::error::{Conflict, StoreError};
use crate::live::*;
use crate::model::{BroadcastId, LineupItemId};
use crate::plan::{CheckEnv, Phase};
use rusqlite::{OptionalExtension, Row, params};

const SESSION_COLUMNS: &str = "id, broadcast_id, started_at, ended_at, status, recording_path, rehearsal, duration_ms, dropped_frames, push_reconnects, media_origin_ms, platform_silent";

impl Store {
    /// Opens a live session after checking the go-live gate; refused (with the blockers'
    /// titles) while critical items are open and not overridden, or while the broadcast is
    /// already live.
    pub fn go_live(&mut self, broadcast: BroadcastId, env: &CheckEnv, recording_path: &str, rehearsal: bool) -> Result<LiveSession, StoreError> {
        self.go_live_with(broadcast, env, recording_path, rehearsal, false)
    }

    /// [`Store::go_live`], and with `silent` the platform hears nothing of this session (no
    /// bag, start, pins, replies or end): a rehearsal while the desk is set to a real platform.
    pub fn go_live_with(&mut self, broadcast: BroadcastId, env: &CheckEnv, recording_path: &str, rehearsal: bool, silent: bool) -> Result<LiveSession, StoreError> {
        let state = self.checklist_state(broadcast, env)?;
        if !state.gate.allowed {
            return Err(StoreError::Conflict(Conflict::GateClosed {
                blockers: state.gate.blockers.iter().map(|b| b.item.title.clone()).collect(),
            }));
        }
        if self.sessions(broadcast)?.iter().any(|s| s.status == SessionStatus::Live) {
            return Err(StoreError::Conflict(Conflict::AlreadyLive));
        }
        let lineup = self.lineup(broadcast)?;
        let tx = self.conn.transaction()?;
        ensure_live_broadcast(&tx, broadcast)?;
        tx.execute(
            "INSERT INTO live_session (broadcast_id, started_at, status, recording_path, rehearsal, platform_silent) VALUES (?1, ?2, 'live', ?3, ?4, ?5)",
            params![broadcast.0, now_rfc3339(), recording_path, rehearsal, silent],
        )?;
        let id = SessionId(tx.last_insert_rowid());
        // Tell the platform: the broadcast with its line-up, each item in the bag at its live
        // price, and that it is live. Queued with the session, sent when the platform answers.
        let platform_id = super::outbox::platform_broadcast_id(broadcast);
        if !super::outbox::created_on_platform(&tx, broadcast)? {
            super::outbox::publish_lineup(&tx, broadcast)?;
        }
        // A broadcast resumed after a crash is still live on the platform: nothing to start.
        let started = tx.query_row(
            "SELECT EXISTS(SELECT 1 FROM outbox s WHERE s.entity = ?1 AND s.operation = ?2 AND s.id > ?4 \
             AND NOT EXISTS(SELECT 1 FROM outbox e WHERE e.entity = s.entity AND e.operation = ?3 AND e.id > s.id))",
            params![format!("broadcast:{platform_id}"), super::outbox::START_BROADCAST, super::outbox::END_BROADCAST, super::outbox::platform_epoch(&tx)?],
            |r| r.get::<_, bool>(0),
        )?;
        for item in lineup.iter().filter(|_| !started) {
            super::outbox::enqueue_broadcast(
                &tx,
                broadcast,
                OutboxOp::ListInBag { broadcast_id: platform_id.clone(), sku: item.product_sku.clone(), live_price_fen: item.terms.live_price.0 },
            )?;
        }
        if !started {
            super::outbox::enqueue_broadcast(&tx, broadcast, OutboxOp::StartBroadcast { broadcast_id: platform_id })?;
        }
        tx.commit()?;
        self.session(id)
    }

    /// Of `sessions` (found live at start: the app was killed while on air), those the team
    /// has not closed or resumed yet, with their broadcast's title.
    pub fn still_interrupted(&self, sessions: &[LiveSession]) -> Result<Vec<crate::live::InterruptedSession>, StoreError> {
        let mut open = Vec::new();
        for session in sessions {
            if self.session(session.id).is_ok_and(|now| now.status == crate::live::SessionStatus::Interrupted) {
                let broadcast_title = self.broadcast(session.broadcast_id)?.draft.title;
                open.push(crate::live::InterruptedSession { session: session.clone(), broadcast_title });
            }
        }
        Ok(open)
    }

    /// One session.
    pub fn session(&self, id: SessionId) -> Result<LiveSession, StoreError> {
        let sql = format!("SELECT {SESSION_COLUMNS} FROM live_session WHERE id = ?1");
        self.conn
            .query_row(&sql, params![id.0], session_from_row)
            .optional()?
            .ok_or(StoreError::NotFound { entity: "liveSession", id: id.0 })?
    }

    /// A broadcast's sessions, oldest first.
    pub fn sessions(&self, broadcast: BroadcastId) -> Result<Vec<LiveSession>, StoreError> {
        let sql = format!("SELECT {SESSION_COLUMNS} FROM live_session WHERE broadcast_id = ?1 ORDER BY id");
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let rows = stmt.query_map(params![broadcast.0], session_from_row)?;
        rows.map(|r| r?).collect()
    }

    /// Stamps a marker at `media_ms` of the session's recording.
    pub fn add_marker(
        &mut self,
        session: SessionId,
        kind: LiveMarkerKind,
        label: &str,
        lineup_item: Option<LineupItemId>,
        media_ms: i64,
    ) -> Result<LiveMarker, StoreError> {
        let (broadcast, sku) = self.marker_facts(session, lineup_item)?;
        let tx = self.conn.transaction()?;
        let marker = insert_marker(&tx, session, broadcast, kind, label, lineup_item, sku, media_ms)?;
        tx.commit()?;
        Ok(marker)
    }

    /// The session's broadcast and the SKU of a line-up item, for a marker.
    fn marker_facts(&self, session: SessionId, lineup_item: Option<LineupItemId>) -> Result<(BroadcastId, Option<String>), StoreError> {
        let sku = match lineup_item {
            Some(item) => Some(self.lineup_item(item)?.product_sku),
            None => None,
        };
        Ok((self.session(session)?.broadcast_id, sku))
    }

    /// The session's broadcast and the line-up item, refused when the item was taken off the
    /// bag in this broadcast.
    fn still_for_sale(&self, session: SessionId, item: LineupItemId) -> Result<(BroadcastId, crate::model::LineupItem), StoreError> {
        let broadcast = self.session(session)?.broadcast_id;
        let taken_off: bool = self.conn.query_row(
            "SELECT EXISTS(SELECT 1 FROM live_taken_off WHERE broadcast_id = ?1 AND lineup_item_id = ?2)",
            params![broadcast.0, item.0],
            |r| r.get(0),
        )?;
        if taken_off {
            return Err(StoreError::Conflict(Conflict::TakenOff));
        }
        Ok((broadcast, self.lineup_item(item)?))
    }

    /// What is on air for the broadcast, as last written: the state a resumed session
    /// starts from. A broadcast never on air (or whose last session ended) has the default.
    pub fn on_air_state(&self, broadcast: BroadcastId) -> Result<OnAirState, StoreError> {
        let row = self
            .conn
            .query_row(
                "SELECT on_air_item_id, overlay_visible, caption, scene, mic_muted, music_off, phone_muted FROM live_state WHERE broadcast_id = ?1",
                params![broadcast.0],
                |r| Ok((r.get::<_, Option<i64>>(0)?, r.get::<_, bool>(1)?, r.get::<_, Option<String>>(2)?, r.get::<_, Option<String>>(3)?, r.get::<_, bool>(4)?, r.get::<_, bool>(5)?, r.get::<_, bool>(6)?)),
            )
            .optional()?;
        let mut stmt = self.conn.prepare_cached("SELECT lineup_item_id FROM live_taken_off WHERE broadcast_id = ?1 ORDER BY at, lineup_item_id")?;
        let taken_off = stmt.query_map(params![broadcast.0], |r| r.get::<_, i64>(0).map(LineupItemId))?.collect::<Result<Vec<_>, _>>()?;
        let (on_air_item, overlay_visible, caption, scene, mic_muted, music_off, phone_muted) = row.unwrap_or((None, true, None, None, false, false, false));
        Ok(OnAirState { on_air_item: on_air_item.map(LineupItemId), overlay_visible, caption, taken_off, scene, mic_muted, music_off, phone_muted })
    }

    /// Puts a line-up item on air, in one transaction: the product marker, the pin on the
    /// platform and the on-air state (a caption typed for the previous product is cleared).
    pub fn put_on_air(&mut self, session: SessionId, item: LineupItemId, media_ms: i64) -> Result<LiveMarker, StoreError> {
        let (broadcast, on_sale) = self.still_for_sale(session, item)?;
        let tx = self.conn.transaction()?;
        let marker =
            insert_marker(&tx, session, broadcast, LiveMarkerKind::Product, &on_sale.product_name, Some(item), Some(on_sale.product_sku), media_ms)?;
        tx.execute(
            "INSERT INTO live_state (broadcast_id, on_air_item_id, caption, updated_at) VALUES (?1, ?2, NULL, ?3) \
             ON CONFLICT(broadcast_id) DO UPDATE SET on_air_item_id = excluded.on_air_item_id, caption = NULL, updated_at = excluded.updated_at",
            params![broadcast.0, item.0, now_rfc3339()],
        )?;
        tx.commit()?;
        Ok(marker)
    }

    /// Takes a line-up item off the bag (下架), in one transaction: the marker, the unlisting
    /// on the platform and the taken-off list. Refused when it already was.
    pub fn take_off(&mut self, session: SessionId, item: LineupItemId, media_ms: i64) -> Result<LiveMarker, StoreError> {
        let (broadcast, on_sale) = self.still_for_sale(session, item)?;
        let label = format!("下架 {}", on_sale.product_name);
        let tx = self.conn.transaction()?;
        let marker = insert_marker(&tx, session, broadcast, LiveMarkerKind::TakeOff, &label, Some(item), Some(on_sale.product_sku), media_ms)?;
        tx.execute(
            "INSERT INTO live_taken_off (broadcast_id, lineup_item_id, at) VALUES (?1, ?2, ?3)",
            params![broadcast.0, item.0, marker.at],
        )?;
        tx.commit()?;
        Ok(marker)
    }

    /// Shows or hides the product card for the broadcast on air.
    pub fn set_overlay_visible(&mut self, broadcast: BroadcastId, visible: bool) -> Result<(), StoreError> {
        self.conn.execute(
            "INSERT INTO live_state (broadcast_id, overlay_visible, updated_at) VALUES (?1, ?2, ?3) \
             ON CONFLICT(broadcast_id) DO UPDATE SET overlay_visible = excluded.overlay_visible, updated_at = excluded.updated_at",
            params![broadcast.0, visible, now_rfc3339()],
        )?;
        Ok(())
    }

    /// The microphone muted and the music stopped on air, for the broadcast.
    pub fn set_sound_on_air(&mut self, broadcast: BroadcastId, sound: SoundOnAir) -> Result<(), StoreError> {
        self.conn.execute(
            "INSERT INTO live_state (broadcast_id, mic_muted, music_off, phone_muted, updated_at) VALUES (?1, ?2, ?3, ?4, ?5) \
             ON CONFLICT(broadcast_id) DO UPDATE SET mic_muted = excluded.mic_muted, music_off = excluded.music_off, phone_muted = excluded.phone_muted, updated_at = excluded.updated_at",
            params![broadcast.0, sound.mic_muted, sound.music_off, sound.phone_muted, now_rfc3339()],
        )?;
        Ok(())
    }

    /// The caption on the picture instead of the product card; `None` clears it.
    pub fn set_caption(&mut self, broadcast: BroadcastId, caption: Option<&str>) -> Result<(), StoreError> {
        self.conn.execute(
            "INSERT INTO live_state (broadcast_id, caption, updated_at) VALUES (?1, ?2, ?3) \
             ON CONFLICT(broadcast_id) DO UPDATE SET caption = excluded.caption, updated_at = excluded.updated_at",
            params![broadcast.0, caption, now_rfc3339()],
        )?;
        Ok(())
    }

    /// The session's markers in recording order.
    pub fn markers(&self, session: SessionId) -> Result<Vec<LiveMarker>, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT kind, label, lineup_item_id, sku, media_ms, at FROM live_marker WHERE session_id = ?1 ORDER BY media_ms, id",
        )?;
        let rows = stmt.query_map(params![session.0], |r| {
            let kind: String = r.get(0)?;
            Ok((kind, r.get(1)?, r.get::<_, Option<i64>>(2)?, r.get(3)?, r.get(4)?, r.get(5)?))
        })?;
        let mut markers = Vec::new();
        for row in rows {
            let (kind, label, item, sku, media_ms, at) = row?;
            let kind = LiveMarkerKind::parse(&kind).ok_or_else(|| StoreError::Corrupt(format!("marker kind {kind:?}")))?;
            markers.push(LiveMarker { kind, label, lineup_item_id: item.map(LineupItemId), sku, media_ms, at });
        }
        Ok(markers)
    }

    /// Ends a live (or interrupted) session; `duration_ms` is the recording's length when known.
    /// Ends an interrupted session so that the broadcast can go on in a new one (resume):
    /// its recording and markers stay as they are and the platform, still live, is told
    /// nothing.
    pub fn retire_interrupted(&mut self, session: SessionId, duration_ms: Option<i64>) -> Result<LiveSession, StoreError> {
        let n = self.conn.execute(
            "UPDATE live_session SET status = 'ended', ended_at = ?1, duration_ms = ?2 WHERE id = ?3 AND status = 'interrupted'",
            params![now_rfc3339(), duration_ms, session.0],
        )?;
        if n == 0 {
            return Err(StoreError::NotFound { entity: "liveSession", id: session.0 });
        }
        self.session(session)
    }

    pub fn end_session(&mut self, session: SessionId, recording_path: &str, duration_ms: Option<i64>) -> Result<LiveSession, StoreError> {
        let broadcast = self.session(session)?.broadcast_id;
        let tx = self.conn.transaction()?;
        // A silent session (a rehearsal kept from a real platform) ends silently, also when
        // it is closed after a crash.
        let silent: bool = tx.query_row("SELECT platform_silent FROM live_session WHERE id = ?1", params![session.0], |r| r.get(0))?;
        if !silent {
            let platform_id = super::outbox::platform_broadcast_id(broadcast);
            super::outbox::enqueue_broadcast(&tx, broadcast, OutboxOp::EndBroadcast { broadcast_id: platform_id })?;
        }
        let n = tx.execute(
            "UPDATE live_session SET status = 'ended', ended_at = ?1, recording_path = coalesce(nullif(?2, ''), recording_path), \
             duration_ms = ?4 WHERE id = ?3 AND status != 'ended'",
            params![now_rfc3339(), recording_path, session.0, duration_ms],
        )?;
        if n == 0 {
            return Err(StoreError::NotFound { entity: "liveSession", id: session.0 });
        }
        // The broadcast is over: the next go-live starts with nothing on air and the whole
        // line-up for sale.
        tx.execute("DELETE FROM live_state WHERE broadcast_id = ?1", params![broadcast.0])?;
        tx.execute("DELETE FROM live_taken_off WHERE broadcast_id = ?1", params![broadcast.0])?;
        tx.commit()?;
        self.session(session)
    }

    /// Records where a session's recording went (into the archive).
    pub fn move_recording(&mut self, session: SessionId, recording_path: &str) -> Result<(), StoreError> {
        self.conn.execute("UPDATE live_session SET recording_path = ?1 WHERE id = ?2", params![recording_path, session.0])?;
        Ok(())
    }

    /// Marks sessions still `live` as interrupted: called once when the app starts, since a
    /// session can only be live in a running app. Returns them.
    pub fn mark_interrupted_sessions(&mut self) -> Result<Vec<LiveSession>, StoreError> {
        let sql = format!("SELECT {SESSION_COLUMNS} FROM live_session WHERE status = 'live'");
        let live: Vec<LiveSession> = {
            let mut stmt = self.conn.prepare(&sql)?;
            let rows = stmt.query_map([], session_from_row)?;
            rows.map(|r| r?).collect::<Result<_, _>>()?
        };
        self.conn.execute("UPDATE live_session SET status = 'interrupted' WHERE status = 'live'", [])?;
        Ok(live.into_iter().map(|s| LiveSession { status: SessionStatus::Interrupted, ..s }).collect())
    }

    /// The report of the broadcast's latest session. `duration_ms` is the recording's length
    /// when known (from the pipeline); otherwise the last marker ends it.
    pub fn report(&self, broadcast: BroadcastId, env: &CheckEnv, duration_ms: Option<i64>) -> Result<BroadcastReport, StoreError> {
        let header = self.broadcast(broadcast)?;
        let session = self.sessions(broadcast)?.pop();
        let markers = match &session {
            Some(s) => self.markers(s.id)?,
            None => Vec::new(),
        };
        let end_ms = duration_ms
            .or(session.as_ref().and_then(|s| s.duration_ms))
            .unwrap_or_else(|| markers.last().map(|m| m.media_ms).unwrap_or(0));
        let stretches = product_stretches(&markers, end_ms);
        let lineup = self.lineup(broadcast)?;
        let products = lineup
            .iter()
            .map(|item| {
                let own: Vec<Stretch> = stretches.iter().filter(|(id, _)| *id == item.id).map(|(_, s)| *s).collect();
                ProductTiming {
                    lineup_item_id: item.id,
                    sku: item.product_sku.clone(),
                    name: item.product_name.clone(),
                    planned_minutes: item.terms.planned_minutes,
                    actual_seconds: (own.iter().map(|s| s.end_ms - s.start_ms).sum::<i64>() / 1000) as i32,
                    stretches: own,
                    live_price: item.terms.live_price,
                }
            })
            .collect();
        let state = self.checklist_state(broadcast, env)?;
        let checklist = Phase::ALL
            .iter()
            .map(|phase| {
                let entries: Vec<_> = state.entries.iter().filter(|e| e.item.phase == *phase).collect();
                PhaseCompletion {
                    phase: *phase,
                    satisfied: entries.iter().filter(|e| e.satisfied).count() as i32,
                    total: entries.len() as i32,
                    open_critical: entries.iter().filter(|e| e.item.critical && !e.satisfied).map(|e| e.item.title.clone()).collect(),
                }
            })
            .collect();
        let (compliance_errors, compliance_unresolved) = match &env.linter {
            Some(linter) => {
                let review = self.compliance_report(broadcast, linter)?;
                (review.n_errors, review.n_unresolved_errors)
            }
            None => (0, 0),
        };
        let (room, replies) = match &session {
            Some(s) => (self.room_summary(s.id)?, self.replies(s.id)?),
            None => Default::default(),
        };
        Ok(BroadcastReport {
            room,
            replies,
            planned_minutes: self.run_of_show(broadcast)?.planned_minutes,
            broadcast: header,
            session,
            duration_seconds: (end_ms / 1000) as i32,
            products,
            markers,
            checklist,
            override_reason: state.gate.override_reason,
            compliance_errors,
            compliance_unresolved,
        })
    }
}

fn session_from_row(row: &Row<'_>) -> rusqlite::Result<Result<LiveSession, StoreError>> {
    let status: String = row.get(4)?;
    let Some(status) = SessionStatus::parse(&status) else {
        return Ok(Err(StoreError::Corrupt(format!("session status {status:?}"))));
    };
    Ok(Ok(LiveSession {
        id: SessionId(row.get(0)?),
        broadcast_id: BroadcastId(row.get(1)?),
        started_at: row.get(2)?,
        ended_at: row.get(3)?,
        status,
        recording_path: row.get(5)?,
        rehearsal: row.get(6)?,
        duration_ms: row.get(7)?,
        dropped_frames: row.get(8)?,
        push_reconnects: row.get(9)?,
        media_origin_ms: row.get(10)?,
        platform_silent: row.get(11)?,
    }))
}

/// Inserts a marker, and queues what the platform hears of it: a product on air is pinned
/// (讲解), a product taken off (下架) leaves the shopping bag.
#[allow(clippy::too_many_arguments)]
pub(super) fn insert_marker(
    tx: &rusqlite::Transaction<'_>,
    session: SessionId,
    broadcast: BroadcastId,
    kind: LiveMarkerKind,
    label: &str,
    lineup_item: Option<LineupItemId>,
    sku: Option<String>,
    media_ms: i64,
) -> Result<LiveMarker, StoreError> {
    let at = now_rfc3339();
    tx.execute(
        "INSERT INTO live_marker (session_id, kind, label, lineup_item_id, sku, media_ms, at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        params![session.0, kind.code(), label, lineup_item.map(|i| i.0), sku, media_ms.max(0), at],
    )?;
    let platform_id = super::outbox::platform_broadcast_id(broadcast);
    if kind == LiveMarkerKind::Product {
        super::outbox::enqueue_broadcast(tx, broadcast, OutboxOp::Pin { broadcast_id: platform_id.clone(), sku: sku.clone() })?;
    }
    if let (LiveMarkerKind::TakeOff, Some(sku)) = (kind, &sku) {
        super::outbox::enqueue_broadcast(tx, broadcast, OutboxOp::UnlistFromBag { broadcast_id: platform_id, sku: sku.clone() })?;
    }
    Ok(LiveMarker { kind, label: label.to_string(), lineup_item_id: lineup_item, sku, media_ms: media_ms.max(0), at })
}
