//! The automatic preflight before going live: each check measured (devices, encoder speed,
//! upload bandwidth, disk for the planned length, the platform) and judged against what
//! the broadcast needs. Codes and figures only; the window words them.

use serde::{Deserialize, Serialize};

/// What is checked.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub enum PreflightCheck {
    Camera,
    Microphone,
    /// Frames per second the encoder reaches at the chosen size, against the frame rate.
    Encoder,
    /// Upload speed to the platform, against the chosen bitrate.
    Bandwidth,
    /// Free disk against the recording's size for the planned length.
    Disk,
    /// The platform answers with these credentials.
    Platform,
}

/// How a check came out.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub enum PreflightStatus {
    Pass,
    /// Works, with little margin (or with the test source instead of a device).
    Warn,
    Fail,
}

/// One check's result: what was measured against what is needed, in the check's unit
/// (fps, kbit/s, MiB), and the reason when it could not be measured.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct PreflightItem {
    pub check: PreflightCheck,
    pub status: PreflightStatus,
    pub measured: Option<f64>,
    pub needed: Option<f64>,
    /// What was found (a device name, an encoder preset) or why it failed.
    pub note: Option<String>,
}

/// Margins: an encoder must run 1.2× real time to pass; the uplink must carry 1.5× the
/// bitrate (audio, RTMP overhead and the swings of a real network); the disk must hold
/// 1.2× the planned recording.
pub const ENCODER_MARGIN: f64 = 1.2;
pub const BANDWIDTH_MARGIN: f64 = 1.5;
pub const DISK_MARGIN: f64 = 1.2;

fn by_margin(measured: f64, needed: f64, margin: f64) -> PreflightStatus {
    if measured >= needed * margin {
        PreflightStatus::Pass
    } else if measured >= needed {
        PreflightStatus::Warn
    } else {
        PreflightStatus::Fail
    }
}

/// The encoder against the frame rate.
pub fn encoder(measured_fps: f64, fps: u32, preset: &str) -> PreflightItem {
    PreflightItem {
        check: PreflightCheck::Encoder,
        status: by_margin(measured_fps, fps as f64, ENCODER_MARGIN),
        measured: Some(measured_fps),
        needed: Some(fps as f64),
        note: Some(preset.to_string()),
    }
}

/// Two pictures encoded at once (the broadcast's and the second, `second_size`) against the
/// frame rate: each frame time measured alone, added, for the two encodes share the cores.
pub fn encoder_two_pictures(first_fps: f64, second_fps: f64, fps: u32, preset: &str, (width, height): (u32, u32)) -> PreflightItem {
    let both = if first_fps > 0.0 && second_fps > 0.0 { 1.0 / (1.0 / first_fps + 1.0 / second_fps) } else { 0.0 };
    PreflightItem {
        check: PreflightCheck::Encoder,
        status: by_margin(both, fps as f64, ENCODER_MARGIN),
        measured: Some(both),
        needed: Some(fps as f64),
        note: Some(format!("{preset} + {width}×{height}")),
    }
}

/// The uplink against the bitrate (video plus 128 kbit/s of audio).
pub fn bandwidth(measured_kbps: f64, video_kbps: u32) -> PreflightItem {
    let needed = (video_kbps + 128) as f64;
    PreflightItem {
        check: PreflightCheck::Bandwidth,
        status: by_margin(measured_kbps, needed, BANDWIDTH_MARGIN),
        measured: Some(measured_kbps),
        needed: Some(needed),
        note: None,
    }
}

/// Bytes a recording of `minutes` at `video_kbps` (plus 128 kbit/s of audio) takes.
pub fn recording_bytes(minutes: u32, video_kbps: u32) -> u64 {
    (video_kbps as u64 + 128) * 1000 / 8 * 60 * minutes as u64
}

/// Free disk against the planned recording, in MiB.
pub fn disk(free_bytes: u64, planned_minutes: u32, video_kbps: u32) -> PreflightItem {
    let mib = |bytes: u64| bytes as f64 / (1024.0 * 1024.0);
    let needed = recording_bytes(planned_minutes.max(1), video_kbps);
    PreflightItem {
        check: PreflightCheck::Disk,
        status: by_margin(free_bytes as f64, needed as f64, DISK_MARGIN),
        measured: Some(mib(free_bytes)),
        needed: Some(mib(needed)),
        note: None,
    }
}

/// A device check: found and connected passes; the test source (no device chosen) warns;
/// a chosen device that is missing fails.
pub fn device(check: PreflightCheck, chosen: Option<&str>, connected: bool) -> PreflightItem {
    let status = match (chosen, connected) {
        (Some(_), true) => PreflightStatus::Pass,
        (None, _) => PreflightStatus::Warn,
        (Some(_), false) => PreflightStatus::Fail,
    };
    PreflightItem { check, status, measured: None, needed: None, note: chosen.map(str::to_string) }
}

/// A check that could not be measured at all.
pub fn failed(check: PreflightCheck, reason: impl Into<String>) -> PreflightItem {
    PreflightItem { check, status: PreflightStatus::Fail, measured: None, needed: None, note: Some(reason.into()) }
}

/// The platform: reachable and authorised (its shop's name), or why not.
pub fn platform(result: Result<String, String>) -> PreflightItem {
    match result {
        Ok(shop) => PreflightItem { check: PreflightCheck::Platform, status: PreflightStatus::Pass, measured: None, needed: None, note: Some(shop) },
        Err(reason) => failed(PreflightCheck::Platform, reason),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_check_passes_warns_and_fails_at_its_margin() {
        assert_eq!(encoder(40.0, 30, "veryfast").status, PreflightStatus::Pass);
        assert_eq!(encoder(31.0, 30, "ultrafast").status, PreflightStatus::Warn);
        assert_eq!(encoder(20.0, 30, "ultrafast").status, PreflightStatus::Fail);
        assert_eq!(bandwidth(5_000.0, 2_500).status, PreflightStatus::Pass);
        assert_eq!(bandwidth(3_000.0, 2_500).status, PreflightStatus::Warn, "carries it, without margin");
        assert_eq!(bandwidth(1_000.0, 2_500).status, PreflightStatus::Fail);
        // 2.5 Mbit/s + audio for an hour is about 1.1 GB.
        assert_eq!(recording_bytes(60, 2_500), 1_182_600_000);
        assert_eq!(disk(10 << 30, 60, 2_500).status, PreflightStatus::Pass);
        // Two pictures at 120 and 120 fps alone make 60 fps together: twice 30, a pass.
        let two = encoder_two_pictures(120.0, 120.0, 30, "veryfast", (720, 1280));
        assert_eq!((two.measured, two.note.as_deref()), (Some(60.0), Some("veryfast + 720×1280")));
        assert_eq!(encoder_two_pictures(60.0, 60.0, 30, "veryfast", (720, 1280)).status, encoder(30.0, 30, "veryfast").status);
        assert_eq!(encoder_two_pictures(0.0, 60.0, 30, "veryfast", (720, 1280)).measured, Some(0.0));
        assert_eq!(disk(1_200_000_000, 60, 2_500).status, PreflightStatus::Warn);
        assert_eq!(disk(500 << 20, 60, 2_500).status, PreflightStatus::Fail);
        assert_eq!(device(PreflightCheck::Camera, Some("C920"), true).status, PreflightStatus::Pass);
        assert_eq!(device(PreflightCheck::Camera, None, false).status, PreflightStatus::Warn);
        assert_eq!(device(PreflightCheck::Camera, Some("C920"), false).status, PreflightStatus::Fail);
        assert_eq!(platform(Err("401".into())).status, PreflightStatus::Fail);
    }
}
