//! Health figures, published once a second.

use std::sync::atomic::{AtomicU64, Ordering};

/// State of the RTMP push.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase", tag = "state")]
pub enum PushState {
    /// No push configured.
    Off,
    /// Connected and sending.
    Live,
    /// The connection dropped; the next attempt comes in `retry_in_ms`.
    #[serde(rename_all = "camelCase")]
    Reconnecting {
        attempt: u32,
        retry_in_ms: u32,
        last_error: String,
    },
    /// The push ended with the recording.
    Stopped,
}

/// One push destination's second of health.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct DestinationStats {
    /// The URL with its stream key masked.
    pub url: String,
    /// Pushes the second canvas's picture (see [`crate::SecondCanvas`]).
    pub second_canvas: bool,
    pub state: PushState,
    pub bitrate_kbps: f64,
    /// Packets this push could not send in time.
    pub dropped_packets: u32,
    /// Times this push connected again after losing its connection.
    pub reconnects: u32,
}

/// One second of pipeline health.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct Stats {
    /// Media time of the last frame handed to the encoder.
    pub media_time_ms: f64,
    /// Frames encoded in the last second.
    pub fps: f64,
    /// How far encoded video trails the composed video (includes encoder look-ahead).
    pub encoder_lag_ms: f64,
    /// Average wall time the encoder spent per frame in the last second.
    pub encode_ms_per_frame: f64,
    /// Frames the encoder could not take in time (OBS: "skipped frames due to encoding lag").
    pub skipped_frames: u32,
    pub skipped_last_second: u32,
    /// Packets the pushes could not send in time, all destinations together (OBS:
    /// "dropped frames").
    pub dropped_frames: u32,
    /// Frames repeated because the camera delivered none in time.
    pub duplicated_frames: u32,
    /// Frames composed in total.
    pub total_frames: u32,
    /// True when more than 10 frames were skipped in the last second or at least 0.1 % in total.
    pub skipped_alarm: bool,
    /// Encoded bits per second (video and audio) over the last second.
    pub bitrate_kbps: f64,
    /// The first destination's state (the platform's ingest when there is one); `Off`
    /// without any.
    pub push: PushState,
    pub push_bitrate_kbps: f64,
    /// Every push destination in the order they were configured, each with its own state.
    pub destinations: Vec<DestinationStats>,
    pub recording_bytes: f64,
    pub disk_free_bytes: Option<f64>,
    /// The camera is lost and the slate is on air.
    pub source_lost: bool,
    /// Microphone level over the last 100 ms.
    pub audio_level: AudioLevel,
    /// The level of what goes out (the voice after its gain, and the music) over the last
    /// 100 ms.
    pub program_level: AudioLevel,
    /// The music's level as heard (after its gain and the ducking); `None` without music.
    pub music_level: Option<AudioLevel>,
    /// The phone's sound as heard (after its gain); `None` while no phone sends sound.
    pub phone_level: Option<AudioLevel>,
    /// Frames of the phone's sound dropped (its clock ahead) and gaps heard (behind), so far.
    pub phone_sound_glitches: u32,
    /// How far the microphone's clock has drifted from the video since the last
    /// correction (positive: audio ahead).
    pub audio_drift_ms: f64,
    /// Audio frames dropped or inserted to keep a drifting microphone in sync.
    pub audio_corrections: u32,
    /// The pipeline has stopped.
    pub finished: bool,
    /// The H.264 encoder in use, e.g. `libx264` or `h264_nvenc`.
    pub encoder: String,
    /// Why the encoder asked for is not in use (it fell back to libx264).
    pub encoder_fallback: Option<String>,
    /// The second canvas's encoding, when there is one.
    pub second_canvas: Option<SecondCanvasStats>,
}

/// One second of the second canvas's encoding.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct SecondCanvasStats {
    pub width: u32,
    pub height: u32,
    /// Frames encoded in the last second.
    pub fps: f64,
    pub encode_ms_per_frame: f64,
    /// Frames its encoder could not take in time, in total and in the last second.
    pub skipped_frames: u32,
    pub skipped_last_second: u32,
    /// One of its live layers shows its slate.
    pub source_lost: bool,
    /// What became of its encoder: libx264 took over from a failed hardware encoder, or it
    /// stopped (its pushes then stop; the recording and the other pushes go on).
    pub encoder_note: Option<String>,
}

impl Default for Stats {
    fn default() -> Self {
        Stats {
            media_time_ms: 0.0,
            fps: 0.0,
            encoder_lag_ms: 0.0,
            encode_ms_per_frame: 0.0,
            skipped_frames: 0,
            skipped_last_second: 0,
            dropped_frames: 0,
            duplicated_frames: 0,
            total_frames: 0,
            skipped_alarm: false,
            bitrate_kbps: 0.0,
            push: PushState::Off,
            push_bitrate_kbps: 0.0,
            destinations: Vec::new(),
            recording_bytes: 0.0,
            disk_free_bytes: None,
            source_lost: false,
            audio_level: AudioLevel::default(),
            program_level: AudioLevel::default(),
            music_level: None,
            phone_level: None,
            phone_sound_glitches: 0,
            audio_drift_ms: 0.0,
            audio_corrections: 0,
            finished: false,
            encoder: String::new(),
            encoder_fallback: None,
            second_canvas: None,
        }
    }
}

/// Audio level in dB relative to full scale; -100 stands for silence.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct AudioLevel {
    pub peak_dbfs: f64,
    pub rms_dbfs: f64,
}

impl Default for AudioLevel {
    fn default() -> Self {
        AudioLevel {
            peak_dbfs: SILENCE_DB,
            rms_dbfs: SILENCE_DB,
        }
    }
}

const SILENCE_DB: f64 = -100.0;

fn to_db(amplitude: f64) -> f64 {
    if amplitude <= 1e-5 {
        SILENCE_DB
    } else {
        (20.0 * amplitude.log10()).max(SILENCE_DB)
    }
}

/// Accumulates samples into one [`AudioLevel`] per window.
pub(crate) struct LevelMeter {
    peak: f32,
    sum_squares: f64,
    n_samples: usize,
    window: usize,
}

impl LevelMeter {
    pub(crate) fn new(window: usize) -> LevelMeter {
        LevelMeter {
            peak: 0.0,
            sum_squares: 0.0,
            n_samples: 0,
            window,
        }
    }

    /// Adds one channel's samples; returns a level when a window is complete.
    pub(crate) fn add(&mut self, samples: &[f32], n_channels: usize) -> Option<AudioLevel> {
        for &x in samples {
            self.peak = self.peak.max(x.abs());
            self.sum_squares += (x as f64) * (x as f64);
        }
        self.n_samples += samples.len() / n_channels.max(1);
        if self.n_samples < self.window {
            return None;
        }
        let rms = (self.sum_squares / (self.n_samples * n_channels.max(1)) as f64).sqrt();
        let level = AudioLevel {
            peak_dbfs: to_db(self.peak as f64),
            rms_dbfs: to_db(rms),
        };
        *self = LevelMeter::new(self.window);
        Some(level)
    }
}

/// The OBS rule: more than 10 skipped frames in one second, or at least 0.1 % overall.
pub fn skipped_alarm(skipped_last_second: u32, skipped_total: u32, total_frames: u32) -> bool {
    skipped_last_second > 10
        || (total_frames > 0
            && skipped_total as u64 * 1000 >= total_frames as u64
            && skipped_total > 0)
}

/// Counters the pipeline threads bump; the stats thread turns them into [`Stats`].
#[derive(Default)]
pub(crate) struct Counters {
    pub frames_composed: AtomicU64,
    pub frames_encoded: AtomicU64,
    pub frames_skipped: AtomicU64,
    pub frames_duplicated: AtomicU64,
    pub encoded_bytes: AtomicU64,
    pub encode_ns: AtomicU64,
    /// Media time of the newest encoded video packet, in microseconds.
    pub encoded_media_us: AtomicU64,
    pub source_lost: std::sync::atomic::AtomicBool,
    /// Microphone clock drift against the system clock, µs (signed).
    pub audio_drift_us: std::sync::atomic::AtomicI64,
    pub audio_corrections: AtomicU64,
    /// The second canvas's encoder (see [`crate::SecondCanvas`]).
    pub second_frames_encoded: AtomicU64,
    pub second_frames_skipped: AtomicU64,
    pub second_encode_ns: AtomicU64,
}

impl Counters {
    pub(crate) fn get(c: &AtomicU64) -> u64 {
        c.load(Ordering::Relaxed)
    }

    pub(crate) fn add(c: &AtomicU64, n: u64) {
        c.fetch_add(n, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn level_meter_reads_a_full_scale_sine_and_silence() {
        let mut meter = LevelMeter::new(4800);
        let sine: Vec<f32> = (0..4800)
            .map(|i| (i as f32 * 440.0 * std::f32::consts::TAU / 48000.0).sin())
            .collect();
        let level = meter.add(&sine, 1).expect("one full window");
        assert!(
            level.peak_dbfs > -0.1 && level.peak_dbfs <= 0.0,
            "{level:?}"
        );
        assert!(
            (level.rms_dbfs + 3.01).abs() < 0.1,
            "a sine's RMS is -3 dBFS: {level:?}"
        );
        assert_eq!(meter.add(&[0.0; 4800], 1), Some(AudioLevel::default()));
        assert_eq!(meter.add(&[0.5; 100], 1), None, "window not complete");
    }

    #[test]
    fn alarm_follows_obs_thresholds() {
        let cases = [
            (11, 11, 100_000, true),
            (10, 10, 100_000, false),
            (0, 10, 10_000, true),
            (0, 9, 10_000, false),
            (0, 0, 0, false),
        ];
        for (last, total, frames, alarm) in cases {
            assert_eq!(
                skipped_alarm(last, total, frames),
                alarm,
                "{last} {total} {frames}"
            );
        }
    }
}
