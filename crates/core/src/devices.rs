//! The team's choice of camera, microphone and encoding, kept in the database. Plain data:
//! the app turns it into the capture pipeline's configuration.

use crate::error::StoreError;
use crate::store::Store;
use crate::validate::{FieldError, FieldErrorCode};
use serde::{Deserialize, Serialize};

const KEY: &str = "capture_settings";

/// What Settings → Devices chooses.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct CaptureSettings {
    /// The camera's name as the capture layer lists it (`/dev/video0`); `None` for the
    /// built-in test picture.
    pub camera: Option<String>,
    /// The microphone's name (`hw:1,0`, `default`); `None` for a test tone.
    pub microphone: Option<String>,
    pub width: i32,
    pub height: i32,
    pub fps: i32,
    pub bitrate_kbps: i32,
    /// Microphone gain in dB, -20 to 20.
    #[serde(default)]
    pub mic_gain_db: i32,
    #[serde(default)]
    pub mic_muted: bool,
    /// Noise suppression on the microphone.
    #[serde(default)]
    pub denoise: bool,
    /// Background music: an audio file or a folder of them; `None` for none.
    #[serde(default)]
    pub music: Option<String>,
    /// Music gain in dB, -40 to 0.
    #[serde(default = "music_gain")]
    pub music_gain_db: i32,
    /// The phone's sound gain in dB (a phone pushing to the desk), -20 to 20.
    #[serde(default)]
    pub phone_gain_db: i32,
    /// The music dips while the microphone hears speech.
    #[serde(default = "yes")]
    pub duck: bool,
    /// A folder's music in a random order.
    #[serde(default)]
    pub shuffle: bool,
    /// The H.264 encoder: one of [`ENCODER_CHOICES`]; `auto` takes the first that opens
    /// here, hardware first. A hardware encoder that fails falls back to libx264.
    #[serde(default = "auto")]
    pub encoder: String,
    /// 第二画面: a scene (saved, or a built-in layout such as 竖屏全身) composed from the same
    /// sources beside the broadcast's picture, for the pushes set to it; `None` for none.
    #[serde(default)]
    pub second_scene: Option<String>,
    /// The platform's ingest (or the URL typed in its place) gets the second picture, e.g.
    /// vertical for viewers on phones, while the recording keeps the first.
    #[serde(default)]
    pub platform_on_second: bool,
}

/// The encoders a desk can be set to (the capture crate reads each; a test keeps the two
/// lists together).
pub const ENCODER_CHOICES: [&str; 6] = ["auto", "x264", "nvenc", "qsv", "vaapi", "videotoolbox"];

fn auto() -> String {
    "auto".to_owned()
}

fn music_gain() -> i32 {
    -15
}

fn yes() -> bool {
    true
}

impl Default for CaptureSettings {
    /// 720p30 at 2.5 Mbit/s: what a two-core laptop encodes comfortably.
    fn default() -> Self {
        CaptureSettings {
            camera: None,
            microphone: None,
            width: 1280,
            height: 720,
            fps: 30,
            bitrate_kbps: 2500,
            mic_gain_db: 0,
            mic_muted: false,
            denoise: false,
            music: None,
            music_gain_db: music_gain(),
            phone_gain_db: 0,
            duck: true,
            shuffle: false,
            encoder: auto(),
            second_scene: None,
            platform_on_second: false,
        }
    }
}

/// Sizes offered, smallest first.
pub const SIZES: [(i32, i32); 4] = [(640, 360), (960, 540), (1280, 720), (1920, 1080)];

impl CaptureSettings {
    /// Checks the numbers: an offered size, 15–60 fps, 500–20000 kbit/s.
    pub fn validated(&self) -> Result<CaptureSettings, Vec<FieldError>> {
        let mut errors = Vec::new();
        if !SIZES.contains(&(self.width, self.height)) {
            errors.push(FieldError::new("size", FieldErrorCode::UnknownValue, format!("{}x{}", self.width, self.height)));
        }
        if !(15..=60).contains(&self.fps) {
            errors.push(FieldError::new("fps", FieldErrorCode::UnknownValue, self.fps.to_string()));
        }
        if !(500..=20_000).contains(&self.bitrate_kbps) {
            errors.push(FieldError::new("bitrateKbps", FieldErrorCode::UnknownValue, self.bitrate_kbps.to_string()));
        }
        if !(-20..=20).contains(&self.mic_gain_db) {
            errors.push(FieldError::new("micGainDb", FieldErrorCode::UnknownValue, self.mic_gain_db.to_string()));
        }
        if !(-20..=20).contains(&self.phone_gain_db) {
            errors.push(FieldError::new("phoneGainDb", FieldErrorCode::UnknownValue, self.phone_gain_db.to_string()));
        }
        if !(-40..=0).contains(&self.music_gain_db) {
            errors.push(FieldError::new("musicGainDb", FieldErrorCode::UnknownValue, self.music_gain_db.to_string()));
        }
        if let Some(music) = self.music.as_deref().map(str::trim).filter(|m| !m.is_empty())
            && !std::path::Path::new(music).exists()
        {
            errors.push(FieldError::new("music", FieldErrorCode::Missing, music.to_owned()));
        }
        if !ENCODER_CHOICES.contains(&self.encoder.as_str()) {
            errors.push(FieldError::new("encoder", FieldErrorCode::UnknownValue, self.encoder.clone()));
        }
        if self.platform_on_second && self.second_scene.as_deref().is_none_or(|s| s.trim().is_empty()) {
            errors.push(FieldError::new("secondScene", FieldErrorCode::Required, String::new()));
        }
        let mut settings = self.clone();
        settings.second_scene = self.second_scene.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned);
        if errors.is_empty() { Ok(settings) } else { Err(errors) }
    }
}

impl Store {
    /// The saved capture settings, or the defaults.
    pub fn capture_settings(&self) -> Result<CaptureSettings, StoreError> {
        match self.setting(KEY)? {
            Some(json) => serde_json::from_str(&json).map_err(|err| StoreError::Corrupt(format!("capture settings: {err}"))),
            None => Ok(CaptureSettings::default()),
        }
    }

    /// Saves the Devices page's settings after checking them; the second picture stays as
    /// stored (only the scene library's `set_second_picture` changes it), so a page opened
    /// before it changed cannot undo it.
    pub fn save_device_settings(&mut self, settings: &CaptureSettings) -> Result<CaptureSettings, StoreError> {
        let kept = self.capture_settings()?;
        self.save_capture_settings(&CaptureSettings { second_scene: kept.second_scene, platform_on_second: kept.platform_on_second, ..settings.clone() })
    }

    /// Saves capture settings after checking them.
    pub fn save_capture_settings(&mut self, settings: &CaptureSettings) -> Result<CaptureSettings, StoreError> {
        let settings = settings.validated().map_err(StoreError::Invalid)?;
        let json = serde_json::to_string(&settings).map_err(|err| StoreError::Corrupt(err.to_string()))?;
        self.set_setting(KEY, &json)?;
        Ok(settings)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_round_trip_and_bad_numbers_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(&dir.path().join("db.sqlite3")).unwrap();
        assert_eq!(store.capture_settings().unwrap(), CaptureSettings::default());
        let chosen = CaptureSettings { camera: Some("/dev/video0".into()), width: 960, height: 540, bitrate_kbps: 1800, ..Default::default() };
        store.save_capture_settings(&chosen).unwrap();
        assert_eq!(store.capture_settings().unwrap(), chosen);
        let bad = CaptureSettings { width: 1000, fps: 5, bitrate_kbps: 100, ..Default::default() };
        match store.save_capture_settings(&bad) {
            Err(StoreError::Invalid(fields)) => assert_eq!(fields.len(), 3),
            other => panic!("expected a refusal, got {other:?}"),
        }
        assert_eq!(store.capture_settings().unwrap(), chosen, "nothing saved");
        // The Devices page saves what it loaded; the second picture set since stays.
        let second = CaptureSettings { second_scene: Some("竖屏全身".into()), platform_on_second: true, ..chosen.clone() };
        store.save_capture_settings(&second).unwrap();
        let stale_page = CaptureSettings { bitrate_kbps: 2000, ..chosen.clone() };
        let saved = store.save_device_settings(&stale_page).unwrap();
        assert_eq!((saved.bitrate_kbps, saved.second_scene.as_deref(), saved.platform_on_second), (2000, Some("竖屏全身"), true));
    }
}
