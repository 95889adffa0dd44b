//! `anchordesk-sandbox`: runs the platform sandbox on its own (the same server as
//! `anchordesk sandbox`), for tests that need a real child process and for courses.

use anchordesk_sandbox::{Config, RateLimit, Sandbox};
use clap::Parser;
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::time::Duration;

#[derive(Parser)]
#[command(name = "anchordesk-sandbox", about = "The AnchorDesk platform sandbox")]
struct Args {
    /// Port on 127.0.0.1 (0 picks a free one; the bound address is printed).
    #[arg(long, default_value_t = 8787)]
    port: u16,
    /// Address to bind.
    #[arg(long, default_value = "127.0.0.1")]
    host: IpAddr,
    /// Directory of the sandbox database.
    #[arg(long, value_name = "DIR")]
    data_dir: PathBuf,
    /// Seed of the simulated audience.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Requests per second per token (0 turns the limit off).
    #[arg(long, default_value_t = 100.0)]
    rate_limit: f64,
    /// Milliseconds between audience steps (0: only through the admin tick route).
    #[arg(long, default_value_t = 1000)]
    tick_ms: u64,
    /// The admin routes' credential (faults, shops, ticks); a random one when not given.
    #[arg(long, env = "ANCHORDESK_SANDBOX_ADMIN_TOKEN", hide_env_values = true)]
    admin_token: Option<String>,
}

fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt().with_env_filter(tracing_subscriber::EnvFilter::from_default_env()).with_writer(std::io::stderr).init();
    let args = Args::parse();
    let mut config = Config::new(args.data_dir);
    config.addr = SocketAddr::new(args.host, args.port);
    config.seed = args.seed;
    config.rate_limit = (args.rate_limit > 0.0).then_some(RateLimit { per_second: args.rate_limit, burst: args.rate_limit * 2.0 });
    config.audience_tick = (args.tick_ms > 0).then(|| Duration::from_millis(args.tick_ms));
    config.admin_token = args.admin_token;
    let runtime = tokio::runtime::Runtime::new()?;
    runtime.block_on(async {
        let running = Sandbox::start(config).await?;
        // Tests read this line to learn the port.
        println!("listening on {}", running.base_url());
        // On standard error: a caller may read only the first line of standard output.
        eprintln!("admin credential: {} (header {})", running.admin_token(), anchordesk_sandbox::ADMIN_TOKEN_HEADER);
        anchordesk_sandbox::stop_signal().await?;
        running.shutdown().await?;
        anyhow::Ok(())
    })
}
