//! The actor: the only owner of the pipeline and of what is on air. Each command runs to
//! its end before the next is read; each step is written to the store before the answer.

use crate::{Answer, Command, GoLive, LiveError, LiveEvent, LiveStatus, OnAirFacts, PushPlan, ReplyOutcome, StopResult, Surroundings};
use anchordesk_capture::{MarkerKind, Overlay, Pipeline, PipelineHandle, StreamUrl};
use anchordesk_core::live::{BroadcastReport, LiveMarkerKind, LiveSession, OnAirState, SessionId, elapsed_until_last_write, next_on_air_for_sale, overlay_line};
use anchordesk_core::{Conflict, LineupItem, Store, StoreError, archive};
use std::path::{Path, PathBuf};
use std::sync::mpsc::{Receiver, SyncSender};
use std::sync::{Arc, Mutex};

/// A command and where its answer goes; `None` stops the actor.
pub(crate) struct Envelope {
    pub command: Option<Command>,
    pub reply: SyncSender<Result<Answer, LiveError>>,
}

/// What is on air now.
struct Run {
    session: LiveSession,
    handle: PipelineHandle,
    push: PushPlan,
    /// As written to the store (the actor's copy, to set the picture without a read).
    state: OnAirState,
    /// The product card of the item on air (kept while hidden or under a caption).
    card: Option<Overlay>,
    /// Forwards health figures and preview frames to the window; joined at stop.
    forwarder: Option<std::thread::JoinHandle<()>>,
    /// Pushes the live room and a rehearsal's reminders; joined at stop.
    follower: Option<crate::follow::Follower>,
    /// The canvas of the scene on air; `None` when the broadcast went on air without one.
    canvas: Option<(u32, u32)>,
    /// The push destinations' names, in the order of the pipeline's `Stats::destinations`.
    destination_names: Vec<String>,
    /// The second picture's scene, when some pushes take it.
    second_picture: Option<String>,
    has_music: bool,
    /// The gains on air, in dB: the microphone's, the music's, the phone's.
    gains: (i32, i32, i32),
}

pub(crate) struct Actor {
    store: Arc<Mutex<Store>>,
    data_dir: PathBuf,
    around: Arc<dyn Surroundings>,
    facts: Arc<Mutex<Option<OnAirFacts>>>,
    run: Option<Run>,
}

impl Actor {
    pub fn new(store: Arc<Mutex<Store>>, data_dir: PathBuf, around: Arc<dyn Surroundings>, facts: Arc<Mutex<Option<OnAirFacts>>>) -> Actor {
        Actor { store, data_dir, around, facts, run: None }
    }

    pub fn serve(&mut self, rx: Receiver<Envelope>) {
        while let Ok(Envelope { command, reply }) = rx.recv() {
            let Some(command) = command else { break };
            // A panic in one command must not leave the desk without its live session: it is
            // answered as an error and the actor goes on with what it holds.
            let answer = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| self.handle(command)))
                .unwrap_or_else(|panic| Err(LiveError::Panicked(panic_message(&panic))));
            let _ = reply.send(answer);
        }
        // The desk is going away with a broadcast on air: finalise the recording.
        if self.run.is_some()
            && let Err(err) = self.stop()
        {
            tracing::error!("stopping the broadcast as the desk closes: {err}");
        }
    }

    fn handle(&mut self, command: Command) -> Result<Answer, LiveError> {
        let status = |s: LiveStatus| Answer::Status(Box::new(s));
        match command {
            Command::GoLive(request) => self.go_live(request).map(status),
            Command::Product { step, index } => self.product(step, index).map(status),
            Command::TakeOff { index } => self.take_off(index).map(status),
            Command::Overlay { visible } => self.overlay(visible).map(status),
            Command::Caption { text } => self.caption(text).map(Answer::Reply),
            Command::Marker { label } => self.marker(&label).map(|_| Answer::Done),
            Command::Scene { name } => self.scene(&name).map(status),
            Command::Sound(change) => self.sound(change).map(status),
            Command::ReconnectPush { index } => {
                let run = self.on_air()?;
                let index = usize::try_from(index).map_err(|_| StoreError::NotFound { entity: "pushDestination", id: index as i64 })?;
                run.handle.reconnect_now(index).map_err(|_| StoreError::NotFound { entity: "pushDestination", id: index as i64 })?;
                Ok(Answer::Done)
            }
            Command::Reply { comment_seq, text } => self.reply(comment_seq, &text).map(Answer::Reply),
            Command::Status => self.status().map(status),
            Command::Stop => self.stop().map(|r| Answer::Stopped(Box::new(r))),
            Command::Resume { session } => self.resume(session).map(status),
            Command::CloseInterrupted { session } => self.close_interrupted(session).map(|r| Answer::Report(Box::new(r))),
        }
    }

    fn with_store<T>(&self, f: impl FnOnce(&mut Store) -> Result<T, StoreError>) -> Result<T, LiveError> {
        let mut store = self.store.lock().unwrap_or_else(|p| p.into_inner());
        f(&mut store).map_err(LiveError::from)
    }

    fn on_air(&self) -> Result<&Run, LiveError> {
        self.run.as_ref().ok_or_else(|| LiveError::conflict(Conflict::NotLive))
    }

    fn status(&self) -> Result<LiveStatus, LiveError> {
        let run = self.on_air()?;
        let (lineup, library) = self.with_store(|store| Ok((store.lineup(run.session.broadcast_id)?, crate::scenes::library(store)?)))?;
        let scenes = match run.canvas {
            Some(canvas) => library.into_iter().filter(|e| (e.scene.width, e.scene.height) == canvas).map(|e| e.scene.name).collect(),
            None => Vec::new(),
        };
        let mut status = crate::status(&run.session, lineup, &run.state, &run.push, scenes, run.handle.phone_url());
        status.destination_names = run.destination_names.clone();
        status.second_picture = run.second_picture.clone();
        status.has_music = run.has_music;
        (status.mic_gain_db, status.music_gain_db, status.phone_gain_db) = run.gains;
        Ok(status)
    }

    fn publish_status(&self) -> Result<LiveStatus, LiveError> {
        let status = self.status()?;
        self.around.publish(LiveEvent::Status(Box::new(status.clone())));
        Ok(status)
    }

    fn go_live(&mut self, request: GoLive) -> Result<LiveStatus, LiveError> {
        if self.run.is_some() {
            return Err(LiveError::conflict(Conflict::AlreadyLive));
        }
        let GoLive { broadcast_id, rehearsal, push_url, scene } = request;
        let typed = match push_url.filter(|url| !url.trim().is_empty()) {
            Some(url) => Some(StreamUrl::parse(&url).map_err(|err| LiveError::PushUrl(err.to_string()))?),
            None => None,
        };
        let recordings = self.data_dir.join("recordings");
        std::fs::create_dir_all(&recordings).map_err(|err| LiveError::Capture(format!("{}: {err}", recordings.display())))?;
        let stamp = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
        let path = recordings.join(format!("broadcast-{}-{stamp}.mp4", broadcast_id.0));
        let env = self.around.check_env();
        let path_text = path.display().to_string();
        // The devices as they are now: a camera or microphone that is missing becomes the
        // test picture or tone, which must never reach real viewers.
        let settings = self.with_store(|store| store.capture_settings())?;
        let mut config = crate::devices::config_for(&settings, &path);
        // The scene asked for, or (resuming) the one that was on air, or the broadcast's own.
        let scene_name = match scene {
            // Asked for by name, or asked for none (the empty name).
            Some(name) => Some(name).filter(|n| !n.is_empty()),
            None => self.with_store(|store| {
                let resumed = store.on_air_state(broadcast_id)?.scene;
                Ok(resumed.or_else(|| Some(store.broadcast(broadcast_id).ok()?.draft.scene).filter(|s| !s.is_empty())))
            })?,
        };
        let find_scene = |name: &String| {
            self.with_store(|store| match crate::scenes::find(store, name) {
                Err(StoreError::NotFound { .. }) => Err(StoreError::Conflict(Conflict::SceneMissing { scene: name.clone() })),
                found => found,
            })
        };
        if let Some(name) = &scene_name {
            config.scene = Some(find_scene(name)?);
        }
        // The desk's 第二画面, read (before anything starts) only when some push will take
        // it: the platform's ingest or a typed URL, or a destination marked for it on air.
        let second_wanted = (settings.platform_on_second && (typed.is_some() || !rehearsal))
            || (!rehearsal && crate::destinations::urls().iter().any(|(_, _, second)| *second));
        let second_scene = match settings.second_scene.as_ref().filter(|_| second_wanted) {
            Some(name) => Some(self.with_store(|store| match crate::scenes::find(store, name) {
                Err(StoreError::NotFound { .. }) => Err(StoreError::Conflict(Conflict::SecondSceneMissing { scene: name.clone() })),
                found => found,
            })?),
            None => None,
        };

        // A class's practice shop on the team server is practice too: its rehearsals run in full.
        let real_platform = self.with_store(|store| anchordesk_desk_sync::platform_settings(store))?.is_some_and(|p| !p.practice);
        if real_platform && !rehearsal {
            let test_layer = config.scene.iter().flat_map(|s| &s.layers).any(|l| l.source == anchordesk_capture::LayerSource::Test);
            let camera = test_layer || matches!(config.video_source, anchordesk_capture::VideoSource::Test);
            let microphone = matches!(config.audio_source, anchordesk_capture::AudioSource::Test);
            if camera || microphone {
                return Err(LiveError::conflict(Conflict::TestSourceOnRealPlatform { camera, microphone }));
            }
        }
        let (session, planned_minutes, state) = self.with_store(|store| {
            // A rehearsal while the desk is set to a real platform tells it nothing; on the
            // practice platform it runs in full (the audience, a course's scripted events).
            let silent = rehearsal && real_platform;
            let session = store.go_live_with(broadcast_id, &env, &path_text, rehearsal, silent)?;
            let planned = store.run_of_show(broadcast_id)?.planned_minutes;
            Ok((session, planned, store.on_air_state(broadcast_id)?))
        })?;

        let (push, plan) = match typed {
            Some(url) => {
                let plan = PushPlan::Typed { url: url.masked() };
                (Some(url), plan)
            }
            None if rehearsal => (None, PushPlan::Rehearsal),
            None => match self.around.ingest(broadcast_id).and_then(|url| StreamUrl::parse(&url).map_err(|err| err.to_string())) {
                Ok(url) => {
                    let plan = PushPlan::Platform { url: url.masked() };
                    (Some(url), plan)
                }
                Err(reason) => {
                    tracing::warn!("recording without a push: {reason}");
                    (None, PushPlan::PlatformUnreachable { reason })
                }
            },
        };

        self.around.release_devices();
        let has_music = config.sound.music.is_some();
        let gains = (settings.mic_gain_db, settings.music_gain_db, settings.phone_gain_db);
        // Muted or stopped before a crash: so again from the first sample.
        config.sound.mic_muted |= state.mic_muted;
        config.sound.phone_muted |= state.phone_muted;
        // Every push with its name (the platform's ingest has none) and whether it takes the
        // second picture.
        let mut pushes: Vec<(String, StreamUrl, bool)> = push.into_iter().map(|url| (String::new(), url, settings.platform_on_second)).collect();
        if !rehearsal {
            // The team's other destinations, each with its own reconnect.
            for (name, url, second) in crate::destinations::urls() {
                if !pushes.iter().any(|(_, p, _)| p.expose() == url.expose()) {
                    pushes.push((name, url, second));
                }
            }
        }
        let (second_pushes, first_pushes): (Vec<_>, Vec<_>) = match &second_scene {
            Some(_) => pushes.into_iter().partition(|(_, _, second)| *second),
            None => (Vec::new(), pushes),
        };

        // Names in the pipeline's push order: the first picture's pushes, then the second's.
        let destination_names: Vec<String> = first_pushes.iter().chain(&second_pushes).map(|(name, _, _)| name.clone()).collect();
        config.pushes = first_pushes.into_iter().map(|(_, url, _)| url).collect();
        if let Some(scene) = second_scene.filter(|_| !second_pushes.is_empty()) {
            // The second picture is composed beside a scene: 单机位 when the broadcast has none,
            // fitted as the camera alone would be (whole, with bars), not cropped.
            let size = (config.video.width, config.video.height);
            config.scene.get_or_insert_with(|| anchordesk_capture::Layout::Single.scene(size, anchordesk_capture::LayerSource::Camera).camera_whole());
            config.second_canvas = Some(anchordesk_capture::SecondCanvas { scene, pushes: second_pushes.into_iter().map(|(_, url, _)| url).collect() });
        }
        let canvas = config.scene.as_ref().map(|s| (s.width, s.height));
        let second_picture = config.second_canvas.as_ref().map(|s| s.scene.name.clone());
        // The ingest may come back later; the recording never waits for it.
        config.start_push_offline = true;
        config.realtime = true;
        config.preview_fps = 2;
        config.preview_width = 480;
        config.planned_duration_ms = Some((planned_minutes.max(1) as u32).saturating_mul(60_000));
        anchordesk_capture::init();
        let mut handle = match Pipeline::start(config) {
            Ok(handle) => handle,
            Err(err) => {
                // Nothing was recorded: close the session so the broadcast is not left live.
                let id = session.id;
                let _ = self.with_store(|store| store.end_session(id, "", None));
                return Err(LiveError::Capture(err.to_string()));
            }
        };
        // The recording's time 0 on the wall clock: the platform's events are placed by it.
        let origin_ms = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_millis() as i64).unwrap_or(0)
            - handle.media_time().as_millis() as i64;
        let session_id = session.id;
        self.with_store(|store| store.set_media_origin(session_id, origin_ms))?;
        let forwarder = forward(&mut handle, self.around.clone());
        let clock = handle.media_clock();
        let resumed_item = state.on_air_item;
        *self.facts.lock().unwrap_or_else(|p| p.into_inner()) = Some(OnAirFacts { session: session.clone(), item: None, clock });
        let sources = crate::follow::Sources { store: self.store.clone(), data_dir: self.data_dir.clone(), around: self.around.clone(), facts: self.facts.clone() };
        let follower = Some(crate::follow::start(session.clone(), sources));
        self.run = Some(Run { session, handle, push: plan, state: OnAirState { on_air_item: None, scene: None, ..state }, card: None, forwarder, follower, canvas, destination_names, second_picture, has_music, gains });
        if state.music_off
            && let Some(run) = self.run.as_ref()
        {
            let _ = run.handle.change_sound(anchordesk_capture::SoundChange::MusicOn { on: false });
        }
        if let Some(name) = scene_name {
            // The scene is on air from media time 0: its marker and the state a restart reads.
            self.with_store(|store| store.put_scene_on_air(session_id, &name, 0))?;
            self.run.as_mut().expect("on air").state.scene = Some(name);
        }
        // Resumed after a crash: the same item goes on air again (a marker in the new
        // recording, the card on the picture), then the caption typed before, if any.
        if let Some(item) = resumed_item {
            let caption = self.on_air()?.state.caption.clone();
            let lineup = self.with_store(|store| store.lineup(broadcast_id))?;
            if let Some(index) = lineup.iter().position(|i| i.id == item) {
                self.put_on_air(&lineup, index)?;
            }
            if let Some(text) = caption {
                let run = self.run.as_mut().expect("on air");
                run.state.caption = Some(text.clone());
                self.with_store(|store| store.set_caption(broadcast_id, Some(&text)))?;
            }
        }
        self.show()?;
        self.around.outbox_changed();
        self.publish_status()
    }

    /// Puts the picture in line with the state: the caption, else the product card, unless
    /// hidden.
    fn show(&self) -> Result<(), LiveError> {
        let run = self.on_air()?;
        let caption = run.state.caption.clone().map(|text| Overlay::Title { text });
        let shown = if run.state.overlay_visible { caption.as_ref().or(run.card.as_ref()) } else { None };
        run.handle.set_overlay(shown).map_err(|err| LiveError::Capture(err.to_string()))
    }

    /// Puts `lineup[index]` on air: written to the store first (marker, pin, state), then
    /// stamped in the recording and shown.
    fn put_on_air(&mut self, lineup: &[LineupItem], index: usize) -> Result<(), LiveError> {
        let item = lineup[index].clone();
        let session_id = self.on_air()?.session.id;
        let media_ms = self.on_air()?.handle.media_time().as_millis() as i64;
        let selling_point = self.with_store(|store| {
            store.put_on_air(session_id, item.id, media_ms)?;
            let product = store.product(item.product_id)?;
            Ok(overlay_line(&item.terms.coupon, &product.draft.selling_points))
        })?;
        let run = self.run.as_mut().expect("on air");
        run.handle.marker(MarkerKind::Product, &item.product_name, Some(&item.product_sku));
        run.state.on_air_item = Some(item.id);
        run.state.caption = None;
        run.card = Some(Overlay::ProductCard { name: item.product_name.clone(), price_fen: item.terms.live_price.0.max(0) as u32, selling_point });
        if let Some(facts) = self.facts.lock().unwrap_or_else(|p| p.into_inner()).as_mut() {
            facts.item = Some(item.id);
        }
        self.show()?;
        self.around.product_on_air(item.id);
        Ok(())
    }

    /// Switches scenes on air: the canvas must stay; written to the store (marker, state)
    /// before the picture changes.
    fn scene(&mut self, name: &str) -> Result<LiveStatus, LiveError> {
        let scene = self.with_store(|store| crate::scenes::find(store, name))?;
        let run = self.on_air()?;
        let asked = (scene.width, scene.height);
        if run.canvas != Some(asked) {
            let on_air = run.canvas.map_or("the camera alone (no scene)".to_owned(), |(w, h)| format!("{w}x{h}"));
            return Err(LiveError::conflict(Conflict::SceneCanvas { scene: scene.name, asked: format!("{}x{}", asked.0, asked.1), on_air }));
        }
        let (session_id, media_ms) = (run.session.id, run.handle.media_time().as_millis() as i64);
        self.with_store(|store| store.put_scene_on_air(session_id, name, media_ms))?;
        let run = self.run.as_mut().expect("on air");
        run.handle.set_scene(&scene).map_err(|err| LiveError::Capture(err.to_string()))?;
        run.state.scene = Some(scene.name);
        self.publish_status()
    }

    /// Mutes the microphone or the phone, stops the music or changes a gain: written to the
    /// store, then heard. A gain changed on air becomes the desk's (Settings → Devices), within
    /// its range there (microphone and phone -20 to 20 dB, music -40 to 0 dB).
    fn sound(&mut self, change: anchordesk_capture::SoundChange) -> Result<LiveStatus, LiveError> {
        use anchordesk_capture::SoundChange;
        let run = self.on_air()?;
        let mut sound = anchordesk_core::live::SoundOnAir { mic_muted: run.state.mic_muted, music_off: run.state.music_off, phone_muted: run.state.phone_muted };
        let mut gains = run.gains;
        match change {
            SoundChange::MicMuted { muted } => sound.mic_muted = muted,
            SoundChange::MusicOn { on } => sound.music_off = !on,
            SoundChange::PhoneMuted { muted } => sound.phone_muted = muted,
            SoundChange::MicGain { gain_db } => gains.0 = gain_db.round() as i32,
            SoundChange::MusicGain { gain_db } => gains.1 = gain_db.round() as i32,
            SoundChange::PhoneGain { gain_db } => gains.2 = gain_db.round() as i32,
        }
        let broadcast = run.session.broadcast_id;
        self.with_store(|store| {
            if gains != run.gains {
                let settings = store.capture_settings()?;
                store.save_capture_settings(&anchordesk_core::devices::CaptureSettings { mic_gain_db: gains.0, music_gain_db: gains.1, phone_gain_db: gains.2, ..settings })?;
            }
            store.set_sound_on_air(broadcast, sound)
        })?;
        // What is heard is what was kept: whole decibels.
        let heard = match change {
            SoundChange::MicGain { .. } => SoundChange::MicGain { gain_db: gains.0 as f32 },
            SoundChange::MusicGain { .. } => SoundChange::MusicGain { gain_db: gains.1 as f32 },
            SoundChange::PhoneGain { .. } => SoundChange::PhoneGain { gain_db: gains.2 as f32 },
            other => other,
        };
        let run = self.run.as_mut().expect("on air");
        run.handle.change_sound(heard).map_err(|err| LiveError::Capture(err.to_string()))?;
        (run.state.mic_muted, run.state.music_off, run.state.phone_muted, run.gains) = (sound.mic_muted, sound.music_off, sound.phone_muted, gains);
        self.publish_status()
    }

    fn product(&mut self, step: i32, index: Option<i32>) -> Result<LiveStatus, LiveError> {
        let run = self.on_air()?;
        let lineup = self.with_store(|store| store.lineup(run.session.broadcast_id))?;
        if lineup.is_empty() {
            return Err(LiveError::conflict(Conflict::EmptyLineup));
        }
        let current = run.state.on_air_item.and_then(|item| lineup.iter().position(|i| i.id == item));
        let taken_off = &run.state.taken_off;
        let target = next_on_air_for_sale(current, step, index, lineup.len(), |i| taken_off.contains(&lineup[i].id))
            .ok_or_else(|| LiveError::conflict(Conflict::TakenOff))?;
        // Already on air (the first or last item for sale): no new marker or pin.
        if current != Some(target) {
            self.put_on_air(&lineup, target)?;
            self.around.outbox_changed();
        }
        self.publish_status()
    }

    fn take_off(&mut self, index: i32) -> Result<LiveStatus, LiveError> {
        let run = self.on_air()?;
        let lineup = self.with_store(|store| store.lineup(run.session.broadcast_id))?;
        let item = usize::try_from(index).ok().and_then(|i| lineup.get(i)).cloned().ok_or(StoreError::NotFound { entity: "lineupItem", id: index as i64 })?;
        let (session_id, media_ms) = (run.session.id, run.handle.media_time().as_millis() as i64);
        self.with_store(|store| store.take_off(session_id, item.id, media_ms))?;
        let run = self.run.as_mut().expect("on air");
        run.handle.marker(MarkerKind::Manual, &format!("下架 {}", item.product_name), Some(&item.product_sku));
        run.state.taken_off.push(item.id);
        let was_on_air = run.state.on_air_item == Some(item.id);
        self.around.outbox_changed();
        if was_on_air {
            // On to the next item still for sale; with none left the taken-off one stays shown.
            match self.product(1, None) {
                Ok(status) => return Ok(status),
                Err(LiveError::Store(StoreError::Conflict(Conflict::TakenOff))) => {}
                Err(err) => return Err(err),
            }
        }
        self.publish_status()
    }

    fn overlay(&mut self, visible: bool) -> Result<LiveStatus, LiveError> {
        let broadcast = self.on_air()?.session.broadcast_id;
        self.with_store(|store| store.set_overlay_visible(broadcast, visible))?;
        self.run.as_mut().expect("on air").state.overlay_visible = visible;
        self.show()?;
        self.publish_status()
    }

    fn caption(&mut self, text: String) -> Result<ReplyOutcome, LiveError> {
        let text = text.trim().to_string();
        let broadcast = self.on_air()?.session.broadcast_id;
        if text.is_empty() {
            self.with_store(|store| store.set_caption(broadcast, None))?;
            self.run.as_mut().expect("on air").state.caption = None;
            self.show()?;
            self.publish_status()?;
            return Ok(ReplyOutcome { sent: None, findings: Vec::new() });
        }
        let outcome = self.reply(anchordesk_core::store::CAPTION, &text)?;
        if let Some(shown) = &outcome.sent {
            self.with_store(|store| store.set_caption(broadcast, Some(&shown.text)))?;
            self.run.as_mut().expect("on air").state.caption = Some(shown.text.clone());
            self.show()?;
            self.publish_status()?;
        }
        Ok(outcome)
    }

    /// Lints `text` with the product on air and keeps it (held back with an error finding).
    fn reply(&mut self, comment_seq: i64, text: &str) -> Result<ReplyOutcome, LiveError> {
        let run = self.on_air()?;
        let (session_id, item, media_ms) = (run.session.id, run.state.on_air_item, run.handle.media_time().as_millis() as i64);
        let linter = self.around.linter();
        let outcome = self.with_store(|store| {
            let findings = store.lint_text_for(&linter, text, None, item)?;
            let kept = store.add_reply(session_id, comment_seq, text, media_ms, &findings)?;
            Ok(ReplyOutcome { sent: Some(kept).filter(|k| !k.held), findings })
        })?;
        if comment_seq != anchordesk_core::store::CAPTION {
            self.around.outbox_changed();
        }
        Ok(outcome)
    }

    fn marker(&mut self, label: &str) -> Result<(), LiveError> {
        let run = self.on_air()?;
        let marker = run.handle.marker(MarkerKind::Manual, label, None);
        let session_id = run.session.id;
        self.with_store(|store| store.add_marker(session_id, LiveMarkerKind::Manual, label, None, marker.start_ms as i64))?;
        Ok(())
    }

    fn stop(&mut self) -> Result<StopResult, LiveError> {
        let run = self.run.take().ok_or_else(|| LiveError::conflict(Conflict::NotLive))?;
        *self.facts.lock().unwrap_or_else(|p| p.into_inner()) = None;
        let Run { session, handle, forwarder, follower, .. } = run;
        if let Some(follower) = follower {
            follower.join();
        }
        let clips_dir = self.data_dir.join("clips").join(format!("broadcast-{}-session-{}", session.broadcast_id.0, session.id.0));
        // Stop, then cut one clip per product marker by stream copy (seconds, not minutes,
        // even for hours of recording), before the recording moves into the archive.
        let (path, duration_ms, clips) = match handle.stop() {
            Ok(summary) => {
                let clips = anchordesk_capture::cut_clips(&summary.path, &clips_dir, &anchordesk_capture::product_clips(&summary.markers)).unwrap_or_else(|err| {
                    tracing::error!("cutting the product clips failed: {err}");
                    Vec::new()
                });
                let (id, dropped, reconnects) = (session.id, summary.dropped_frames, summary.push_reconnects);
                // The session must end whatever happens here: a failure is logged, not returned.
                if let Err(err) = self.with_store(|store| store.set_session_health(id, dropped, reconnects)) {
                    tracing::error!("keeping the session's health figures failed: {err}");
                }
                // A hardware encoder that failed on air and libx264 that took over: a marker
                // in the report where it happened.
                for marker in summary.markers.iter().filter(|m| m.kind == MarkerKind::Encoder) {
                    let label = format!("编码器切换 · {}", marker.label);
                    if let Err(err) = self.with_store(|store| store.add_marker(id, LiveMarkerKind::Manual, &label, None, marker.start_ms as i64)) {
                        tracing::error!("keeping the encoder hand-over in the report failed: {err}");
                    }
                }
                (summary.path.display().to_string(), Some(summary.duration_ms as i64), clips)
            }
            Err(err) => {
                tracing::error!("the recording did not finalise cleanly: {err}");
                (String::new(), None, Vec::new())
            }
        };
        if let Some(forwarder) = forwarder {
            let _ = forwarder.join();
        }
        // The last orders and comments, so the report counts them.
        if !session.platform_silent
            && let Err(err) = self.around.pull_room(&session)
        {
            tracing::warn!("the room's last events could not be pulled before the report: {err}");
        }
        let id = session.id;
        let report = self.finish(id, duration_ms, move |store| store.end_session(id, &path, duration_ms).map(|_| ()))?;
        self.around.publish(LiveEvent::Ended { session: id });
        self.around.outbox_changed();
        Ok(StopResult { report, clips })
    }

    /// `end` (ending or retiring the session), then the report and the archive; the report
    /// returned names the recording where it is now (in the archive when that worked).
    fn finish(&self, session: SessionId, duration_ms: Option<i64>, end: impl FnOnce(&mut Store) -> Result<(), StoreError>) -> Result<BroadcastReport, LiveError> {
        let env = self.around.check_env();
        let today = env.today;
        let mut report = self.with_store(|store| {
            end(store)?;
            let broadcast = store.session(session)?.broadcast_id;
            store.report(broadcast, &env, duration_ms)
        })?;
        let archive_dir = self.data_dir.join("archive");
        if let Err(err) = archive::archive_session(&self.store, &archive_dir, &report, today, archive::DEFAULT_RETENTION_YEARS) {
            tracing::error!("archiving the session failed; the next start carries it on: {err}");
        }
        // The report names the recording where the database says it is now.
        let now = self.with_store(|store| store.session(session))?.recording_path;
        if let Some(s) = report.session.as_mut() {
            s.recording_path = now;
        }
        Ok(report)
    }

    fn close_interrupted(&mut self, session_id: SessionId) -> Result<BroadcastReport, LiveError> {
        let session = self.with_store(|store| store.session(session_id))?;
        // The recording was written until the crash: its last write, from the start of the
        // session, is how long it runs.
        let duration = elapsed_until_last_write(Path::new(&session.recording_path), &session.started_at);
        self.finish(session_id, duration, move |store| store.end_session(session_id, "", duration).map(|_| ()))
    }

    fn resume(&mut self, session_id: SessionId) -> Result<LiveStatus, LiveError> {
        let session = self.with_store(|store| store.session(session_id))?;
        // What would stop going live is checked before the interrupted session is retired,
        // so that a refusal leaves it to resume or close later.
        if self.run.is_some() {
            return Err(LiveError::conflict(Conflict::AlreadyLive));
        }
        let env = self.around.check_env();
        let gate = self.with_store(|store| store.checklist_state(session.broadcast_id, &env))?.gate;
        if !gate.allowed {
            return Err(LiveError::conflict(Conflict::GateClosed { blockers: gate.blockers.iter().map(|b| b.item.title.clone()).collect() }));
        }
        let duration = elapsed_until_last_write(Path::new(&session.recording_path), &session.started_at);
        self.finish(session_id, duration, move |store| store.retire_interrupted(session_id, duration).map(|_| ()))?;
        self.go_live(GoLive { broadcast_id: session.broadcast_id, rehearsal: session.rehearsal, push_url: None, scene: None })
    }
}

/// Forwards the pipeline's health figures and preview frames to the window until the
/// recording finishes.
fn forward(handle: &mut PipelineHandle, around: Arc<dyn Surroundings>) -> Option<std::thread::JoinHandle<()>> {
    let mut stats = handle.stats();
    let mut preview = handle.take_preview();
    let spawned = std::thread::Builder::new().name("live-events".into()).spawn(move || {
        let Ok(runtime) = tokio::runtime::Builder::new_current_thread().enable_time().build() else { return };
        runtime.block_on(async move {
            loop {
                tokio::select! {
                    changed = stats.changed() => {
                        if changed.is_err() { break; }
                        let current = stats.borrow_and_update().clone();
                        let finished = current.finished;
                        around.publish(LiveEvent::Stats(Box::new(current)));
                        if finished { break; }
                    }
                    Some(frame) = async { match preview.as_mut() { Some(rx) => rx.recv().await, None => std::future::pending().await } } => {
                        around.publish(if frame.second { LiveEvent::SecondPreview(frame.jpeg) } else { LiveEvent::Preview(frame.jpeg) });
                    }
                }
            }
        });
    });
    match spawned {
        Ok(thread) => Some(thread),
        Err(err) => {
            tracing::error!("the window will not get live figures: {err}");
            None
        }
    }
}

fn panic_message(panic: &Box<dyn std::any::Any + Send>) -> String {
    panic.downcast_ref::<&str>().map(|s| s.to_string()).or_else(|| panic.downcast_ref::<String>().cloned()).unwrap_or_else(|| "a panic".into())
}
