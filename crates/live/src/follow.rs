//! While a session is on air, a follower thread tells the window what the actor does not
//! see: the live room as the desk pulls it from the platform (only what is new, with the
//! figures), and a course rehearsal's reminders as they fall due. It ends when the session
//! does (the actor drops its end of the channel) and is joined at stop.

use crate::{LiveEvent, OnAirFacts, Surroundings};
use anchordesk_core::Store;
use anchordesk_core::live::{LiveSession, SessionId};
use anchordesk_core::room::{RoomItem, RoomSummary};
use serde::Serialize;
use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// How often the room is pulled and the reminders looked at.
const EVERY: Duration = Duration::from_secs(1);

/// What arrived in the live room since the last push: only the new events, and the figures
/// (sales per product, viewers) as they stand now.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct RoomUpdate {
    pub session_id: SessionId,
    pub events: Vec<RoomItem>,
    pub summary: RoomSummary,
    /// When the desk had them in its store (ms since the epoch): the window measures from
    /// here how long they took to show.
    #[cfg_attr(feature = "specta", specta(type = f64))]
    pub pulled_at_ms: i64,
}

/// A desk-side reminder due now in a rehearsal on air (a coupon to announce), with the
/// seconds left to do it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct DuePrompt {
    pub event_id: String,
    pub sku: String,
    pub seconds_left: i32,
}

/// A rehearsal's reminders due now, pushed when they change.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct PromptsUpdate {
    pub session_id: SessionId,
    pub prompts: Vec<DuePrompt>,
}

/// The running follower; dropping `stop` ends it.
pub(crate) struct Follower {
    stop: Sender<()>,
    thread: std::thread::JoinHandle<()>,
}

impl Follower {
    pub fn join(self) {
        drop(self.stop);
        let _ = self.thread.join();
    }
}

/// What the follower reads from.
pub(crate) struct Sources {
    pub store: Arc<Mutex<Store>>,
    pub data_dir: std::path::PathBuf,
    pub around: Arc<dyn Surroundings>,
    pub facts: Arc<Mutex<Option<OnAirFacts>>>,
}

pub(crate) fn start(session: LiveSession, from: Sources) -> Follower {
    let (stop, stopped) = std::sync::mpsc::channel();
    let thread = std::thread::Builder::new()
        .name("live-follow".into())
        .spawn(move || follow(session, from, stopped))
        .expect("a thread for the live room starts");
    Follower { stop, thread }
}

fn follow(session: LiveSession, from: Sources, stopped: Receiver<()>) {
    let scenario = rehearsal_scenario(&from, &session);
    let mut room_cursor: Option<i64> = None;
    let mut last_prompts: Option<Vec<DuePrompt>> = None;
    loop {
        match stopped.recv_timeout(EVERY) {
            Err(RecvTimeoutError::Timeout) => {}
            _ => return,
        }
        let media_ms = match from.facts.lock().unwrap_or_else(|p| p.into_inner()).as_ref() {
            Some(facts) if facts.session.id == session.id => facts.clock.now().as_millis() as i64,
            _ => return,
        };
        // A rehearsal kept from a real platform must not read that platform's room either.
        if !session.platform_silent {
            room_cursor = push_room(&from, &session, room_cursor);
        }
        if let Some(scenario) = &scenario {
            let prompts = due_prompts(scenario, media_ms);
            if last_prompts.as_ref() != Some(&prompts) {
                from.around.publish(LiveEvent::Prompts(PromptsUpdate { session_id: session.id, prompts: prompts.clone() }));
                last_prompts = Some(prompts);
            }
        }
    }
}

/// Pulls the room once and pushes what is new since `pushed` (the window loaded what came
/// before when it opened the room). Failures are retried next round: the cursor is in the
/// store, so nothing is missed.
fn push_room(from: &Sources, session: &LiveSession, pushed: Option<i64>) -> Option<i64> {
    match from.around.pull_room(session) {
        Ok(0) if pushed.is_some() => return pushed,
        Ok(_) => {}
        Err(err) => {
            tracing::debug!("room pull: {err}");
            return pushed;
        }
    }
    let after = pushed.unwrap_or(0);
    let read = {
        let store = from.store.lock().unwrap_or_else(|p| p.into_inner());
        store.room_events(session.id, after, 500).and_then(|events| Ok((events, store.room_summary(session.id)?)))
    };
    match read {
        Ok((events, summary)) => {
            let next = events.last().map(|e| e.seq).unwrap_or(after);
            let pulled_at_ms = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_millis() as i64).unwrap_or(0);
            let events = events.into_iter().map(RoomItem::of).collect();
            from.around.publish(LiveEvent::Room(Box::new(RoomUpdate { session_id: session.id, events, summary, pulled_at_ms })));
            Some(next)
        }
        Err(err) => {
            tracing::warn!("reading the room: {err}");
            pushed
        }
    }
}

/// The scenario of a course rehearsal (read once per session), or `None` for a broadcast.
fn rehearsal_scenario(from: &Sources, session: &LiveSession) -> Option<anchordesk_course::Scenario> {
    let attempt = from.store.lock().unwrap_or_else(|p| p.into_inner()).course_attempt(session.broadcast_id).ok().flatten()?;
    let (scenarios, _) = anchordesk_course::scenarios_with_folder(&from.data_dir.join("scenarios"));
    scenarios.into_iter().find(|s| s.id == attempt.scenario_id)
}

/// The reminders still open at `media_ms`.
pub fn due_prompts(scenario: &anchordesk_course::Scenario, media_ms: i64) -> Vec<DuePrompt> {
    anchordesk_course_desk::due_prompts(scenario, media_ms)
        .into_iter()
        .filter(|p| p.until_ms > media_ms)
        .map(|p| DuePrompt { event_id: p.event_id, sku: p.sku, seconds_left: ((p.until_ms - media_ms) / 1000) as i32 })
        .collect()
}
