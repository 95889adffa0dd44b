//! `anchordesk plan …`, `anchordesk templates list` and `anchordesk broadcasts new`.

use anchordesk_core::plan::{CheckEnv, CheckOutcome, ChecklistState, Phase};
use anchordesk_core::script;
use anchordesk_core::templates;
use anchordesk_core::{BroadcastDraft, BroadcastId};
use anyhow::{Context, bail};
use clap::{Args, Subcommand, ValueEnum};
use std::fmt::Write as _;
use std::path::Path;

#[derive(Subcommand)]
pub enum PlanCommand {
    /// Print a broadcast's run-of-show.
    Show {
        /// Broadcast id (see `anchordesk broadcasts list`).
        broadcast: i64,
        #[arg(long, value_enum, default_value_t = ShowFormat::Md)]
        format: ShowFormat,
    },
    /// Replace the run-of-show with a Markdown script (the `plan show` format); all or nothing.
    Import {
        broadcast: i64,
        /// The script, UTF-8 or GBK/GB18030.
        file: std::path::PathBuf,
    },
    /// Print the checklist with automatic checks; exit 1 while a critical item blocks going live.
    Check {
        broadcast: i64,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Clone, Copy, ValueEnum)]
pub enum ShowFormat {
    Md,
    Html,
    Json,
}

#[derive(Subcommand)]
pub enum TemplatesCommand {
    /// List the built-in templates and the team's (taken at each `anchordesk team sync`).
    List,
}

/// `anchordesk broadcasts new`.
#[derive(Args)]
pub struct NewBroadcastArgs {
    /// Template name (see `anchordesk templates list`).
    #[arg(long)]
    pub template: Option<String>,
    #[arg(long)]
    pub title: String,
    /// Planned start, local time: 2026-12-05T19:30.
    #[arg(long)]
    pub start: String,
    #[arg(long, default_value = "sandbox")]
    pub platform: String,
    /// The scene it goes on air with (see `anchordesk scenes list`); the template's when
    /// not given.
    #[arg(long)]
    pub scene: Option<String>,
}

pub fn run_plan(data_dir: &Path, command: PlanCommand) -> anyhow::Result<u8> {
    let mut store = crate::open_store(data_dir)?;
    match command {
        PlanCommand::Import { broadcast, file } => {
            let bytes = std::fs::read(&file).with_context(|| format!("reading {}", file.display()))?;
            let (text, _) = anchordesk_core::import::decode_text(&bytes).with_context(|| format!("reading {}", file.display()))?;
            let segments = match script::parse_markdown(&text) {
                Ok(segments) => segments,
                Err(errors) => {
                    for error in errors {
                        eprintln!("{}:{error}", file.display());
                    }
                    return Ok(1);
                }
            };
            match store.import_script(BroadcastId(broadcast), &segments) {
                Ok(show) => {
                    println!("imported {} segments ({} min planned)", show.segments.len(), show.planned_minutes);
                    Ok(0)
                }
                Err(anchordesk_core::StoreError::Invalid(fields)) => {
                    for field in fields {
                        eprintln!("{}:{}", file.display(), field.value);
                    }
                    Ok(1)
                }
                Err(err) => Err(err.into()),
            }
        }
        PlanCommand::Show { broadcast, format } => {
            let show = store.run_of_show(BroadcastId(broadcast)).with_context(|| format!("reading broadcast {broadcast}"))?;
            match format {
                ShowFormat::Json => println!("{}", serde_json::to_string_pretty(&show)?),
                ShowFormat::Md => print!("{}", script::to_markdown(&store.broadcast(show.broadcast_id)?, &show)),
                ShowFormat::Html => print!("{}", script::to_html(&store.broadcast(show.broadcast_id)?, &show)),
            }
            Ok(0)
        }
        PlanCommand::Check { broadcast, json } => {
            let state = store
                .checklist_state(BroadcastId(broadcast), &CheckEnv::for_data_dir(data_dir))
                .with_context(|| format!("checking broadcast {broadcast}"))?;
            if json {
                println!("{}", serde_json::to_string_pretty(&state)?);
            } else {
                print!("{}", checklist_text(&state));
            }
            Ok(if state.gate.allowed { 0 } else { 1 })
        }
    }
}

pub fn run_templates(data_dir: &Path, command: TemplatesCommand) -> anyhow::Result<u8> {
    match command {
        TemplatesCommand::List => {
            let (all, problems) = templates::all(data_dir);
            for problem in &problems {
                eprintln!("warning: {problem}");
            }
            for template in all {
                let summary = template.summary();
                println!(
                    "{:<8} {}  ({} min, {} segments, {} checklist items)\n         {}",
                    summary.name, summary.title, summary.target_minutes, summary.n_segments, summary.n_checklist_items, summary.description
                );
            }
            Ok(0)
        }
    }
}

pub fn run_new(data_dir: &Path, args: NewBroadcastArgs) -> anyhow::Result<u8> {
    let mut store = crate::open_store(data_dir)?;
    let draft = BroadcastDraft { title: args.title, planned_start: args.start, platform: args.platform, ..BroadcastDraft::default() };
    let draft = match draft.validated() {
        Ok(draft) => draft,
        Err(errors) => {
            let reasons: Vec<String> = errors.iter().map(|e| e.to_string()).collect();
            bail!("cannot create the broadcast: {}", reasons.join("; "));
        }
    };
    let mut broadcast = match &args.template {
        Some(name) => store.create_broadcast_from_template(&draft, &templates::find(data_dir, name)?)?,
        None => store.create_broadcast(&draft)?,
    };
    if let Some(scene) = &args.scene {
        broadcast = crate::products::plan_scene(&mut store, broadcast.id, Some(scene))?;
    }
    println!("{}", broadcast.id);
    eprintln!("created broadcast {} \"{}\"", broadcast.id, broadcast.draft.title);
    Ok(0)
}

fn checklist_text(state: &ChecklistState) -> String {
    let mut out = String::new();
    for phase in Phase::ALL {
        let entries: Vec<_> = state.entries.iter().filter(|e| e.item.phase == *phase).collect();
        if entries.is_empty() {
            continue;
        }
        let _ = writeln!(out, "{}:", phase.code());
        for entry in entries {
            let mark = match (&entry.outcome, entry.satisfied) {
                (Some(CheckOutcome::Unavailable { .. }), _) => "[n/a]",
                (_, true) => "[x]",
                (_, false) => "[ ]",
            };
            let critical = if entry.item.critical { " (critical)" } else { "" };
            let law = entry.item.law_ref.as_deref().map(|l| format!(" [{l}]")).unwrap_or_default();
            let _ = writeln!(out, "  {mark} {}{critical}{law}", entry.item.title);
            match &entry.outcome {
                Some(CheckOutcome::Fail { problems }) => {
                    for problem in problems {
                        let _ = writeln!(out, "        - {problem}");
                    }
                }
                Some(CheckOutcome::Unavailable { reason }) => {
                    let _ = writeln!(out, "        - not available yet: {reason}");
                }
                _ => {}
            }
        }
    }
    if state.gate.allowed {
        match &state.gate.override_reason {
            Some(o) => {
                let _ = writeln!(out, "\nGo live: allowed by override of {} ({}): {}", o.given_by, o.given_at, o.reason);
            }
            None => {
                let _ = writeln!(out, "\nGo live: allowed");
            }
        }
    } else {
        let _ = writeln!(out, "\nGo live: blocked by {} critical item(s):", state.gate.blockers.len());
        for blocker in &state.gate.blockers {
            let _ = writeln!(out, "  - {}", blocker.item.title);
        }
    }
    out
}
