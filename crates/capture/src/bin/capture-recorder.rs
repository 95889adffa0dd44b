//! A small recorder for tests and benchmarks: `capture-recorder --out FILE [--duration-ms N]
//! [--push URL] [--size WxH] [--fps N] [--preset NAME] [--overwrite] [--no-remux]
//! [--no-realtime] [--overlay TEXT] [--scene FILE] [--second-scene FILE --second-push URL…]`. Prints one stats line per second to
//! stderr.

use anchordesk_capture::{Config, Overlay, Pipeline, Preset, StreamUrl};

fn main() {
    let code = match run() {
        Ok(()) => 0,
        Err(message) => {
            eprintln!("capture-recorder: {message}");
            2
        }
    };
    std::process::exit(code);
}

fn run() -> Result<(), String> {
    let mut args = std::env::args().skip(1);
    let mut config = Config::new("");
    let mut out = None;
    while let Some(flag) = args.next() {
        let mut value = || args.next().ok_or(format!("{flag} needs a value"));
        match flag.as_str() {
            "--out" => out = Some(value()?),
            "--duration-ms" => {
                config.duration_ms = Some(value()?.parse().map_err(|_| "bad --duration-ms")?)
            }
            "--push" => config.pushes.push(StreamUrl::parse(&value()?).map_err(|e| e.to_string())?),
            "--size" => {
                let v = value()?;
                let (w, h) = v.split_once('x').ok_or("--size is WxH")?;
                config.video.width = w.parse().map_err(|_| "bad width")?;
                config.video.height = h.parse().map_err(|_| "bad height")?;
            }
            "--threads" => config.video.threads = value()?.parse().map_err(|_| "bad --threads")?,
            "--fps" => config.video.fps = value()?.parse().map_err(|_| "bad --fps")?,
            "--bitrate-kbps" => {
                config.video.bitrate_kbps = value()?.parse().map_err(|_| "bad --bitrate-kbps")?
            }
            "--preset" => {
                config.video.preset = match value()?.as_str() {
                    "ultrafast" => Preset::Ultrafast,
                    "superfast" => Preset::Superfast,
                    "veryfast" => Preset::Veryfast,
                    "faster" => Preset::Faster,
                    other => return Err(format!("unknown preset {other}")),
                }
            }
            "--overlay" => config.overlay = Some(Overlay::Title { text: value()? }),
            "--scene" => {
                let path = value()?;
                let text = std::fs::read_to_string(&path).map_err(|e| format!("{path}: {e}"))?;
                config.scene = Some(anchordesk_capture::Scene::from_json(&text).map_err(|e| e.to_string())?);
            }
            "--second-scene" => {
                let path = value()?;
                let text = std::fs::read_to_string(&path).map_err(|e| format!("{path}: {e}"))?;
                let scene = anchordesk_capture::Scene::from_json(&text).map_err(|e| e.to_string())?;
                let pushes = config.second_canvas.take().map(|s| s.pushes).unwrap_or_default();
                config.second_canvas = Some(anchordesk_capture::SecondCanvas { scene, pushes });
            }
            "--second-push" => {
                let url = StreamUrl::parse(&value()?).map_err(|e| e.to_string())?;
                match config.second_canvas.as_mut() {
                    Some(second) => second.pushes.push(url),
                    None => return Err("--second-push comes after --second-scene".into()),
                }
            }
            "--overwrite" => config.overwrite = true,
            "--no-remux" => config.remux_on_stop = false,
            "--no-realtime" => config.realtime = false,
            "--no-preview" => config.preview_fps = 0,
            other => return Err(format!("unknown argument {other}")),
        }
    }
    config.output = out.ok_or("--out is required")?.into();
    let started = std::time::Instant::now();
    let handle = Pipeline::start(config).map_err(|e| e.to_string())?;
    let mut stats = handle.stats();
    let last_stats = handle.stats();
    let printer = std::thread::spawn(move || {
        let mut last = 0.0;
        loop {
            let s = stats.borrow_and_update().clone();
            if s.media_time_ms != last || s.finished {
                last = s.media_time_ms;
                eprintln!(
                    "time={:.1}s fps={:.1} skipped={} dropped={} dup={} lag={:.0}ms kbps={:.0} push={:?} bytes={}",
                    s.media_time_ms / 1000.0,
                    s.fps,
                    s.skipped_frames,
                    s.dropped_frames,
                    s.duplicated_frames,
                    s.encoder_lag_ms,
                    s.bitrate_kbps,
                    s.push,
                    s.recording_bytes
                );
            }
            if s.finished {
                return;
            }
            std::thread::sleep(std::time::Duration::from_millis(200));
        }
    });
    let summary = handle.wait().map_err(|e| e.to_string())?;
    let _ = printer.join();
    let second = last_stats.borrow().second_canvas.clone();
    println!(
        "{}",
        serde_json::json!({
            "durationMs": summary.duration_ms,
            "videoFrames": summary.video_frames,
            "bytes": summary.bytes,
            "skippedFrames": summary.skipped_frames,
            "droppedFrames": summary.dropped_frames,
            "pushReconnects": summary.push_reconnects,
            "secondSkippedFrames": second.map(|s| s.skipped_frames),
            "wallMs": started.elapsed().as_millis() as u64,
        })
    );
    Ok(())
}
