//! `anchordesk scenes` and the `--scene`, `--canvas` and `--close-up` options of
//! `anchordesk record`: the layouts to start from, and scenes read from files.

use std::path::Path;

use anchordesk_capture::{CANVASES, InputSpec, LayerSource, Layout, Scene};
use anyhow::{Context, bail};

/// `anchordesk scenes …`
#[derive(clap::Subcommand, Debug)]
pub enum ScenesCommand {
    /// The layouts to start from and the scenes saved in this data directory.
    List,
    /// A layout, a saved scene or a scene file as JSON, to edit and pass to
    /// `record --scene FILE` or `scenes save`.
    Show {
        /// A layout (`single`, `pip`, `split`, `portrait`, or 单机位, 人+商品特写, 左右分屏,
        /// 竖屏全身), a saved scene's name, or a scene file.
        scene: String,
        #[command(flatten)]
        options: SceneOptions,
    },
    /// Saves a scene file into the library under its name (the window's Settings → Scenes
    /// and `live run --scene` use it).
    Save { file: std::path::PathBuf },
    /// Deletes a saved scene.
    Delete { name: String },
    /// The desk's second picture (第二画面): a scene composed beside the broadcast's from the
    /// same sources, for the pushes set to it (`destinations add --second`, or --platform for
    /// the platform's ingest) while the recording keeps the broadcast's. Without a name, says
    /// what it is.
    Second {
        /// A layout or saved scene (竖屏全身 for viewers on phones).
        scene: Option<String>,
        /// The platform's ingest (or a URL typed in its place) takes the second picture.
        #[arg(long, requires = "scene")]
        platform: bool,
        /// No second picture.
        #[arg(long, conflicts_with = "scene")]
        none: bool,
    },
}

/// How a layout is turned into a scene.
#[derive(clap::Args, Debug, Default)]
pub struct SceneOptions {
    /// The canvas, WIDTHxHEIGHT: 1920x1080, 1280x720, 1080x1920 (portrait) or 720x1280.
    #[arg(long)]
    pub canvas: Option<String>,
    /// What fills a layout's second rectangle: `test` (the default), `phone` (a phone
    /// pushing SRT to the desk), a picture file (.png, .jpg, .webp), a colour `#RRGGBB`, or
    /// an input such as `v4l2:/dev/video2`.
    #[arg(long)]
    pub close_up: Option<String>,
}

/// Parses `WIDTHxHEIGHT`.
pub fn parse_canvas(text: &str) -> anyhow::Result<(u32, u32)> {
    let sizes: Vec<String> = CANVASES.iter().map(|(w, h)| format!("{w}x{h}")).collect();
    let hint = || format!("the canvas must look like {}", sizes.join(", "));
    let (w, h) = text.split_once('x').with_context(hint)?;
    Ok((w.parse().with_context(hint)?, h.parse().with_context(hint)?))
}

/// A layout's second rectangle from `--close-up`.
fn close_up(spec: Option<&str>) -> anyhow::Result<LayerSource> {
    let Some(spec) = spec else {
        return Ok(LayerSource::Test);
    };
    let lower = spec.to_ascii_lowercase();
    if spec == "phone" {
        return Ok(LayerSource::Phone);
    }
    Ok(if spec == "test" {
        LayerSource::Test
    } else if spec.starts_with('#') {
        anchordesk_capture::parse_color(spec)?;
        LayerSource::Color {
            color: spec.to_owned(),
        }
    } else if [".png", ".jpg", ".jpeg", ".webp", ".bmp"]
        .iter()
        .any(|ext| lower.ends_with(ext))
    {
        if !Path::new(spec).is_file() {
            bail!("--close-up: the picture {spec} is not there");
        }
        LayerSource::Image { path: spec.into() }
    } else {
        LayerSource::Input {
            input: InputSpec::parse_video(spec),
        }
    })
}

/// The scene `spec` names: a layout, or a JSON file; `--canvas` moves it to another canvas.
pub fn scene_from(spec: &str, options: &SceneOptions) -> anyhow::Result<Scene> {
    let canvas = options.canvas.as_deref().map(parse_canvas).transpose()?;
    let scene = match Layout::find(spec) {
        Some(layout) => layout.scene(
            canvas.unwrap_or(layout.default_canvas()),
            close_up(options.close_up.as_deref())?,
        ),
        None if Path::new(spec).is_file() => {
            if options.close_up.is_some() {
                bail!("--close-up fills a layout; a scene file names its own sources");
            }
            let text = std::fs::read_to_string(spec)
                .with_context(|| format!("reading the scene {spec}"))?;
            let scene =
                Scene::from_json(&text).with_context(|| format!("the scene file {spec}"))?;
            match canvas {
                Some((w, h)) => scene.on_canvas(w, h),
                None => scene,
            }
        }
        None => {
            let keys: Vec<&str> = Layout::ALL.iter().map(|l| l.key()).collect();
            bail!(
                "no layout or scene file {spec:?}; use one of {} or a file made with `anchordesk scenes show`",
                keys.join(", ")
            )
        }
    };
    scene.validate()?;
    Ok(scene)
}

/// Runs `anchordesk scenes`.
pub fn run(data_dir: &Path, command: ScenesCommand) -> anyhow::Result<u8> {
    match command {
        ScenesCommand::List => {
            for layout in Layout::ALL {
                let (w, h) = layout.default_canvas();
                println!("{}\t{}\t{w}x{h}\t{}", layout.key(), layout.name_zh(), layout.describe());
            }
            let store = crate::open_store(data_dir)?;
            for entry in anchordesk_live::scenes::library(&store)?.into_iter().filter(|e| !e.builtin) {
                let s = entry.scene;
                println!("saved\t{}\t{}x{}\t{} layers", s.name, s.width, s.height, s.layers.len());
            }
        }
        ScenesCommand::Show { scene, options } => {
            let store = crate::open_store(data_dir)?;
            let saved = anchordesk_live::scenes::library(&store)?.into_iter().find(|e| !e.builtin && e.scene.name == scene);
            let scene = match saved {
                Some(entry) => entry.scene,
                None => scene_from(&scene, &options)?,
            };
            println!("{}", serde_json::to_string_pretty(&scene)?);
        }
        ScenesCommand::Save { file } => {
            let text = std::fs::read_to_string(&file).with_context(|| format!("reading {}", file.display()))?;
            let scene = Scene::from_json(&text).with_context(|| format!("the scene file {}", file.display()))?;
            let name = scene.name.clone();
            let mut store = crate::open_store(data_dir)?;
            anchordesk_live::scenes::save(&mut store, scene).with_context(|| format!("saving the scene {name:?}"))?;
            println!("saved {name}");
        }
        ScenesCommand::Second { scene, platform, none } => {
            let mut store = crate::open_store(data_dir)?;
            let settings = if scene.is_some() || none {
                anchordesk_live::scenes::set_second_picture(&mut store, scene.as_deref(), platform).map_err(|err| match err {
                    anchordesk_core::StoreError::Invalid(_) => anyhow::anyhow!(
                        "no scene {:?}: use a layout or a saved scene (`anchordesk scenes list`)",
                        scene.clone().unwrap_or_default()
                    ),
                    other => other.into(),
                })?
            } else {
                store.capture_settings()?
            };
            match &settings.second_scene {
                Some(name) => {
                    let to = if settings.platform_on_second { "the platform's ingest and " } else { "" };
                    println!("second picture: {name}, pushed to {to}the destinations set to it");
                }
                None => println!("no second picture"),
            }
        }
        ScenesCommand::Delete { name } => {
            let mut store = crate::open_store(data_dir)?;
            anchordesk_live::scenes::delete(&mut store, &name).with_context(|| format!("deleting the scene {name:?}"))?;
            println!("deleted {name}");
        }
    }
    Ok(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn close_ups_are_read_by_their_shape() {
        assert_eq!(close_up(None).unwrap(), LayerSource::Test);
        assert_eq!(
            close_up(Some("#FF8800")).unwrap(),
            LayerSource::Color {
                color: "#FF8800".into()
            }
        );
        assert!(close_up(Some("#FF88")).is_err());
        assert!(
            close_up(Some("/nowhere/a.png"))
                .unwrap_err()
                .to_string()
                .contains("not there")
        );
        assert!(matches!(
            close_up(Some("v4l2:/dev/video2")).unwrap(),
            LayerSource::Input { .. }
        ));
        assert_eq!(parse_canvas("1080x1920").unwrap(), (1080, 1920));
        assert!(
            parse_canvas("big")
                .unwrap_err()
                .to_string()
                .contains("1080x1920")
        );
    }
}
