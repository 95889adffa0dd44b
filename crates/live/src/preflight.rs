//! The automatic preflight before going live: devices, the encoder's speed at the chosen
//! size (a second of the test pattern through each preset; with a second picture, both
//! pictures' sizes, for the two encodes share the cores), free disk for the planned
//! length, the platform (reachable and authorised) and the upload speed to it. Each result
//! says what was measured against what is needed; the verdicts are core's
//! ([`anchordesk_core::preflight`]).

use anchordesk_core::preflight::{self, PreflightCheck, PreflightItem};
use anchordesk_core::{BroadcastId, Store, StoreError};
use anchordesk_desk_sync::link::LinkSlot;
use std::path::Path;
use std::sync::{Arc, Mutex};

/// Runs every check for `broadcast`; FFmpeg's probes run on blocking threads.
pub async fn run(store: Arc<Mutex<Store>>, data_dir: &Path, link: &LinkSlot, broadcast: BroadcastId) -> Result<Vec<PreflightItem>, StoreError> {
    let (settings, planned_minutes, second) = {
        let store = store.lock().unwrap_or_else(|p| p.into_inner());
        let settings = store.capture_settings()?;
        // The second picture costs an encode only when some push takes it.
        let used = settings.platform_on_second || crate::destinations::urls().iter().any(|(_, _, second)| *second);
        let second = match settings.second_scene.as_deref().filter(|_| used) {
            Some(name) => crate::scenes::find(&store, name).ok().map(|scene| (scene.width, scene.height)),
            None => None,
        };
        (settings, store.run_of_show(broadcast)?.planned_minutes, second)
    };
    let video_kbps = settings.bitrate_kbps.max(0) as u32;
    let mut items = Vec::new();
    let probe_settings = settings.clone();
    let devices = tokio::task::spawn_blocking(move || {
        let (camera, microphone) = crate::devices::device_facts(&probe_settings);
        let video = crate::devices::config_for(&probe_settings, Path::new("preflight.mp4")).video;
        let fps = video.fps;
        let probed = anchordesk_capture::choose_preset(&video, preflight::ENCODER_MARGIN);
        // The second picture measured at its own size, with the preset the first one gets
        // (both encodes run with the desk's preset).
        let second_probe = match (&probed, second) {
            (Ok(probe), Some((width, height))) => {
                let video = anchordesk_capture::VideoSettings { width, height, ..video.clone() };
                Some(anchordesk_capture::measure_preset(&video, probe.preset))
            }
            _ => None,
        };
        (camera, microphone, fps, probed, second_probe)
    })
    .await;
    match devices {
        Ok((camera, microphone, fps, probed, second_probe)) => {
            items.push(preflight::device(PreflightCheck::Camera, settings.camera.as_deref(), camera.is_ok()));
            items.push(preflight::device(PreflightCheck::Microphone, settings.microphone.as_deref(), microphone.is_ok()));
            let at = |probe: &anchordesk_capture::PresetProbe, preset| probe.measured.iter().find(|(p, _)| *p == preset).map(|(_, fps)| *fps).unwrap_or(0.0);
            items.push(match (probed, second_probe) {
                (Ok(probe), None) => preflight::encoder(at(&probe, probe.preset), fps, probe.preset.name()),
                (Ok(probe), Some(Ok(second_fps))) => {
                    let (w, h) = second.unwrap_or_default();
                    preflight::encoder_two_pictures(at(&probe, probe.preset), second_fps, fps, probe.preset.name(), (w, h))
                }
                (Ok(_), Some(Err(err))) | (Err(err), _) => preflight::failed(PreflightCheck::Encoder, err.to_string()),
            });
        }
        Err(err) => items.push(preflight::failed(PreflightCheck::Encoder, format!("the device probe failed: {err}"))),
    }
    items.push(match anchordesk_capture::available_bytes(data_dir) {
        Some(free) => preflight::disk(free, planned_minutes.max(1) as u32, video_kbps),
        None => preflight::failed(PreflightCheck::Disk, "the data directory's disk could not be measured"),
    });
    match link.client() {
        Some(platform) => {
            use anchordesk_platform::Platform as _;
            items.push(preflight::platform(platform.shop().await.map(|shop| shop.name).map_err(|err| err.to_string())));
            items.push(match anchordesk_platform::measure_upload_kbps(&*platform, anchordesk_platform::PROBE_DEFAULT_BYTES).await {
                Ok(kbps) => preflight::bandwidth(kbps, video_kbps),
                Err(err) => preflight::failed(PreflightCheck::Bandwidth, err.to_string()),
            });
        }
        None => {
            let reason = link.status().offline_reason.unwrap_or_else(|| "starting".into());
            items.push(preflight::failed(PreflightCheck::Platform, reason.clone()));
            items.push(preflight::failed(PreflightCheck::Bandwidth, reason));
        }
    }
    Ok(items)
}
