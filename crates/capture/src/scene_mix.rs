//! A scene on air: one FFmpeg filter graph composes the layers of a [`Scene`] each tick.
//!
//! ```text
//! background ───────────────────────────────┐
//! layer 1 (camera frames)  → crop → fit ─→ overlay ─→ overlay ─→ … → canvas (YUV420P)
//! layer 2 (phone / photo…) → crop → fit ──────────────┘
//! ```
//! Every input is a `buffer` source fed with the same timestamp each tick, so the graph
//! gives exactly one picture per tick. A live layer whose source is lost shows its own
//! slate in its own rectangle; a change of a layer's picture format or size (a camera
//! reopened in another mode, the slate) rebuilds the graph between two ticks.

use std::time::{Duration, Instant};

use crossbeam_channel::Receiver;
use ffmpeg_next::{self as ffmpeg, filter, format, frame, media};

use crate::CaptureError;
use crate::overlay::{self, Fonts};
use crate::scene::{Fit, Layer, LayerSource, Scene, parse_color};
use crate::source::VideoMsg;

/// How long a live layer may go without a picture before its slate replaces it.
const LOST_AFTER: Duration = Duration::from_millis(1500);

/// A live layer's pictures as they come from its source thread.
pub(crate) struct LiveFeed {
    rx: Receiver<VideoMsg>,
    latest: Option<frame::Video>,
    lost: bool,
    last_at: Instant,
    slate: frame::Video,
    /// Decided once per tick by [`SceneMixer::poll`], so the graph and the picture agree.
    on_slate: bool,
}

enum Feed {
    Live(LiveFeed),
    Still(frame::Video),
}

struct MixLayer {
    layer: Layer,
    /// x, y, width, height on the canvas.
    px: (u32, u32, u32, u32),
    feed: Feed,
}

/// What the graph was built for, per input: format, size, and whether it is the slate.
type Key = (format::Pixel, u32, u32, bool);

pub(crate) struct SceneMixer {
    fps: u32,
    background: frame::Video,
    layers: Vec<MixLayer>,
    graph: Option<(filter::Graph, Vec<Key>)>,
}

/// Tells what happened in the live layers since the last tick.
pub(crate) struct Poll {
    /// At least one live layer brought a new picture.
    pub fresh: bool,
    /// At least one live layer shows its slate.
    pub lost: bool,
}

impl SceneMixer {
    /// Prepares the still layers (pictures read, text drawn, colours filled); `live` holds
    /// one receiver per live layer, in layer order.
    pub(crate) fn new(
        scene: &Scene,
        fps: u32,
        fonts: Option<&Fonts>,
        live: Vec<Receiver<VideoMsg>>,
    ) -> Result<SceneMixer, CaptureError> {
        let background = overlay::solid(parse_color(&scene.background)?, scene.width, scene.height);
        let layers = SceneMixer::build_layers(scene, fonts, live.into_iter().map(Err).collect())?;
        Ok(SceneMixer {
            fps,
            background,
            layers,
            graph: None,
        })
    }

    /// The layers of `scene`; `live` holds, per live layer in order, a feed kept from the
    /// scene before (`Ok`) or the receiver of a source just started (`Err`).
    fn build_layers(
        scene: &Scene,
        fonts: Option<&Fonts>,
        mut live: Vec<Result<LiveFeed, Receiver<VideoMsg>>>,
    ) -> Result<Vec<MixLayer>, CaptureError> {
        let (cw, ch) = (scene.width, scene.height);
        let mut layers = Vec::new();
        live.reverse();
        for layer in &scene.layers {
            let px = layer.rect.pixels(cw, ch);
            let feed = match &layer.source {
                s if s.is_live() => Feed::Live(
                    match live.pop().ok_or(CaptureError::ThreadLost("scene source"))? {
                        Ok(kept) => kept,
                        Err(rx) => LiveFeed {
                            rx,
                            latest: None,
                            lost: false,
                            last_at: Instant::now(),
                            slate: overlay::slate(fonts, px.2, px.3),
                            on_slate: true,
                        },
                    },
                ),
                LayerSource::Image { path } => Feed::Still(read_picture(path)?),
                LayerSource::Color { color } => {
                    Feed::Still(overlay::solid(parse_color(color)?, px.2, px.3))
                }
                LayerSource::Text { text } => {
                    let fonts = fonts.ok_or_else(|| {
                        CaptureError::BadConfig(
                            "a text layer needs a CJK font; install fonts-noto-cjk or pass a font"
                                .to_owned(),
                        )
                    })?;
                    Feed::Still(overlay::text_frame(fonts, text, px.2, px.3))
                }
                _ => unreachable!("every layer source is live or still"),
            };
            layers.push(MixLayer {
                layer: layer.clone(),
                px,
                feed,
            });
        }
        Ok(layers)
    }

    /// The next scene on the same canvas: live sources both scenes show keep running (and
    /// keep their latest picture, so the switch has no gap); new ones are started by
    /// `start` and show their slate until their first picture; the rest stop.
    pub(crate) fn switch(
        &mut self,
        scene: &Scene,
        fonts: Option<&Fonts>,
        mut start: impl FnMut(&LayerSource, (u32, u32)) -> Result<Receiver<VideoMsg>, CaptureError>,
    ) -> Result<(), CaptureError> {
        let mut running: Vec<(LayerSource, LiveFeed)> = self
            .layers
            .drain(..)
            .filter_map(|l| match l.feed {
                Feed::Live(feed) => Some((l.layer.source, feed)),
                Feed::Still(_) => None,
            })
            .collect();
        let mut live = Vec::new();
        for layer in scene.layers.iter().filter(|l| l.source.is_live()) {
            let px = layer.rect.pixels(scene.width, scene.height);
            match running
                .iter()
                .position(|(source, _)| *source == layer.source)
            {
                Some(at) => {
                    let (_, mut feed) = running.remove(at);
                    feed.slate = overlay::slate(fonts, px.2, px.3);
                    live.push(Ok(feed));
                }
                None => live.push(Err(start(&layer.source, (px.2, px.3))?)),
            }
        }
        // Dropping the receivers of the sources left over ends their threads.
        drop(running);
        let next = SceneMixer::build_layers(scene, fonts, live)?;
        self.background =
            overlay::solid(parse_color(&scene.background)?, scene.width, scene.height);
        self.layers = next;
        self.graph = None;
        Ok(())
    }

    /// Waits up to `timeout` for the first picture of the first live layer (media time 0
    /// is the camera's first frame). Returns false when none came.
    pub(crate) fn wait_first(&mut self, timeout: Duration) -> bool {
        let Some(feed) = self.layers.iter_mut().find_map(|l| match &mut l.feed {
            Feed::Live(f) => Some(f),
            Feed::Still(_) => None,
        }) else {
            return true;
        };
        match feed.rx.recv_timeout(timeout) {
            Ok(VideoMsg::Frame(f)) => {
                feed.latest = Some(f);
                feed.last_at = Instant::now();
                true
            }
            _ => false,
        }
    }

    /// Takes what the live layers delivered since the last call, without waiting.
    pub(crate) fn poll(&mut self) -> Poll {
        let mut poll = Poll {
            fresh: false,
            lost: false,
        };
        for layer in &mut self.layers {
            let Feed::Live(feed) = &mut layer.feed else {
                continue;
            };
            while let Ok(msg) = feed.rx.try_recv() {
                match msg {
                    VideoMsg::Frame(f) => {
                        feed.latest = Some(f);
                        feed.lost = false;
                        feed.last_at = Instant::now();
                        poll.fresh = true;
                    }
                    VideoMsg::Lost(message) => {
                        if !feed.lost {
                            tracing::warn!(%message, "a scene source is lost; its slate shows in its place");
                        }
                        feed.lost = true;
                    }
                }
            }
            feed.on_slate =
                feed.lost || feed.latest.is_none() || feed.last_at.elapsed() > LOST_AFTER;
            poll.lost |= feed.on_slate;
        }
        poll
    }

    /// Composes the canvas for tick `n`.
    /// The canvas of tick `n`, the caller's to keep (no copy is made); `None` when the graph
    /// held the tick back (it should not: every input is fed each tick).
    pub(crate) fn compose(&mut self, n: i64) -> Result<Option<frame::Video>, CaptureError> {
        let keys: Vec<Key> = self.layers.iter().map(|l| l.picture_key()).collect();
        if self.graph.as_ref().is_none_or(|(_, built)| *built != keys) {
            let graph = self
                .build(&keys)
                .map_err(CaptureError::ffmpeg("building the scene's filter graph"))?;
            self.graph = Some((graph, keys));
        }
        let (graph, _) = self.graph.as_mut().expect("graph was just built");
        let failed = |e| CaptureError::ffmpeg("composing the scene")(e);
        self.background.set_pts(Some(n));
        feed(graph, "bg", &self.background).map_err(failed)?;
        for (i, layer) in self.layers.iter_mut().enumerate() {
            let picture = layer.picture_mut();
            picture.set_pts(Some(n));
            feed(graph, &format!("in{i}"), picture).map_err(failed)?;
        }
        let mut out = frame::Video::empty();
        match graph.get("out").expect("out sink").sink().frame(&mut out) {
            Ok(()) => Ok(Some(out)),
            Err(ffmpeg::Error::Other { errno }) if errno == libc::EAGAIN => Ok(None),
            Err(e) => Err(failed(e)),
        }
    }

    /// The graph's text for the current inputs (also what the benchmark gives the CLI).
    pub(crate) fn describe(&self, keys: &[Key]) -> String {
        let mut parts = Vec::new();
        let mut below = "bg".to_owned();
        for (i, (layer, key)) in self.layers.iter().zip(keys).enumerate() {
            let (x, y, w, h) = layer.px;
            let mut chain = Vec::new();
            let slate = key.3;
            let c = layer.layer.crop;
            if !slate && !c.is_none() {
                chain.push(format!(
                    "crop=w=iw*{:.4}:h=ih*{:.4}:x=iw*{:.4}:y=ih*{:.4}",
                    1.0 - c.left - c.right,
                    1.0 - c.top - c.bottom,
                    c.left,
                    c.top
                ));
            }
            if slate || (key.1, key.2) == (w, h) {
                chain.push("format=yuva420p".to_owned());
            } else {
                match layer.layer.fit {
                    Fit::Cover => chain.push(format!(
                        "scale=w={w}:h={h}:force_original_aspect_ratio=increase:force_divisible_by=2,crop={w}:{h},format=yuva420p"
                    )),
                    Fit::Contain => chain.push(format!(
                        "scale=w={w}:h={h}:force_original_aspect_ratio=decrease:force_divisible_by=2,format=yuva420p,pad={w}:{h}:(ow-iw)/2:(oh-ih)/2:color=black@0"
                    )),
                }
            }
            if layer.layer.opacity < 1.0 {
                chain.push(format!("lut=a=val*{:.3}", layer.layer.opacity));
            }
            parts.push(format!("[in{i}]{}[l{i}]", chain.join(",")));
            let next = format!("c{}", i + 1);
            parts.push(format!(
                "[{below}][l{i}]overlay=x={x}:y={y}:format=yuv420:eof_action=repeat[{next}]"
            ));
            below = next;
        }
        parts.push(format!("[{below}]format=yuv420p[out]"));
        parts.join(";")
    }

    fn build(&self, keys: &[Key]) -> Result<filter::Graph, ffmpeg::Error> {
        let mut graph = filter::Graph::new();
        let buffer = filter::find("buffer").ok_or(ffmpeg::Error::FilterNotFound)?;
        let args = |(fmt, w, h, _): Key| {
            let pix: ffmpeg::ffi::AVPixelFormat = fmt.into();
            format!(
                "video_size={w}x{h}:pix_fmt={}:time_base=1/{}:pixel_aspect=1/1",
                pix as i32, self.fps
            )
        };
        let bg = &self.background;
        graph.add(
            &buffer,
            "bg",
            &args((bg.format(), bg.width(), bg.height(), false)),
        )?;
        for (i, key) in keys.iter().enumerate() {
            graph.add(&buffer, &format!("in{i}"), &args(*key))?;
        }
        graph.add(
            &filter::find("buffersink").ok_or(ffmpeg::Error::FilterNotFound)?,
            "out",
            "",
        )?;
        let description = self.describe(keys);
        tracing::debug!(%description, "scene graph");
        let mut parser = graph.output("bg", 0)?;
        for i in 0..keys.len() {
            parser = parser.output(&format!("in{i}"), 0)?;
        }
        parser.input("out", 0)?.parse(&description)?;
        graph.validate()?;
        Ok(graph)
    }

    /// The graph's text as it would be built now.
    pub(crate) fn current_description(&self) -> String {
        let keys: Vec<Key> = self.layers.iter().map(|l| l.picture_key()).collect();
        self.describe(&keys)
    }
}

impl MixLayer {
    fn picture_key(&self) -> Key {
        let (picture, slate) = match &self.feed {
            Feed::Live(feed) if feed.on_slate => (&feed.slate, true),
            Feed::Live(feed) => (
                feed.latest.as_ref().expect("a picture when no slate"),
                false,
            ),
            Feed::Still(still) => (still, false),
        };
        (picture.format(), picture.width(), picture.height(), slate)
    }

    fn picture_mut(&mut self) -> &mut frame::Video {
        match &mut self.feed {
            Feed::Live(feed) => {
                if feed.on_slate {
                    &mut feed.slate
                } else {
                    feed.latest.as_mut().expect("a picture when no slate")
                }
            }
            Feed::Still(still) => still,
        }
    }
}

/// Gives the graph's input `name` a new reference to `picture`, which stays ours to give
/// again next tick (ffmpeg-next's `Source::add` would take the reference and empty it).
fn feed(
    graph: &mut filter::Graph,
    name: &str,
    picture: &frame::Video,
) -> Result<(), ffmpeg::Error> {
    let mut input = graph.get(name).ok_or(ffmpeg::Error::FilterNotFound)?;
    // SAFETY: both pointers are valid for the call; write_frame references the frame's
    // buffers (AV_BUFFERSRC_FLAG_KEEP_REF) and leaves the frame itself untouched.
    let result =
        unsafe { ffmpeg::ffi::av_buffersrc_write_frame(input.as_mut_ptr(), picture.as_ptr()) };
    if result < 0 {
        Err(ffmpeg::Error::from(result))
    } else {
        Ok(())
    }
}

/// Decodes the first picture of an image file (PNG, JPEG, WebP …), in its own format.
fn read_picture(path: &std::path::Path) -> Result<frame::Video, CaptureError> {
    crate::init();
    let unreadable = |message: String| {
        CaptureError::BadConfig(format!(
            "cannot read the picture {}: {message}",
            path.display()
        ))
    };
    let mut input = format::input(path).map_err(|e| unreadable(e.to_string()))?;
    let stream = input
        .streams()
        .best(media::Type::Video)
        .ok_or_else(|| unreadable("no picture in it".to_owned()))?;
    let index = stream.index();
    let mut decoder = ffmpeg::codec::context::Context::from_parameters(stream.parameters())
        .and_then(|c| c.decoder().video())
        .map_err(|e| unreadable(e.to_string()))?;
    for (stream, packet) in input.packets() {
        if stream.index() != index {
            continue;
        }
        decoder
            .send_packet(&packet)
            .map_err(|e| unreadable(e.to_string()))?;
        let mut picture = frame::Video::empty();
        if decoder.receive_frame(&mut picture).is_ok() {
            return Ok(picture);
        }
    }
    let _ = decoder.send_eof();
    let mut picture = frame::Video::empty();
    decoder
        .receive_frame(&mut picture)
        .map_err(|e| unreadable(e.to_string()))?;
    Ok(picture)
}
