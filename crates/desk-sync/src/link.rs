//! The platform link: the client of the desk's platform (a team's own, with its secret from
//! the OS keyring, or the embedded practice platform started on a free loopback port) and
//! the worker that drains the desk's outbox into it.

use crate::DeskOutbox;
use anchordesk_core::Store;
use anchordesk_platform::sync::{SyncConfig, SyncHandle, SyncWorker};
use anchordesk_platform::{ClientConfig, ContractClient};
use std::path::Path;
use std::sync::{Arc, Mutex};

/// What the link holds while the desk runs.
pub struct PlatformLink {
    /// Where the platform is.
    pub url: String,
    pub platform: Arc<ContractClient>,
    /// The outbox worker's status and wake-up.
    pub handle: SyncHandle,
    /// The embedded practice platform, when the desk uses it (no platform of its own set).
    pub sandbox: Option<anchordesk_sandbox::RunningSandbox>,
    shutdown: tokio::sync::watch::Sender<bool>,
}

impl PlatformLink {
    /// Starts the link for the store's platform settings and spawns the worker on the
    /// current Tokio runtime. `Err` says why the desk works offline (the outbox keeps every
    /// change meanwhile). `ANCHORDESK_SANDBOX_INGEST` tells the practice platform which
    /// ingest to hand out (a local nginx-rtmp, say).
    pub async fn start(store: Arc<Mutex<Store>>, data_dir: &Path) -> Result<PlatformLink, String> {
        let (desk_id, own) = {
            let guard = store.lock().unwrap_or_else(|p| p.into_inner());
            (guard.desk_id().map_err(|err| err.to_string())?, crate::platform_settings(&guard).map_err(|err| err.to_string())?)
        };
        let (client, sandbox) = match own {
            // The team's own platform: its secret comes from the OS credential store.
            Some(settings) => match crate::secrets::client_secret(&settings.client_id) {
                Ok(Some(secret)) => {
                    let mut config = ClientConfig::new(settings.base_url.clone(), settings.client_id.clone(), secret);
                    config.ca_pem = settings.ca_pem.clone();
                    (config, None)
                }
                Ok(None) => return Err("no client secret kept for this platform: enter it in Settings → Platform".into()),
                Err(err) => return Err(err.to_string()),
            },
            None => {
                let mut config = anchordesk_sandbox::Config::new(data_dir.join("sandbox"));
                config.addr = std::net::SocketAddr::from(([127, 0, 0, 1], 0));
                if let Ok(ingest) = std::env::var("ANCHORDESK_SANDBOX_INGEST")
                    && !ingest.trim().is_empty()
                {
                    config.ingest_url = ingest;
                }
                let sandbox = anchordesk_sandbox::Sandbox::start(config).await.map_err(|err| err.to_string())?;
                let url = sandbox.base_url();
                (ClientConfig::new(url, anchordesk_sandbox::DEMO_CLIENT_ID, anchordesk_sandbox::DEMO_CLIENT_SECRET), Some(sandbox))
            }
        };
        let url = client.base_url.clone();
        let platform = Arc::new(ContractClient::new(client).map_err(|err| err.to_string())?);
        let worker = SyncWorker::new(platform.clone(), Arc::new(DeskOutbox::new(store)), SyncConfig { key_prefix: format!("{desk_id}-"), ..SyncConfig::default() });
        let handle = worker.handle();
        let (shutdown, shutdown_rx) = tokio::sync::watch::channel(false);
        tokio::spawn(worker.run(shutdown_rx));
        Ok(PlatformLink { url, platform, handle, sandbox, shutdown })
    }

    /// The embedded practice platform (not a team's own).
    pub fn practice(&self) -> bool {
        self.sandbox.is_some()
    }

    /// Stops the worker and the embedded platform.
    pub async fn stop(self) {
        let _ = self.shutdown.send(true);
        if let Some(sandbox) = self.sandbox
            && let Err(err) = sandbox.shutdown().await
        {
            tracing::warn!("the practice platform did not shut down cleanly: {err}");
        }
    }
}

/// What the sync badge shows: the outbox worker's figures, where the platform is, and why
/// the desk works offline when it does.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct LinkStatus {
    pub pending: u32,
    pub sent: u32,
    pub given_up: u32,
    pub last_error: Option<String>,
    /// Where the platform is (the embedded practice platform's address).
    pub platform_url: Option<String>,
    /// The platform could not be started or reached at all.
    pub offline_reason: Option<String>,
    /// The embedded practice platform (not the team's own).
    pub practice: bool,
    /// Team products the background team sync has applied here since the desk opened (the
    /// window reloads its lists when this grows).
    pub team_received: u32,
}

/// The desk's place for its platform link: empty while it starts, the running link, or why
/// there is none. Shared by the window's commands and the live session.
#[derive(Default)]
pub struct LinkSlot {
    link: Mutex<Option<PlatformLink>>,
    offline: Mutex<Option<String>>,
    /// Stops the background team sync ([`crate::team::run_background`]), while it runs.
    team: Mutex<Option<tokio::sync::watch::Sender<bool>>>,
    /// Team products the background team sync applied since the desk opened.
    team_received: Arc<std::sync::atomic::AtomicU32>,
    /// Starts a background team sync at once.
    team_wake: Arc<tokio::sync::Notify>,
}

impl LinkSlot {
    fn link(&self) -> std::sync::MutexGuard<'_, Option<PlatformLink>> {
        self.link.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn offline(&self) -> std::sync::MutexGuard<'_, Option<String>> {
        self.offline.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Starts the link for the store's settings into the slot, and the background team
    /// sync with it whatever becomes of the platform; returns what changes the sync badge
    /// (the platform worker's status, team products applied), also when the platform
    /// could not start: why the desk then works offline is kept for the badge and the gate.
    pub async fn start(&self, store: Arc<Mutex<Store>>, data_dir: &Path) -> tokio::sync::watch::Receiver<u64> {
        let (team_stop, team_stopped) = tokio::sync::watch::channel(false);
        if let Some(previous) = self.team.lock().unwrap_or_else(|p| p.into_inner()).replace(team_stop) {
            let _ = previous.send(true);
        }
        // One count per start, held by the two tasks that bump it: when both end (the link
        // stopped), the caller's receiver ends too.
        let (count, changes) = tokio::sync::watch::channel(0u64);
        let (team_count, received_total) = (count.clone(), self.team_received.clone());
        let on_received = move |received: u32| {
            received_total.fetch_add(received, std::sync::atomic::Ordering::SeqCst);
            team_count.send_modify(|n| *n += 1);
        };
        tokio::spawn(crate::team::run_background(store.clone(), crate::team::Schedule::from_env(), team_stopped, self.team_wake.clone(), on_received));
        match PlatformLink::start(store, data_dir).await {
            Ok(link) => {
                tracing::info!("{} on {}; syncing the outbox", if link.practice() { "practice platform" } else { "the team's platform" }, link.url);
                let mut platform = link.handle.subscribe();
                tokio::spawn(async move {
                    while platform.changed().await.is_ok() {
                        count.send_modify(|n| *n += 1);
                    }
                });
                *self.offline() = None;
                *self.link() = Some(link);
            }
            Err(reason) => {
                tracing::warn!("platform link unavailable, working offline: {reason}");
                *self.offline() = Some(reason);
            }
        }
        changes
    }

    /// Marks the desk offline without trying (the database was refused, say).
    pub fn set_offline(&self, reason: &str) {
        tracing::warn!("platform link unavailable, working offline: {reason}");
        *self.offline() = Some(reason.to_string());
    }

    /// Stops the link in the slot, if any (to switch platforms, or as the desk closes).
    pub async fn stop(&self) {
        if let Some(team) = self.team.lock().unwrap_or_else(|p| p.into_inner()).take() {
            let _ = team.send(true);
        }
        let link = self.link().take();
        *self.offline() = None;
        if let Some(link) = link {
            link.stop().await;
        }
    }

    /// Syncs with the team now (a broadcast went on air or ended), when the desk is in one.
    pub fn wake_team(&self) {
        self.team_wake.notify_one();
    }

    /// Wakes the worker after a change, so it goes out now rather than at the next poll.
    pub fn wake(&self) {
        if let Some(link) = self.link().as_ref() {
            link.handle.wake();
        }
    }

    /// The platform's client, while the link runs.
    pub fn client(&self) -> Option<Arc<ContractClient>> {
        self.link().as_ref().map(|link| link.platform.clone())
    }

    /// The badge's data now.
    pub fn status(&self) -> LinkStatus {
        let link = self.link();
        let (status, url, practice) = match link.as_ref() {
            Some(link) => (link.handle.status(), Some(link.url.clone()), link.practice()),
            None => (Default::default(), None, false),
        };
        LinkStatus {
            pending: status.pending,
            sent: status.sent,
            given_up: status.given_up,
            last_error: status.last_error,
            platform_url: url,
            offline_reason: self.offline().clone(),
            practice,
            team_received: self.team_received.load(std::sync::atomic::Ordering::SeqCst),
        }
    }

    /// The go-live gate's platform fact: the link runs and its last send did not fail with
    /// changes still waiting.
    pub fn fact(&self) -> Result<(), String> {
        if let Some(reason) = self.offline().clone() {
            return Err(reason);
        }
        match self.link().as_ref() {
            None => Err("starting".into()),
            Some(link) => {
                let status = link.handle.status();
                match status.last_error {
                    Some(error) if status.pending > 0 => Err(error),
                    _ => Ok(()),
                }
            }
        }
    }

    /// The ingest URL (with its key) for a broadcast going live: see
    /// [`crate::ingest::platform_ingest`].
    pub async fn ingest(&self, store: &Arc<Mutex<Store>>, broadcast: anchordesk_core::BroadcastId) -> Result<String, String> {
        let client = self.client().ok_or("the platform link is not running")?;
        crate::ingest::platform_ingest(&*client, store, broadcast, &|| self.wake()).await
    }

    /// Pulls the room of a session on air into the store once; returns how many events
    /// were new.
    pub async fn pull_room(&self, store: &Arc<Mutex<Store>>, session: &anchordesk_core::live::LiveSession) -> Result<usize, String> {
        let client = self.client().ok_or("the platform link is not running")?;
        let id = anchordesk_core::store::platform_broadcast_id(session.broadcast_id);
        crate::room::pull_room(&*client, store, session.id, &id).await.map_err(|err| err.to_string())
    }
}
