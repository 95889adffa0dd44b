//! The RTMP push: one thread owns the FLV muxer over the network and reconnects with
//! backoff and jitter when the ingest goes away. The recording never waits for it.

use std::net::{TcpStream, ToSocketAddrs};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, RecvTimeoutError};
use ffmpeg_next::{self as ffmpeg, Dictionary, Rational, Rescale, codec, format};

use crate::config::ReconnectPolicy;
use crate::pipeline::Shared;
use crate::stats::{Counters, PushState};
use crate::writer::{StreamSetup, add_streams};
use crate::{CaptureError, StreamUrl};

pub(crate) enum PushMsg {
    Packet {
        video: bool,
        packet: codec::packet::Packet,
    },
    End,
}

pub(crate) struct PushTarget {
    pub url: StreamUrl,
    pub video: StreamSetup,
    pub audio: StreamSetup,
}

pub(crate) struct Connection {
    octx: format::context::Output,
    /// Media time (µs) that becomes 0 on this connection: the first keyframe sent.
    base_us: Option<i64>,
}

/// Checks that something listens at the ingest's host and port, within `timeout`.
pub(crate) fn check_reachable(url: &StreamUrl, timeout: Duration) -> Result<(), CaptureError> {
    let unreachable = |message: String| CaptureError::IngestUnreachable {
        host: url.host().to_owned(),
        port: url.port(),
        message,
    };
    let addrs: Vec<_> = (url.host(), url.port())
        .to_socket_addrs()
        .map_err(|e| unreachable(format!("cannot resolve: {e}")))?
        .collect();
    let mut last = String::from("no address");
    for addr in addrs {
        match TcpStream::connect_timeout(&addr, timeout) {
            Ok(_) => return Ok(()),
            Err(e) => last = e.to_string(),
        }
    }
    Err(unreachable(last))
}

/// Opens the RTMP session and writes the FLV header.
pub(crate) fn connect(target: &PushTarget) -> Result<Connection, CaptureError> {
    crate::init();
    let rejected = |e: ffmpeg::Error| CaptureError::PushRejected {
        url: target.url.masked(),
        message: e.to_string(),
    };
    let mut opts = Dictionary::new();
    // Give up on a silent server after 5 s instead of blocking the push thread forever.
    opts.set("rw_timeout", "5000000");
    let mut octx = format::output_as_with(target.url.expose(), "flv", opts).map_err(rejected)?;
    add_streams(&mut octx, &target.video, &target.audio).map_err(rejected)?;
    let mut opts = Dictionary::new();
    // The network cannot seek back to patch duration and size at the end.
    opts.set("flvflags", "no_duration_filesize");
    octx.write_header_with(opts).map_err(rejected)?;
    Ok(Connection {
        octx,
        base_us: None,
    })
}

impl Connection {
    /// Sends one packet, rebasing timestamps so each connection starts at its first keyframe.
    fn send(
        &mut self,
        target: &PushTarget,
        video: bool,
        mut packet: codec::packet::Packet,
    ) -> Result<usize, ffmpeg::Error> {
        let enc_tb = if video {
            target.video.time_base
        } else {
            target.audio.time_base
        };
        let us = Rational::new(1, 1_000_000);
        let Some(pts) = packet.pts() else {
            return Ok(0);
        };
        let pts_us = pts.rescale(enc_tb, us);
        let base_us = match self.base_us {
            Some(b) => b,
            None if video && packet.is_key() => *self.base_us.insert(pts_us),
            None => return Ok(0),
        };
        if pts_us < base_us {
            return Ok(0);
        }
        let base = base_us.rescale(us, enc_tb);
        packet.set_pts(Some(pts - base));
        packet.set_dts(packet.dts().map(|d| d - base));
        let index = if video { 0 } else { 1 };
        let stream_tb = self
            .octx
            .stream(index)
            .expect("push has a video and an audio stream")
            .time_base();
        packet.rescale_ts(enc_tb, stream_tb);
        packet.set_stream(index);
        packet.set_position(-1);
        let size = packet.size();
        packet.write_interleaved(&mut self.octx)?;
        Ok(size)
    }
}

/// The delay before reconnect attempt `attempt` (1-based): doubling from the first
/// delay, capped, with ± jitter so many anchors do not hammer an ingest in step.
pub(crate) fn backoff(policy: &ReconnectPolicy, attempt: u32, random_unit: f64) -> Duration {
    let base =
        (policy.initial_delay_ms as f64) * 2f64.powi(attempt.saturating_sub(1).min(16) as i32);
    let capped = base.min(policy.max_delay_ms as f64);
    let jittered = capped * (1.0 + policy.jitter * (random_unit * 2.0 - 1.0));
    Duration::from_millis(jittered.max(100.0) as u64)
}

/// A small xorshift generator; jitter needs no cryptographic randomness.
struct Jitter(u64);

impl Jitter {
    fn new() -> Jitter {
        let seed = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(1);
        Jitter(seed | 1)
    }

    fn next_unit(&mut self) -> f64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// The longest a disconnected push waits before it looks at the "reconnect now" flag.
const RECONNECT_POLL: Duration = Duration::from_millis(200);

/// One destination's thread: sends what the writer hands it and reconnects on its own,
/// with its own backoff; nothing it does reaches another destination or the recording.
pub(crate) fn push_thread(
    target: PushTarget,
    first: Option<Connection>,
    rx: Receiver<PushMsg>,
    shared: Arc<Shared>,
    index: usize,
    policy: ReconnectPolicy,
) {
    let dest = &shared.destinations[index];
    let mut jitter = Jitter::new();
    let mut attempt: u32 = 0;
    let mut next_try = Instant::now();
    let retry = |attempt: u32, last_error: String, jitter: &mut Jitter| -> Instant {
        let delay = backoff(&policy, attempt, jitter.next_unit());
        dest.set_state(PushState::Reconnecting {
            attempt,
            retry_in_ms: delay.as_millis() as u32,
            last_error,
        });
        Instant::now() + delay
    };
    if first.is_some() {
        dest.set_state(PushState::Live);
    } else {
        // Started offline (Config::start_push_offline): begin with the first retry.
        attempt = 1;
        next_try = retry(attempt, "not connected at start".to_owned(), &mut jitter);
    }
    let mut conn = first;
    loop {
        let msg = if conn.is_some() {
            rx.recv().map_err(|_| RecvTimeoutError::Disconnected)
        } else {
            let wait = next_try.saturating_duration_since(Instant::now());
            rx.recv_timeout(wait.clamp(Duration::from_millis(1), RECONNECT_POLL))
        };
        match msg {
            Ok(PushMsg::End) | Err(RecvTimeoutError::Disconnected) => break,
            Ok(PushMsg::Packet { video, packet }) => {
                if let Some(live) = conn.as_mut() {
                    match live.send(&target, video, packet) {
                        Ok(size) => Counters::add(&dest.bytes, size as u64),
                        Err(e) => {
                            tracing::warn!(url = %target.url, %e, "push connection lost; the recording continues");
                            conn = None;
                            attempt = 1;
                            next_try = retry(attempt, e.to_string(), &mut jitter);
                        }
                    }
                } else {
                    // Packets that arrive while disconnected are gone for this push; the
                    // recording and the other pushes have them.
                    Counters::add(&dest.dropped, 1);
                }
            }
            Err(RecvTimeoutError::Timeout) => {}
        }
        if conn.is_none() && dest.reconnect_now.swap(false, Ordering::Relaxed) {
            next_try = Instant::now();
        }
        if conn.is_none() && Instant::now() >= next_try {
            if shared.stop.load(Ordering::Relaxed) {
                continue;
            }
            match connect(&target) {
                Ok(fresh) => {
                    tracing::info!(url = %target.url, attempt, "push reconnected");
                    conn = Some(fresh);
                    Counters::add(&dest.reconnects, 1);
                    dest.set_state(PushState::Live);
                }
                Err(e) => {
                    attempt += 1;
                    tracing::debug!(url = %target.url, %e, attempt, "push reconnect failed");
                    next_try = retry(attempt, e.to_string(), &mut jitter);
                }
            }
        }
    }
    if let Some(mut live) = conn {
        let _ = live.octx.write_trailer();
    }
    dest.set_state(PushState::Stopped);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_caps_and_jitters() {
        let policy = ReconnectPolicy {
            initial_delay_ms: 1000,
            max_delay_ms: 8000,
            jitter: 0.2,
        };
        let mid: Vec<u64> = (1..=6)
            .map(|a| backoff(&policy, a, 0.5).as_millis() as u64)
            .collect();
        assert_eq!(mid, vec![1000, 2000, 4000, 8000, 8000, 8000]);
        assert_eq!(backoff(&policy, 1, 0.0).as_millis(), 800);
        assert_eq!(backoff(&policy, 5, 1.0).as_millis(), 9600);
        let mut j = Jitter::new();
        let draws: Vec<f64> = (0..100).map(|_| j.next_unit()).collect();
        assert!(draws.iter().all(|u| (0.0..1.0).contains(u)));
        assert!(draws.iter().any(|&u| u < 0.3) && draws.iter().any(|&u| u > 0.7));
    }
}
