//! `anchordesk team`: this desk in a team server's organisation — join, status, sync, leave.

use anyhow::Context;
use clap::Subcommand;
use std::path::Path;
use std::sync::Mutex;

#[derive(Subcommand)]
pub enum TeamCommand {
    /// Sign in to a team server and join its organisation; the session token is kept in the
    /// OS keyring.
    Join {
        /// The server, e.g. https://team.example.cn (http:// only to 127.0.0.1).
        url: String,
        #[arg(long)]
        email: String,
        /// Read the password from standard input (one line), not from the command line. With a
        /// one-time password, the second line is the member's own new password.
        #[arg(long)]
        password_stdin: bool,
        /// The server's own certificate (PEM), when a public authority did not sign it (a
        /// server on the office network started with --tls-cert).
        #[arg(long)]
        ca_file: Option<std::path::PathBuf>,
    },
    /// The team this desk is in, and how far it has synced.
    Status,
    /// Send this desk's catalog changes and apply the team's.
    Sync,
    /// Leave the team: the token is forgotten, syncing stops, the local data is kept.
    Leave,
    /// The team's live rooms and classes (without a subcommand: list them).
    Rooms {
        #[command(subcommand)]
        command: Option<RoomsCommand>,
    },
    /// In a class: make the class's practice shop on the team server this desk's platform, so
    /// the server observes every rehearsal; the teacher's own scenario comes down with it.
    PracticeShop,
    /// The class's course: without arguments, show it; a teacher sets the scenario (a shipped
    /// one by id, or --file with their own) and the rubric.
    Course {
        /// A shipped scenario's id (see `anchordesk course scenarios`).
        scenario: Option<String>,
        /// The teacher's own scenario (TOML), sent to the server and to the students' desks.
        #[arg(long, conflicts_with = "scenario")]
        file: Option<std::path::PathBuf>,
        /// The class's rubric (TOML); the default rubric when not given.
        #[arg(long)]
        rubric: Option<std::path::PathBuf>,
    },
    /// The class's grades as the server computed them from what its practice shop observed
    /// (a teacher: everyone's latest attempt; a student: their own). Exit 1 when an attempt's
    /// facts differ from the shop's record.
    Grades {
        /// The table as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Share a broadcast template with the team (owner, 运营, teacher), or withdraw one; every
    /// desk takes it at its next sync (`anchordesk templates list`).
    Template {
        #[command(subcommand)]
        command: TemplateCommand,
    },
    /// Pick the live room or class this desk works for; its broadcasts are published into it.
    Room {
        /// The room's name, as `anchordesk team rooms` lists it.
        name: Option<String>,
        /// Work for no room.
        #[arg(long, conflicts_with = "name")]
        none: bool,
    },
}

#[derive(Subcommand)]
pub enum TemplateCommand {
    /// Share a template under NAME: made from a broadcast of this desk (its run-of-show without
    /// the product segments, its checklist), or a TOML file written like assets/templates/*.toml.
    Share {
        /// 1-40 letters, digits, - or _ (not a built-in template's name).
        name: String,
        #[arg(long, value_name = "ID", conflicts_with = "file", required_unless_present = "file")]
        from_broadcast: Option<i64>,
        /// The template's title (with --from-broadcast; the broadcast's title when not given).
        #[arg(long)]
        title: Option<String>,
        #[arg(long)]
        title_en: Option<String>,
        #[arg(long, value_name = "FILE")]
        file: Option<std::path::PathBuf>,
    },
    /// Withdraw a team template; desks remove it at their next sync.
    Withdraw { name: String },
}

#[derive(Subcommand)]
pub enum RoomsCommand {
    /// Open a live room (直播间); an owner or 运营 may.
    Add {
        name: String,
        /// A class instead (a teacher or the owner may).
        #[arg(long)]
        class: bool,
    },
    /// Put a member of the team in a room or class.
    Assign { room: String, email: String },
    /// Take a member out of a room or class.
    Unassign { room: String, email: String },
}

pub fn run(data_dir: &Path, command: TeamCommand) -> anyhow::Result<u8> {
    let store = Mutex::new(crate::open_store(data_dir)?);
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().context("starting the async runtime")?;
    match command {
        TeamCommand::Join { url, email, password_stdin, ca_file } => {
            anyhow::ensure!(password_stdin, "pass the password on standard input with --password-stdin (never on the command line)");
            let mut lines = std::io::stdin().lines();
            let password = lines.next().transpose().context("reading the password from standard input")?.unwrap_or_default();
            let new_password = lines.next().transpose().context("reading the new password from standard input")?;
            let ca_pem = ca_file.map(|path| std::fs::read_to_string(&path).with_context(|| format!("reading the certificate {}", path.display()))).transpose()?;
            let (password, new_password) = (password.trim_end_matches('\r'), new_password.as_deref().map(|p| p.trim_end_matches('\r')));
            let link = runtime.block_on(anchordesk_desk_sync::team::join(&store, &url, &email, password, new_password, ca_pem.as_deref()))?;
            println!("joined {} ({}) as {} ({})", link.org_name, link.server, link.email, link.role);
            Ok(0)
        }
        TeamCommand::Status => {
            let link = anchordesk_desk_sync::team::link(&store.lock().unwrap_or_else(|p| p.into_inner()))?;
            match link {
                None => println!("not in a team"),
                Some(link) => println!(
                    "{} ({}{}) as {} ({}){}; change feed applied up to {}; {} products known to the team",
                    link.org_name,
                    link.server,
                    if link.ca_pem.is_some() { ", its own certificate trusted" } else { "" },
                    link.email,
                    link.role,
                    link.room.as_ref().map(|room| format!(", working for {}", room.name)).unwrap_or_default(),
                    link.cursor,
                    link.versions.len()
                ),
            }
            Ok(0)
        }
        TeamCommand::Sync => {
            let report = runtime.block_on(anchordesk_desk_sync::team::sync(&store))?;
            println!("sent {}, received {}", report.sent, report.received);
            if report.kept_local > 0 {
                eprintln!("{} local change(s) kept on this desk: your role in the team may not change the shared catalog", report.kept_local);
            }
            for sku in &report.skipped {
                eprintln!("{sku}: the team's product could not be taken into this desk's catalog (see the log); later changes went on");
            }
            for sku in &report.overwrote {
                eprintln!("{sku}: this desk's change replaced one it had not seen; the team server keeps both in its history");
            }
            if report.rules_sent {
                println!("rule pack sent: the team's desks take it at their next sync");
            }
            if report.rules_received {
                println!("rule pack received: checks on this desk use the team's words and switched-off rules now");
            }
            for problem in &report.problems {
                eprintln!("{problem}; it is tried again at the next sync");
            }
            if report.broadcasts_withdrawn > 0 {
                println!("withdrew {} broadcast(s) this desk no longer has", report.broadcasts_withdrawn);
            }
            if report.broadcasts_published > 0 {
                println!("published {} broadcast(s) to the team (line-up and run-of-show, on the team's web page)", report.broadcasts_published);
            }
            if report.templates_received > 0 {
                println!("took {} team template change(s) (anchordesk templates list)", report.templates_received);
            }
            if report.plans_received > 0 {
                println!("took {} broadcast(s) planned on the team's web page (see anchordesk broadcasts list)", report.plans_received);
            }
            if report.attempts_handed_in > 0 {
                println!("handed in {} graded rehearsal(s) to the class; the server grades them from what its practice shop observed", report.attempts_handed_in);
            }
            if report.attempts_marked > 0 {
                eprintln!("{} fact(s) of the rehearsals handed in differ from the practice shop's record; the grade uses the record (anchordesk team grades)", report.attempts_marked);
            }
            if report.rules_replaced_local {
                eprintln!("this desk's own rule settings were set aside for the team's (kept in the desk's database)");
            }
            Ok(0)
        }
        TeamCommand::Rooms { command: None } => {
            let rooms = runtime.block_on(anchordesk_desk_sync::team::rooms(&store))?;
            if rooms.is_empty() {
                println!("the team has no rooms or classes yet (an owner or 运营 opens one: anchordesk team rooms add NAME)");
            }
            let current = anchordesk_desk_sync::team::link(&store.lock().unwrap_or_else(|p| p.into_inner()))?.and_then(|link| link.room).map(|room| room.id);
            for room in rooms {
                let mark = if Some(room.id) == current { "* " } else { "  " };
                let kind = if room.kind == "class" { "class" } else { "live room" };
                let mine = if room.mine { ", yours" } else { "" };
                let members = if room.members.is_empty() { "no members yet".to_string() } else { room.members.join(", ") };
                println!("{mark}{} ({kind}{mine}): {members}", room.name);
            }
            Ok(0)
        }
        TeamCommand::Rooms { command: Some(RoomsCommand::Add { name, class }) } => {
            let room = runtime.block_on(anchordesk_desk_sync::team::add_room(&store, &name, class))?;
            println!("opened {} ({})", room.name, if class { "class" } else { "live room" });
            Ok(0)
        }
        TeamCommand::Rooms { command: Some(RoomsCommand::Assign { room, email }) } => {
            runtime.block_on(anchordesk_desk_sync::team::room_member(&store, &room, &email, true))?;
            println!("{email} works in {room} now");
            Ok(0)
        }
        TeamCommand::Rooms { command: Some(RoomsCommand::Unassign { room, email }) } => {
            runtime.block_on(anchordesk_desk_sync::team::room_member(&store, &room, &email, false))?;
            println!("{email} no longer works in {room}");
            Ok(0)
        }
        TeamCommand::Template { command: TemplateCommand::Share { name, from_broadcast, title, title_en, file } } => {
            let text = match (from_broadcast, file) {
                (Some(id), _) => {
                    let store = store.lock().unwrap_or_else(|p| p.into_inner());
                    let broadcast = store.broadcast(anchordesk_core::BroadcastId(id))?;
                    let title = title.unwrap_or_else(|| broadcast.draft.title.clone());
                    store.template_from_broadcast(broadcast.id, &name, &title, title_en.as_deref().unwrap_or_default())?.to_toml()
                }
                (None, Some(path)) => {
                    let bytes = std::fs::read(&path).with_context(|| format!("reading {}", path.display()))?;
                    anchordesk_text::decode(&bytes).map_err(|err| anyhow::anyhow!("{} is not text ({err:?}): save it as UTF-8 or GBK", path.display()))?.0
                }
                (None, None) => anyhow::bail!("give --from-broadcast ID or --file FILE"),
            };
            let version = runtime.block_on(anchordesk_desk_sync::team::share_template(&store, &name, &text))?;
            println!("shared template {name} (v{version}); the team's desks take it at their next sync");
            Ok(0)
        }
        TeamCommand::Template { command: TemplateCommand::Withdraw { name } } => {
            runtime.block_on(anchordesk_desk_sync::team::withdraw_template(&store, &name))?;
            println!("withdrew template {name}; the team's desks remove it at their next sync");
            Ok(0)
        }
        TeamCommand::PracticeShop => {
            let shop = runtime.block_on(anchordesk_desk_sync::class::use_practice_shop(&store, data_dir))?;
            println!("platform: {} (the practice shop of {}; client {})", shop.url, shop.class, shop.client_id);
            match (&shop.scenario_id, &shop.scenario_title) {
                (Some(id), title) => println!("the class rehearses {id} {}", title.as_deref().unwrap_or_default()),
                (None, _) => println!("the teacher has not set the class's scenario yet"),
            }
            if let Some(file) = &shop.scenario_file {
                println!("the teacher's scenario is saved to {file}");
            }
            Ok(0)
        }
        TeamCommand::Course { scenario, file, rubric } => {
            let read = |path: &std::path::Path| -> anyhow::Result<String> {
                let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
                Ok(anchordesk_text::decode(&bytes).map_err(|err| anyhow::anyhow!("{} is not text ({err:?}): save it as UTF-8 or GBK", path.display()))?.0)
            };
            let course = if scenario.is_none() && file.is_none() && rubric.is_none() {
                runtime.block_on(anchordesk_desk_sync::class::get_course(&store))?
            } else {
                anyhow::ensure!(scenario.is_some() || file.is_some(), "name a shipped scenario or give --file with your own; the rubric goes with a scenario");
                let source = file.as_deref().map(read).transpose()?;
                let rubric = rubric.as_deref().map(read).transpose()?;
                Some(runtime.block_on(anchordesk_desk_sync::class::set_course(&store, scenario.as_deref(), source.as_deref(), rubric.as_deref()))?)
            };
            match course {
                Some(course) => println!(
                    "{} v{} {} / {} · rubric {}{}",
                    course.scenario_id,
                    course.scenario_version,
                    course.scenario_title,
                    course.scenario_title_en,
                    course.rubric_id,
                    if course.own_scenario { " · the teacher's own scenario" } else { "" },
                ),
                None => println!("the teacher has not set the class's scenario yet"),
            }
            Ok(0)
        }
        TeamCommand::Grades { json } => {
            let table = runtime.block_on(anchordesk_desk_sync::class::grades(&store))?;
            let marked = table.attempts.iter().any(|row| !row.disagreements.is_empty());
            if json {
                println!("{}", serde_json::to_string_pretty(&table)?);
            } else if table.attempts.is_empty() {
                println!("no rehearsal handed in yet");
            } else {
                println!("student\ttotal\tattempts\thanded in (UTC)\tdiffers from the shop's record");
                for row in &table.attempts {
                    let total = row.total.map_or_else(|| row.problem.clone().unwrap_or_else(|| "-".into()), |t| format!("{t:.1}"));
                    let facts: Vec<&str> = row.disagreements.iter().map(|d| d.fact.as_str()).collect();
                    println!("{}\t{total}\t{}\t{}\t{}", row.email, row.attempts, row.submitted_at, if facts.is_empty() { "-".to_string() } else { facts.join(", ") });
                }
            }
            Ok(if marked { 1 } else { 0 })
        }
        TeamCommand::Room { name, none } => {
            anyhow::ensure!(none || name.is_some(), "name the room (anchordesk team rooms lists them), or pass --none");
            let link = runtime.block_on(anchordesk_desk_sync::team::pick_room(&store, name.as_deref()))?;
            match link.room {
                Some(room) => println!("this desk works for {} now; its broadcasts go there at the next sync", room.name),
                None => println!("this desk works for no room now"),
            }
            Ok(0)
        }
        TeamCommand::Leave => {
            match runtime.block_on(anchordesk_desk_sync::team::leave(&store))? {
                Some(link) => println!("left {}; the local catalog is kept", link.org_name),
                None => println!("not in a team"),
            }
            Ok(0)
        }
    }
}
