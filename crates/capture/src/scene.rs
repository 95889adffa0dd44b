//! Scenes: a canvas and an ordered list of layers, each a source placed in a rectangle.
//!
//! A scene is plain data (JSON in a file or in the store) so that it can be edited, kept
//! per broadcast and shared. Rectangles are fractions of the canvas, so a layout made for
//! 1280×720 works at 1920×1080, and the same layout exists for landscape and portrait.
//! The pipeline turns a scene into one FFmpeg filter graph ([`crate::scene_mix`]); the
//! product card is drawn above every layer, as without a scene.

use std::path::PathBuf;

use crate::CaptureError;
use crate::config::InputSpec;

/// The canvas sizes the desk offers; any even size from 64×64 works.
pub const CANVASES: [(u32, u32); 4] = [(1920, 1080), (1280, 720), (1080, 1920), (720, 1280)];

/// What a layer shows.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase", tag = "kind")]
pub enum LayerSource {
    /// The broadcast's camera (the pipeline's video source: a device or the test picture).
    Camera,
    /// Another input: a second camera, any FFmpeg input.
    Input { input: InputSpec },
    /// A phone (or a second machine) pushing SRT to the desk: the desk listens only while
    /// the scene runs, on the address of `Config::phone`, and lets in only the phone that
    /// knows the random passphrase of this broadcast (see `PipelineHandle::phone_url`).
    Phone,
    /// FFmpeg's `testsrc2` pattern, a stand-in for a camera.
    Test,
    /// A still picture (a product photo), read once at start.
    #[serde(rename_all = "camelCase")]
    Image {
        #[cfg_attr(feature = "specta", specta(type = String))]
        path: PathBuf,
    },
    /// A solid colour, `#RRGGBB`.
    Color { color: String },
    /// One line of text, white on a dark band, sized to the rectangle's height.
    Text { text: String },
}

impl LayerSource {
    /// True for sources that deliver pictures while running (a thread each).
    pub fn is_live(&self) -> bool {
        matches!(
            self,
            LayerSource::Camera | LayerSource::Input { .. } | LayerSource::Test | LayerSource::Phone
        )
    }
}

/// How a picture fills its rectangle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub enum Fit {
    /// Fill the rectangle; what overflows is cut off evenly (a landscape camera in a
    /// portrait rectangle shows its middle).
    #[default]
    Cover,
    /// Show the whole picture; the rest of the rectangle stays transparent.
    Contain,
}

/// A rectangle in fractions of the canvas (0 to 1).
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct Rect {
    pub x: f32,
    pub y: f32,
    pub w: f32,
    pub h: f32,
}

impl Rect {
    /// The whole canvas.
    pub const FULL: Rect = Rect {
        x: 0.0,
        y: 0.0,
        w: 1.0,
        h: 1.0,
    };

    /// The rectangle in pixels of a `width`×`height` canvas, even-aligned, at least 2×2,
    /// clipped to the canvas.
    pub fn pixels(&self, width: u32, height: u32) -> (u32, u32, u32, u32) {
        let even = |v: f32, of: u32| ((v.clamp(0.0, 1.0) * of as f32).round() as u32) & !1;
        let (x, y) = (
            even(self.x, width).min(width - 2),
            even(self.y, height).min(height - 2),
        );
        let w = even(self.w, width).clamp(2, width - x);
        let h = even(self.h, height).clamp(2, height - y);
        (x, y, w, h)
    }
}

/// Edges cut from the source before it is fitted, in fractions of its size.
#[derive(Debug, Clone, Copy, PartialEq, Default, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct Crop {
    pub left: f32,
    pub top: f32,
    pub right: f32,
    pub bottom: f32,
}

impl Crop {
    pub fn is_none(&self) -> bool {
        *self == Crop::default()
    }
}

/// One source placed on the canvas.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct Layer {
    pub source: LayerSource,
    pub rect: Rect,
    #[serde(default, skip_serializing_if = "Crop::is_none")]
    pub crop: Crop,
    #[serde(default)]
    pub fit: Fit,
    /// 0 (invisible) to 1 (opaque).
    #[serde(default = "opaque")]
    pub opacity: f32,
}

fn opaque() -> f32 {
    1.0
}

impl Layer {
    pub fn new(source: LayerSource, rect: Rect) -> Layer {
        Layer {
            source,
            rect,
            crop: Crop::default(),
            fit: Fit::Cover,
            opacity: 1.0,
        }
    }
}

/// A canvas and its layers, bottom first.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct Scene {
    pub name: String,
    pub width: u32,
    pub height: u32,
    /// The canvas colour under the layers, `#RRGGBB`.
    #[serde(default = "black")]
    pub background: String,
    pub layers: Vec<Layer>,
}

fn black() -> String {
    "#000000".to_owned()
}

/// The layouts to start from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub enum Layout {
    /// 单机位: the camera fills the canvas.
    Single,
    /// 人+商品特写: the camera, with a close-up of the product in a corner.
    PictureInPicture,
    /// 左右分屏: the camera on the left, the close-up on the right.
    SideBySide,
    /// 竖屏全身: a portrait canvas (1080×1920) filled by the camera's middle.
    PortraitFull,
}

impl Layout {
    pub const ALL: [Layout; 4] = [
        Layout::Single,
        Layout::PictureInPicture,
        Layout::SideBySide,
        Layout::PortraitFull,
    ];

    /// The name used on the command line and in files.
    pub fn key(self) -> &'static str {
        match self {
            Layout::Single => "single",
            Layout::PictureInPicture => "pip",
            Layout::SideBySide => "split",
            Layout::PortraitFull => "portrait",
        }
    }

    /// The name anchors know it by.
    pub fn name_zh(self) -> &'static str {
        match self {
            Layout::Single => "单机位",
            Layout::PictureInPicture => "人+商品特写",
            Layout::SideBySide => "左右分屏",
            Layout::PortraitFull => "竖屏全身",
        }
    }

    pub fn describe(self) -> &'static str {
        match self {
            Layout::Single => "the camera fills the canvas",
            Layout::PictureInPicture => "the camera, with the close-up in the top right corner",
            Layout::SideBySide => "the camera on the left half, the close-up on the right half",
            Layout::PortraitFull => "portrait 1080x1920, the middle of the camera fills it",
        }
    }

    /// Finds a layout by its key or its Chinese name.
    pub fn find(name: &str) -> Option<Layout> {
        Layout::ALL
            .into_iter()
            .find(|l| l.key() == name || l.name_zh() == name)
    }

    /// The canvas the layout is made for when none is asked.
    pub fn default_canvas(self) -> (u32, u32) {
        match self {
            Layout::PortraitFull => (1080, 1920),
            _ => (1280, 720),
        }
    }

    /// The layout as a scene on a `width`×`height` canvas; `close_up` fills the second
    /// rectangle of the layouts that have one (a product photo, a second camera, a phone).
    pub fn scene(self, (width, height): (u32, u32), close_up: LayerSource) -> Scene {
        let camera = |rect| Layer::new(LayerSource::Camera, rect);
        let layers = match self {
            Layout::Single | Layout::PortraitFull => vec![camera(Rect::FULL)],
            Layout::PictureInPicture => {
                // A third of the short side, with a margin; square-ish on both orientations.
                let side = width.min(height) as f32 * 0.36;
                let (w, h) = (side / width as f32, side / height as f32);
                let margin = width.min(height) as f32 * 0.04;
                // Four decimals: a scene file is read and edited by people.
                let round = |v: f32| (v * 10_000.0).round() / 10_000.0;
                let rect = Rect {
                    x: round(1.0 - w - margin / width as f32),
                    y: round(margin / height as f32),
                    w: round(w),
                    h: round(h),
                };
                vec![camera(Rect::FULL), Layer::new(close_up, rect)]
            }
            Layout::SideBySide => vec![
                camera(Rect {
                    x: 0.0,
                    y: 0.0,
                    w: 0.5,
                    h: 1.0,
                }),
                Layer::new(
                    close_up,
                    Rect {
                        x: 0.5,
                        y: 0.0,
                        w: 0.5,
                        h: 1.0,
                    },
                ),
            ],
        };
        Scene {
            name: self.name_zh().to_owned(),
            width,
            height,
            background: black(),
            layers,
        }
    }
}

/// At most this many layers: each live one is a decoder and a scaler on a laptop's CPU.
pub const MAX_LAYERS: usize = 8;

impl Scene {
    /// Reads a scene from JSON, with the reason and what to do when it does not parse.
    pub fn from_json(text: &str) -> Result<Scene, CaptureError> {
        let scene: Scene = serde_json::from_str(text).map_err(|e| {
            CaptureError::BadConfig(format!(
                "the scene does not read ({e}); start from `anchordesk scenes show pip` and edit that"
            ))
        })?;
        scene.validate()?;
        Ok(scene)
    }

    /// The same layers on another canvas (rectangles are fractions, so they follow).
    /// The same scene with its camera layers fitted whole (bars where the aspect differs)
    /// instead of filled and cropped: how the camera shows when no scene is asked for.
    pub fn camera_whole(mut self) -> Scene {
        for layer in self.layers.iter_mut().filter(|l| l.source == LayerSource::Camera) {
            layer.fit = Fit::Contain;
        }
        self
    }

    pub fn on_canvas(mut self, width: u32, height: u32) -> Scene {
        self.width = width;
        self.height = height;
        self
    }

    /// Checks sizes, fractions, colours, image files and the number of layers.
    pub fn validate(&self) -> Result<(), CaptureError> {
        let bad = |m: String| Err(CaptureError::BadConfig(m));
        if self.width < 64 || self.height < 64 || self.width % 2 == 1 || self.height % 2 == 1 {
            return bad(format!(
                "scene {:?}: canvas {}x{} must be even and at least 64x64",
                self.name, self.width, self.height
            ));
        }
        if self.layers.is_empty() || self.layers.len() > MAX_LAYERS {
            return bad(format!(
                "scene {:?} has {} layers; it needs 1 to {MAX_LAYERS}",
                self.name,
                self.layers.len()
            ));
        }
        parse_color(&self.background)?;
        if self.layers.iter().filter(|l| l.source == LayerSource::Phone).count() > 1 {
            return bad(format!("scene {:?} shows the phone twice; one phone connects per broadcast", self.name));
        }
        if self
            .layers
            .iter()
            .filter(|l| l.source == LayerSource::Camera)
            .count()
            > 1
        {
            return bad(format!(
                "scene {:?} shows the camera twice; a camera can be opened once (add a second camera as an input layer)",
                self.name
            ));
        }
        for (i, layer) in self.layers.iter().enumerate() {
            let n = i + 1;
            let r = layer.rect;
            let inside = |v: f32| (0.0..=1.0).contains(&v);
            if !(inside(r.x)
                && inside(r.y)
                && r.w > 0.0
                && r.h > 0.0
                && r.x + r.w <= 1.001
                && r.y + r.h <= 1.001)
            {
                return bad(format!(
                    "layer {n} of {:?}: its rectangle must lie inside the canvas (fractions 0 to 1)",
                    self.name
                ));
            }
            let c = layer.crop;
            if [c.left, c.top, c.right, c.bottom]
                .iter()
                .any(|v| !(0.0..0.5).contains(v))
                || c.left + c.right >= 0.95
                || c.top + c.bottom >= 0.95
            {
                return bad(format!(
                    "layer {n} of {:?}: crop each edge by less than half, and keep at least 5 % of the picture",
                    self.name
                ));
            }
            if !(0.0..=1.0).contains(&layer.opacity) {
                return bad(format!(
                    "layer {n} of {:?}: opacity must be 0 to 1",
                    self.name
                ));
            }
            match &layer.source {
                LayerSource::Color { color } => {
                    parse_color(color)?;
                }
                LayerSource::Image { path } if !path.is_file() => {
                    return bad(format!(
                        "layer {n} of {:?}: the picture {} is not there",
                        self.name,
                        path.display()
                    ));
                }
                LayerSource::Text { text } if text.trim().is_empty() => {
                    return bad(format!("layer {n} of {:?}: the text is empty", self.name));
                }
                _ => {}
            }
        }
        Ok(())
    }
}

/// `#RRGGBB` to its three bytes.
pub fn parse_color(text: &str) -> Result<[u8; 3], CaptureError> {
    let hex = text.strip_prefix('#').unwrap_or(text);
    let byte = |i: usize| {
        hex.get(i..i + 2)
            .and_then(|h| u8::from_str_radix(h, 16).ok())
    };
    match (hex.len(), byte(0), byte(2), byte(4)) {
        (6, Some(r), Some(g), Some(b)) => Ok([r, g, b]),
        _ => Err(CaptureError::BadConfig(format!(
            "colour {text:?} is not #RRGGBB (for example #1E1E1E)"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layouts_fit_both_orientations() {
        for layout in Layout::ALL {
            for canvas in CANVASES {
                let scene = layout.scene(canvas, LayerSource::Test);
                scene
                    .validate()
                    .unwrap_or_else(|e| panic!("{layout:?} {canvas:?}: {e}"));
                for layer in &scene.layers {
                    let (x, y, w, h) = layer.rect.pixels(canvas.0, canvas.1);
                    assert!(
                        x + w <= canvas.0 && y + h <= canvas.1,
                        "{layout:?} {canvas:?}"
                    );
                    assert!(x % 2 == 0 && y % 2 == 0 && w % 2 == 0 && h % 2 == 0);
                }
            }
        }
        let pip = Layout::PictureInPicture.scene((1080, 1920), LayerSource::Test);
        let (_, _, w, h) = pip.layers[1].rect.pixels(1080, 1920);
        assert!(
            w.abs_diff(h) <= 2,
            "the close-up is square on a portrait canvas: {w}x{h}"
        );
        assert_eq!(Layout::find("人+商品特写"), Some(Layout::PictureInPicture));
        assert_eq!(Layout::find("portrait"), Some(Layout::PortraitFull));
        assert_eq!(Layout::find("nope"), None);
    }

    #[test]
    fn bad_scenes_say_what_is_wrong() {
        let mut scene = Layout::Single.scene((1280, 720), LayerSource::Test);
        scene.layers[0].rect = Rect {
            x: 0.6,
            y: 0.0,
            w: 0.6,
            h: 1.0,
        };
        assert!(
            scene
                .validate()
                .unwrap_err()
                .to_string()
                .contains("inside the canvas")
        );
        let mut scene = Layout::Single.scene((1280, 720), LayerSource::Test);
        scene.layers.push(Layer::new(
            LayerSource::Color {
                color: "red".into(),
            },
            Rect::FULL,
        ));
        assert!(
            scene
                .validate()
                .unwrap_err()
                .to_string()
                .contains("#RRGGBB")
        );
        let mut scene = Layout::Single.scene((1280, 720), LayerSource::Test);
        scene.layers[0].source = LayerSource::Image {
            path: "/nowhere/photo.png".into(),
        };
        assert!(
            scene
                .validate()
                .unwrap_err()
                .to_string()
                .contains("/nowhere/photo.png")
        );
        let mut scene = Layout::Single.scene((1280, 720), LayerSource::Test);
        scene.layers[0].crop.left = 0.7;
        assert!(scene.validate().unwrap_err().to_string().contains("crop"));
        let mut scene = Layout::Single.scene((1280, 720), LayerSource::Test);
        scene.layers.push(scene.layers[0].clone());
        assert!(
            scene
                .validate()
                .unwrap_err()
                .to_string()
                .contains("camera twice")
        );
        assert!(
            Scene::from_json("{\"name\": 3}")
                .unwrap_err()
                .to_string()
                .contains("scenes show")
        );
        assert_eq!(parse_color("#1e1E1E").unwrap(), [30, 30, 30]);
    }

    #[test]
    fn a_scene_reads_back_from_its_json() {
        let scene = Layout::SideBySide.scene(
            (1920, 1080),
            LayerSource::Color {
                color: "#FF8800".into(),
            },
        );
        let text = serde_json::to_string_pretty(&scene).unwrap();
        assert_eq!(Scene::from_json(&text).unwrap(), scene);
        // Optional fields may be left out of a hand-written file.
        let short = r##"{"name":"x","width":720,"height":1280,"layers":[{"source":{"kind":"camera"},"rect":{"x":0,"y":0,"w":1,"h":1}}]}"##;
        let scene = Scene::from_json(short).unwrap();
        assert_eq!(scene.layers[0].opacity, 1.0);
        assert_eq!(scene.background, "#000000");
    }
}
