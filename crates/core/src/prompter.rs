//! The teleprompter's cursor: which segment is being presented, since when, and how much
//! of its planned time is left. Pure logic; the app keeps one cursor and moves it on a hotkey.

use crate::model::BroadcastId;
use crate::plan::RunOfShow;
use serde::{Deserialize, Serialize};

/// Where the prompter is.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct PrompterCursor {
    pub broadcast_id: BroadcastId,
    /// 0-based index into the run-of-show's segments.
    pub segment_idx: i32,
    /// When the current segment started, in milliseconds since the Unix epoch.
    #[cfg_attr(feature = "specta", specta(type = i32))]
    pub segment_started_ms: i64,
}

/// How urgent the countdown looks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub enum CountdownLevel {
    Normal,
    /// Less than a fifth of the segment (or one minute) left.
    Amber,
    /// Over time.
    Red,
}

impl PrompterCursor {
    /// A cursor on the first segment, starting now.
    pub fn start(broadcast_id: BroadcastId, now_ms: i64) -> PrompterCursor {
        PrompterCursor { broadcast_id, segment_idx: 0, segment_started_ms: now_ms }
    }

    /// Moves by `step` segments (clamped to the run-of-show) and restarts the segment clock
    /// when the segment changed. Returns whether it moved.
    pub fn advance(&mut self, step: i32, n_segments: usize, now_ms: i64) -> bool {
        if n_segments == 0 {
            return false;
        }
        let last = (n_segments - 1) as i32;
        let target = (self.segment_idx + step).clamp(0, last);
        if target == self.segment_idx {
            return false;
        }
        self.segment_idx = target;
        self.segment_started_ms = now_ms;
        true
    }
}

/// Seconds left in the current segment (negative when over) and how urgent that is.
pub fn countdown(show: &RunOfShow, cursor: &PrompterCursor, now_ms: i64) -> Option<(i64, CountdownLevel)> {
    let segment = show.segments.get(usize::try_from(cursor.segment_idx).ok()?)?;
    let planned = segment.minutes as i64 * 60;
    let elapsed = (now_ms - cursor.segment_started_ms).max(0) / 1000;
    let left = planned - elapsed;
    let level = if left < 0 {
        CountdownLevel::Red
    } else if left <= (planned / 5).max(60.min(planned)) {
        CountdownLevel::Amber
    } else {
        CountdownLevel::Normal
    };
    Some((left, level))
}

/// What the prompter shows now.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct PrompterView {
    pub cursor: PrompterCursor,
    pub show: RunOfShow,
    /// Seconds left in the current segment; negative when over time.
    #[cfg_attr(feature = "specta", specta(type = i32))]
    pub seconds_left: i64,
    pub level: CountdownLevel,
}

/// The desk's one teleprompter cursor: the main window, the prompter window, the global
/// hotkeys and the product on air all move the same one. Closed until first opened.
#[derive(Debug, Default)]
pub struct Prompter {
    cursor: std::sync::Mutex<Option<PrompterCursor>>,
}

impl Prompter {
    fn cursor(&self) -> std::sync::MutexGuard<'_, Option<PrompterCursor>> {
        self.cursor.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn closed() -> crate::StoreError {
        crate::StoreError::NotFound { entity: "open prompter", id: 0 }
    }

    /// Opens on a broadcast: brought forward mid-show it keeps its place; another broadcast
    /// starts over at the first segment.
    pub fn open(&self, broadcast_id: BroadcastId, now_ms: i64) -> PrompterCursor {
        let mut cursor = self.cursor();
        match cursor.as_ref() {
            Some(open) if open.broadcast_id == broadcast_id => open.clone(),
            _ => cursor.insert(PrompterCursor::start(broadcast_id, now_ms)).clone(),
        }
    }

    /// The broadcast the prompter is open on.
    pub fn broadcast(&self) -> Option<BroadcastId> {
        self.cursor().as_ref().map(|c| c.broadcast_id)
    }

    /// The segment, the run-of-show and the countdown as of `now_ms`.
    pub fn view(&self, store: &crate::Store, now_ms: i64) -> Result<PrompterView, crate::StoreError> {
        let cursor = self.cursor().clone().ok_or_else(Prompter::closed)?;
        let show = store.run_of_show(cursor.broadcast_id)?;
        let (seconds_left, level) = countdown(&show, &cursor, now_ms).unwrap_or((0, CountdownLevel::Normal));
        Ok(PrompterView { cursor, show, seconds_left, level })
    }

    /// Moves by `step` segments (1 = next, -1 = previous).
    pub fn step(&self, store: &crate::Store, step: i32, now_ms: i64) -> Result<PrompterCursor, crate::StoreError> {
        let broadcast = self.broadcast().ok_or_else(Prompter::closed)?;
        let n_segments = store.run_of_show(broadcast)?.segments.len();
        let mut cursor = self.cursor();
        let cursor = cursor.as_mut().ok_or_else(Prompter::closed)?;
        cursor.advance(step, n_segments, now_ms);
        Ok(cursor.clone())
    }

    /// Moves to the segment of the line-up item now on air, so the anchor reads that
    /// product's talking points; `None` when closed or the item has no segment.
    pub fn follow(&self, store: &crate::Store, item: crate::LineupItemId, now_ms: i64) -> Result<Option<PrompterCursor>, crate::StoreError> {
        let Some(broadcast) = self.broadcast() else { return Ok(None) };
        let show = store.run_of_show(broadcast)?;
        let Some(idx) = show.segments.iter().position(|s| s.segment.lineup_item_id == Some(item)) else { return Ok(None) };
        let mut cursor = self.cursor();
        let Some(cursor) = cursor.as_mut() else { return Ok(None) };
        cursor.advance(idx as i32 - cursor.segment_idx, show.segments.len(), now_ms);
        Ok(Some(cursor.clone()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::{Person, Segment, SegmentDraft, SegmentId, SegmentKind, SegmentView};

    fn show(minutes: &[i32]) -> RunOfShow {
        let segments = minutes
            .iter()
            .enumerate()
            .map(|(idx, m)| SegmentView {
                segment: Segment {
                    id: SegmentId(idx as i64),
                    broadcast_id: BroadcastId(1),
                    position: idx as i32,
                    lineup_item_id: None,
                    draft: SegmentDraft {
                        kind: SegmentKind::Other,
                        title: format!("s{idx}"),
                        title_en: String::new(),
                        planned_minutes: *m,
                        person: Person::Anchor,
                        talking_points: String::new(),
                        cues: String::new(),
                    },
                },
                minutes: *m,
                starts_at_minute: 0,
                product: None,
            })
            .collect();
        RunOfShow { broadcast_id: BroadcastId(1), segments, planned_minutes: minutes.iter().sum(), target_minutes: 0 }
    }

    #[test]
    fn the_countdown_turns_amber_then_red() {
        let show = show(&[10]);
        let cursor = PrompterCursor::start(BroadcastId(1), 0);
        assert_eq!(countdown(&show, &cursor, 0), Some((600, CountdownLevel::Normal)));
        assert_eq!(countdown(&show, &cursor, 479_000), Some((121, CountdownLevel::Normal)));
        assert_eq!(countdown(&show, &cursor, 480_000), Some((120, CountdownLevel::Amber)));
        assert_eq!(countdown(&show, &cursor, 601_000), Some((-1, CountdownLevel::Red)));
    }

    #[test]
    fn a_short_segment_is_amber_in_its_last_minute() {
        let show = show(&[2]);
        let cursor = PrompterCursor::start(BroadcastId(1), 0);
        assert_eq!(countdown(&show, &cursor, 59_000).unwrap().1, CountdownLevel::Normal);
        assert_eq!(countdown(&show, &cursor, 60_000).unwrap().1, CountdownLevel::Amber);
    }

    #[test]
    fn advancing_clamps_and_restarts_the_clock() {
        let mut cursor = PrompterCursor::start(BroadcastId(1), 0);
        assert!(!cursor.advance(-1, 3, 5_000), "no segment before the first");
        assert!(cursor.advance(1, 3, 5_000));
        assert_eq!((cursor.segment_idx, cursor.segment_started_ms), (1, 5_000));
        assert!(cursor.advance(5, 3, 9_000));
        assert_eq!(cursor.segment_idx, 2);
        assert!(!cursor.advance(1, 3, 10_000));
        assert_eq!(cursor.segment_started_ms, 9_000, "not moving keeps the clock");
        assert!(!cursor.advance(1, 0, 0), "an empty run-of-show has nowhere to go");
    }
}
