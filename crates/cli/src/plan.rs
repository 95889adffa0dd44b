//! `anchordesk plan …`, `anchordesk templates list` and `anchordesk broadcasts new`.

use anchordesk_core::plan::{CheckEnv, CheckOutcome, ChecklistState, Phase, RunOfShow};
use anchordesk_core::templates;
use anchordesk_core::{BroadcastDraft, BroadcastId, Store};
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
    Json,
}

#[derive(Subcommand)]
pub enum TemplatesCommand {
    /// List the built-in templates.
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
}

pub fn run_plan(data_dir: &Path, command: PlanCommand) -> anyhow::Result<u8> {
    let store = crate::open_store(data_dir)?;
    match command {
        PlanCommand::Show { broadcast, format } => {
            let show = store.run_of_show(BroadcastId(broadcast)).with_context(|| format!("reading broadcast {broadcast}"))?;
            match format {
                ShowFormat::Json => println!("{}", serde_json::to_string_pretty(&show)?),
                ShowFormat::Md => print!("{}", markdown(&store, &show)?),
            }
            Ok(0)
        }
        PlanCommand::Check { broadcast, json } => {
            let state = store
                .checklist_state(BroadcastId(broadcast), &CheckEnv::measure(data_dir))
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

pub fn run_templates(command: TemplatesCommand) -> anyhow::Result<u8> {
    match command {
        TemplatesCommand::List => {
            for template in templates::built_in() {
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
    let broadcast = match &args.template {
        Some(name) => store.create_broadcast_from_template(&draft, &templates::by_name(name)?)?,
        None => store.create_broadcast(&draft)?,
    };
    println!("{}", broadcast.id);
    eprintln!("created broadcast {} \"{}\"", broadcast.id, broadcast.draft.title);
    Ok(0)
}

fn markdown(store: &Store, show: &RunOfShow) -> anyhow::Result<String> {
    let broadcast = store.broadcast(show.broadcast_id)?;
    let mut out = String::new();
    writeln!(out, "# {}\n", broadcast.draft.title)?;
    writeln!(out, "- 开播 Start: {}", broadcast.draft.planned_start)?;
    writeln!(out, "- 平台 Platform: {}", broadcast.draft.platform)?;
    writeln!(out, "- 计划 Planned: {} min / 目标 target {} min\n", show.planned_minutes, show.target_minutes)?;
    for (idx, view) in show.segments.iter().enumerate() {
        let segment = &view.segment.draft;
        writeln!(
            out,
            "## {}. {} ({} min, at {}′, {})\n",
            idx + 1,
            segment.title,
            view.minutes,
            view.starts_at_minute,
            segment.person.code()
        )?;
        if let Some(product) = &view.product {
            writeln!(out, "直播价 {} · 日常价 {} · 库存 {}", product.live_price, product.everyday_price, product.stock)?;
            if !product.coupon.is_empty() {
                writeln!(out, "优惠券 {}", product.coupon)?;
            }
            writeln!(out)?;
        }
        for line in segment.talking_points.lines().filter(|l| !l.trim().is_empty()) {
            writeln!(out, "- {}", line.trim())?;
        }
        for cue in segment.cues.lines().filter(|l| !l.trim().is_empty()) {
            writeln!(out, "- 提示 cue: {}", cue.trim())?;
        }
        writeln!(out)?;
    }
    Ok(out)
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
