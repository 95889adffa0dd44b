//! The live sources of a broadcast's scenes, each opened once however many layers show it.
//!
//! A camera cannot be opened twice, yet it may be in both canvases (a landscape recording
//! and a vertical push), or in two layers of one scene, or in the scene before and after a
//! switch. Each source runs in its own thread; a relay hands every picture to each layer
//! that shows it (the newest picture wins: a layer that has not taken the last one loses
//! it, which is what a compositor that takes the latest at each tick wants anyway). When no
//! layer shows a source any more, its relay ends and the source closes.
//!
//! ```text
//! camera thread ─→ relay ─┬→ canvas 1, layer 1
//!                         └→ canvas 2, layer 1
//! phone thread  ─→ relay ──→ canvas 1, layer 2
//! ```

use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use crossbeam_channel::{Receiver, Sender, TrySendError, bounded};

use crate::CaptureError;
use crate::config::{PhoneListen, VideoSource};
use crate::pipeline::{Shared, spawn};
use crate::scene::LayerSource;
use crate::source::{self, VideoMsg};

/// Who is shown a running source's pictures.
struct Fanout {
    subscribers: Vec<Sender<VideoMsg>>,
    /// The relay has ended (source gone or nobody watching): start the source again.
    closed: bool,
}

pub(crate) struct SourceHub {
    shared: Arc<Shared>,
    camera: VideoSource,
    phone: PhoneListen,
    realtime: bool,
    running: Vec<(LayerSource, Arc<Mutex<Fanout>>)>,
    /// Source and relay threads started and not yet handed to someone who joins them.
    pub(crate) threads: Vec<JoinHandle<()>>,
}

impl SourceHub {
    pub(crate) fn new(shared: Arc<Shared>, camera: VideoSource, phone: PhoneListen, realtime: bool) -> SourceHub {
        SourceHub { shared, camera, phone, realtime, running: Vec::new(), threads: Vec::new() }
    }

    /// A receiver of `layer`'s pictures: from its running source, or from one started now
    /// for a layer `size` big. With `wait`, a new source must open within 15 s (at the
    /// start of a broadcast); without, it shows its slate until its first picture (a scene
    /// switched to on air).
    pub(crate) fn subscribe(&mut self, layer: &LayerSource, size: (u32, u32), wait: bool) -> Result<Receiver<VideoMsg>, CaptureError> {
        let (tx, rx) = bounded::<VideoMsg>(2);
        self.running.retain(|(_, fanout)| !lock(fanout).closed);
        // Threads of sources no layer shows any more have ended: joined now, not at the end.
        let (done, running): (Vec<_>, Vec<_>) = self.threads.drain(..).partition(|t| t.is_finished());
        self.threads = running;
        for thread in done {
            let _ = thread.join();
        }
        if let Some((_, fanout)) = self.running.iter().find(|(source, _)| source == layer) {
            let mut fanout = lock(fanout);
            if !fanout.closed {
                fanout.subscribers.push(tx);
                return Ok(rx);
            }
        }
        let (spec, shape) = layer_input(layer, &self.camera, size, self.shared.fps(), self.realtime, &self.phone, &self.shared)?;
        let (source_tx, source_rx) = bounded::<VideoMsg>(2);
        let (ready_tx, ready_rx) = bounded(1);
        let shared = self.shared.clone();
        self.threads.push(spawn("video-source", move || source::video_thread(spec, shape, source_tx, shared, ready_tx))?);
        let fanout = Arc::new(Mutex::new(Fanout { subscribers: vec![tx], closed: false }));
        let relayed = fanout.clone();
        self.threads.push(spawn("video-relay", move || relay(source_rx, &relayed))?);
        self.running.push((layer.clone(), fanout));
        if wait {
            ready_rx
                .recv_timeout(Duration::from_secs(15))
                .unwrap_or(Err(CaptureError::ThreadLost("video-source")))?;
        }
        Ok(rx)
    }
}

fn lock(fanout: &Mutex<Fanout>) -> std::sync::MutexGuard<'_, Fanout> {
    fanout.lock().unwrap_or_else(|p| p.into_inner())
}

/// Hands each message of one source to every layer still showing it; ends with the source,
/// or when no layer shows it (its receiver dropped, the source thread then ends too).
fn relay(rx: Receiver<VideoMsg>, fanout: &Mutex<Fanout>) {
    for msg in rx.iter() {
        let mut out = lock(fanout);
        let last = out.subscribers.len().saturating_sub(1);
        let mut msg = Some(msg);
        let mut kept = Vec::with_capacity(out.subscribers.len());
        for (i, tx) in out.subscribers.drain(..).enumerate() {
            // The last one takes the picture itself; the others a copy.
            let m = if i == last { msg.take().expect("one message") } else { msg.as_ref().expect("one message").clone() };
            match tx.try_send(m) {
                Err(TrySendError::Disconnected(_)) => {}
                Ok(()) | Err(TrySendError::Full(_)) => kept.push(tx),
            }
        }
        out.subscribers = kept;
        if out.subscribers.is_empty() {
            out.closed = true;
            return;
        }
    }
    lock(fanout).closed = true;
}

/// The FFmpeg input of a live layer `lw`×`lh` pixels big: the broadcast's camera, another
/// input, or the test pattern at the layer's size.
pub(crate) fn layer_input(
    source: &LayerSource,
    camera: &VideoSource,
    (lw, lh): (u32, u32),
    fps: u32,
    realtime: bool,
    phone: &PhoneListen,
    shared: &Shared,
) -> Result<(crate::config::InputSpec, source::VideoShape), CaptureError> {
    // A camera is asked for the mode nearest the canvas; the graph fits what it sends.
    let mut shape = source::VideoShape { width: lw, height: lh, keep_size: true, listener: false };
    let spec = match (source, camera) {
        (LayerSource::Camera, VideoSource::Input(spec)) => spec.clone(),
        (LayerSource::Input { input }, _) => input.clone(),
        (LayerSource::Phone, _) => {
            shape.listener = true;
            shared.phone_link(phone)?.input
        }
        _ => source::test_video_spec(lw, lh, fps, realtime),
    };
    Ok((spec, shape))
}
