//! The automatic preflight before going live: devices, the encoder's speed at the chosen
//! size (a second of the test pattern through each preset), free disk for the planned
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
    let (settings, planned_minutes) = {
        let store = store.lock().unwrap_or_else(|p| p.into_inner());
        (store.capture_settings()?, store.run_of_show(broadcast)?.planned_minutes)
    };
    let video_kbps = settings.bitrate_kbps.max(0) as u32;
    let mut items = Vec::new();
    let probe_settings = settings.clone();
    let devices = tokio::task::spawn_blocking(move || {
        let (camera, microphone) = crate::devices::device_facts(&probe_settings);
        let video = crate::devices::config_for(&probe_settings, Path::new("preflight.mp4")).video;
        let fps = video.fps;
        (camera, microphone, fps, anchordesk_capture::choose_preset(&video, preflight::ENCODER_MARGIN))
    })
    .await;
    match devices {
        Ok((camera, microphone, fps, probed)) => {
            items.push(preflight::device(PreflightCheck::Camera, settings.camera.as_deref(), camera.is_ok()));
            items.push(preflight::device(PreflightCheck::Microphone, settings.microphone.as_deref(), microphone.is_ok()));
            items.push(match probed {
                Ok(probe) => {
                    let measured = probe.measured.iter().find(|(preset, _)| *preset == probe.preset).map(|(_, fps)| *fps).unwrap_or(0.0);
                    preflight::encoder(measured, fps, probe.preset.name())
                }
                Err(err) => preflight::failed(PreflightCheck::Encoder, err.to_string()),
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
