//! The sound mix: the microphone (with its gain, mute and optional noise suppression), the
//! phone's sound when a phone pushes to the desk (with its own gain and mute), and a music bed
//! (a file or a folder, looped or shuffled, with its gain) that dips while the anchor — or the
//! phone — speaks. One FFmpeg filter graph per broadcast:
//!
//! ```text
//! voice ─ volume ─ afftdn ─┐
//! phone ─ volume ─ asplit ─ amix ─ asplit ───────────────────────────────────┐
//!            └─→ the phone's meter   └─ sidechain ─┐                          amix ─→ AAC
//! music ─ volume ──────────────── sidechaincompress (ducked) ─ asplit ───┘
//!                                                                 └─→ the music's meter
//! ```
//! Every frame is 1024 samples of 48 kHz stereo planar float, voice and music fed in step,
//! so the graph gives one mixed frame per voice frame.

use std::path::{Path, PathBuf};

use ffmpeg_next::{self as ffmpeg, filter, format, frame};

use crate::config::InputSpec;
use crate::encode::{AUDIO_FRAME, AUDIO_RATE};
use crate::source::{AudioInput, open_audio};

/// How the microphone and the music are mixed.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct SoundMix {
    /// Microphone gain in dB (0 leaves it as captured).
    pub mic_gain_db: f32,
    pub mic_muted: bool,
    /// Suppress steady background noise on the microphone (FFmpeg's afftdn).
    pub denoise: bool,
    /// The phone's sound gain in dB, when a phone pushes to the desk (0 as it comes).
    #[serde(default)]
    pub phone_gain_db: f32,
    #[serde(default)]
    pub phone_muted: bool,
    /// Background music, when any.
    pub music: Option<Music>,
}

impl Default for SoundMix {
    fn default() -> Self {
        SoundMix { mic_gain_db: 0.0, mic_muted: false, denoise: false, phone_gain_db: 0.0, phone_muted: false, music: None }
    }
}

/// A music bed: one file, or every audio file of a folder, played on a loop.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct Music {
    #[cfg_attr(feature = "specta", specta(type = String))]
    pub path: PathBuf,
    /// A folder's files in a random order (else by name).
    pub shuffle: bool,
    /// Music gain in dB; background music usually sits at -12 to -18.
    pub gain_db: f32,
    /// Dip the music while the microphone hears speech.
    pub duck: bool,
}

/// A change to the sound while on air.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase", tag = "kind")]
pub enum SoundChange {
    /// Mutes or unmutes the microphone (its gain comes back when unmuted).
    MicMuted { muted: bool },
    /// Stops or resumes the music bed (it keeps playing silently underneath, so it resumes
    /// where it would have been).
    MusicOn { on: bool },
    /// The microphone's gain, in dB (-60 to 24); heard at once unless it is muted.
    #[serde(rename_all = "camelCase")]
    MicGain { gain_db: f32 },
    /// The music bed's gain, in dB (-60 to 12); heard at once unless it is stopped.
    #[serde(rename_all = "camelCase")]
    MusicGain { gain_db: f32 },
    /// Mutes or unmutes the phone's sound.
    PhoneMuted { muted: bool },
    /// The phone's sound gain, in dB (-60 to 24).
    #[serde(rename_all = "camelCase")]
    PhoneGain { gain_db: f32 },
}

/// The gains the mix takes, in dB, at start and on air.
const MIC_GAIN_DB: std::ops::RangeInclusive<f32> = -60.0..=24.0;
const MUSIC_GAIN_DB: std::ops::RangeInclusive<f32> = -60.0..=12.0;

/// Refuses a gain outside `range`, naming what it is for.
fn check_gain(what: &str, gain_db: f32, range: &std::ops::RangeInclusive<f32>) -> Result<(), crate::CaptureError> {
    if range.contains(&gain_db) {
        Ok(())
    } else {
        Err(crate::CaptureError::BadConfig(format!("{what} gain {gain_db} dB must be {} to {}", range.start(), range.end())))
    }
}

impl SoundChange {
    /// A gain out of its range is refused before it reaches the mix.
    pub(crate) fn check(&self) -> Result<(), crate::CaptureError> {
        match *self {
            SoundChange::MicGain { gain_db } => check_gain("microphone", gain_db, &MIC_GAIN_DB),
            SoundChange::MusicGain { gain_db } => check_gain("music", gain_db, &MUSIC_GAIN_DB),
            SoundChange::PhoneGain { gain_db } => check_gain("phone", gain_db, &MIC_GAIN_DB),
            SoundChange::MicMuted { .. } | SoundChange::MusicOn { .. } | SoundChange::PhoneMuted { .. } => Ok(()),
        }
    }
}

impl SoundMix {
    pub(crate) fn validate(&self) -> Result<(), crate::CaptureError> {
        check_gain("microphone", self.mic_gain_db, &MIC_GAIN_DB)?;
        check_gain("phone", self.phone_gain_db, &MIC_GAIN_DB)?;
        if let Some(music) = &self.music {
            check_gain("music", music.gain_db, &MUSIC_GAIN_DB)?;
            if music_files(&music.path, false).is_empty() {
                return Err(crate::CaptureError::BadConfig(format!("no music to play at {}: pick an audio file or a folder with some", music.path.display())));
            }
        }
        Ok(())
    }
}

const AUDIO_EXTENSIONS: [&str; 8] = ["mp3", "m4a", "aac", "wav", "flac", "ogg", "opus", "wma"];

/// The file, or the folder's audio files by name (shuffled when asked).
fn music_files(path: &Path, shuffle: bool) -> Vec<PathBuf> {
    if path.is_file() {
        return vec![path.to_owned()];
    }
    let mut files: Vec<PathBuf> = std::fs::read_dir(path)
        .map(|dir| {
            dir.filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.is_file())
                .filter(|p| {
                    p.extension().and_then(|e| e.to_str()).is_some_and(|e| AUDIO_EXTENSIONS.contains(&e.to_ascii_lowercase().as_str()))
                })
                .collect()
        })
        .unwrap_or_default();
    files.sort();
    if shuffle {
        // Fisher–Yates with the system's randomness; order is all that is needed.
        for i in (1..files.len()).rev() {
            let mut b = [0u8; 8];
            let _ = getrandom::fill(&mut b);
            files.swap(i, (u64::from_le_bytes(b) % (i as u64 + 1)) as usize);
        }
    }
    files
}

/// Plays the music files in turn, as 1024-sample frames, from the start again at the end.
struct MusicBed {
    files: Vec<PathBuf>,
    next_file: usize,
    current: Option<AudioInput>,
    queue: std::collections::VecDeque<frame::Audio>,
    failures_in_a_row: usize,
}

impl MusicBed {
    fn new(music: &Music) -> MusicBed {
        MusicBed { files: music_files(&music.path, music.shuffle), next_file: 0, current: None, queue: Default::default(), failures_in_a_row: 0 }
    }

    /// The next frame of music, or silence when nothing plays (every file unreadable).
    fn next(&mut self) -> frame::Audio {
        while self.queue.is_empty() {
            if self.failures_in_a_row > self.files.len() {
                return silence();
            }
            let Some(input) = self.current.as_mut() else {
                let path = &self.files[self.next_file % self.files.len()];
                self.next_file += 1;
                match open_audio(&InputSpec::new("", &path.display().to_string())) {
                    Ok(input) => self.current = Some(input),
                    Err(message) => {
                        tracing::warn!(file = %path.display(), %message, "a music file does not play; skipped");
                        self.failures_in_a_row += 1;
                    }
                }
                continue;
            };
            match input.decode_next(&mut self.queue) {
                Ok(true) => self.failures_in_a_row = 0,
                Ok(false) => self.current = None,
                Err(message) => {
                    tracing::warn!(%message, "music stopped playing; next file");
                    self.current = None;
                    self.failures_in_a_row += 1;
                }
            }
        }
        self.queue.pop_front().expect("queue not empty")
    }
}

/// 1024 samples of stereo silence.
pub(crate) fn silence() -> frame::Audio {
    let mut frame = frame::Audio::new(format::Sample::F32(format::sample::Type::Planar), AUDIO_FRAME, ffmpeg::ChannelLayout::STEREO);
    frame.set_rate(AUDIO_RATE);
    for plane in 0..2 {
        frame.plane_mut::<f32>(plane).fill(0.0);
    }
    frame
}

/// The mix graph and the music it pulls.
pub(crate) struct Mixer {
    graph: filter::Graph,
    music: Option<MusicBed>,
    n: i64,
    /// As asked at start, with the changes made on air.
    mix: SoundMix,
    /// The music stopped on air.
    music_off: bool,
    music_meter: crate::stats::LevelMeter,
    /// The music's level as heard (after its gain and the ducking), every 100 ms; `None`
    /// without music.
    pub(crate) music_level: Option<crate::stats::AudioLevel>,
    phone_meter: crate::stats::LevelMeter,
    /// The phone's sound as heard (after its gain), every 100 ms; `None` while the phone sends
    /// no sound.
    pub(crate) phone_level: Option<crate::stats::AudioLevel>,
}

/// A gain as the volume filter takes it: `0` when muted.
fn volume(muted: bool, gain_db: f32) -> String {
    if muted { "0".to_owned() } else { format!("{gain_db}dB") }
}

impl Mixer {
    /// The graph for `mix`: always built, so the microphone can be muted on air.
    pub(crate) fn new(mix: &SoundMix) -> Result<Mixer, ffmpeg::Error> {
        let mut graph = filter::Graph::new();
        let abuffer = filter::find("abuffer").ok_or(ffmpeg::Error::FilterNotFound)?;
        let args = format!("time_base=1/{AUDIO_RATE}:sample_rate={AUDIO_RATE}:sample_fmt=fltp:channel_layout=stereo");
        graph.add(&abuffer, "voice", &args)?;
        graph.add(&abuffer, "phone", &args)?;
        // Named, so that a change on air reaches them (`Mixer::apply`).
        let voice_gain = format!("volume@mic=volume={}", volume(mix.mic_muted, mix.mic_gain_db));
        let denoise = if mix.denoise { ",afftdn=nf=-30" } else { "" };
        // The microphone and the phone are the voices (the phone is silence until it sends
        // sound); the phone's as heard also goes to its meter.
        let voices = format!(
            "[voice]{voice_gain}{denoise}[mic];[phone]volume@phone=volume={},asplit=2[ph][phoneheard];[phoneheard]aformat=sample_fmts=fltp[phonemetered];\
             [mic][ph]amix=inputs=2:duration=first:dropout_transition=0:normalize=0",
            volume(mix.phone_muted, mix.phone_gain_db)
        );
        let description = match &mix.music {
            None => format!("{voices}[out]"),
            Some(music) => {
                graph.add(&abuffer, "music", &args)?;
                let bed = format!("[music]volume@music=volume={}dB", music.gain_db);
                // The sidechain hears the voice after its gain: a muted microphone ducks nothing.
                // The music as heard (after its gain and the ducking) also goes to a meter, as
                // planar float (the compressor works in doubles).
                if music.duck {
                    format!(
                        "{voices},asplit=2[v][sc];{bed}[m];[m][sc]sidechaincompress=threshold=0.02:ratio=12:attack=20:release=500,asplit=2[ducked][heard];[heard]aformat=sample_fmts=fltp[metered];\
                         [v][ducked]amix=inputs=2:duration=first:dropout_transition=0:normalize=0[out]"
                    )
                } else {
                    format!("{voices}[v];{bed},asplit=2[m][heard];[heard]aformat=sample_fmts=fltp[metered];[v][m]amix=inputs=2:duration=first:dropout_transition=0:normalize=0[out]")
                }
            }
        };
        let abuffersink = filter::find("abuffersink").ok_or(ffmpeg::Error::FilterNotFound)?;
        graph.add(&abuffersink, "out", "")?;
        graph.add(&abuffersink, "phonemetered", "")?;
        if mix.music.is_some() {
            graph.add(&abuffersink, "metered", "")?;
        }
        let mut parser = graph.output("voice", 0)?.output("phone", 0)?;
        if mix.music.is_some() {
            parser = parser.output("music", 0)?;
        }
        let mut parser = parser.input("out", 0)?.input("phonemetered", 0)?;
        if mix.music.is_some() {
            parser = parser.input("metered", 0)?;
        }
        parser.parse(&description)?;
        graph.validate()?;
        graph.get("out").ok_or(ffmpeg::Error::Bug)?.sink().set_frame_size(AUDIO_FRAME as u32);
        let music_meter = crate::stats::LevelMeter::new(AUDIO_RATE as usize / 10);
        let phone_meter = crate::stats::LevelMeter::new(AUDIO_RATE as usize / 10);
        Ok(Mixer { graph, music: mix.music.as_ref().map(MusicBed::new), n: 0, mix: mix.clone(), music_off: false, music_meter, music_level: None, phone_meter, phone_level: None })
    }

    /// The microphone is muted now.
    pub(crate) fn mic_muted(&self) -> bool {
        self.mix.mic_muted
    }

    /// Applies a change on air (checked by `SoundChange::check` on its way here) by sending
    /// the named volume filters a new volume.
    pub(crate) fn apply(&mut self, change: SoundChange) -> Result<(), ffmpeg::Error> {
        match change {
            SoundChange::MicMuted { muted } => self.mix.mic_muted = muted,
            SoundChange::MicGain { gain_db } => self.mix.mic_gain_db = gain_db,
            SoundChange::MusicOn { on } => self.music_off = !on,
            SoundChange::MusicGain { gain_db } => match self.mix.music.as_mut() {
                Some(music) => music.gain_db = gain_db,
                None => return Ok(()),
            },
            SoundChange::PhoneMuted { muted } => self.mix.phone_muted = muted,
            SoundChange::PhoneGain { gain_db } => self.mix.phone_gain_db = gain_db,
        }
        let (target, volume) = match change {
            SoundChange::MicMuted { .. } | SoundChange::MicGain { .. } => ("volume@mic", volume(self.mix.mic_muted, self.mix.mic_gain_db)),
            SoundChange::PhoneMuted { .. } | SoundChange::PhoneGain { .. } => ("volume@phone", volume(self.mix.phone_muted, self.mix.phone_gain_db)),
            SoundChange::MusicOn { .. } | SoundChange::MusicGain { .. } => match &self.mix.music {
                Some(music) => ("volume@music", if self.music_off { "0".to_owned() } else { format!("{}dB", music.gain_db) }),
                None => return Ok(()),
            },
        };
        let target = std::ffi::CString::new(target).expect("no NUL");
        let (command, arg) = (c"volume", std::ffi::CString::new(volume).expect("no NUL"));
        // SAFETY: the graph is valid and owned here; the strings outlive the call; no reply
        // buffer is asked for.
        let result = unsafe {
            ffmpeg::ffi::avfilter_graph_send_command(self.graph.as_mut_ptr(), target.as_ptr(), command.as_ptr(), arg.as_ptr(), std::ptr::null_mut(), 0, 0)
        };
        if result < 0 { Err(ffmpeg::Error::from(result)) } else { Ok(()) }
    }

    /// Mixes one 1024-sample voice frame with the phone's (`None`: it sends nothing now) and
    /// the music; the mixed frames come out in `out` (normally exactly one).
    pub(crate) fn mix(&mut self, voice: &frame::Audio, phone: Option<frame::Audio>, out: &mut Vec<frame::Audio>) -> Result<(), ffmpeg::Error> {
        let pts = self.n * AUDIO_FRAME as i64;
        self.n += 1;
        let mut voice = voice.clone();
        voice.set_pts(Some(pts));
        self.graph.get("voice").ok_or(ffmpeg::Error::Bug)?.source().add(&voice)?;
        let phone_live = phone.is_some();
        let mut phone = phone.unwrap_or_else(silence);
        phone.set_pts(Some(pts));
        self.graph.get("phone").ok_or(ffmpeg::Error::Bug)?.source().add(&phone)?;
        let mut heard = frame::Audio::empty();
        while self.graph.get("phonemetered").ok_or(ffmpeg::Error::Bug)?.sink().frame(&mut heard).is_ok() {
            for plane in 0..heard.planes() {
                if let Some(level) = self.phone_meter.add(heard.plane::<f32>(plane), heard.planes()) {
                    self.phone_level = phone_live.then_some(level);
                }
            }
        }
        if let Some(bed) = self.music.as_mut() {
            let mut music = bed.next();
            music.set_pts(Some(pts));
            self.graph.get("music").ok_or(ffmpeg::Error::Bug)?.source().add(&music)?;
            let mut heard = frame::Audio::empty();
            while self.graph.get("metered").ok_or(ffmpeg::Error::Bug)?.sink().frame(&mut heard).is_ok() {
                for plane in 0..heard.planes() {
                    if let Some(level) = self.music_meter.add(heard.plane::<f32>(plane), heard.planes()) {
                        self.music_level = Some(level);
                    }
                }
            }
        }
        loop {
            let mut mixed = frame::Audio::empty();
            match self.graph.get("out").ok_or(ffmpeg::Error::Bug)?.sink().frame(&mut mixed) {
                Ok(()) => out.push(mixed),
                Err(ffmpeg::Error::Other { errno }) if errno == libc::EAGAIN => return Ok(()),
                Err(e) => return Err(e),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_folder_plays_its_audio_files_and_bad_settings_say_why() {
        let dir = tempfile::tempdir().unwrap();
        for name in ["b.mp3", "a.wav", "notes.txt", "c.FLAC"] {
            std::fs::write(dir.path().join(name), b"x").unwrap();
        }
        let names = |files: Vec<PathBuf>| files.iter().map(|f| f.file_name().unwrap().to_string_lossy().into_owned()).collect::<Vec<_>>();
        assert_eq!(names(music_files(dir.path(), false)), vec!["a.wav", "b.mp3", "c.FLAC"]);
        let mut shuffled = names(music_files(dir.path(), true));
        shuffled.sort();
        assert_eq!(shuffled, vec!["a.wav", "b.mp3", "c.FLAC"]);
        let empty = tempfile::tempdir().unwrap();
        let mix = SoundMix { music: Some(Music { path: empty.path().into(), shuffle: false, gain_db: -12.0, duck: true }), ..SoundMix::default() };
        assert!(mix.validate().unwrap_err().to_string().contains("no music to play"));
        let loud = SoundMix { mic_gain_db: 40.0, ..SoundMix::default() };
        assert!(loud.validate().unwrap_err().to_string().contains("-60 to 24"));
    }
}
