//! What the pipeline's threads share: the stop flag and why, media time 0 on the wall
//! clock, the newest media time, counters, the push state, markers; and the messages the
//! encoders send the writer. Each FFmpeg resource stays with its own thread.

use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering};
use std::sync::{Condvar, Mutex};
use std::time::{Duration, Instant};

use ffmpeg_next::codec;

use crate::marker::Marker;
use crate::stats::{AudioLevel, Counters, DestinationStats, PushState};

/// Why the pipeline stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub enum StopReason {
    /// Still running.
    Running,
    /// [`PipelineHandle::stop`] was called.
    Requested,
    /// The configured duration was reached.
    Duration,
    /// The disk filled up (or came within a few seconds of it).
    DiskFull,
    /// Writing the recording failed for another reason.
    WriteFailed,
}

pub(crate) enum WriterMsg {
    Video(codec::packet::Packet),
    Audio(codec::packet::Packet),
    /// The second canvas's picture: for its pushes only.
    SecondVideo(codec::packet::Packet),
    VideoEnd,
    AudioEnd,
    SecondVideoEnd,
}

/// State the pipeline threads share; each FFmpeg resource stays with its own thread.
pub(crate) struct Shared {
    pub stop: AtomicBool,
    pub(crate) stop_info: Mutex<(StopReason, Option<Instant>)>,
    pub realtime: bool,
    pub(crate) fps: u32,
    pub(crate) t0: Mutex<Option<Instant>>,
    pub(crate) t0_set: Condvar,
    /// End of media in µs once the compositor has stopped, else -1.
    pub(crate) end_us: AtomicI64,
    /// Media time of the newest composed frame, µs.
    pub media_us: AtomicI64,
    /// Media time of the first frame that showed the last overlay change, µs; -1 before any.
    pub overlay_applied_us: AtomicI64,
    pub counters: Counters,
    /// One per push destination, in the order of `Config::all_pushes`.
    pub(crate) destinations: Vec<Destination>,
    pub markers: Mutex<Vec<Marker>>,
    pub finished: AtomicBool,
    /// Microphone level, every 100 ms.
    pub audio_level: tokio::sync::watch::Sender<AudioLevel>,
    /// The phone link of this broadcast, made when a scene first shows the phone.
    phone: Mutex<Option<crate::phone::PhoneLink>>,
    /// The level of the sound that goes out (voice and music), every 100 ms.
    pub(crate) program_level: Mutex<crate::stats::AudioLevel>,
    /// The music's level as heard (after its gain and the ducking); `None` without music.
    pub(crate) music_level: Mutex<Option<crate::stats::AudioLevel>>,
    /// Why libx264 took over from a hardware encoder mid-recording, once it has.
    pub(crate) encoder_takeover: Mutex<Option<String>>,
    /// What became of the second canvas's encoder (libx264 took over, or it stopped), once
    /// something did; the recording's own is `encoder_takeover`.
    pub(crate) second_encoder_note: Mutex<Option<String>>,
    /// A live layer of the second canvas shows its slate.
    pub(crate) second_source_lost: std::sync::atomic::AtomicBool,
    /// The phone's sound, from the phone's source thread to the audio thread.
    pub(crate) phone_sound: crate::phone_sound::PhoneSound,
    /// The phone's sound as heard (after its gain), every 100 ms; `None` while none comes.
    pub(crate) phone_level: Mutex<Option<crate::stats::AudioLevel>>,
}

impl Shared {
    /// `destinations`: every push in order, each with whether it is on the second canvas.
    pub(crate) fn new(realtime: bool, fps: u32, destinations: &[(&crate::StreamUrl, bool)]) -> Shared {
        Shared {
            stop: AtomicBool::new(false),
            stop_info: Mutex::new((StopReason::Running, None)),
            realtime,
            fps,
            t0: Mutex::new(None),
            t0_set: Condvar::new(),
            end_us: AtomicI64::new(-1),
            media_us: AtomicI64::new(0),
            overlay_applied_us: AtomicI64::new(-1),
            counters: Counters::default(),
            encoder_takeover: Mutex::new(None),
            phone_sound: Default::default(),
            second_encoder_note: Mutex::new(None),
            second_source_lost: std::sync::atomic::AtomicBool::new(false),
            phone_level: Mutex::new(None),
            program_level: Mutex::new(crate::stats::AudioLevel::default()),
            music_level: Mutex::new(None),
            destinations: destinations.iter().map(|(url, second)| Destination::new(url, *second)).collect(),
            markers: Mutex::new(Vec::new()),
            finished: AtomicBool::new(false),
            audio_level: tokio::sync::watch::Sender::new(AudioLevel::default()),
            phone: Mutex::new(None),
        }
    }

    pub(crate) fn request_stop(&self, reason: StopReason) {
        let mut info = self.stop_info.lock().unwrap_or_else(|p| p.into_inner());
        if info.0 == StopReason::Running {
            *info = (reason, Some(Instant::now()));
        }
        self.stop.store(true, Ordering::SeqCst);
        drop(info);
        // Wake the audio thread if it still waits for media time 0; holding the lock
        // while notifying makes sure it is either waiting or will see the flag.
        let _t0 = self.t0.lock().unwrap_or_else(|p| p.into_inner());
        self.t0_set.notify_all();
    }

    pub(crate) fn stop_reason(&self) -> StopReason {
        self.stop_info.lock().unwrap_or_else(|p| p.into_inner()).0
    }

    pub(crate) fn stop_requested_for(&self) -> Duration {
        self.stop_info
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .1
            .map_or(Duration::ZERO, |t| t.elapsed())
    }

    pub(crate) fn set_t0(&self, t0: Instant) {
        *self.t0.lock().unwrap_or_else(|p| p.into_inner()) = Some(t0);
        self.t0_set.notify_all();
    }

    /// Waits for the compositor to fix media time 0 on the wall clock.
    pub(crate) fn wait_t0(&self, timeout: Duration) -> Option<Instant> {
        let guard = self.t0.lock().unwrap_or_else(|p| p.into_inner());
        let (guard, _) = self
            .t0_set
            .wait_timeout_while(guard, timeout, |t0| {
                t0.is_none() && !self.stop.load(Ordering::Relaxed)
            })
            .unwrap_or_else(|p| p.into_inner());
        *guard
    }

    /// Where audio must end, in samples at `rate`, once known.
    pub(crate) fn end_samples(&self, rate: u32) -> Option<i64> {
        let end = self.end_us.load(Ordering::SeqCst);
        (end >= 0).then(|| end * rate as i64 / 1_000_000)
    }

    /// This broadcast's phone link: made once, the same for every scene that shows the phone.
    pub(crate) fn phone_link(&self, listen: &crate::config::PhoneListen) -> Result<crate::phone::PhoneLink, crate::CaptureError> {
        let mut slot = self.phone.lock().unwrap_or_else(|p| p.into_inner());
        match &*slot {
            Some(link) => Ok(link.clone()),
            None => Ok(slot.insert(crate::phone::PhoneLink::new(listen)?).clone()),
        }
    }

    pub(crate) fn phone_url(&self) -> Option<String> {
        self.phone.lock().unwrap_or_else(|p| p.into_inner()).as_ref().map(|l| l.url.clone())
    }

    /// Packets dropped for any push, in total.
    pub(crate) fn push_dropped(&self) -> u64 {
        self.destinations
            .iter()
            .map(|d| Counters::get(&d.dropped))
            .sum()
    }

    /// Reconnections of any push, in total.
    pub(crate) fn push_reconnects(&self) -> u64 {
        self.destinations
            .iter()
            .map(|d| Counters::get(&d.reconnects))
            .sum()
    }

    pub(crate) fn fps(&self) -> u32 {
        self.fps
    }

    pub(crate) fn media_ms(&self) -> u32 {
        (self.media_us.load(Ordering::Relaxed).max(0) / 1000) as u32
    }

    pub(crate) fn frame_us(&self, n: i64) -> i64 {
        n * 1_000_000 / self.fps as i64
    }
}

/// What one push destination's thread shares with the writer, the stats and the handle.
pub(crate) struct Destination {
    /// The URL with its stream key masked: safe for logs and the window.
    pub masked: String,
    /// Fed by the second canvas's encoder.
    pub second_canvas: bool,
    state: Mutex<PushState>,
    pub reconnects: AtomicU64,
    pub bytes: AtomicU64,
    pub dropped: AtomicU64,
    /// Set by [`crate::PipelineHandle::reconnect_now`]: skip the wait before the next attempt.
    pub reconnect_now: AtomicBool,
}

impl Destination {
    fn new(url: &crate::StreamUrl, second_canvas: bool) -> Destination {
        Destination {
            masked: url.masked(),
            second_canvas,
            state: Mutex::new(PushState::Reconnecting {
                attempt: 0,
                retry_in_ms: 0,
                last_error: String::new(),
            }),
            reconnects: AtomicU64::new(0),
            bytes: AtomicU64::new(0),
            dropped: AtomicU64::new(0),
            reconnect_now: AtomicBool::new(false),
        }
    }

    pub(crate) fn set_state(&self, state: PushState) {
        *self.state.lock().unwrap_or_else(|p| p.into_inner()) = state;
    }

    pub(crate) fn state(&self) -> PushState {
        self.state.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// The figures for the window, with the bitrate since `prev_bytes` over `secs`.
    pub(crate) fn stats(&self, prev_bytes: u64, secs: f64) -> DestinationStats {
        let bytes = Counters::get(&self.bytes);
        DestinationStats {
            url: self.masked.clone(),
            second_canvas: self.second_canvas,
            state: self.state(),
            bitrate_kbps: bytes.saturating_sub(prev_bytes) as f64 * 8.0 / 1000.0 / secs,
            dropped_packets: Counters::get(&self.dropped) as u32,
            reconnects: Counters::get(&self.reconnects) as u32,
        }
    }
}
