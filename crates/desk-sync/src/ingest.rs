//! Where the picture goes when a broadcast goes live on the platform: the platform answers
//! the start call with its ingest URL and a stream key. The start itself travels through the
//! outbox (so it is never lost offline); going live waits a few seconds for it to be sent,
//! then replays the same call with the same Idempotency-Key, which returns the platform's
//! first answer. The key is never stored or logged by this crate.

use anchordesk_core::model::BroadcastId;
use anchordesk_core::store::{START_BROADCAST, platform_broadcast_id};
use anchordesk_core::Store;
use anchordesk_platform::Platform;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How long going live waits for the platform to confirm the start before recording
/// without a push.
pub const START_WAIT: Duration = Duration::from_secs(6);

/// How often the outbox row of the start is looked at while waiting.
const POLL: Duration = Duration::from_millis(200);

/// The ingest URL with its stream key for `broadcast` (`rtmp://host/app/KEY`), once the
/// outbox has sent the start; an error that says why when it was refused, never queued, or
/// not confirmed within [`START_WAIT`] (then the start stays queued and the recording goes
/// on without a push).
pub async fn platform_ingest(platform: &dyn Platform, store: &Arc<Mutex<Store>>, broadcast: BroadcastId, wake: &(dyn Fn() + Sync)) -> Result<String, String> {
    wake();
    let deadline = Instant::now() + START_WAIT;
    let (start_id, desk_id) = loop {
        let (latest, desk_id) = {
            let store = store.lock().unwrap_or_else(|p| p.into_inner());
            (store.outbox_latest(broadcast, START_BROADCAST).map_err(|err| err.to_string())?, store.desk_id().map_err(|err| err.to_string())?)
        };
        match latest {
            Some(start) if start.done => break (start.id, desk_id),
            Some(start) if start.given_up => {
                return Err(format!("the platform refused the start: {}", start.last_error.unwrap_or_default()));
            }
            None => return Err("no start was queued for this broadcast".into()),
            _ if Instant::now() >= deadline => return Err("the platform did not confirm the start in time; it is queued".into()),
            _ => tokio::time::sleep(POLL).await,
        }
    };
    let target = platform
        .start_broadcast(&format!("{desk_id}-{start_id}"), &platform_broadcast_id(broadcast))
        .await
        .map_err(|err| err.to_string())?;
    Ok(format!("{}/{}", target.ingest_url.trim_end_matches('/'), target.stream_key))
}
