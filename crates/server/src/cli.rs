//! The server's command line, the same under `anchordesk-server` and `anchordesk server`.

use clap::{Args, Subcommand};
use std::net::SocketAddr;

/// `serve` or `admin`.
#[derive(Subcommand, Debug)]
pub enum ServerCommand {
    /// Serve the team API (runs the database migrations first).
    Serve(ServeArgs),
    /// Operator tasks on the database.
    #[command(subcommand)]
    Admin(AdminCommand),
}

#[derive(Args, Debug)]
pub struct ServeArgs {
    /// The PostgreSQL database, e.g. postgres://anchordesk@127.0.0.1:5432/anchordesk.
    #[arg(long, env = "ANCHORDESK_DATABASE_URL")]
    pub database_url: String,
    /// Where to listen. Plain HTTP is served on loopback only, unless --behind-proxy.
    #[arg(long, default_value = "127.0.0.1:8787")]
    pub listen: SocketAddr,
    /// A TLS-terminating proxy (nginx, Caddy) is in front: plain HTTP on other addresses too.
    #[arg(long)]
    pub behind_proxy: bool,
    /// Serve HTTPS with this PEM certificate chain (server certificate first), on any address.
    #[arg(long, env = "ANCHORDESK_TLS_CERT", requires = "tls_key")]
    pub tls_cert: Option<std::path::PathBuf>,
    /// The PEM private key of --tls-cert.
    #[arg(long, env = "ANCHORDESK_TLS_KEY", requires = "tls_cert")]
    pub tls_key: Option<std::path::PathBuf>,
    /// Where the classes' practice shops keep their databases; default
    /// $XDG_STATE_HOME/anchordesk-server or ~/.local/state/anchordesk-server.
    #[arg(long, env = "ANCHORDESK_SERVER_DATA")]
    pub data_dir: Option<std::path::PathBuf>,
}

#[derive(Subcommand, Debug)]
pub enum AdminCommand {
    /// Create an organisation (an MCN, a county, a college) and its owner; prints the
    /// owner's one-time password.
    CreateOrg(CreateOrgArgs),
}

#[derive(Args, Debug)]
pub struct CreateOrgArgs {
    /// The organisation's name.
    pub name: String,
    /// The owner's email (their sign-in name).
    #[arg(long)]
    pub owner: String,
    #[arg(long, env = "ANCHORDESK_DATABASE_URL")]
    pub database_url: String,
}

/// Runs a server command to its end (serving: until Ctrl-C or SIGTERM). Returns the exit code.
pub async fn run(command: ServerCommand) -> anyhow::Result<u8> {
    match command {
        ServerCommand::Serve(args) => {
            let running = crate::start(crate::Config {
                database_url: args.database_url,
                listen: args.listen,
                behind_proxy: args.behind_proxy,
                tls: args.tls_cert.zip(args.tls_key).map(|(cert, key)| crate::TlsFiles { cert, key }),
                data_dir: args.data_dir,
            }).await?;
            // The address on standard output (first line), for scripts that pick port 0.
            println!("{}", running.base_url());
            wait_for_stop().await;
            running.shutdown().await?;
            Ok(0)
        }
        ServerCommand::Admin(AdminCommand::CreateOrg(args)) => {
            let pool = crate::db::connect(&args.database_url)?;
            crate::db::migrate(&pool, &args.database_url).await?;
            let created = crate::admin::create_org(&pool, &args.name, &args.owner).await?;
            println!("organisation {} created (id {})", args.name.trim(), created.org_id);
            println!("owner: {}", created.owner_email);
            println!("one-time password: {}", created.one_time_password);
            eprintln!("The password is shown once: hand it to the owner, who changes it at first sign-in.");
            Ok(0)
        }
    }
}

async fn wait_for_stop() {
    #[cfg(unix)]
    {
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).expect("SIGTERM can be handled");
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = tokio::signal::ctrl_c().await;
}
