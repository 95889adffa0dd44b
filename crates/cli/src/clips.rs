//! `anchordesk clips`: per-product clips (切片) cut from a recording at its product markers.

use std::path::PathBuf;

use anchordesk_capture::{cut_clips, product_clips, read_markers, sidecar_path};
use anyhow::Context;

/// Arguments of `anchordesk clips`.
#[derive(clap::Args, Debug)]
pub struct ClipsArgs {
    /// The recording, as `anchordesk record` or the app left it.
    recording: PathBuf,
    /// The marker sidecar [default: RECORDING.markers.json next to the recording].
    #[arg(long, value_name = "FILE")]
    markers: Option<PathBuf>,
    /// Where the clips go [default: a folder NAME-clips next to the recording].
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
    /// Print the clips as JSON instead of one line each.
    #[arg(long)]
    json: bool,
}

/// Runs `anchordesk clips`: one clip per product marker, by stream copy. Returns 1 when
/// the recording has no product markers, so there is nothing to cut.
pub fn run(args: ClipsArgs) -> anyhow::Result<u8> {
    let markers_path = args
        .markers
        .clone()
        .unwrap_or_else(|| sidecar_path(&args.recording));
    let markers = read_markers(&markers_path).with_context(|| {
        format!(
            "reading the product markers of {}",
            args.recording.display()
        )
    })?;
    let requests = product_clips(&markers);
    if requests.is_empty() {
        eprintln!(
            "{} has no product markers: nothing to cut",
            markers_path.display()
        );
        return Ok(1);
    }
    let out_dir = args.out.clone().unwrap_or_else(|| {
        let mut name = args
            .recording
            .file_stem()
            .map(|s| s.to_os_string())
            .unwrap_or_default();
        name.push("-clips");
        args.recording.with_file_name(name)
    });
    let clips = cut_clips(&args.recording, &out_dir, &requests).with_context(|| {
        format!(
            "cutting {} clips from {} into {}",
            requests.len(),
            args.recording.display(),
            out_dir.display()
        )
    })?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&clips)?);
        return Ok(0);
    }
    for clip in &clips {
        println!(
            "{}\t{:.1}–{:.1} s ({:.1} s, {:.1} MB)\t{}{}",
            clip.path.display(),
            clip.start_ms as f64 / 1000.0,
            clip.end_ms as f64 / 1000.0,
            clip.duration_ms as f64 / 1000.0,
            clip.bytes as f64 / 1_000_000.0,
            clip.label,
            clip.sku
                .as_deref()
                .map(|sku| format!(" [{sku}]"))
                .unwrap_or_default()
        );
    }
    Ok(0)
}
