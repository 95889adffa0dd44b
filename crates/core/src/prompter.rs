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
