//! Pulling the live room into the desk's store: the platform's events of a broadcast,
//! from the cursor kept with the session (the largest `seq` already kept), page by page.
//! A pull interrupted anywhere is simply run again: nothing is kept twice.

use anchordesk_core::Store;
use anchordesk_core::live::SessionId;
use anchordesk_core::room::{RoomEvent, RoomEventKind};
use anchordesk_platform::{LiveEvent, LiveEventKind, Platform, PlatformError};
use std::sync::{Arc, Mutex};

/// Why a pull stopped.
#[derive(Debug, thiserror::Error)]
pub enum PullError {
    #[error("the platform did not answer: {0}")]
    Platform(#[from] PlatformError),
    #[error("the desk's store failed: {0}")]
    Store(#[from] anchordesk_core::StoreError),
}

/// The desk's flat record of one platform event.
pub fn room_event(event: &LiveEvent) -> RoomEvent {
    let base = RoomEvent { seq: event.seq, at_ms: event.at_ms, ..RoomEvent::default() };
    match &event.event {
        LiveEventKind::Comment { user, text, scripted } => RoomEvent {
            kind: Some(RoomEventKind::Comment),
            user: Some(user.clone()),
            text: Some(text.clone()),
            scripted: scripted.clone(),
            ..base
        },
        LiveEventKind::Like { count } => RoomEvent { kind: Some(RoomEventKind::Like), quantity: Some(*count), ..base },
        LiveEventKind::Order { order_id, sku, quantity, amount_fen, .. } => RoomEvent {
            kind: Some(RoomEventKind::Order),
            sku: Some(sku.clone()),
            text: Some(order_id.clone()),
            quantity: Some(*quantity),
            amount_fen: Some(*amount_fen),
            ..base
        },
        LiveEventKind::Viewers { online, entered, .. } => {
            RoomEvent { kind: Some(RoomEventKind::Viewers), online: Some(*online), quantity: Some(*entered), ..base }
        }
        LiveEventKind::Pinned { sku } => RoomEvent { kind: Some(RoomEventKind::Pinned), sku: sku.clone(), ..base },
        LiveEventKind::Status { status } => {
            RoomEvent { kind: Some(RoomEventKind::Status), text: serde_json::to_value(status).ok().and_then(|v| v.as_str().map(str::to_string)), ..base }
        }
        LiveEventKind::Stock { sku, available, scripted } => RoomEvent {
            kind: Some(RoomEventKind::Stock),
            sku: Some(sku.clone()),
            quantity: Some((*available).clamp(0, i32::MAX as i64) as i32),
            scripted: scripted.clone(),
            ..base
        },
        LiveEventKind::Reply { comment_seq, text } => {
            RoomEvent { kind: Some(RoomEventKind::Reply), ref_seq: Some(*comment_seq), text: Some(text.clone()), ..base }
        }
    }
}

/// Pulls what is new in the room of `broadcast_id` (the platform's id) into `session`.
/// Returns how many events were new.
pub async fn pull_room(platform: &dyn Platform, store: &Arc<Mutex<Store>>, session: SessionId, broadcast_id: &str) -> Result<usize, PullError> {
    let mut added = 0;
    loop {
        let after = store.lock().unwrap_or_else(|p| p.into_inner()).room_cursor(session)?;
        let page = platform.events(broadcast_id, after, 200).await?;
        if page.items.is_empty() {
            return Ok(added);
        }
        let events: Vec<RoomEvent> = page.items.iter().map(room_event).collect();
        added += store.lock().unwrap_or_else(|p| p.into_inner()).keep_room_events(session, &events)?;
        if page.next_after <= after {
            return Ok(added);
        }
    }
}
