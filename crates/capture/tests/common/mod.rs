//! Helpers shared by the integration tests: ffprobe, free ports, and child processes
//! that are killed and reaped by PID when dropped.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub fn ffprobe_json(path: &Path, args: &[&str]) -> serde_json::Value {
    let out = Command::new("ffprobe")
        .args(["-v", "error", "-of", "json"])
        .args(args)
        .arg(path)
        .output()
        .expect("ffprobe runs");
    assert!(
        out.status.success(),
        "ffprobe failed on {}: {}",
        path.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("ffprobe prints JSON")
}

/// Stream codec names, decoded frame counts and the container duration.
pub struct Probe {
    pub duration: f64,
    pub streams: Vec<(String, String, u64)>,
}

impl Probe {
    pub fn frames(&self, codec_type: &str) -> u64 {
        self.streams
            .iter()
            .find(|s| s.0 == codec_type)
            .map(|s| s.2)
            .unwrap_or(0)
    }

    pub fn codec(&self, codec_type: &str) -> Option<&str> {
        self.streams
            .iter()
            .find(|s| s.0 == codec_type)
            .map(|s| s.1.as_str())
    }
}

pub fn probe(path: &Path) -> Probe {
    let v = ffprobe_json(
        path,
        &[
            "-count_frames",
            "-show_entries",
            "format=duration:stream=codec_type,codec_name,nb_read_frames",
        ],
    );
    let duration = v["format"]["duration"]
        .as_str()
        .and_then(|d| d.parse().ok())
        .unwrap_or(0.0);
    let streams = v["streams"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|s| {
                    (
                        s["codec_type"].as_str().unwrap_or("").to_owned(),
                        s["codec_name"].as_str().unwrap_or("").to_owned(),
                        s["nb_read_frames"]
                            .as_str()
                            .and_then(|n| n.parse().ok())
                            .unwrap_or(0),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    Probe { duration, streams }
}

/// Presentation times of one stream's packets, in decode order, plus their dts.
/// Where the media of `stream` ends: the start of its last packet plus one frame.
pub fn media_end(path: &Path, stream: &str, frame_s: f64) -> f64 {
    packet_times(path, stream).iter().map(|t| t.0).fold(0.0, f64::max) + frame_s
}

pub fn packet_times(path: &Path, stream: &str) -> Vec<(f64, f64)> {
    let v = ffprobe_json(
        path,
        &[
            "-select_streams",
            stream,
            "-show_entries",
            "packet=pts_time,dts_time",
        ],
    );
    v["packets"]
        .as_array()
        .expect("packets listed")
        .iter()
        .map(|p| {
            let t = |k: &str| {
                p[k].as_str()
                    .and_then(|x| x.parse().ok())
                    .unwrap_or(f64::NAN)
            };
            (t("pts_time"), t("dts_time"))
        })
        .collect()
}

/// Asserts dts strictly increase and sorted pts have no hole longer than `max_gap` s.
///
/// For audio the first packet is AAC's priming frame (1024 samples before 0, moved
/// by the MP4 edit list), which ffprobe shows at 0 ahead of a short jump; it is left out.
pub fn assert_monotonic_without_gaps(path: &Path, stream: &str, max_gap: f64) {
    let mut times = packet_times(path, stream);
    if stream.starts_with('a') && !times.is_empty() {
        times.remove(0);
    }
    assert!(!times.is_empty(), "{stream} has packets");
    for w in times.windows(2) {
        assert!(
            w[1].1 > w[0].1,
            "{stream} dts not increasing: {:?} then {:?}",
            w[0],
            w[1]
        );
    }
    let mut pts: Vec<f64> = times.iter().map(|t| t.0).collect();
    pts.sort_by(f64::total_cmp);
    let worst = pts.windows(2).map(|w| w[1] - w[0]).fold(0.0, f64::max);
    assert!(
        worst <= max_gap,
        "{stream} has a {worst:.3} s hole in {}",
        path.display()
    );
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind a free port")
        .local_addr()
        .expect("local addr")
        .port()
}

/// A child process killed (SIGKILL) and waited for on drop.
pub struct Reaped(pub Option<Child>);

impl Reaped {
    pub fn pid(&self) -> i32 {
        self.0.as_ref().expect("child is running").id() as i32
    }

    pub fn signal(&mut self, signal: i32) {
        if let Some(child) = &self.0 {
            unsafe {
                libc::kill(child.id() as i32, signal);
            }
        }
    }

    pub fn wait(&mut self) -> Option<std::process::ExitStatus> {
        self.0.take().and_then(|mut c| c.wait().ok())
    }

    /// Waits up to `timeout` for the process to exit on its own.
    pub fn wait_timeout(&mut self, timeout: Duration) -> Option<std::process::ExitStatus> {
        let deadline = Instant::now() + timeout;
        while Instant::now() < deadline {
            if let Some(child) = self.0.as_mut()
                && let Ok(Some(status)) = child.try_wait()
            {
                self.0 = None;
                return Some(status);
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        None
    }
}

impl Drop for Reaped {
    fn drop(&mut self) {
        if let Some(mut child) = self.0.take() {
            unsafe {
                libc::kill(child.id() as i32, libc::SIGKILL);
            }
            let _ = child.wait();
        }
    }
}

/// nginx with the RTMP module on 127.0.0.1, run from a temporary directory.
pub struct Nginx {
    pub dir: PathBuf,
    pub port: u16,
    pub process: Reaped,
}

fn rtmp_module() -> String {
    let out = Command::new("dpkg")
        .args(["-L", "libnginx-mod-rtmp"])
        .output()
        .expect("dpkg runs");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .find(|l| l.ends_with("ngx_rtmp_module.so"))
        .expect("libnginx-mod-rtmp is installed")
        .to_owned()
}

impl Nginx {
    pub fn start(dir: &Path, port: u16) -> Nginx {
        std::fs::create_dir_all(dir.join("logs")).expect("logs dir");
        std::fs::create_dir_all(dir.join("rec")).expect("rec dir");
        let conf = format!(
            "daemon off;\nmaster_process off;\nload_module {module};\nerror_log {dir}/logs/error.log;\npid {dir}/nginx.pid;\n\
             events {{ worker_connections 64; }}\n\
             rtmp {{ server {{ listen 127.0.0.1:{port}; application live {{ live on; record all; record_unique on; record_path {dir}/rec; }} }} }}\n",
            module = rtmp_module(),
            dir = dir.display(),
        );
        std::fs::write(dir.join("nginx.conf"), conf).expect("write nginx.conf");
        let child = Command::new("nginx")
            .arg("-p")
            .arg(dir)
            .arg("-e")
            .arg(dir.join("logs/error.log"))
            .arg("-c")
            .arg(dir.join("nginx.conf"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("nginx starts");
        let nginx = Nginx {
            dir: dir.to_owned(),
            port,
            process: Reaped(Some(child)),
        };
        let deadline = Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "nginx did not listen on {port}: {}",
                std::fs::read_to_string(dir.join("logs/error.log")).unwrap_or_default()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        nginx
    }

    /// Graceful stop: nginx closes its recordings.
    pub fn stop(&mut self) {
        self.process.signal(libc::SIGQUIT);
        if self.process.wait_timeout(Duration::from_secs(10)).is_none() {
            self.process.signal(libc::SIGKILL);
            self.process.wait();
        }
    }

    /// The FLV files nginx recorded, oldest first.
    pub fn recordings(&self) -> Vec<PathBuf> {
        let mut files: Vec<PathBuf> = std::fs::read_dir(self.dir.join("rec"))
            .map(|d| d.filter_map(|e| e.ok().map(|e| e.path())).collect())
            .unwrap_or_default();
        files.sort();
        files
    }
}

/// Polls `check` every 100 ms until it holds; fails the test after `timeout`.
pub fn wait_for(what: &str, timeout: Duration, mut check: impl FnMut() -> bool) {
    let deadline = Instant::now() + timeout;
    while !check() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// The first video stream's width and height.
pub fn video_size(path: &Path) -> (u64, u64) {
    let v = ffprobe_json(path, &["-select_streams", "v:0", "-show_entries", "stream=width,height"]);
    (v["streams"][0]["width"].as_u64().unwrap(), v["streams"][0]["height"].as_u64().unwrap())
}

/// The RGB pixel at (x, y) of the frame at `at` seconds, decoded by the ffmpeg CLI.
pub fn pixel(video: &Path, at: f64, (width, height): (u32, u32), (x, y): (u32, u32)) -> [u8; 3] {
    let out = Command::new("ffmpeg")
        .args(["-v", "error", "-ss", &format!("{at}"), "-i"])
        .arg(video)
        .args(["-frames:v", "1", "-f", "rawvideo", "-pix_fmt", "rgb24", "-"])
        .output()
        .unwrap();
    assert_eq!(out.stdout.len(), (width * height * 3) as usize, "{}", String::from_utf8_lossy(&out.stderr));
    let at = ((y * width + x) * 3) as usize;
    [out.stdout[at], out.stdout[at + 1], out.stdout[at + 2]]
}

/// Pushes `seconds` of a solid colour to `url` over SRT with the ffmpeg CLI, as a phone app
/// would; returns whether ffmpeg got through.
pub fn phone_push(url: &str, color: &str, seconds: u32) -> bool {
    Command::new("ffmpeg")
        .args(["-v", "quiet", "-re", "-f", "lavfi", "-i", &format!("color=c={color}:s=360x640:r=30"), "-t", &seconds.to_string()])
        .args(["-c:v", "libx264", "-preset", "ultrafast", "-tune", "zerolatency", "-g", "30", "-f", "mpegts", url])
        .status()
        .unwrap()
        .success()
}
