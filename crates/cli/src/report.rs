//! `anchordesk report BROADCAST`: the post-broadcast review (复盘).

use anchordesk_core::BroadcastId;
use anchordesk_core::live::report_html;
use anchordesk_core::plan::CheckEnv;
use anyhow::Context;
use clap::{Args, ValueEnum};
use std::path::{Path, PathBuf};

/// `anchordesk report`.
#[derive(Args)]
pub struct ReportArgs {
    /// Broadcast id (see `anchordesk broadcasts list`).
    pub broadcast: i64,
    #[arg(long, value_enum, default_value_t = ReportFormat::Json)]
    pub format: ReportFormat,
    /// Write to this file instead of standard output.
    #[arg(long)]
    pub out: Option<PathBuf>,
}

#[derive(Clone, Copy, ValueEnum)]
pub enum ReportFormat {
    Json,
    Html,
}

pub fn run(data_dir: &Path, args: ReportArgs) -> anyhow::Result<u8> {
    let store = crate::open_store(data_dir)?;
    let env = CheckEnv::for_data_dir(data_dir);
    let report = store
        .report(BroadcastId(args.broadcast), &env, None)
        .with_context(|| format!("building the report of broadcast {}", args.broadcast))?;
    let text = match args.format {
        ReportFormat::Json => serde_json::to_string_pretty(&report)? + "\n",
        ReportFormat::Html => report_html(&report),
    };
    match &args.out {
        Some(path) => {
            anchordesk_core::paths::write_atomic(path, text.as_bytes()).with_context(|| format!("writing {}", path.display()))?;
            eprintln!("wrote {}", path.display());
        }
        None => print!("{text}"),
    }
    Ok(0)
}
