//! Tables `room_event` and `live_reply`: the live room pulled from the platform, and the
//! desk's replies to viewers.

use super::{Store, now_rfc3339};
use crate::error::StoreError;
use crate::live::SessionId;
use crate::room::{LiveReply, RoomEvent, RoomEventKind};
use crate::validate::{FieldError, FieldErrorCode};
use rusqlite::{Row, params};

/// `comment_seq` of an announcement to the whole room (kept on the desk).
pub const ANNOUNCEMENT: i64 = 0;
/// `comment_seq` of a caption shown on the picture (kept on the desk).
pub const CAPTION: i64 = -1;

/// Longest reply the platform takes (characters).
pub const MAX_REPLY_CHARS: usize = 200;

const EVENT_COLUMNS: &str = "seq, at_ms, kind, sku, user, text, quantity, amount_fen, online, ref_seq, scripted";

impl Store {
    /// Keeps pulled events of a session; events already kept (same `seq`) are skipped, so a
    /// pull repeated after a crash changes nothing. Returns how many were new.
    pub fn keep_room_events(&mut self, session: SessionId, events: &[RoomEvent]) -> Result<usize, StoreError> {
        let tx = self.conn.transaction()?;
        let mut added = 0;
        {
            let mut insert = tx.prepare_cached(
                "INSERT OR IGNORE INTO room_event (session_id, seq, at_ms, kind, sku, user, text, quantity, amount_fen, online, ref_seq, scripted) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
            )?;
            for e in events {
                let Some(kind) = e.kind else { continue };
                added += insert.execute(params![
                    session.0, e.seq, e.at_ms, kind.code(), e.sku, e.user, e.text, e.quantity, e.amount_fen, e.online, e.ref_seq, e.scripted
                ])?;
            }
        }
        tx.commit()?;
        Ok(added)
    }

    /// Where the next pull of a session's room starts: the largest `seq` kept (0 for none).
    pub fn room_cursor(&self, session: SessionId) -> Result<i64, StoreError> {
        Ok(self.conn.query_row("SELECT coalesce(max(seq), 0) FROM room_event WHERE session_id = ?1", params![session.0], |r| r.get(0))?)
    }

    /// Kept events of a session with `seq > after`, oldest first, at most `limit`.
    pub fn room_events(&self, session: SessionId, after: i64, limit: usize) -> Result<Vec<RoomEvent>, StoreError> {
        let sql = format!("SELECT {EVENT_COLUMNS} FROM room_event WHERE session_id = ?1 AND seq > ?2 ORDER BY seq LIMIT ?3");
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let events = stmt.query_map(params![session.0, after, limit as i64], event_from_row)?.collect::<Result<Vec<_>, _>>()?;
        Ok(events)
    }

    /// A page of the room: at most 500 events after `after` with their alerts, the replies,
    /// and the figures when `with_summary`.
    pub fn room_page(&self, session: SessionId, after: i64, with_summary: bool) -> Result<crate::room::RoomPage, StoreError> {
        let events = self.room_events(session, after, 500)?;
        let next_after = events.last().map(|e| e.seq).unwrap_or(after);
        let summary = if with_summary { Some(self.room_summary(session)?) } else { None };
        Ok(crate::room::RoomPage {
            events: events.into_iter().map(crate::room::RoomItem::of).collect(),
            next_after,
            replies: self.replies(session)?,
            summary,
        })
    }

    /// Records a reply typed live, with what the claims linter found in it. A reply with an
    /// error finding is held back: kept as evidence, never sent. Otherwise it is queued for
    /// the platform in the same transaction ([`ANNOUNCEMENT`] and [`CAPTION`] are kept on the
    /// desk only). The text must be 1–200 characters.
    pub fn add_reply(
        &mut self,
        session: SessionId,
        comment_seq: i64,
        text: &str,
        media_ms: i64,
        findings: &[anchordesk_claims::Finding],
    ) -> Result<LiveReply, StoreError> {
        let text = text.trim();
        if text.is_empty() || text.chars().count() > MAX_REPLY_CHARS {
            let code = if text.is_empty() { FieldErrorCode::Required } else { FieldErrorCode::TooLong };
            return Err(StoreError::Invalid(vec![FieldError::new("text", code, text.chars().count().to_string())]));
        }
        let live = self.session(session)?;
        if live.status != crate::live::SessionStatus::Live {
            return Err(StoreError::Invalid(vec![FieldError::new("session", FieldErrorCode::UnknownValue, "not live")]));
        }
        let lint_errors = findings.iter().filter(|f| f.severity == anchordesk_claims::Severity::Error).count() as i32;
        let held = lint_errors > 0;
        let at = now_rfc3339();
        let findings_json = serde_json::to_string(findings).map_err(|err| StoreError::Corrupt(err.to_string()))?;
        let tx = self.conn.transaction()?;
        tx.execute(
            "INSERT INTO live_reply (session_id, comment_seq, text, media_ms, at, lint_errors, held, findings) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            params![session.0, comment_seq, text, media_ms.max(0), at, lint_errors, held, findings_json],
        )?;
        if !held && comment_seq > 0 {
            let platform_id = super::outbox::platform_broadcast_id(live.broadcast_id);
            super::outbox::enqueue_broadcast(
                &tx,
                live.broadcast_id,
                super::outbox::OutboxOp::Reply { broadcast_id: platform_id, comment_seq, text: text.to_string() },
            )?;
        }
        tx.commit()?;
        Ok(LiveReply { comment_seq, text: text.to_string(), media_ms: media_ms.max(0), at, lint_errors, held, findings: findings.to_vec() })
    }

    /// The replies typed in a session (sent and held back), in the order they were typed.
    pub fn replies(&self, session: SessionId) -> Result<Vec<LiveReply>, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT comment_seq, text, media_ms, at, lint_errors, held, findings FROM live_reply WHERE session_id = ?1 ORDER BY id",
        )?;
        let rows = stmt.query_map(params![session.0], |r| {
            Ok((
                LiveReply {
                    comment_seq: r.get(0)?,
                    text: r.get(1)?,
                    media_ms: r.get(2)?,
                    at: r.get(3)?,
                    lint_errors: r.get(4)?,
                    held: r.get(5)?,
                    findings: Vec::new(),
                },
                r.get::<_, String>(6)?,
            ))
        })?;
        let mut replies = Vec::new();
        for row in rows {
            let (mut reply, findings) = row?;
            reply.findings = serde_json::from_str(&findings).map_err(|err| StoreError::Corrupt(format!("reply findings: {err}")))?;
            replies.push(reply);
        }
        Ok(replies)
    }

    /// Sales per product, the viewer curve and the audience of a session, from the kept
    /// events (the platform owns these figures; the desk only counts what it said).
    pub fn room_summary(&self, session: SessionId) -> Result<crate::room::RoomSummary, StoreError> {
        let live = self.session(session)?;
        let events = self.room_events(session, 0, i64::MAX as usize)?;
        let replies: i64 =
            self.conn.query_row("SELECT count(*) FROM live_reply WHERE session_id = ?1 AND held = 0", params![session.0], |r| r.get(0))?;
        let started_ms = crate::live::unix_ms(&live.started_at).unwrap_or_else(|| events.first().map(|e| e.at_ms).unwrap_or(0));
        let skus: Vec<String> = self.lineup(live.broadcast_id)?.into_iter().map(|i| i.product_sku).collect();
        Ok(crate::room::summarise(&events, replies as usize, started_ms, &skus))
    }

    /// Records the wall-clock time of the recording's time 0.
    pub fn set_media_origin(&mut self, session: SessionId, origin_ms: i64) -> Result<(), StoreError> {
        self.conn.execute("UPDATE live_session SET media_origin_ms = ?1 WHERE id = ?2", params![origin_ms, session.0])?;
        Ok(())
    }

    /// Records the pipeline's health at the end of a session.
    pub fn set_session_health(&mut self, session: SessionId, dropped_frames: u32, push_reconnects: u32) -> Result<(), StoreError> {
        self.conn.execute(
            "UPDATE live_session SET dropped_frames = ?1, push_reconnects = ?2 WHERE id = ?3",
            params![dropped_frames, push_reconnects, session.0],
        )?;
        Ok(())
    }
}

fn event_from_row(row: &Row<'_>) -> rusqlite::Result<RoomEvent> {
    let kind: String = row.get(2)?;
    Ok(RoomEvent {
        seq: row.get(0)?,
        at_ms: row.get(1)?,
        kind: RoomEventKind::parse(&kind),
        sku: row.get(3)?,
        user: row.get(4)?,
        text: row.get(5)?,
        quantity: row.get(6)?,
        amount_fen: row.get(7)?,
        online: row.get(8)?,
        ref_seq: row.get(9)?,
        scripted: row.get(10)?,
    })
}

/// The quick replies a new desk starts with: each says what the platform's rules want said
/// (orders and after-sales stay on the platform, no claim without proof).
pub const DEFAULT_QUICK_REPLIES: &[&str] = &[
    "请在直播间购物车下单，平台保障售后，我们不接受私下转账。",
    "发货时间以商品页写明的为准，下单后我们按时发出。",
    "收到的商品有问题，请在平台订单里申请售后，我们一定处理。",
    "未成年的朋友请在家长同意后再购买。",
    "这款没有有机认证，我们只说检测报告上写明的内容。",
    "优惠券在购物车里领取，数量有限，以页面显示为准。",
];

/// Most quick replies a desk keeps.
pub const MAX_QUICK_REPLIES: usize = 30;

impl Store {
    /// The team's quick replies (the defaults until the team saves its own).
    pub fn quick_replies(&self) -> Result<Vec<String>, StoreError> {
        match self.setting("quick_replies")? {
            Some(json) => serde_json::from_str(&json).map_err(|err| StoreError::Corrupt(format!("quick replies: {err}"))),
            None => Ok(DEFAULT_QUICK_REPLIES.iter().map(|s| s.to_string()).collect()),
        }
    }

    /// Saves the team's quick replies: blank lines dropped, each at most 200 characters,
    /// at most 30 of them.
    pub fn save_quick_replies(&self, replies: &[String]) -> Result<Vec<String>, StoreError> {
        let replies: Vec<String> = replies.iter().map(|r| r.trim().to_string()).filter(|r| !r.is_empty()).collect();
        let mut errors = Vec::new();
        for (index, reply) in replies.iter().enumerate() {
            if reply.chars().count() > MAX_REPLY_CHARS {
                errors.push(FieldError::new(&format!("replies[{index}]"), FieldErrorCode::TooLong, reply.chars().count().to_string()));
            }
        }
        if replies.len() > MAX_QUICK_REPLIES {
            errors.push(FieldError::new("replies", FieldErrorCode::TooLong, replies.len().to_string()));
        }
        if !errors.is_empty() {
            return Err(StoreError::Invalid(errors));
        }
        self.set_setting("quick_replies", &serde_json::to_string(&replies).expect("strings serialise"))?;
        Ok(replies)
    }
}

impl Store {
    /// Queues a rehearsal's scripted events for the practice shop (after the broadcast's
    /// creation, since they share its entity key). `events` are in the desk's words: see
    /// `anchordesk-desk-sync`.
    pub fn queue_script(&mut self, broadcast: crate::model::BroadcastId, events: Vec<super::outbox::ScriptEvent>) -> Result<(), StoreError> {
        let tx = self.conn.transaction()?;
        super::broadcasts::ensure_live_broadcast(&tx, broadcast)?;
        if !super::outbox::created_on_platform(&tx, broadcast)? {
            super::outbox::publish_lineup(&tx, broadcast)?;
        }
        let platform_id = super::outbox::platform_broadcast_id(broadcast);
        super::outbox::enqueue_broadcast(&tx, broadcast, super::outbox::OutboxOp::SetScript { broadcast_id: platform_id, events })?;
        tx.commit()?;
        Ok(())
    }
}
