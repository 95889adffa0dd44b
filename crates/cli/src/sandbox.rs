//! `anchordesk sandbox`: serves the platform sandbox (the practice shop) on loopback.

use anchordesk_sandbox::{Config, DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, DEMO_SHOP_ID, RateLimit, Sandbox};
use anyhow::Context;
use clap::Args;
use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

#[derive(Args)]
pub struct SandboxArgs {
    /// Port on 127.0.0.1 (0 picks a free one).
    #[arg(long, default_value_t = 8787)]
    port: u16,
    /// Seed of the simulated audience (the same seed replays the same audience).
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Requests per second per shop before 429 (0 turns the limit off).
    #[arg(long, default_value_t = 100.0)]
    rate_limit: f64,
    /// Milliseconds between audience steps while live (0: only via POST /admin/broadcasts/{id}/tick).
    #[arg(long, default_value_t = 1000)]
    tick_ms: u64,
    /// The admin routes' credential (faults, shops, ticks); a random one when not given.
    #[arg(long, env = "ANCHORDESK_SANDBOX_ADMIN_TOKEN", hide_env_values = true)]
    admin_token: Option<String>,
}

/// Serves until Ctrl+C or SIGTERM. The database lives in `<data-dir>/sandbox/`.
pub fn run(data_dir: &Path, args: SandboxArgs) -> anyhow::Result<u8> {
    let mut config = Config::new(data_dir.join("sandbox"));
    config.addr = SocketAddr::from(([127, 0, 0, 1], args.port));
    config.seed = args.seed;
    config.rate_limit = (args.rate_limit > 0.0).then_some(RateLimit { per_second: args.rate_limit, burst: args.rate_limit * 2.0 });
    config.audience_tick = (args.tick_ms > 0).then(|| Duration::from_millis(args.tick_ms));
    config.admin_token = args.admin_token;
    let runtime = tokio::runtime::Runtime::new().context("starting the async runtime")?;
    runtime.block_on(async {
        let running = Sandbox::start(config).await.context("starting the sandbox")?;
        let base = running.base_url();
        println!("listening on {base}");
        println!("OpenAPI document: {base}/openapi.json");
        println!("shop page:        {base}/shop/{DEMO_SHOP_ID}");
        println!("client id:        {DEMO_CLIENT_ID}");
        println!("client secret:    {DEMO_CLIENT_SECRET}");
        println!("admin credential: {} (header {})", running.admin_token(), anchordesk_sandbox::ADMIN_TOKEN_HEADER);
        println!("data:             {}", data_dir.join("sandbox").display());
        anchordesk_sandbox::stop_signal().await.context("waiting for Ctrl+C")?;
        running.shutdown().await.context("stopping the sandbox")?;
        anyhow::Ok(0)
    })
}
