//! The upload-speed probe: how fast the desk's uplink reaches the platform, for the
//! go-live preflight to weigh against the chosen video bitrate.
//!
//! The desk POSTs a few MiB of incompressible bytes to `POST /v1/probe/upload`, which
//! changes nothing on the platform (so it carries no `Idempotency-Key`, although its
//! body is signed like any other). The platform answers with [`crate::UploadProbe`]:
//! how many bytes it received and how long it spent receiving them.
//! [`measure_upload_kbps`] times the request on the desk's side instead, which is what
//! a push sees.

use crate::adapter::{Platform, PlatformResult};
use crate::error::PlatformError;
use std::time::{Duration, Instant};

/// Path of the probe route.
pub(crate) const PATH: &str = "/v1/probe/upload";

/// The slowest uplink, in kbit/s, a probe waits for before it times out. A link below
/// it cannot carry a live video stream anyway.
pub const PROBE_MIN_KBPS: u64 = 256;

/// `bytes` of incompressible data, so that a compressing proxy or link cannot make the
/// uplink look faster than it is.
pub(crate) fn payload(bytes: usize) -> Vec<u8> {
    let mut payload = vec![0; bytes];
    fastrand::fill(&mut payload);
    payload
}

/// The timeout of a probe of `bytes`: the time it takes at [`PROBE_MIN_KBPS`], plus
/// 10 s for the connection and the answer.
pub(crate) fn timeout_for(bytes: usize) -> Duration {
    let bytes_per_s = PROBE_MIN_KBPS * 1000 / 8;
    Duration::from_secs(10) + Duration::from_secs_f64(bytes as f64 / bytes_per_s as f64)
}

/// Measures the uplink to the platform in kbit/s (1 kbit = 1000 bits) by uploading
/// `bytes` of incompressible data ([`crate::PROBE_DEFAULT_BYTES`] is a good size).
///
/// The time is taken on the desk, from just before the request is sent to the complete
/// answer, so it includes one round trip and the platform's handling: a slightly low
/// estimate, which is the safe side for a preflight. The platform's own receive time
/// ([`crate::UploadProbe::server_ms`]) leaves the round trip out but also misses what the
/// network buffered before the platform read it, so it is not used here.
///
/// A zero-byte probe is sent first, so that the measurement does not include fetching a
/// bearer token or opening the connection. Returns 0 for `bytes == 0`.
///
/// Errors: whatever [`Platform::probe_upload`] returns (`payload-too-large` above
/// [`crate::PROBE_MAX_BYTES`]); `Decode` when the platform received another number of
/// bytes than were sent.
pub async fn measure_upload_kbps(platform: &dyn Platform, bytes: usize) -> PlatformResult<f64> {
    platform.probe_upload(0).await?;
    let started = Instant::now();
    let probe = platform.probe_upload(bytes).await?;
    let seconds = started.elapsed().as_secs_f64();
    if probe.received_bytes != bytes as i64 {
        return Err(PlatformError::Decode {
            method: "POST".into(),
            path: PATH.into(),
            status: 200,
            expected: "UploadProbe",
            message: format!("the platform received {} of the {bytes} bytes sent", probe.received_bytes),
        });
    }
    Ok(kbps(bytes, seconds))
}

/// kbit/s of `bytes` in `seconds`; 0 when nothing was sent.
fn kbps(bytes: usize, seconds: f64) -> f64 {
    if bytes == 0 {
        return 0.0;
    }
    // A loopback upload can finish within the clock's resolution.
    let seconds = seconds.max(1e-6);
    bytes as f64 * 8.0 / 1000.0 / seconds
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payloads_are_incompressible_and_differ_between_probes() {
        let payload = payload(64 * 1024);
        assert_eq!(payload.len(), 64 * 1024);
        let mut counts = [0usize; 256];
        for byte in &payload {
            counts[*byte as usize] += 1;
        }
        // Uniform bytes put 256 in each bucket; a pattern or zeros would not.
        assert!(counts.iter().all(|count| (128..=384).contains(count)), "{counts:?}");
        assert_ne!(payload[..64], super::payload(64)[..]);
    }

    #[test]
    fn kbps_is_kilobits_per_second() {
        assert_eq!(kbps(2_000_000, 2.0), 8000.0);
        assert_eq!(kbps(0, 0.0), 0.0);
        assert!(kbps(1, 0.0).is_finite());
    }

    #[test]
    fn a_probe_waits_for_the_slowest_useful_uplink() {
        // 2 MiB at 256 kbit/s is about 65.5 s.
        let timeout = timeout_for(2 << 20);
        assert!(timeout > Duration::from_secs(75) && timeout < Duration::from_secs(76), "{timeout:?}");
    }
}
