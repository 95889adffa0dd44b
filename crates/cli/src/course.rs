//! `anchordesk course`: rehearsal scenarios and the teacher's class table.
//!
//! `course grade DIR` exits 1 when any report file is tampered with, signed by a changed
//! key or unreadable, naming each such file on standard error; the table is still printed.

use std::path::{Path, PathBuf};

use anchordesk_course::{ClassTable, RowFilter, RowStatus, SortKey, embedded_scenarios, load_dir};
use anyhow::Context;
use clap::{Args, Subcommand, ValueEnum};

/// `anchordesk course …`.
#[derive(Subcommand)]
pub enum CourseCommand {
    /// List rehearsal scenarios (the shipped ones, and a teacher's folder with --dir).
    Scenarios(ScenariosArgs),
    /// Verify a folder of students' signed report files (*.json) and print the class table.
    Grade(GradeArgs),
    /// Verify one signed report file and print it as printable HTML or JSON.
    Show(ShowArgs),
    /// Prepare a rehearsal of a scenario on this desk (its products, line-up, script cues and
    /// the practice shop's scripted events); prints the new broadcast's id, to go on air with
    /// `anchordesk live run ID --rehearsal`.
    Rehearse {
        /// The scenario's id (shipped, or in <data dir>/scenarios).
        scenario: String,
        /// The student's number (学号).
        #[arg(long)]
        student_id: String,
        /// The student's name.
        #[arg(long)]
        student_name: String,
    },
    /// Measure a finished rehearsal and grade it (kept with the attempt; a desk in a class
    /// hands it in at its next `anchordesk team sync`). Prints the graded report as JSON.
    Attempt {
        /// The rehearsal's broadcast id.
        broadcast: i64,
    },
    /// Print the fingerprint of this desk's report-signing key (kept in the OS keyring), for
    /// the teacher's roster (公钥指纹 column).
    Key,
}

/// `anchordesk course scenarios`.
#[derive(Args)]
pub struct ScenariosArgs {
    /// A folder of scenario files (*.toml) listed after the shipped ones.
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,
}

/// `anchordesk course grade`.
#[derive(Args)]
pub struct GradeArgs {
    /// The folder of report files handed in.
    #[arg(value_name = "DIR")]
    pub dir: PathBuf,
    /// The class roster: CSV (UTF-8 or GBK) or XLSX with columns 学号, 姓名 and 班级.
    #[arg(long, value_name = "FILE")]
    pub roster: Option<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = TableFormat::Text)]
    pub format: TableFormat,
    /// Sort by total, name, student_id, class, attempts, status or a criterion id
    /// (compliance, risky_events, timing, checklist, product_coverage, audience).
    /// Scores sort highest first, text columns A–Z.
    #[arg(long, default_value = "total", value_parser = parse_sort_key)]
    pub sort: SortKey,
    /// Show only rows with this status (repeatable): submitted, missing, tampered,
    /// unknownStudent, keyChanged, keyUnregistered, gradeMismatch.
    #[arg(long, value_parser = parse_status)]
    pub status: Vec<RowStatus>,
    /// Show only rows whose total is at least this.
    #[arg(long, value_name = "SCORE")]
    pub min_total: Option<f64>,
    /// Show only rows whose total is below this.
    #[arg(long, value_name = "SCORE")]
    pub below_total: Option<f64>,
    /// A teacher's scenario folder, besides the shipped scenarios: each report is re-graded
    /// from its facts with its scenario and the rubric (the grade written in a file is not
    /// taken on trust).
    #[arg(long, value_name = "DIR")]
    pub scenarios: Option<PathBuf>,
    /// The class's rubric (TOML); the default rubric when not given.
    #[arg(long, value_name = "FILE")]
    pub rubric: Option<PathBuf>,
    /// For students the roster registers no key fingerprint for (公钥指纹 column), accept the
    /// first key seen (trust on first use). Without it their reports do not count
    /// (keyUnregistered) until the roster lists their desk's fingerprint.
    #[arg(long)]
    pub trust_first_key: bool,
}

/// `anchordesk course show`.
#[derive(Args)]
pub struct ShowArgs {
    /// A signed report file.
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
    /// Output format.
    #[arg(long, value_enum, default_value_t = ShowFormat::Html)]
    pub format: ShowFormat,
}

/// `course grade --format`.
#[derive(Clone, Copy, ValueEnum)]
pub enum TableFormat {
    /// Aligned columns for a terminal.
    Text,
    /// The whole table as JSON.
    Json,
    /// CSV for Excel (UTF-8 with BOM).
    Csv,
}

/// `course show --format`.
#[derive(Clone, Copy, ValueEnum)]
pub enum ShowFormat {
    /// Printable HTML.
    Html,
    /// The verified report and facts as JSON.
    Json,
}

fn parse_sort_key(text: &str) -> Result<SortKey, String> {
    SortKey::parse(text).ok_or_else(|| {
        format!("unknown column {text:?}; use total, name, student_id, class, attempts, status or a criterion id such as risky_events")
    })
}

fn parse_status(text: &str) -> Result<RowStatus, String> {
    RowStatus::ALL.into_iter().find(|s| s.as_str() == text).ok_or_else(|| {
        let all: Vec<&str> = RowStatus::ALL.iter().map(|s| s.as_str()).collect();
        format!("unknown status {text:?}; use one of {}", all.join(", "))
    })
}

/// Runs a course command and returns the exit code.
pub fn run(data_dir: &Path, command: CourseCommand) -> anyhow::Result<u8> {
    match command {
        CourseCommand::Rehearse { scenario, student_id, student_name } => {
            let scenario = anchordesk_course_desk::grading::scenario(data_dir, &scenario)?;
            let student = anchordesk_course::Student { id: student_id.trim().to_string(), name: student_name.trim().to_string() };
            anyhow::ensure!(!student.id.is_empty() && !student.name.is_empty(), "give the student's number and name");
            let mut store = crate::open_store(data_dir)?;
            let planned = time::OffsetDateTime::now_utc();
            let planned = format!("{:04}-{:02}-{:02}T{:02}:{:02}", planned.year(), u8::from(planned.month()), planned.day(), planned.hour(), planned.minute());
            let broadcast = anchordesk_course_desk::prepare_rehearsal(&mut store, &scenario, &student, &planned)?;
            eprintln!("prepared {} for {} ({}); tick the checklist, then: anchordesk live run {} --rehearsal", scenario.title_zh, student.name, student.id, broadcast.id.0);
            println!("{}", broadcast.id.0);
            Ok(0)
        }
        CourseCommand::Attempt { broadcast } => {
            let mut store = crate::open_store(data_dir)?;
            let (linter, refused) = anchordesk_claims::Linter::with_team_packs(&data_dir.join("rules"));
            for error in refused {
                eprintln!("warning: rule pack refused: {error}");
            }
            let mut env = anchordesk_core::plan::CheckEnv::for_data_dir(data_dir);
            let linter = std::sync::Arc::new(linter);
            env.linter = Some(linter.clone());
            let report = anchordesk_course_desk::grading::grade_attempt(&mut store, data_dir, anchordesk_core::BroadcastId(broadcast), &linter, &env)?;
            eprintln!("{}: {:.1} / 100", report.scenario_title_zh, report.total);
            println!("{}", serde_json::to_string_pretty(&report)?);
            Ok(0)
        }
        CourseCommand::Scenarios(args) => scenarios(args),
        CourseCommand::Grade(args) => grade(args),
        CourseCommand::Key => {
            let seed = anchordesk_desk_sync::secrets::course_signing_seed()
                .context("reading this desk's signing key from the OS keyring (is a keyring service running?)")?;
            println!("{}", anchordesk_course::signing_key_fingerprint(&anchordesk_course::SigningKey::from_bytes(&seed)));
            Ok(0)
        }
        CourseCommand::Show(args) => show(args),
    }
}

fn scenarios(args: ScenariosArgs) -> anyhow::Result<u8> {
    let mut listed: Vec<(String, anchordesk_course::Scenario)> =
        embedded_scenarios().into_iter().map(|s| ("built-in".to_string(), s)).collect();
    let mut code = 0;
    if let Some(dir) = &args.dir {
        let (scenarios, errors) =
            load_dir(dir).with_context(|| format!("reading the scenario folder {}", dir.display()))?;
        for error in &errors {
            eprintln!("{error}");
        }
        if !errors.is_empty() {
            code = 1;
        }
        listed.extend(scenarios.into_iter().map(|s| (dir.display().to_string(), s)));
    }
    for (source, scenario) in &listed {
        let risks: Vec<&str> = scenario.events.iter().map(|e| e.risk.label_en()).collect();
        println!(
            "{}  v{}  {} min  {} / {}  [{} products; events: {}]  ({source})",
            scenario.id,
            scenario.version,
            scenario.target_minutes,
            scenario.title_zh,
            scenario.title_en,
            scenario.products.len(),
            if risks.is_empty() { "none".to_string() } else { risks.join(", ") },
        );
    }
    Ok(code)
}

fn grade(args: GradeArgs) -> anyhow::Result<u8> {
    let roster = match &args.roster {
        None => None,
        Some(path) => Some(read_roster(path)?),
    };
    let (submissions, unreadable) = anchordesk_course::read_submissions(&args.dir)
        .with_context(|| format!("reading the report folder {}", args.dir.display()))?;
    let scenarios = match &args.scenarios {
        Some(dir) => anchordesk_course::scenarios_with_folder(dir).0,
        None => anchordesk_course::embedded_scenarios(),
    };
    let rubric = match &args.rubric {
        Some(path) => {
            let source = std::fs::read_to_string(path).with_context(|| format!("reading the rubric {}", path.display()))?;
            anchordesk_course::Rubric::parse(&path.display().to_string(), &source)?
        }
        None => anchordesk_course::Rubric::default_rubric(),
    };
    let regrade = anchordesk_course::Regrade { scenarios: &scenarios, rubric: &rubric };
    let mut table = ClassTable::build_checked(
        roster.as_ref(),
        submissions,
        &Default::default(),
        if args.trust_first_key { anchordesk_course::KeyTrust::FirstUse } else { anchordesk_course::KeyTrust::Registered },
        Some(&regrade),
    );
    let descending = matches!(args.sort, SortKey::Total | SortKey::Attempts | SortKey::Criterion(_));
    table.sort(args.sort, descending);
    table.retain(&RowFilter { statuses: args.status, min_total: args.min_total, max_total_exclusive: args.below_total });
    match args.format {
        TableFormat::Text => print!("{}", table.to_text()),
        TableFormat::Json => println!("{}", String::from_utf8_lossy(&table.to_json())),
        TableFormat::Csv => {
            use std::io::Write;
            std::io::stdout().write_all(&table.to_csv()).context("writing the CSV to standard output")?;
        }
    }
    for line in &unreadable {
        eprintln!("{line}");
    }
    for problem in &table.problems {
        eprintln!("{}: {} ({})", problem.file, problem.message, problem.message_zh);
    }
    for row in table.rows.iter().filter(|r| !r.regrade_notes.is_empty()) {
        for note in &row.regrade_notes {
            eprintln!("{}: student {}: {note}", row.latest_file.as_deref().unwrap_or("?"), row.student_id);
        }
    }
    for row in table.rows.iter().filter(|r| r.status == RowStatus::KeyChanged) {
        for file in &row.problem_files {
            eprintln!(
                "{file}: signed by another key than the one registered (or first seen) for student {}; ask the student why before accepting it (密钥变更)",
                row.student_id
            );
        }
    }
    for row in table.rows.iter().filter(|r| r.status == RowStatus::KeyUnregistered) {
        eprintln!(
            "student {}: no key fingerprint in the roster, so {} report(s) do not count; add the fingerprint the student's desk shows (anchordesk course key) to a 公钥指纹 column, or pass --trust-first-key (密钥未登记)",
            row.student_id,
            row.problem_files.len()
        );
    }
    Ok(if table.has_problems() || !unreadable.is_empty() { 1 } else { 0 })
}

fn read_roster(path: &Path) -> anyhow::Result<anchordesk_course::Roster> {
    let import = anchordesk_course::read_roster_file(path)?;
    for error in &import.errors {
        eprintln!("{}:{}: {}", path.display(), error.line, error.message);
    }
    Ok(import.roster)
}

fn show(args: ShowArgs) -> anyhow::Result<u8> {
    let bytes = std::fs::read(&args.file).with_context(|| format!("reading {}", args.file.display()))?;
    let verified = match anchordesk_course::verify(&bytes) {
        Ok(verified) => verified,
        Err(err) => {
            eprintln!("{}: {err} ({})", args.file.display(), err.message_zh());
            return Ok(1);
        }
    };
    match args.format {
        ShowFormat::Html => print!("{}", anchordesk_course::report_html(&verified.report)),
        ShowFormat::Json => println!("{}", serde_json::to_string_pretty(&verified)?),
    }
    Ok(0)
}

