//! Shared by the sandbox's integration tests.
#![allow(dead_code)]

pub mod desk;
pub mod outbox;

use anchordesk_platform::{Client, ClientConfig, RetryPolicy, SandboxPlatform};
use anchordesk_sandbox::{Config, DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, RunningSandbox, Sandbox};
use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

/// A config for tests: a free loopback port, no rate limit, audience only on demand.
pub fn test_config(dir: &Path) -> Config {
    let mut config = Config::new(dir);
    config.addr = SocketAddr::from(([127, 0, 0, 1], 0));
    config.rate_limit = None;
    config.audience_tick = None;
    config
}

pub async fn start(dir: &Path) -> RunningSandbox {
    Sandbox::start(test_config(dir)).await.expect("sandbox starts")
}

/// A client of the demo shop with quick retries.
pub fn client(base_url: &str) -> Client {
    let mut config = ClientConfig::new(base_url, DEMO_CLIENT_ID, DEMO_CLIENT_SECRET);
    config.timeout = Duration::from_secs(5);
    config.retry = RetryPolicy { max_retries: 4, min_delay: Duration::from_millis(20), max_delay: Duration::from_millis(300) };
    Client::new(config).expect("client config is valid")
}

pub fn platform(base_url: &str) -> SandboxPlatform {
    SandboxPlatform::from_client(client(base_url))
}

/// A client with no retries, to see each answer as it is.
pub fn raw_client(base_url: &str) -> Client {
    let mut config = ClientConfig::new(base_url, DEMO_CLIENT_ID, DEMO_CLIENT_SECRET);
    config.retry = RetryPolicy { max_retries: 0, min_delay: Duration::from_millis(1), max_delay: Duration::from_millis(1) };
    Client::new(config).expect("client config is valid")
}

pub fn product(title: &str, price_fen: i64, stock: i64) -> anchordesk_platform::ProductUpsert {
    anchordesk_platform::ProductUpsert {
        title: title.to_owned(),
        description: format!("{title}，产地直发"),
        price_fen,
        stock,
        origin: Some("江西赣州".to_owned()),
    }
}
