//! `anchordesk`: the command line of AnchorDesk (主播工作台).
//!
//! This is the only place that turns an error into an exit code: 0 success, 1 when the
//! command ran but found problems (bad import rows, error findings), 2 on usage or I/O errors.

mod clips;
mod course;
mod destinations;
mod lint;
mod live;
mod plan;
mod products;
mod report;
mod scenes;
mod record;
mod sandbox;
mod team;

use anchordesk_core::{Store, paths};
use anyhow::Context;
use clap::{Parser, Subcommand};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(Parser)]
#[command(name = "anchordesk", version, about = "AnchorDesk (主播工作台) on the command line")]
struct Cli {
    /// Data directory (default: $ANCHORDESK_DATA_DIR, else the OS app-data directory).
    #[arg(long, global = true, value_name = "DIR")]
    data_dir: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// The product catalog (商品库).
    #[command(subcommand)]
    Products(products::ProductsCommand),
    /// Broadcasts (场次).
    #[command(subcommand)]
    Broadcasts(products::BroadcastsCommand),
    /// Where the database lives.
    #[command(subcommand)]
    Db(DbCommand),
    /// Record (and optionally push) from the test source or a camera.
    Record(record::RecordArgs),
    /// Cut one clip (切片) per product marker from a recording, without re-encoding.
    Clips(clips::ClipsArgs),
    /// List cameras and microphones with their modes.
    Devices(record::DevicesArgs),
    /// Which H.264 encoders open on this machine (hardware ones and libx264).
    Encoders(record::EncodersArgs),
    /// Scenes: the layouts to start from, and scene files for `record --scene`.
    #[command(subcommand)]
    Scenes(scenes::ScenesCommand),
    /// Where a broadcast pushes besides the platform's ingest (kept in the OS keyring).
    #[command(subcommand)]
    Destinations(destinations::DestinationsCommand),
    /// Check a script for banned or unprovable claims (the claims linter).
    Lint(lint::LintArgs),
    /// A broadcast's run-of-show and checklist.
    #[command(subcommand)]
    Plan(plan::PlanCommand),
    /// Broadcast templates.
    #[command(subcommand)]
    Templates(plan::TemplatesCommand),
    /// The post-broadcast review (复盘) as JSON or printable HTML.
    Report(report::ReportArgs),
    /// Serve the platform sandbox (the practice shop) on 127.0.0.1.
    Sandbox(sandbox::SandboxArgs),
    /// Courses: rehearsal scenarios and grading a class's signed reports.
    #[command(subcommand)]
    Course(course::CourseCommand),
    /// This desk in a team: join a team server, sync the shared catalog, leave.
    #[command(subcommand)]
    Team(team::TeamCommand),
    /// The team server on PostgreSQL (the same as `anchordesk-server`): serve, or create an
    /// organisation.
    #[command(subcommand)]
    Server(anchordesk_server::cli::ServerCommand),
    /// A whole broadcast through the live session, as the window runs it: go live, the
    /// line-up on air in turn, stop → report and archive.
    #[command(subcommand)]
    Live(live::LiveCommand),
}

#[derive(Subcommand)]
enum DbCommand {
    /// Print the database file's path.
    Path,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => ExitCode::from(code),
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::from(2)
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<u8> {
    let data_dir = paths::data_dir(cli.data_dir.as_deref())
        .context("no data directory: pass --data-dir or set ANCHORDESK_DATA_DIR")?;
    match cli.command {
        Command::Products(command) => products::run_products(&data_dir, command),
        Command::Broadcasts(command) => products::run_broadcasts(&data_dir, command),
        Command::Db(DbCommand::Path) => {
            println!("{}", paths::db_path(&data_dir).display());
            Ok(0)
        }
        Command::Record(args) => record::run(args),
        Command::Clips(args) => clips::run(args),
        Command::Devices(args) => record::run_devices(args),
        Command::Scenes(command) => scenes::run(&data_dir, command),
        Command::Destinations(command) => destinations::run(command),
        Command::Encoders(args) => record::run_encoders(args),
        Command::Lint(mut args) => {
            // The team's rules of this data directory apply, as in the window.
            if args.rules.is_none() && data_dir.join("rules").is_dir() {
                args.rules = Some(data_dir.join("rules"));
            }
            match args.product.clone() {
                Some(sku) => {
                    let store = open_store(&data_dir)?;
                    let product = store
                        .product_by_sku(&sku)?
                        .with_context(|| format!("no product with SKU {sku:?} in the catalog; see `anchordesk products list`"))?;
                    let context = anchordesk_core::compliance::product_context(&product, None, &[]);
                    lint::run_with_product(&args, Some(&context)).map(|code| code as u8)
                }
                None => lint::run(&args).map(|code| code as u8),
            }
        }
        Command::Plan(command) => plan::run_plan(&data_dir, command),
        Command::Templates(command) => plan::run_templates(&data_dir, command),
        Command::Report(args) => report::run(&data_dir, args),
        Command::Sandbox(args) => sandbox::run(&data_dir, args),
        Command::Course(command) => course::run(&data_dir, command),
        Command::Live(command) => live::run(&data_dir, command),
        Command::Team(command) => team::run(&data_dir, command),
        Command::Server(command) => {
            let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().context("starting the async runtime")?;
            runtime.block_on(anchordesk_server::cli::run(command))
        }
    }
}

/// Opens the store in `data_dir`, seeding the sample catalog on first use as the app does.
pub(crate) fn open_store(data_dir: &Path) -> anyhow::Result<Store> {
    let path = paths::db_path(data_dir);
    let mut store = Store::open(&path).with_context(|| format!("opening the database {}", path.display()))?;
    store.seed_sample_catalog_once().context("seeding the sample catalog")?;
    // An archiving cut short by a crash is finished before anything reads it.
    for (session, outcome) in anchordesk_core::archive::finish_pending(&mut store) {
        match outcome {
            Ok(entry) => eprintln!("finished archiving session {} (cut short earlier) into {}", session.0, entry.name),
            Err(err) => eprintln!("archiving session {} could not be finished: {err}", session.0),
        }
    }
    Ok(store)
}
