//! Per-product clips (切片): parts of a finished recording copied out without re-encoding.
//!
//! A clip is a stream copy (remux), so cutting one costs reading and writing its bytes
//! and nothing more, and the clip looks exactly like the recording. The price is that
//! **a clip starts at a keyframe**: the cut moves back to the last video keyframe at or
//! before the requested start (at most one keyframe interval early, see
//! [`crate::VideoSettings::keyframe_interval_s`]), and the clip's timestamps start at 0
//! there. The end is exact to within a few frames: every frame shown before the
//! requested end is kept, plus the B-frames' references it needs. Audio follows the
//! video's actual start and end.
//!
//! Video and audio streams are copied. Data streams such as the recording's chapter
//! track are not, because the recording's chapters mean nothing inside a clip, and
//! neither are subtitles, which MP4 takes only as `mov_text`.

use std::path::{Path, PathBuf};

use ffmpeg_next::{self as ffmpeg, Rational, Rescale, codec, format, media};

use crate::{CaptureError, Marker, MarkerKind};

/// One clip to cut, in media time of the recording: milliseconds from its first video
/// frame, the time [`Marker`]s are stamped with.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct ClipRequest {
    /// The product's name; it also names the file when there is no SKU.
    pub label: String,
    pub sku: Option<String>,
    pub start_ms: u32,
    /// Past the end of the recording means up to its end.
    pub end_ms: u32,
}

/// A clip written to disk.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct Clip {
    #[cfg_attr(feature = "specta", specta(type = String))]
    pub path: PathBuf,
    pub label: String,
    pub sku: Option<String>,
    /// Where the clip really starts in the recording: the keyframe at or before the
    /// requested start.
    pub start_ms: u32,
    /// Where the clip's video really ends in the recording.
    pub end_ms: u32,
    pub duration_ms: u32,
    #[cfg_attr(feature = "specta", specta(type = f64))]
    pub bytes: u64,
}

/// One request per product marker, in start order, for [`cut_clips`].
///
/// A product marker that is still open (no `end_ms`) runs to the end of the recording;
/// one that lasts no time at all (two product switches in the same millisecond) is left
/// out.
pub fn product_clips(markers: &[Marker]) -> Vec<ClipRequest> {
    let mut products: Vec<&Marker> = markers
        .iter()
        .filter(|m| m.kind == MarkerKind::Product)
        .collect();
    products.sort_by_key(|m| m.start_ms);
    products
        .into_iter()
        .map(|m| ClipRequest {
            label: m.label.clone(),
            sku: m.sku.clone(),
            start_ms: m.start_ms,
            end_ms: m.end_ms.unwrap_or(u32::MAX),
        })
        .filter(|r| r.end_ms > r.start_ms)
        .collect()
}

/// Reads the markers from a recording's sidecar (`NAME.markers.json`, see
/// [`crate::sidecar_path`]).
pub fn read_markers(sidecar: &Path) -> Result<Vec<Marker>, CaptureError> {
    #[derive(serde::Deserialize)]
    struct Sidecar {
        markers: Vec<Marker>,
    }
    let context = || format!("reading the markers {}", sidecar.display());
    let bytes = std::fs::read(sidecar).map_err(CaptureError::io(context()))?;
    let parsed: Sidecar = serde_json::from_slice(&bytes).map_err(|e| CaptureError::Io {
        context: context(),
        source: std::io::Error::new(std::io::ErrorKind::InvalidData, e),
    })?;
    Ok(parsed.markers)
}

/// The file name of the clip at `clip_idx` (from 0) out of `n_clips`:
/// `01-SAMPLE-ORANGE-5KG.mp4`, from the SKU, else from the label.
///
/// The name is valid on Linux, macOS and Windows: path separators, `<>:"|?*`, control
/// characters and spaces become `-`, and the number in front rules out Windows' reserved
/// names (`CON`, `NUL`). Letters of any script are kept, so a label like 赣南脐橙 stays
/// readable.
pub fn clip_file_name(clip_idx: usize, n_clips: usize, request: &ClipRequest) -> String {
    let source = request
        .sku
        .as_deref()
        .filter(|s| !s.trim().is_empty())
        .unwrap_or(&request.label);
    let mut slug = String::new();
    for c in source.chars() {
        let keep = c.is_alphanumeric() || c == '_' || c == '.';
        if keep {
            slug.push(c);
        } else if !slug.ends_with('-') {
            slug.push('-');
        }
    }
    // Windows drops trailing dots, and a leading dot hides a file on Unix.
    let slug: String = slug
        .trim_matches(|c| c == '-' || c == '.')
        .chars()
        .take(60)
        .collect();
    let slug = slug.trim_end_matches(['-', '.']);
    let slug = if slug.is_empty() { "clip" } else { slug };
    let width = n_clips.to_string().len().max(2);
    format!("{:0width$}-{slug}.mp4", clip_idx + 1)
}

/// Cuts each request out of `recording` into `out_dir` (created if missing) as an MP4,
/// by stream copy; returns the clips in request order, named by [`clip_file_name`].
///
/// **A clip starts at the video keyframe at or before its requested start** (stream copy
/// cannot start elsewhere), so it may begin up to one keyframe interval early; its
/// timestamps start at 0 there, and [`Clip::start_ms`] says where it really began. It
/// ends within a few frames after the requested end, or at the end of the recording.
/// Video and audio are copied; chapters, data and subtitle tracks are not.
///
/// All or nothing: the clips are written under temporary names (`NAME.mp4.part`) and
/// renamed only when every one is complete, replacing files of the same name; on error
/// no temporary file is left behind. Blocks while it copies (a few milliseconds per
/// megabyte); call it from a blocking task.
///
/// # Errors
/// [`CaptureError::Io`] when the recording is missing or `out_dir` cannot be written,
/// [`CaptureError::Ffmpeg`] when the recording is not a readable media file or has no
/// video, [`CaptureError::BadConfig`] for an empty request (end not after start) or one
/// that starts after the recording ends.
pub fn cut_clips(
    recording: &Path,
    out_dir: &Path,
    clips: &[ClipRequest],
) -> Result<Vec<Clip>, CaptureError> {
    crate::init();
    for (clip_idx, request) in clips.iter().enumerate() {
        if request.end_ms <= request.start_ms {
            return Err(CaptureError::BadConfig(format!(
                "clip {} ({:?}) is empty: it ends at {} ms, not after its start at {} ms",
                clip_idx + 1,
                request.label,
                request.end_ms,
                request.start_ms
            )));
        }
    }
    std::fs::metadata(recording).map_err(CaptureError::io(format!(
        "opening the recording {}",
        recording.display()
    )))?;
    let mut source = Source::open(recording)?;
    if let Some(duration_ms) = source.duration_ms
        && let Some((clip_idx, request)) = clips
            .iter()
            .enumerate()
            .find(|(_, r)| r.start_ms >= duration_ms)
    {
        return Err(CaptureError::BadConfig(format!(
            "clip {} ({:?}) starts at {} ms, after the recording {} ends at {duration_ms} ms",
            clip_idx + 1,
            request.label,
            request.start_ms,
            recording.display()
        )));
    }
    std::fs::create_dir_all(out_dir).map_err(CaptureError::io(format!(
        "creating the clip folder {}",
        out_dir.display()
    )))?;

    // Every temporary file is listed before it is created, so that a failure half-way
    // removes it too.
    let mut tmps: Vec<PathBuf> = Vec::new();
    let result = (|| {
        let mut done = Vec::new();
        for (clip_idx, request) in clips.iter().enumerate() {
            let path = out_dir.join(clip_file_name(clip_idx, clips.len(), request));
            let mut tmp_name = path
                .file_name()
                .expect("clip names are file names")
                .to_owned();
            tmp_name.push(".part");
            let tmp = path.with_file_name(tmp_name);
            tmps.push(tmp.clone());
            let (start_ms, end_ms) = source.copy(request, &tmp)?;
            let bytes = std::fs::metadata(&tmp)
                .map_err(CaptureError::io(format!("reading {}", tmp.display())))?
                .len();
            done.push(Clip {
                path,
                label: request.label.clone(),
                sku: request.sku.clone(),
                start_ms,
                end_ms,
                duration_ms: end_ms.saturating_sub(start_ms),
                bytes,
            });
        }
        for (tmp, clip) in tmps.iter().zip(&done) {
            std::fs::rename(tmp, &clip.path)
                .map_err(CaptureError::io(format!("renaming {}", tmp.display())))?;
        }
        Ok(done)
    })();
    if result.is_err() {
        for tmp in &tmps {
            let _ = std::fs::remove_file(tmp);
        }
    }
    result
}

/// The open recording and what every clip needs to know about it.
struct Source {
    ictx: format::context::Input,
    path: PathBuf,
    video: usize,
    video_tb: Rational,
    /// The video stream's first timestamp: media time 0.
    origin: i64,
    duration_ms: Option<u32>,
    /// Streams that go into clips, with their time bases.
    copied: Vec<(usize, Rational)>,
}

impl Source {
    fn open(path: &Path) -> Result<Source, CaptureError> {
        let ictx = format::input(path).map_err(CaptureError::ffmpeg(format!(
            "reading the recording {}",
            path.display()
        )))?;
        let video =
            ictx.streams()
                .best(media::Type::Video)
                .ok_or_else(|| CaptureError::Ffmpeg {
                    context: format!("the recording {} has no video stream", path.display()),
                    source: ffmpeg::Error::StreamNotFound,
                })?;
        let (video_idx, video_tb) = (video.index(), video.time_base());
        let origin = match video.start_time() {
            ffmpeg::ffi::AV_NOPTS_VALUE => 0,
            t => t,
        };
        let duration_ms = match ictx.duration() {
            d if d <= 0 => None,
            d => Some(
                d.rescale(ffmpeg::rescale::TIME_BASE, MS)
                    .min(u32::MAX as i64) as u32,
            ),
        };
        let copied = ictx
            .streams()
            .filter(|s| {
                matches!(
                    s.parameters().medium(),
                    media::Type::Video | media::Type::Audio
                ) && !s
                    .disposition()
                    .contains(format::stream::Disposition::ATTACHED_PIC)
            })
            .map(|s| (s.index(), s.time_base()))
            .collect();
        Ok(Source {
            ictx,
            path: path.to_owned(),
            video: video_idx,
            video_tb,
            origin,
            duration_ms,
            copied,
        })
    }

    fn read_error(&self) -> impl FnOnce(ffmpeg::Error) -> CaptureError {
        CaptureError::ffmpeg(format!("reading the recording {}", self.path.display()))
    }

    /// Copies one request into a new MP4 at `tmp`; returns the actual (start, end) in ms.
    fn copy(&mut self, request: &ClipRequest, tmp: &Path) -> Result<(u32, u32), CaptureError> {
        let start = self.origin + i64::from(request.start_ms).rescale(MS, self.video_tb);
        let end = self.origin + i64::from(request.end_ms).rescale(MS, self.video_tb);
        let seek_to = start.rescale(self.video_tb, ffmpeg::rescale::TIME_BASE);
        // The last keyframe at or before the start; the loop below still checks, because
        // a demuxer may land earlier (never later) than asked.
        self.ictx
            .seek(seek_to, ..seek_to)
            .map_err(self.read_error())?;

        let mut octx = format::output_as(tmp, "mp4").map_err(CaptureError::ffmpeg(format!(
            "creating the clip {}",
            tmp.display()
        )))?;
        let mut out_index = vec![None; self.ictx.nb_streams() as usize];
        for (n, (i, _)) in self.copied.iter().enumerate() {
            let ist = self.ictx.stream(*i).expect("copied streams exist");
            let mut ost = octx
                .add_stream(None::<ffmpeg::Codec>)
                .map_err(CaptureError::ffmpeg("adding a clip stream"))?;
            ost.set_parameters(ist.parameters());
            ost.set_time_base(ist.time_base());
            // The input's codec tag may belong to another container (FLV, Matroska); 0
            // lets the MP4 muxer pick its own.
            unsafe {
                (*(*ost.as_mut_ptr()).codecpar).codec_tag = 0;
            }
            out_index[*i] = Some(n);
        }
        let mut metadata = ffmpeg::Dictionary::new();
        metadata.set("title", &request.label);
        if let Some(sku) = &request.sku {
            metadata.set("comment", sku);
        }
        octx.set_metadata(metadata);
        octx.write_header().map_err(CaptureError::ffmpeg(format!(
            "writing the header of {}",
            tmp.display()
        )))?;

        let mut cut = Cut {
            video: self.video,
            video_tb: self.video_tb,
            start,
            end,
            key: None,
            pending: Vec::new(),
            video_end: None,
            streams_done: Vec::new(),
            time_bases: self.copied.iter().copied().collect(),
            out_index,
        };
        loop {
            // Not ictx.packets(): it retries forever on a read error that is not EOF.
            let mut packet = codec::packet::Packet::empty();
            match packet.read(&mut self.ictx) {
                Ok(()) => {}
                Err(ffmpeg::Error::Eof) => break,
                Err(e) => return Err(self.read_error()(e)),
            }
            if cut
                .out_index
                .get(packet.stream())
                .copied()
                .flatten()
                .is_none()
            {
                continue;
            }
            if cut.push(packet, &mut octx)? {
                break;
            }
        }
        if cut.video_end.is_none() {
            if cut.key.is_none() {
                return Err(CaptureError::BadConfig(format!(
                    "clip {:?} starts at {} ms, after the last keyframe of the recording {}",
                    request.label,
                    request.start_ms,
                    self.path.display()
                )));
            }
            cut.finish_gop(None, &mut octx)?;
        }
        octx.write_trailer().map_err(CaptureError::ffmpeg(format!(
            "writing the index of {}",
            tmp.display()
        )))?;
        drop(octx);
        if let Ok(f) = std::fs::File::open(tmp) {
            let _ = f.sync_all();
        }
        let key = cut.key.expect("a clip with video has a start keyframe");
        let video_end = cut
            .video_end
            .expect("the last group of pictures was written");
        let to_ms = |ts: i64| {
            (ts - self.origin)
                .rescale(self.video_tb, MS)
                .clamp(0, u32::MAX as i64) as u32
        };
        Ok((to_ms(key), to_ms(video_end)))
    }
}

const MS: Rational = Rational(1, 1000);
const SECOND: Rational = Rational(1, 1);
/// How far past a clip's end packets of other streams may still belong to it: muxers
/// interleave streams within about a second.
const INTERLEAVE_MARGIN_S: i64 = 2;

/// The state of one cut while packets stream through in file order.
///
/// Packets wait in `pending` from the current video keyframe up to the next one: only
/// then is it known whether that group of pictures is the clip's first (a later keyframe
/// may still come before the start) or its last (the end falls inside it). Memory is
/// bounded by one keyframe interval.
struct Cut {
    video: usize,
    video_tb: Rational,
    start: i64,
    end: i64,
    /// The keyframe the clip starts at, in the video time base.
    key: Option<i64>,
    pending: Vec<codec::packet::Packet>,
    /// Set once the video is complete: the end of its last frame.
    video_end: Option<i64>,
    streams_done: Vec<usize>,
    time_bases: std::collections::HashMap<usize, Rational>,
    out_index: Vec<Option<usize>>,
}

impl Cut {
    fn tb(&self, stream: usize) -> Rational {
        self.time_bases[&stream]
    }

    fn pts(packet: &codec::packet::Packet) -> i64 {
        packet.pts().or(packet.dts()).unwrap_or(i64::MIN)
    }

    /// Takes the next packet; returns true when the clip is complete.
    fn push(
        &mut self,
        packet: codec::packet::Packet,
        octx: &mut format::context::Output,
    ) -> Result<bool, CaptureError> {
        let stream = packet.stream();
        let pts = Self::pts(&packet);
        if let Some(video_end) = self.video_end {
            // A sparse stream (subtitles) may have nothing more to say: stop once the
            // file is well past the end, instead of reading it to its end.
            let read_at = packet
                .dts()
                .unwrap_or(pts)
                .rescale(self.tb(stream), self.video_tb);
            if read_at > video_end + INTERLEAVE_MARGIN_S.rescale(SECOND, self.video_tb) {
                return Ok(true);
            }
            // Video is done; other streams run up to where it ended.
            if stream == self.video || self.streams_done.contains(&stream) {
                return Ok(self.all_done());
            }
            let limit = video_end.rescale(self.video_tb, self.tb(stream));
            if pts < limit {
                self.write(packet, octx)?;
            } else {
                self.streams_done.push(stream);
            }
            return Ok(self.all_done());
        }
        if stream != self.video {
            // Before the start keyframe is known everything waits; after, whatever
            // starts before it is left out.
            let before = self
                .key
                .is_some_and(|key| pts < key.rescale(self.video_tb, self.tb(stream)));
            if !before {
                self.pending.push(packet);
            }
            return Ok(false);
        }
        if packet.is_key() {
            match self.key {
                Some(_) if pts > self.start => {
                    // The group of pictures in `pending` is complete.
                    if self.finish_gop(Some(pts), octx)? {
                        return Ok(self.all_done());
                    }
                }
                _ => {
                    // The first keyframe, or a later one still at or before the start:
                    // the clip starts here and everything before it is dropped.
                    self.key = Some(pts);
                    let (video, video_tb) = (self.video, self.video_tb);
                    let time_bases = &self.time_bases;
                    self.pending.retain(|p| {
                        p.stream() != video
                            && Self::pts(p) >= pts.rescale(video_tb, time_bases[&p.stream()])
                    });
                }
            }
            self.pending.push(packet);
        } else if self.key.is_some_and(|key| pts >= key) {
            // Frames before the clip's first keyframe (none yet, or an open GOP's
            // leading B-frames) cannot be decoded in the clip.
            self.pending.push(packet);
        }
        Ok(false)
    }

    fn all_done(&self) -> bool {
        let others = self.time_bases.keys().filter(|&&s| s != self.video).count();
        self.streams_done.len() >= others
    }

    /// Writes the group of pictures in `pending`, which the keyframe at `next_key` (or the
    /// end of the file) closes; returns true when it was the clip's last.
    fn finish_gop(
        &mut self,
        next_key: Option<i64>,
        octx: &mut format::context::Output,
    ) -> Result<bool, CaptureError> {
        let pending = std::mem::take(&mut self.pending);
        let video: Vec<(i64, i64)> = pending
            .iter()
            .filter(|p| p.stream() == self.video)
            .map(|p| (Self::pts(p), p.duration()))
            .collect();
        let last = match next_key {
            Some(next) if next < self.end => {
                // The whole group lies before the end; its frames end at the next keyframe.
                for packet in pending {
                    self.write(packet, octx)?;
                }
                return Ok(false);
            }
            _ => {
                // The end falls in this group. Keep the decode-order prefix holding every
                // frame shown before the end, extended until the frames it holds are
                // contiguous in display order, so that the clip ends without a hole and
                // every B-frame has the later frame it refers to.
                let mut n = video
                    .iter()
                    .rposition(|(pts, _)| *pts < self.end)
                    .map_or(1, |i| i + 1);
                while n < video.len() {
                    let shown = video[..n].iter().map(|v| v.0).max().unwrap_or(i64::MIN);
                    let later = video[n..].iter().map(|v| v.0).min().unwrap_or(i64::MAX);
                    if later > shown {
                        break;
                    }
                    n += 1;
                }
                n
            }
        };
        let video_end = video[..last]
            .iter()
            .map(|(pts, duration)| pts + (*duration).max(0))
            .max()
            .expect("a group of pictures starts with its keyframe");
        self.video_end = Some(video_end);
        let mut n_video = 0;
        for packet in pending {
            let stream = packet.stream();
            if stream == self.video {
                n_video += 1;
                if n_video > last {
                    continue;
                }
            } else if Self::pts(&packet) >= video_end.rescale(self.video_tb, self.tb(stream)) {
                if !self.streams_done.contains(&stream) {
                    self.streams_done.push(stream);
                }
                continue;
            }
            self.write(packet, octx)?;
        }
        Ok(true)
    }

    /// Moves a packet to the clip's time line (the start keyframe at 0) and writes it.
    fn write(
        &self,
        mut packet: codec::packet::Packet,
        octx: &mut format::context::Output,
    ) -> Result<(), CaptureError> {
        let stream = packet.stream();
        let tb = self.tb(stream);
        let offset = self
            .key
            .expect("packets are written only after the start keyframe")
            .rescale(self.video_tb, tb);
        packet.set_pts(packet.pts().map(|t| t - offset));
        packet.set_dts(packet.dts().map(|t| t - offset));
        let out = self.out_index[stream].expect("only copied streams are pushed");
        let out_tb = octx.stream(out).expect("clip stream exists").time_base();
        packet.rescale_ts(tb, out_tb);
        packet.set_stream(out);
        packet.set_position(-1);
        packet
            .write_interleaved(octx)
            .map_err(CaptureError::ffmpeg("writing a clip packet"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(label: &str, sku: Option<&str>) -> ClipRequest {
        ClipRequest {
            label: label.into(),
            sku: sku.map(Into::into),
            start_ms: 0,
            end_ms: 1000,
        }
    }

    #[test]
    fn file_names_are_safe_everywhere() {
        let cases = [
            (
                0,
                3,
                "赣南脐橙",
                Some("SAMPLE-ORANGE-5KG"),
                "01-SAMPLE-ORANGE-5KG.mp4",
            ),
            (1, 3, "五常大米 10斤", None, "02-五常大米-10斤.mp4"),
            (
                2,
                3,
                "a/b\\c:d*e?f\"g<h>i|j",
                None,
                "03-a-b-c-d-e-f-g-h-i-j.mp4",
            ),
            (0, 1, "..hidden..", None, "01-hidden.mp4"),
            (0, 1, "CON", None, "01-CON.mp4"),
            (0, 1, "???", Some("  "), "01-clip.mp4"),
            (0, 1, "x\n\ty", None, "01-x-y.mp4"),
            (9, 120, "茶", Some("TEA/1"), "010-TEA-1.mp4"),
        ];
        for (idx, n, label, sku, expected) in cases {
            assert_eq!(
                clip_file_name(idx, n, &request(label, sku)),
                expected,
                "{label}"
            );
        }
        let long = clip_file_name(0, 1, &request(&"长".repeat(300), None));
        assert_eq!(long.chars().count(), "01-".len() + 60 + ".mp4".len());
        assert!(long.len() < 255, "fits a file name on every file system");
    }

    #[test]
    fn product_markers_become_requests_in_order() {
        let marker = |kind, label: &str, start_ms, end_ms| Marker {
            kind,
            label: label.into(),
            sku: Some(format!("SKU-{label}")),
            start_ms,
            end_ms,
        };
        let requests = product_clips(&[
            marker(MarkerKind::Product, "b", 4000, Some(9000)),
            marker(MarkerKind::Segment, "s", 0, Some(9000)),
            marker(MarkerKind::Product, "a", 1000, Some(4000)),
            marker(MarkerKind::Manual, "m", 2000, Some(2000)),
            marker(MarkerKind::Product, "z", 9000, Some(9000)),
            marker(MarkerKind::Product, "open", 9500, None),
        ]);
        let spans: Vec<(&str, u32, u32)> = requests
            .iter()
            .map(|r| (r.label.as_str(), r.start_ms, r.end_ms))
            .collect();
        assert_eq!(
            spans,
            vec![
                ("a", 1000, 4000),
                ("b", 4000, 9000),
                ("open", 9500, u32::MAX)
            ]
        );
        assert_eq!(requests[0].sku.as_deref(), Some("SKU-a"));
    }
}
