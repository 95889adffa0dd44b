//! One encode, two destinations: two real nginx-rtmp servers on loopback. One goes away for
//! 20 s; the other push and the recording carry on without a hole, and the lost one comes
//! back when asked to reconnect now rather than after its backoff.
#![cfg(unix)]

mod common;

use std::time::{Duration, Instant};

use anchordesk_capture::{Config, Pipeline, PushState, ReconnectPolicy, StreamUrl};
use common::{wait_for, Nginx, assert_monotonic_without_gaps, free_port, probe};


#[test]
fn one_destination_down_for_20_s_touches_neither_the_other_nor_the_recording() {
    let dir = tempfile::tempdir().unwrap();
    let (port_a, port_b) = (free_port(), free_port());
    let mut a = Nginx::start(&dir.path().join("nginx-a"), port_a);
    let mut b = Nginx::start(&dir.path().join("nginx-b"), port_b);
    let out = dir.path().join("local.mp4");
    let mut config = Config::new(&out);
    config.video.width = 640;
    config.video.height = 360;
    config.video.bitrate_kbps = 800;
    config.duration_ms = Some(30_000);
    config.pushes = vec![
        StreamUrl::parse(&format!("rtmp://127.0.0.1:{port_a}/live/key_A")).unwrap(),
        StreamUrl::parse(&format!("rtmp://127.0.0.1:{port_b}/live/key_B")).unwrap(),
    ];
    // A long backoff, so that coming back within a second can only be "reconnect now".
    config.reconnect = ReconnectPolicy {
        initial_delay_ms: 4000,
        max_delay_ms: 30_000,
        jitter: 0.0,
    };
    let handle = Pipeline::start(config).unwrap();
    let stats = handle.stats();
    wait_for("both pushes live", Duration::from_secs(8), || {
        let s = stats.borrow();
        s.destinations.len() == 2
            && s.destinations
                .iter()
                .all(|d| d.state == PushState::Live && d.bitrate_kbps > 100.0)
    });
    assert!(
        stats
            .borrow()
            .destinations
            .iter()
            .all(|d| !d.url.contains("key_")),
        "keys masked"
    );
    std::thread::sleep(Duration::from_secs(2));

    b.process.signal(libc::SIGKILL);
    b.process.wait();
    let outage = Instant::now();
    wait_for("B reconnecting", Duration::from_secs(8), || {
        matches!(
            stats.borrow().destinations[1].state,
            PushState::Reconnecting { .. }
        )
    });
    // While B is down, A is live and carries the full bitrate, second after second.
    while outage.elapsed() < Duration::from_secs(20) {
        std::thread::sleep(Duration::from_secs(1));
        let s = stats.borrow().clone();
        assert_eq!(s.destinations[0].state, PushState::Live, "{s:?}");
        assert_eq!(
            s.push,
            PushState::Live,
            "the first destination's state is the summary"
        );
        assert!(
            matches!(s.destinations[1].state, PushState::Reconnecting { .. }),
            "{s:?}"
        );
    }
    let mut b = Nginx::start(&dir.path().join("nginx-b"), port_b);
    handle.reconnect_now(1).unwrap();
    let asked = Instant::now();
    wait_for("B live again", Duration::from_secs(3), || {
        stats.borrow().destinations[1].state == PushState::Live
    });
    let came_back = asked.elapsed();
    assert!(
        handle.reconnect_now(2).is_err(),
        "there is no third destination"
    );

    let summary = handle.wait().unwrap();
    a.stop();
    b.stop();
    let last = stats.borrow().clone();
    assert_eq!(last.destinations[0].dropped_packets, 0, "{last:?}");
    assert_eq!(last.destinations[0].reconnects, 0, "{last:?}");
    assert!(
        last.destinations[1].dropped_packets > 0,
        "B's outage is counted as B's: {last:?}"
    );
    assert_eq!(last.destinations[1].reconnects, 1, "{last:?}");
    assert_eq!(summary.push_reconnects, 1);
    assert_eq!(summary.dropped_frames, last.destinations[1].dropped_packets);
    eprintln!(
        "B came back {} ms after reconnect-now; its backoff had {} s left at least",
        came_back.as_millis(),
        28 - 20
    );

    // The recording: full length, no hole.
    let local = probe(&out);
    assert!(
        (29.8..=30.3).contains(&local.duration),
        "local duration {}",
        local.duration
    );
    assert_monotonic_without_gaps(&out, "v:0", 1.0 / 30.0 + 0.002);
    assert_monotonic_without_gaps(&out, "a:0", 1024.0 / 48000.0 + 0.002);

    // A: one publish from start to end, no hole (FLV keeps milliseconds).
    let recs_a = a.recordings();
    assert_eq!(recs_a.len(), 1, "A was never interrupted: {recs_a:?}");
    let server_a = probe(&recs_a[0]);
    assert!(server_a.duration >= 29.0, "A holds {} s", server_a.duration);
    assert_monotonic_without_gaps(&recs_a[0], "v:0", 1.0 / 30.0 + 0.002);
    // B: the publish before the outage, then the one after it.
    let recs_b = b.recordings();
    assert_eq!(recs_b.len(), 2, "B published twice: {recs_b:?}");
    for rec in &recs_b {
        let p = probe(rec);
        assert_eq!(p.codec("video"), Some("h264"));
        assert_eq!(p.codec("audio"), Some("aac"));
    }
    assert!(
        probe(&recs_b[1]).duration >= 2.0,
        "B's second publish plays"
    );
}
