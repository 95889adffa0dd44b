//! The live room in the window: what the desk keeps of it (pulled from the platform while
//! on air by the live session, which pushes what is new), and the quick replies.

use anchordesk_core::room::RoomPage;

crate::state::store_commands! {
    /// The session's room as kept by the desk, from a cursor (at most 500 events), with the
    /// replies and, when asked for, the figures; works offline for everything already pulled.
    fn room_events(session_id: anchordesk_core::live::SessionId, after: i32, with_summary: bool) -> RoomPage = |store| store.room_page(session_id, after as i64, with_summary);
    fn quick_replies() -> Vec<String> = |store| store.quick_replies();
    fn save_quick_replies(replies: Vec<String>) -> Vec<String> = |store| store.save_quick_replies(&replies);
}
