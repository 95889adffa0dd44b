//! Practice scenarios (课程演练): the scripted events of a broadcast and their firing.
//!
//! A script is stored per broadcast in `scripted_event`. While the broadcast is live each
//! event fires once, when the time since going live reaches its `after_ms`: its comment
//! or stock-out goes into the event log and the row is marked fired in the same
//! transaction, so it never fires twice, not even across a restart. Whichever comes first
//! fires it: the broadcast's script clock (a task sleeping until the next event is due,
//! see `AppState::start_script_clock`), an audience tick, or a read of the events.
//!
//! Replacing a script drops the events that have not fired; an event that has fired keeps
//! its row (with what it fired) so that a later script naming the same id cannot fire it
//! again, and so that a stock-out stays in force for the rest of the broadcast.

use crate::server::{ApiError, append_event};
use anchordesk_platform::{
    BroadcastScript, COMMENT_MAX_CHARS, LiveEvent, LiveEventKind, ProblemCode, SCRIPT_MAX_AFTER_MS, SCRIPT_MAX_EVENTS,
    ScriptState, ScriptedEventState, ScriptedKind,
};
use rusqlite::{Connection, OptionalExtension, Transaction, params};
use std::collections::{HashMap, HashSet};

/// Longest nickname of a scripted comment, in characters.
const USER_MAX_CHARS: usize = 32;

/// Checks a script on its own, before it meets the database.
pub(crate) fn validate(script: &BroadcastScript) -> Result<(), ApiError> {
    if script.events.len() > SCRIPT_MAX_EVENTS {
        return Err(ApiError::validation(format!("script has {} events, more than {SCRIPT_MAX_EVENTS}", script.events.len())));
    }
    let mut seen: HashMap<&str, usize> = HashMap::new();
    for (idx, event) in script.events.iter().enumerate() {
        if event.id.is_empty() || event.id.len() > 64 {
            return Err(ApiError::validation(format!("events[{idx}]: id {:?} must be 1-64 bytes", event.id)));
        }
        if let Some(first) = seen.insert(event.id.as_str(), idx) {
            return Err(ApiError::validation(format!("events[{idx}]: id {:?} is also the id of events[{first}]", event.id)));
        }
        if !(0..=SCRIPT_MAX_AFTER_MS).contains(&event.after_ms) {
            return Err(ApiError::validation(format!(
                "event {:?}: after_ms {} is not between 0 and {SCRIPT_MAX_AFTER_MS}",
                event.id, event.after_ms
            )));
        }
        match &event.kind {
            ScriptedKind::Comment { user, text } => {
                let n_user = user.chars().count();
                if user.trim().is_empty() || n_user > USER_MAX_CHARS {
                    return Err(ApiError::validation(format!(
                        "event {:?}: user {user:?} must be 1-{USER_MAX_CHARS} characters, not blank",
                        event.id
                    )));
                }
                let n_text = text.chars().count();
                if text.trim().is_empty() || n_text > COMMENT_MAX_CHARS {
                    return Err(ApiError::validation(format!(
                        "event {:?}: comment text has {n_text} characters; it must be 1-{COMMENT_MAX_CHARS}, not blank",
                        event.id
                    )));
                }
            }
            ScriptedKind::StockOut { sku } => {
                if sku.is_empty() {
                    return Err(ApiError::validation(format!("event {:?}: the stock-out names no sku", event.id)));
                }
            }
        }
    }
    Ok(())
}

/// Replaces the script of a broadcast inside a write's transaction. The caller has
/// checked that the broadcast exists and has not ended.
pub(crate) fn replace(tx: &Transaction<'_>, shop_id: &str, broadcast_id: &str, script: &BroadcastScript) -> Result<(), ApiError> {
    for event in &script.events {
        if let ScriptedKind::StockOut { sku } = &event.kind {
            let known: Option<String> = tx
                .query_row("SELECT sku FROM product WHERE shop_id = ?1 AND sku = ?2", params![shop_id, sku], |row| row.get(0))
                .optional()?;
            if known.is_none() {
                return Err(ApiError::validation(format!("event {:?}: product {sku:?} of the stock-out does not exist", event.id)));
            }
        }
    }
    tx.execute(
        "UPDATE scripted_event SET position = NULL WHERE shop_id = ?1 AND broadcast_id = ?2",
        params![shop_id, broadcast_id],
    )?;
    tx.execute(
        "DELETE FROM scripted_event WHERE shop_id = ?1 AND broadcast_id = ?2 AND fired_at_ms IS NULL",
        params![shop_id, broadcast_id],
    )?;
    for (position, event) in script.events.iter().enumerate() {
        let kind = serde_json::to_string(&event.kind).expect("scripted kinds serialise to JSON");
        // Only fired rows survive the delete above, and a fired row keeps what it fired.
        tx.execute(
            "INSERT INTO scripted_event (shop_id, broadcast_id, id, position, after_ms, kind)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)
             ON CONFLICT (shop_id, broadcast_id, id) DO UPDATE SET position = excluded.position",
            params![shop_id, broadcast_id, event.id, position as i64, event.after_ms, kind],
        )?;
    }
    Ok(())
}

fn parse_kind(id: &str, text: &str) -> Result<ScriptedKind, ApiError> {
    serde_json::from_str(text).map_err(|err| ApiError::new(ProblemCode::Internal, format!("scripted event {id:?}: {err}")))
}

/// The current script of a broadcast with what has fired, in firing order.
pub(crate) fn load_state(conn: &Connection, shop_id: &str, broadcast_id: &str, started_at_ms: Option<i64>) -> Result<ScriptState, ApiError> {
    let mut statement = conn.prepare_cached(
        "SELECT id, after_ms, kind, fired_at_ms, fired_seq FROM scripted_event
         WHERE shop_id = ?1 AND broadcast_id = ?2 AND position IS NOT NULL ORDER BY after_ms, position",
    )?;
    let rows = statement
        .query_map(params![shop_id, broadcast_id], |row| {
            Ok((row.get::<_, String>(0)?, row.get::<_, i64>(1)?, row.get::<_, String>(2)?, row.get(3)?, row.get(4)?))
        })?
        .collect::<Result<Vec<_>, _>>()?;
    let events = rows
        .into_iter()
        .map(|(id, after_ms, kind, fired_at_ms, fired_seq)| {
            Ok(ScriptedEventState { kind: parse_kind(&id, &kind)?, id, after_ms, fired_at_ms, fired_seq })
        })
        .collect::<Result<Vec<_>, ApiError>>()?;
    Ok(ScriptState { broadcast_id: broadcast_id.to_owned(), started_at_ms, events })
}

/// Fires the events of a live broadcast that are due at `now_ms`, in `after_ms` order,
/// and returns what they wrote to the log. Nothing when the broadcast is not live.
pub(crate) fn fire_due(tx: &Transaction<'_>, shop_id: &str, broadcast_id: &str, now_ms: i64) -> Result<Vec<LiveEvent>, ApiError> {
    let live: Option<Option<i64>> = tx
        .query_row(
            "SELECT started_at_ms FROM broadcast WHERE shop_id = ?1 AND id = ?2 AND status = 'live'",
            params![shop_id, broadcast_id],
            |row| row.get(0),
        )
        .optional()?;
    let Some(Some(started_at_ms)) = live else { return Ok(Vec::new()) };
    let due: Vec<(String, String)> = {
        let mut statement = tx.prepare_cached(
            "SELECT id, kind FROM scripted_event
             WHERE shop_id = ?1 AND broadcast_id = ?2 AND position IS NOT NULL AND fired_at_ms IS NULL AND after_ms <= ?3
             ORDER BY after_ms, position",
        )?;
        statement
            .query_map(params![shop_id, broadcast_id, now_ms - started_at_ms], |row| Ok((row.get(0)?, row.get(1)?)))?
            .collect::<Result<_, _>>()?
    };
    let mut fired = Vec::with_capacity(due.len());
    for (id, kind) in due {
        let event = match parse_kind(&id, &kind)? {
            ScriptedKind::Comment { user, text } => {
                append_event(tx, shop_id, broadcast_id, now_ms, LiveEventKind::Comment { user, text, scripted: Some(id.clone()) })?
            }
            ScriptedKind::StockOut { sku } => {
                tx.execute("UPDATE product SET stock = 0 WHERE shop_id = ?1 AND sku = ?2", params![shop_id, sku])?;
                append_event(tx, shop_id, broadcast_id, now_ms, LiveEventKind::Stock { sku, available: 0, scripted: Some(id.clone()) })?
            }
        };
        tx.execute(
            "UPDATE scripted_event SET fired_at_ms = ?1, fired_seq = ?2 WHERE shop_id = ?3 AND broadcast_id = ?4 AND id = ?5",
            params![now_ms, event.seq, shop_id, broadcast_id, id],
        )?;
        fired.push(event);
    }
    Ok(fired)
}

/// [`fire_due`] in a transaction of its own, at the current time.
pub(crate) fn fire_due_now(conn: &mut Connection, shop_id: &str, broadcast_id: &str) -> Result<Vec<LiveEvent>, ApiError> {
    let tx = conn.transaction()?;
    let fired = fire_due(&tx, shop_id, broadcast_id, anchordesk_platform::now_ms())?;
    tx.commit()?;
    Ok(fired)
}

/// When the next event of a live broadcast is due (Unix ms); `None` when the broadcast is
/// not live or nothing is left to fire.
pub(crate) fn next_due_ms(conn: &Connection, shop_id: &str, broadcast_id: &str) -> Result<Option<i64>, ApiError> {
    Ok(conn.query_row(
        "SELECT broadcast.started_at_ms + min(scripted_event.after_ms)
         FROM scripted_event JOIN broadcast ON broadcast.shop_id = scripted_event.shop_id AND broadcast.id = scripted_event.broadcast_id
         WHERE scripted_event.shop_id = ?1 AND scripted_event.broadcast_id = ?2 AND broadcast.status = 'live'
           AND scripted_event.position IS NOT NULL AND scripted_event.fired_at_ms IS NULL",
        params![shop_id, broadcast_id],
        |row| row.get(0),
    )?)
}

/// SKUs a fired stock-out took out of this broadcast: its audience no longer buys them.
pub(crate) fn stocked_out(conn: &Connection, shop_id: &str, broadcast_id: &str) -> Result<HashSet<String>, ApiError> {
    let mut statement = conn.prepare_cached(
        "SELECT json_extract(kind, '$.sku') FROM scripted_event
         WHERE shop_id = ?1 AND broadcast_id = ?2 AND fired_at_ms IS NOT NULL AND json_extract(kind, '$.type') = 'stock_out'",
    )?;
    let skus = statement.query_map(params![shop_id, broadcast_id], |row| row.get(0))?.collect::<Result<_, _>>()?;
    Ok(skus)
}
