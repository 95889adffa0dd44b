//! `anchordesk live`: a whole broadcast from the shell through the same live session as the
//! window (`anchordesk_live`): go live, each product on air in turn, stop → report and
//! archive. Also resumes or closes a broadcast interrupted by a crash.

use anchordesk_core::live::SessionId;
use anchordesk_core::plan::CheckEnv;
use anchordesk_core::{BroadcastId, LineupItemId};
use anchordesk_live::{GoLive, LiveDesk, LiveEvent, LiveStatus, Surroundings};
use anyhow::Context;
use clap::{Args, Subcommand};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

#[derive(Subcommand)]
pub enum LiveCommand {
    /// Go live, put each product of the line-up on air in turn, stop, and print the report.
    Run(RunArgs),
    /// Resume a broadcast interrupted by a crash (what was on air and taken off is kept),
    /// go through the rest of the line-up, stop, and print the report. Not while the app is
    /// open on the same data directory.
    Resume(ResumeArgs),
    /// Close a broadcast interrupted by a crash: archive its recording and print the report.
    /// Not while the app is open on the same data directory.
    Close {
        /// The interrupted session's id (the app lists it at start; `anchordesk report`).
        session: i64,
    },
}

#[derive(Args)]
pub struct RunArgs {
    /// Broadcast id (see `anchordesk broadcasts list`).
    broadcast: i64,
    /// A rehearsal (课程排练): recording only, the platform hears nothing.
    #[arg(long)]
    rehearsal: bool,
    /// RTMP(S) ingest URL with stream key; the key is never printed.
    #[arg(long, env = "ANCHORDESK_PUSH_URL", hide_env_values = true)]
    push: Option<String>,
    /// The scene to go on air with (a layout or a saved scene; see `anchordesk scenes list`);
    /// the broadcast's own when not given (`anchordesk broadcasts scene ID`), "" for none.
    #[arg(long)]
    scene: Option<String>,
    #[command(flatten)]
    pace: Pace,
}

#[derive(Args)]
pub struct ResumeArgs {
    /// The interrupted session's id.
    session: i64,
    #[command(flatten)]
    pace: Pace,
}

#[derive(Args)]
pub struct Pace {
    /// Seconds each product stays on air.
    #[arg(long, default_value_t = 5)]
    each: u64,
    /// Line-up positions (1 = first) to take off the bag (下架) after they have been on air.
    #[arg(long = "take-off", value_name = "POSITION")]
    take_off: Vec<usize>,
    /// Scenes to switch to on air, one after each product, in the order given (same canvas
    /// as the scene gone live with).
    #[arg(long = "switch-scene", value_name = "NAME")]
    switch_scene: Vec<String>,
}

/// The CLI's surroundings: no devices; the platform link when the desk is set to a platform
/// of its own (a team's, or a class's practice shop on the team server); progress on
/// standard error.
struct Terminal {
    data_dir: PathBuf,
    /// The platform link and the runtime it runs on.
    platform: Option<Platform>,
    linter: Arc<anchordesk_claims::Linter>,
    /// The item last said to be on air (each change is said once).
    said: std::sync::Mutex<Option<LineupItemId>>,
    /// The phone's link was printed.
    phone_said: std::sync::atomic::AtomicBool,
}

impl Surroundings for Terminal {
    fn check_env(&self) -> CheckEnv {
        let mut env = CheckEnv::for_data_dir(&self.data_dir);
        env.linter = Some(self.linter.clone());
        env
    }

    fn linter(&self) -> Arc<anchordesk_claims::Linter> {
        self.linter.clone()
    }

    fn ingest(&self, broadcast: BroadcastId) -> Result<String, String> {
        match &self.platform {
            Some(platform) => platform.runtime.block_on(async {
                let wake = || platform.link.handle.wake();
                anchordesk_desk_sync::ingest::platform_ingest(&*platform.link.platform, &platform.store, broadcast, &wake).await
            }),
            None => Err("the command line pushes only to --push here (the desk uses the embedded practice platform); without it the broadcast is recorded".into()),
        }
    }

    fn outbox_changed(&self) {
        if let Some(platform) = &self.platform {
            platform.link.handle.wake();
        }
    }

    fn pull_room(&self, session: &anchordesk_core::live::LiveSession) -> Result<usize, String> {
        let Some(platform) = &self.platform else { return Err("no platform link".into()) };
        let id = anchordesk_core::store::platform_broadcast_id(session.broadcast_id);
        platform.runtime.block_on(async {
            tokio::time::timeout(Duration::from_secs(3), anchordesk_desk_sync::room::pull_room(&*platform.link.platform, &platform.store, session.id, &id))
                .await
                .map_err(|_| "the platform did not answer in 3 s".to_string())?
                .map_err(|err| err.to_string())
        })
    }

    fn publish(&self, event: LiveEvent) {
        if let LiveEvent::Status(status) = &event
            && let Some(phone) = &status.phone
            && !self.phone_said.swap(true, std::sync::atomic::Ordering::Relaxed)
        {
            eprintln!("phone: push SRT to {}", phone.url);
        }
        if let LiveEvent::Status(status) = event
            && let Some(item) = status.on_air.and_then(|i| status.lineup.get(i as usize))
            && self.said.lock().unwrap_or_else(|p| p.into_inner()).replace(item.id) != Some(item.id)
        {
            eprintln!("on air: {} ({})", item.product_name, item.product_sku);
        }
    }
}

/// The platform link of a run: started when the desk is set to a platform of its own.
struct Platform {
    runtime: tokio::runtime::Runtime,
    link: anchordesk_desk_sync::link::PlatformLink,
    store: Arc<std::sync::Mutex<anchordesk_core::Store>>,
}

impl Platform {
    fn start(store: &Arc<std::sync::Mutex<anchordesk_core::Store>>, data_dir: &Path) -> anyhow::Result<Option<Platform>> {
        let own = anchordesk_desk_sync::platform_settings(&store.lock().unwrap_or_else(|p| p.into_inner()))?;
        let Some(own) = own else { return Ok(None) };
        let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().context("starting the async runtime")?;
        match runtime.block_on(anchordesk_desk_sync::link::PlatformLink::start(store.clone(), data_dir)) {
            Ok(link) => {
                eprintln!("platform: {}{}", link.url, if own.practice { " (a class's practice shop)" } else { "" });
                Ok(Some(Platform { runtime, link, store: store.clone() }))
            }
            Err(why) => {
                eprintln!("warning: the platform link did not start ({why}); the changes wait in the outbox");
                Ok(None)
            }
        }
    }

    /// Sends what the broadcast queued (the end, the replies) before the command returns,
    /// for up to 30 s; what is left goes out with the next run or the window.
    fn finish(self) {
        let deadline = std::time::Instant::now() + Duration::from_secs(30);
        loop {
            let pending = self.store.lock().unwrap_or_else(|p| p.into_inner()).outbox_counts().map(|c| c.pending).unwrap_or(0);
            if pending == 0 {
                break;
            }
            if std::time::Instant::now() >= deadline {
                eprintln!("warning: {pending} change(s) for the platform are still in the outbox; they go out with the next run or when the window opens");
                break;
            }
            self.link.handle.wake();
            std::thread::sleep(Duration::from_millis(200));
        }
        let Platform { runtime, link, .. } = self;
        runtime.block_on(link.stop());
    }
}

pub fn run(data_dir: &Path, command: LiveCommand) -> anyhow::Result<u8> {
    let mut store = crate::open_store(data_dir)?;
    if matches!(command, LiveCommand::Resume(_) | LiveCommand::Close { .. }) {
        // A session still marked live was left by a desk that is gone.
        store.mark_interrupted_sessions()?;
    }
    let (linter, refused) = anchordesk_claims::Linter::with_team_packs(&data_dir.join("rules"));
    for error in refused {
        eprintln!("warning: rule pack refused: {error}");
    }
    let store = Arc::new(std::sync::Mutex::new(store));
    let platform = if matches!(command, LiveCommand::Close { .. }) { None } else { Platform::start(&store, data_dir)? };
    let around = Arc::new(Terminal { data_dir: data_dir.to_path_buf(), platform, linter: Arc::new(linter), said: std::sync::Mutex::new(None), phone_said: Default::default() });
    let desk = LiveDesk::start(store, data_dir.to_path_buf(), around.clone());
    let result = match command {
        LiveCommand::Run(args) => desk
            .go_live(GoLive { broadcast_id: BroadcastId(args.broadcast), rehearsal: args.rehearsal, push_url: args.push, scene: args.scene })
            .map_err(anyhow::Error::from)
            .and_then(|status| through_the_lineup(&desk, status, &args.pace)),
        LiveCommand::Resume(args) => desk
            .resume(SessionId(args.session))
            .map_err(anyhow::Error::from)
            .and_then(|status| through_the_lineup(&desk, status, &args.pace)),
        LiveCommand::Close { session } => desk.close_interrupted(SessionId(session)).map_err(anyhow::Error::from),
    };
    desk.shutdown();
    drop(desk);
    if let Some(around) = Arc::into_inner(around)
        && let Some(platform) = around.platform
    {
        platform.finish();
    }
    let report = result.context("the broadcast did not run to its end")?;
    println!("{}", serde_json::to_string_pretty(&report)?);
    Ok(0)
}

/// From the item on air (or the first) to the end of the line-up, `each` seconds apiece,
/// taking off the positions asked for; then stops and returns the report.
fn through_the_lineup(desk: &LiveDesk, mut status: LiveStatus, pace: &Pace) -> anyhow::Result<anchordesk_core::live::BroadcastReport> {
    eprintln!("live: session {}, recording {}", status.session.id.0, status.recording_path);
    let take_off: Vec<LineupItemId> = pace.take_off.iter().filter_map(|&p| status.lineup.get(p.checked_sub(1)?).map(|i| i.id)).collect();
    if status.on_air.is_none() {
        status = desk.product(1, None)?;
    }
    let mut scenes = pace.switch_scene.iter();
    loop {
        std::thread::sleep(Duration::from_secs(pace.each));
        if let Some(name) = scenes.next() {
            status = desk.scene(name.clone())?;
            eprintln!("scene: {name}");
        }
        let on_air = status.on_air.map(|i| i as usize);
        if let Some(index) = on_air
            && take_off.contains(&status.lineup[index].id)
        {
            status = desk.take_off(index as i32)?;
            eprintln!("taken off: {}", status.lineup[index].product_name);
            if status.on_air.map(|i| i as usize) != on_air {
                continue;
            }
        }
        let next = desk.product(1, None);
        match next {
            Ok(next) if next.on_air != status.on_air => status = next,
            // The last item for sale: done.
            Ok(_) | Err(anchordesk_live::LiveError::Store(anchordesk_core::StoreError::Conflict(anchordesk_core::Conflict::TakenOff))) => break,
            Err(err) => return Err(err.into()),
        }
    }
    let stopped = desk.stop()?;
    for clip in &stopped.clips {
        eprintln!("clip: {}", clip.path.display());
    }
    Ok(stopped.report)
}
