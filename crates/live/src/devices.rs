//! The saved camera and microphone as the capture pipeline's configuration, and whether
//! they are connected (a fact the go-live checklist needs).

use anchordesk_capture::{AudioSource, Config, DeviceKind, VideoEncoder, VideoSource, devices, pick_mode};
use anchordesk_core::devices::CaptureSettings;
use std::path::Path;

/// The pipeline configuration for the saved settings, writing to `output`. A camera or
/// microphone that is no longer listed falls back to the test picture or tone, and says so
/// in the log.
pub fn config_for(settings: &CaptureSettings, output: &Path) -> Config {
    anchordesk_capture::init();
    let found = devices();
    let mut config = Config::new(output);
    config.video.width = settings.width as u32;
    config.video.height = settings.height as u32;
    config.video.fps = settings.fps as u32;
    config.video.bitrate_kbps = settings.bitrate_kbps as u32;
    config.video.encoder = VideoEncoder::from_choice(&settings.encoder).unwrap_or_else(|| {
        tracing::warn!(choice = %settings.encoder, "unknown encoder; using libx264");
        VideoEncoder::X264
    });
    config.video_source = match settings.camera.as_deref().and_then(|name| found.iter().find(|d| d.kind == DeviceKind::Camera && d.name == name)) {
        Some(camera) => {
            let mode = pick_mode(&camera.modes, settings.width as u32, settings.height as u32, settings.fps as u32);
            VideoSource::Input(camera.input(mode))
        }
        None => {
            if let Some(name) = &settings.camera {
                tracing::warn!("camera {name} is not connected; using the test picture");
            }
            VideoSource::Test
        }
    };
    config.audio_source = match settings.microphone.as_deref().and_then(|name| found.iter().find(|d| d.kind == DeviceKind::Microphone && d.name == name)) {
        Some(microphone) => AudioSource::Input(microphone.input(None)),
        None => AudioSource::Test,
    };
    config.sound = anchordesk_capture::SoundMix {
        mic_gain_db: settings.mic_gain_db as f32,
        mic_muted: settings.mic_muted,
        denoise: settings.denoise,
        phone_gain_db: settings.phone_gain_db as f32,
        phone_muted: false,
        music: settings.music.as_deref().map(str::trim).filter(|m| !m.is_empty()).map(|path| anchordesk_capture::Music {
            path: path.into(),
            shuffle: settings.shuffle,
            gain_db: settings.music_gain_db as f32,
            duck: settings.duck,
        }),
    };
    config
}

/// Whether the chosen camera and microphone are connected. The test picture and tone are
/// not devices: a broadcast without a camera shows that here. `Err("")`: none chosen (the
/// test source is used); `Err(name)`: chosen, not connected. Lists devices: call it from a
/// blocking thread.
pub fn device_facts(settings: &CaptureSettings) -> (Result<(), String>, Result<(), String>) {
    anchordesk_capture::init();
    let found = devices();
    let fact = |chosen: &Option<String>, kind: DeviceKind| match chosen {
        None => Err(String::new()),
        Some(name) if found.iter().any(|d| d.kind == kind && &d.name == name) => Ok(()),
        Some(name) => Err(name.clone()),
    };
    (fact(&settings.camera, DeviceKind::Camera), fact(&settings.microphone, DeviceKind::Microphone))
}

/// The facts the go-live checklist needs from outside the database: the date and free disk
/// under `data_dir`, the linter with the team's rules, whether the chosen camera and
/// microphone are connected (FFmpeg's device listing: call it from a blocking thread), and
/// the platform link's state.
pub fn check_env(
    data_dir: &Path,
    linter: std::sync::Arc<anchordesk_claims::Linter>,
    store: &std::sync::Mutex<anchordesk_core::Store>,
    platform: Result<(), String>,
) -> anchordesk_core::plan::CheckEnv {
    let mut env = anchordesk_core::plan::CheckEnv::measure(data_dir);
    env.linter = Some(linter);
    let settings = store.lock().unwrap_or_else(|p| p.into_inner()).capture_settings();
    if let Ok(settings) = settings {
        let (camera, microphone) = device_facts(&settings);
        env.camera = Some(camera);
        env.microphone = Some(microphone);
    }
    env.platform = Some(platform);
    env
}

/// Cameras and microphones found, and the saved choice.
#[derive(Debug, Clone, serde::Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct DevicesOverview {
    pub cameras: Vec<anchordesk_capture::Device>,
    pub microphones: Vec<anchordesk_capture::Device>,
    /// Each H.264 encoder this platform may have, opened for real: usable here or why not.
    pub encoders: Vec<anchordesk_capture::EncoderProbe>,
    pub settings: CaptureSettings,
}

/// Lists the devices and probes the encoders (FFmpeg's probes: call from a blocking thread)
/// beside the saved choice.
pub fn overview(settings: CaptureSettings) -> DevicesOverview {
    anchordesk_capture::init();
    let (cameras, microphones) = devices().into_iter().partition(|d| d.kind == DeviceKind::Camera);
    DevicesOverview { cameras, microphones, encoders: anchordesk_capture::probe_encoders(), settings }
}

/// What a test recording produced.
#[derive(Debug, Clone, serde::Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct TestRecording {
    pub path: String,
    pub duration_ms: u32,
    pub video_frames: u32,
    pub skipped_frames: u32,
    #[cfg_attr(feature = "specta", specta(type = i32))]
    pub bytes: u64,
}

/// Records `seconds` (1 to 30) with the saved devices into `dir/test-recording.mp4`,
/// replacing the last one. Blocks for the recording's length.
pub fn test_recording(settings: &CaptureSettings, dir: &Path, seconds: u32) -> Result<TestRecording, String> {
    std::fs::create_dir_all(dir).map_err(|err| format!("{}: {err}", dir.display()))?;
    let path = dir.join("test-recording.mp4");
    let _ = std::fs::remove_file(&path);
    let mut config = config_for(settings, &path);
    config.duration_ms = Some(seconds.clamp(1, 30) * 1000);
    let summary = anchordesk_capture::Pipeline::start(config).and_then(|p| p.wait()).map_err(|err| err.to_string())?;
    Ok(TestRecording {
        path: summary.path.display().to_string(),
        duration_ms: summary.duration_ms,
        video_frames: summary.video_frames,
        skipped_frames: summary.skipped_frames,
        bytes: summary.bytes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_encoder_a_desk_can_be_set_to_is_one_the_pipeline_knows() {
        for choice in anchordesk_core::devices::ENCODER_CHOICES {
            assert!(VideoEncoder::from_choice(choice).is_some(), "{choice}");
        }
        let settings = CaptureSettings { encoder: "x264".into(), ..CaptureSettings::default() };
        assert_eq!(config_for(&settings, Path::new("x.mp4")).video.encoder, VideoEncoder::X264);
        // This machine has no GPU: auto is libx264, and the probe says why each other one is not usable.
        let auto = CaptureSettings::default();
        assert_eq!(auto.encoder, "auto");
        assert_eq!(config_for(&auto, Path::new("x.mp4")).video.encoder, anchordesk_capture::available_encoders()[0]);
        let overview = overview(auto);
        assert!(overview.encoders.iter().any(|p| p.encoder == VideoEncoder::X264 && p.usable));
        assert!(overview.encoders.iter().filter(|p| !p.usable).all(|p| p.reason.is_some()));
        // What the window offers to choose is what the desk reads back.
        assert!(overview.encoders.iter().all(|p| VideoEncoder::from_choice(&p.choice) == Some(p.encoder) && anchordesk_core::devices::ENCODER_CHOICES.contains(&p.choice.as_str())));
        let bad = CaptureSettings { encoder: "h265".into(), ..CaptureSettings::default() };
        let errors = bad.validated().unwrap_err();
        assert_eq!(errors[0].field, "encoder");
    }
}
