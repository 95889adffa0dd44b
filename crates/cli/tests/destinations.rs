//! `anchordesk destinations` against a real Secret Service: a destination's URL goes in from
//! standard input, is listed with its stream key masked, is refused when it is not RTMP(S),
//! and is removed; the key never reaches the data directory.

mod common;

use common::{Keyring, desk, ok};

#[test]
fn destinations_are_kept_in_the_keyring_and_listed_masked() {
    let keyring = Keyring::start();
    let data = tempfile::tempdir().unwrap();
    assert!(ok(&desk(&keyring, data.path(), &["destinations", "list"], None)).contains("no destinations"));
    let added = ok(&desk(&keyring, data.path(), &["destinations", "add", "视频号"], Some("rtmp://push.example.com/live/sk_SECRET_1\n")));
    assert!(added.contains("视频号\trtmp://push.example.com/live/****"), "{added}");
    assert!(!added.contains("sk_SECRET_1"), "the key is masked: {added}");
    let refused = desk(&keyring, data.path(), &["destinations", "add", "快手"], Some("http://push.example.com/live/k\n"));
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("url"), "{}", String::from_utf8_lossy(&refused.stderr));
    ok(&desk(&keyring, data.path(), &["destinations", "add", "快手", "--second"], Some("rtmps://live-push.example.net:443/app/sk_SECRET_2")));
    let listed = ok(&desk(&keyring, data.path(), &["destinations", "list"], None));
    assert_eq!(listed.lines().count(), 2, "{listed}");
    assert!(listed.contains("快手\trtmps://live-push.example.net:443/app/****\tsecond picture"), "{listed}");
    assert!(!listed.lines().next().unwrap().contains("second"), "{listed}");

    // The second picture those destinations take: a layout or a saved scene, nothing else.
    assert!(ok(&desk(&keyring, data.path(), &["scenes", "second"], None)).contains("no second picture"));
    let set = ok(&desk(&keyring, data.path(), &["scenes", "second", "竖屏全身", "--platform"], None));
    assert!(set.contains("second picture: 竖屏全身, pushed to the platform's ingest and"), "{set}");
    let unknown = desk(&keyring, data.path(), &["scenes", "second", "没有这个"], None);
    assert!(!unknown.status.success());
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("no scene \"没有这个\""), "{}", String::from_utf8_lossy(&unknown.stderr));
    assert!(ok(&desk(&keyring, data.path(), &["scenes", "second"], None)).contains("second picture: 竖屏全身"));
    assert!(ok(&desk(&keyring, data.path(), &["scenes", "second", "--none"], None)).contains("no second picture"));
    for entry in walk(data.path()) {
        let bytes = std::fs::read(&entry).unwrap_or_default();
        assert!(!String::from_utf8_lossy(&bytes).contains("sk_SECRET"), "a stream key in {}", entry.display());
    }
    let removed = ok(&desk(&keyring, data.path(), &["destinations", "remove", "视频号"], None));
    assert!(!removed.contains("视频号") && removed.contains("快手"), "{removed}");
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() { files.extend(walk(&path)) } else { files.push(path) }
    }
    files
}
