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
                Ok(Some(secret)) => (ClientConfig::new(settings.base_url.clone(), settings.client_id.clone(), secret), None),
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
