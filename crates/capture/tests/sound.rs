//! The sound mix, measured: music under a microphone that speaks (a tone burst) dips while
//! it speaks and comes back after; the level of the music is read from the recording.
#![cfg(unix)]

mod common;

use std::path::Path;
use std::process::Command;

use anchordesk_capture::{AudioSource, Config, InputSpec, Music, Pipeline, SoundMix};

/// The recording's audio as mono 48 kHz samples, decoded by the ffmpeg CLI.
fn samples(path: &Path) -> Vec<f32> {
    let out = Command::new("ffmpeg")
        .args(["-v", "error", "-i"])
        .arg(path)
        .args(["-ac", "1", "-ar", "48000", "-f", "f32le", "-"])
        .output()
        .unwrap();
    assert!(out.status.success());
    out.stdout.chunks_exact(4).map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]])).collect()
}

/// The amplitude of `hz` in samples `[from, to)` seconds (Goertzel), in dBFS.
fn level_db(samples: &[f32], hz: f64, from: f64, to: f64) -> f64 {
    let window = &samples[(from * 48000.0) as usize..(to * 48000.0) as usize];
    let w = 2.0 * std::f64::consts::PI * hz / 48000.0;
    let (mut s1, mut s2) = (0.0f64, 0.0f64);
    for &x in window {
        let s0 = x as f64 + 2.0 * w.cos() * s1 - s2;
        s2 = s1;
        s1 = s0;
    }
    let power = s1 * s1 + s2 * s2 - 2.0 * w.cos() * s1 * s2;
    let amplitude = 2.0 * power.sqrt() / window.len() as f64;
    20.0 * amplitude.max(1e-9).log10()
}

/// Seven seconds of the test picture and tone (the microphone, 440 Hz) with a music bed of
/// 220 Hz at -6 dB, ducked or not, recorded into `dir`; the pipeline is running.
fn seven_seconds_with_music(dir: &Path, duck: bool) -> (std::path::PathBuf, anchordesk_capture::PipelineHandle) {
    let music = dir.join("bed.wav");
    let made = Command::new("ffmpeg")
        .args(["-v", "error", "-f", "lavfi", "-i", "sine=frequency=220:sample_rate=48000:duration=10"])
        .arg(&music)
        .status()
        .unwrap();
    assert!(made.success());
    let out = dir.join("live.mp4");
    let mut config = Config::new(&out);
    config.video.width = 320;
    config.video.height = 180;
    config.duration_ms = Some(7_000);
    config.sound = SoundMix { music: Some(Music { path: music, shuffle: false, gain_db: -6.0, duck }), ..SoundMix::default() };
    (out, Pipeline::start(config).unwrap())
}

/// Waits until the recording holds `ms` of media.
fn wait_until(handle: &anchordesk_capture::PipelineHandle, ms: u64) {
    while (handle.media_time().as_millis() as u64) < ms {
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
}

#[test]
fn music_ducks_under_the_voice_and_comes_back() {
    let dir = tempfile::tempdir().unwrap();
    let music = dir.path().join("bed.wav");
    let made = Command::new("ffmpeg")
        .args(["-v", "error", "-f", "lavfi", "-i", "sine=frequency=220:sample_rate=48000:duration=15"])
        .arg(&music)
        .status()
        .unwrap();
    assert!(made.success());
    let out = dir.path().join("ducked.mp4");
    let mut config = Config::new(&out);
    config.video.width = 320;
    config.video.height = 180;
    config.duration_ms = Some(10_000);
    // The "anchor": a 1 kHz tone that speaks from 3 s to 6 s and is silent otherwise.
    config.audio_source = AudioSource::Input(InputSpec::new(
        "lavfi",
        "sine=frequency=1000:sample_rate=48000,volume='if(between(t,3,6),1,0)':eval=frame,arealtime",
    ));
    config.sound = SoundMix { music: Some(Music { path: music, shuffle: false, gain_db: -6.0, duck: true }), ..SoundMix::default() };
    Pipeline::start(config).unwrap().wait().unwrap();

    let pcm = samples(&out);
    let before = level_db(&pcm, 220.0, 1.0, 2.5);
    let during = level_db(&pcm, 220.0, 4.0, 5.5);
    let after = level_db(&pcm, 220.0, 8.0, 9.5);
    let voice = level_db(&pcm, 1000.0, 4.0, 5.5);
    eprintln!("music 220 Hz: {before:.1} dBFS before, {during:.1} dBFS under the voice, {after:.1} dBFS after; voice {voice:.1} dBFS");
    assert!(before > -30.0, "the music plays (a -18 dBFS tone at -6 dB): {before:.1} dBFS");
    assert!(before - during >= 8.0, "the music dips under the voice: {before:.1} → {during:.1} dBFS");
    assert!((before - after).abs() <= 2.0, "the music comes back: {before:.1} → {after:.1} dBFS");
    assert!(voice > -30.0, "the voice is in the mix: {voice:.1} dBFS");
    common::assert_monotonic_without_gaps(&out, "a:0", 1024.0 / 48000.0 + 0.002);
}

#[test]
fn a_muted_microphone_with_noise_suppression_still_records_and_a_missing_folder_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("muted.mkv");
    let mut config = Config::new(&out);
    config.video.width = 320;
    config.video.height = 180;
    config.duration_ms = Some(3_000);
    config.sound = SoundMix { mic_muted: true, denoise: true, mic_gain_db: 6.0, ..SoundMix::default() };
    Pipeline::start(config.clone()).unwrap().wait().unwrap();
    let pcm = samples(&out);
    let test_tone = level_db(&pcm, 440.0, 0.5, 2.5);
    assert!(test_tone < -60.0, "muted: the test tone is gone ({test_tone:.1} dBFS)");

    config.output = dir.path().join("never.mkv");
    config.sound.music = Some(Music { path: dir.path().join("no-such-folder"), shuffle: true, gain_db: -12.0, duck: true });
    let err = Pipeline::start(config).err().expect("refused");
    assert!(err.to_string().contains("no music to play"), "{err}");
    assert!(!dir.path().join("never.mkv").exists());
}

#[test]
fn on_air_the_microphone_mutes_and_the_music_stops_and_a_muted_voice_ducks_nothing() {
    let dir = tempfile::tempdir().unwrap();
    // The test tone (440 Hz, continuous) is the microphone.
    let (out, handle) = seven_seconds_with_music(dir.path(), true);
    let at = |ms: u64| wait_until(&handle, ms);
    at(2_000);
    handle.change_sound(anchordesk_capture::SoundChange::MicMuted { muted: true }).unwrap();
    at(4_500);
    handle.change_sound(anchordesk_capture::SoundChange::MusicOn { on: false }).unwrap();
    handle.wait().unwrap();

    let pcm = samples(&out);
    let (voice_on, voice_muted) = (level_db(&pcm, 440.0, 0.5, 1.5), level_db(&pcm, 440.0, 3.0, 4.0));
    let (music_ducked, music_free, music_off) = (level_db(&pcm, 220.0, 0.5, 1.5), level_db(&pcm, 220.0, 3.0, 4.0), level_db(&pcm, 220.0, 5.5, 6.5));
    eprintln!("voice {voice_on:.1} → muted {voice_muted:.1}; music ducked {music_ducked:.1}, with the voice muted {music_free:.1}, off {music_off:.1} dBFS");
    assert!(voice_on > -30.0 && voice_muted < -70.0, "mute: {voice_on:.1} → {voice_muted:.1}");
    assert!(music_free - music_ducked >= 8.0, "a muted voice ducks nothing: {music_ducked:.1} → {music_free:.1}");
    assert!(music_off < -70.0, "the music stopped: {music_off:.1}");
}

#[test]
fn on_air_the_gains_change_the_mix_and_the_program_meter_follows() {
    let dir = tempfile::tempdir().unwrap();
    // No ducking, so each source's level is its gain alone.
    let (out, handle) = seven_seconds_with_music(dir.path(), false);
    let stats = handle.stats();
    let at = |ms: u64| wait_until(&handle, ms);
    at(1_500);
    let program = stats.borrow().program_level;
    assert!(program.peak_dbfs > -20.0, "the program meter hears the mix: {program:?}");
    assert!(handle.change_sound(anchordesk_capture::SoundChange::MicGain { gain_db: 40.0 }).is_err(), "out of range");
    at(2_000);
    handle.change_sound(anchordesk_capture::SoundChange::MicGain { gain_db: -12.0 }).unwrap();
    at(3_800);
    let music_before_meter = stats.borrow().music_level.expect("a music meter with music").peak_dbfs;
    at(4_000);
    handle.change_sound(anchordesk_capture::SoundChange::MusicGain { gain_db: -20.0 }).unwrap();
    at(6_200);
    let music_after_meter = stats.borrow().music_level.expect("a music meter with music").peak_dbfs;
    handle.wait().unwrap();
    assert!(music_before_meter - music_after_meter > 10.0, "the music's meter follows its gain: {music_before_meter:.1} → {music_after_meter:.1}");

    let pcm = samples(&out);
    let (voice_before, voice_after) = (level_db(&pcm, 440.0, 0.5, 1.5), level_db(&pcm, 440.0, 2.5, 3.5));
    let (music_before, music_after) = (level_db(&pcm, 220.0, 2.5, 3.5), level_db(&pcm, 220.0, 4.5, 5.5));
    eprintln!("voice {voice_before:.1} → {voice_after:.1}; music {music_before:.1} → {music_after:.1} dBFS");
    assert!((voice_before - voice_after - 12.0).abs() < 1.5, "mic gain -12 dB: {voice_before:.1} → {voice_after:.1}");
    assert!((music_before - music_after - 14.0).abs() < 1.5, "music gain -6 → -20 dB: {music_before:.1} → {music_after:.1}");
}

/// Pushes `seconds` of a phone's picture and sound (a 1 kHz tone) to the desk's SRT link.
fn phone_push_with_sound(url: &str, seconds: u32) -> bool {
    Command::new("ffmpeg")
        .args(["-v", "quiet", "-re", "-f", "lavfi", "-i", "color=c=red:s=320x240:r=30", "-re", "-f", "lavfi", "-i", "sine=frequency=1000:sample_rate=44100"])
        .args(["-t", &seconds.to_string(), "-c:v", "libx264", "-preset", "ultrafast", "-tune", "zerolatency", "-g", "30"])
        .args(["-c:a", "aac", "-b:a", "96k", "-f", "mpegts", url])
        .status()
        .unwrap()
        .success()
}

#[test]
fn the_phones_sound_is_mixed_with_the_microphone_has_a_meter_and_mutes_on_air() {
    let _ = tracing_subscriber::fmt().with_test_writer().with_max_level(tracing::Level::WARN).try_init();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("phone.mp4");
    let mut config = Config::new(&out);
    config.video.width = 320;
    config.video.height = 180;
    config.scene = Some(anchordesk_capture::Layout::PictureInPicture.scene((320, 180), anchordesk_capture::LayerSource::Phone));
    config.phone = anchordesk_capture::PhoneListen { address: Some("127.0.0.1".parse().unwrap()), port: 0 };
    config.duration_ms = Some(14_000);
    let handle = Pipeline::start(config).unwrap();
    let stats = handle.stats();
    let url = handle.phone_url().expect("a phone layer gets a link");
    assert!(stats.borrow().phone_level.is_none(), "no phone yet: no meter");
    let pusher = std::thread::spawn(move || phone_push_with_sound(&url, 9));
    // The phone is heard: its meter moves.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(8);
    while stats.borrow().phone_level.is_none_or(|l| l.peak_dbfs < -30.0) {
        assert!(std::time::Instant::now() < deadline, "the phone's sound never reached its meter: {:?}", stats.borrow().phone_level);
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let heard_s = handle.media_time().as_secs_f64();
    std::thread::sleep(std::time::Duration::from_secs(2));
    handle.change_sound(anchordesk_capture::SoundChange::PhoneMuted { muted: true }).unwrap();
    let muted_s = handle.media_time().as_secs_f64();
    assert!(handle.change_sound(anchordesk_capture::SoundChange::PhoneGain { gain_db: 40.0 }).is_err(), "out of range");
    assert!(pusher.join().unwrap(), "the phone's push went through");
    // Gone: the meter says so within a second or two.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(4);
    while stats.borrow().phone_level.is_some() {
        assert!(std::time::Instant::now() < deadline, "the phone's meter stayed after it left");
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    handle.wait().unwrap();

    let audio = samples(&out);
    // While heard: the phone's 1 kHz beside the microphone's 440 Hz; muted: 440 Hz alone.
    let (heard_from, heard_to) = (heard_s + 0.3, muted_s - 0.3);
    assert!(heard_to - heard_from > 1.0, "{heard_from}..{heard_to}");
    let phone_heard = level_db(&audio, 1000.0, heard_from, heard_to);
    let phone_muted = level_db(&audio, 1000.0, muted_s + 0.5, muted_s + 2.0);
    let mic_heard = level_db(&audio, 440.0, heard_from, heard_to);
    assert!(phone_heard > -30.0, "the phone in the mix: {phone_heard:.1} dBFS");
    assert!(phone_muted < phone_heard - 30.0, "muted on air: {phone_muted:.1} vs {phone_heard:.1} dBFS");
    assert!(mic_heard > -20.0, "the microphone stays: {mic_heard:.1} dBFS");
    // Heard without gaps: the phone's tone is in (nearly) every 50 ms while it is on.
    let windows: Vec<f64> = (0..((heard_to - heard_from) / 0.05) as usize).map(|i| heard_from + i as f64 * 0.05).collect();
    let silent = windows.iter().filter(|&&at| level_db(&audio, 1000.0, at, at + 0.05) < -30.0).count();
    assert!(silent * 50 <= windows.len(), "{silent} of {} windows without the phone's sound", windows.len());
    // Before the phone came, no 1 kHz at all.
    assert!(level_db(&audio, 1000.0, 0.2, 1.0) < -60.0);
}
