//! `anchordesk-server`: the team server (see the crate's documentation).

use clap::Parser;

#[derive(Parser)]
#[command(name = "anchordesk-server", version, about = "AnchorDesk team server: a shared catalog, members and roles on PostgreSQL")]
struct Cli {
    #[command(subcommand)]
    command: anchordesk_server::cli::ServerCommand,
}

fn main() -> std::process::ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()))
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("a Tokio runtime");
    match runtime.block_on(anchordesk_server::cli::run(cli.command)) {
        Ok(code) => std::process::ExitCode::from(code),
        Err(err) => {
            eprintln!("error: {err:#}");
            std::process::ExitCode::from(1)
        }
    }
}
