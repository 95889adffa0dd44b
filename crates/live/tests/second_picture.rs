//! The desk's 第二画面 on air: the recording keeps the broadcast's landscape picture while
//! the URL typed in the platform's place gets the vertical one, through the live actor, to a
//! real nginx-rtmp; the console's status names it and the health carries its figures.

mod common;

#[path = "../../capture/tests/common/mod.rs"]
mod media;

use anchordesk_capture::{LayerSource, Layout};
use anchordesk_core::devices::CaptureSettings;
use anchordesk_core::{Conflict, StoreError};
use anchordesk_live::{GoLive, LiveError};
use common::{desk, ready};


#[test]
fn the_platform_gets_the_vertical_picture_while_the_recording_keeps_the_landscape_one() {
    let (dir, store, around, desk) = desk();
    let port = media::free_port();
    let mut nginx = media::Nginx::start(&dir.path().join("nginx"), port);
    let broadcast = {
        let mut store = store.lock().unwrap();
        store.save_capture_settings(&CaptureSettings { width: 640, height: 360, bitrate_kbps: 800, ..CaptureSettings::default() }).unwrap();
        let mut vertical = Layout::PortraitFull.scene((360, 640), LayerSource::Test);
        vertical.name = "竖屏小".into();
        anchordesk_live::scenes::save(&mut store, vertical).unwrap();
        // A scene that is not in the library is refused, naming the field.
        let refused = anchordesk_live::scenes::set_second_picture(&mut store, Some("没有这个"), true).unwrap_err();
        assert!(matches!(&refused, StoreError::Invalid(fields) if fields[0].field == "secondScene"), "{refused:?}");
        let saved = anchordesk_live::scenes::set_second_picture(&mut store, Some("竖屏小"), true).unwrap();
        assert_eq!((saved.second_scene.as_deref(), saved.platform_on_second), (Some("竖屏小"), true));
        ready(&mut store)
    };
    let url = format!("rtmp://127.0.0.1:{port}/live/sk_VERTICAL");
    let status = desk.go_live(GoLive { broadcast_id: broadcast.id, rehearsal: true, push_url: Some(url), scene: None }).unwrap();
    assert_eq!(status.second_picture.as_deref(), Some("竖屏小"));
    std::thread::sleep(std::time::Duration::from_millis(4_000));
    let stats = around.stats.lock().unwrap().clone().expect("health on air");
    let second = stats.second_canvas.clone().expect("the second picture's figures");
    assert_eq!((second.width, second.height), (360, 640));
    assert_eq!(stats.destinations.len(), 1, "{stats:?}");
    assert!(stats.destinations[0].second_canvas && !stats.destinations[0].url.contains("VERTICAL"), "{stats:?}");
    let report = desk.stop().unwrap().report;
    nginx.stop();
    let recording = std::path::PathBuf::from(&report.session.as_ref().unwrap().recording_path);
    assert_eq!(media::video_size(&recording), (640, 360), "the recording keeps the first picture");
    let pushed = nginx.recordings();
    assert_eq!(pushed.len(), 1, "{pushed:?}");
    assert_eq!(media::video_size(&pushed[0]), (360, 640), "the platform got the second");
    assert!(media::probe(&pushed[0]).duration > 3.0);

    // The second picture's scene cannot be deleted while it is one.
    {
        let mut store = store.lock().unwrap();
        let refused = anchordesk_live::scenes::delete(&mut store, "竖屏小").unwrap_err();
        assert!(matches!(&refused, StoreError::Conflict(Conflict::SceneIsSecondPicture { scene }) if scene == "竖屏小"), "{refused:?}");
        // Gone all the same (another desk's team sync, an old database): going live with a
        // push that takes it is refused, naming it; a rehearsal without a push does not
        // need it and goes on air.
        store.delete_scene("竖屏小").unwrap();
    }
    let url = format!("rtmp://127.0.0.1:{port}/live/sk_AGAIN");
    let refused = desk.go_live(GoLive { broadcast_id: broadcast.id, rehearsal: true, push_url: Some(url), scene: None }).unwrap_err();
    assert!(matches!(&refused, LiveError::Store(StoreError::Conflict(Conflict::SecondSceneMissing { scene })) if scene == "竖屏小"), "{refused:?}");
    let status = desk.go_live(GoLive { broadcast_id: broadcast.id, rehearsal: true, push_url: None, scene: None }).unwrap();
    assert_eq!(status.second_picture, None);
    desk.stop().unwrap();
    desk.shutdown();
}
