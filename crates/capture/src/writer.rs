//! The recording: one thread owns the muxer, writes every packet, and feeds the push.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, Sender, TrySendError};
use ffmpeg_next::{self as ffmpeg, Dictionary, Rational, Rescale, codec, format};

use crate::CaptureError;
use crate::config::Container;
use crate::marker::{self, Marker};
use crate::pipeline::{Shared, StopReason, WriterMsg};
use crate::push::PushMsg;
use crate::stats::Counters;

/// Codec parameters and the encoder time base of one stream.
#[derive(Clone)]
pub(crate) struct StreamSetup {
    pub params: codec::Parameters,
    pub time_base: Rational,
}

/// What a finished recording holds.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct RecordingSummary {
    #[cfg_attr(feature = "specta", specta(type = String))]
    pub path: PathBuf,
    #[cfg_attr(feature = "specta", specta(type = String))]
    pub sidecar: PathBuf,
    pub duration_ms: u32,
    #[cfg_attr(feature = "specta", specta(type = f64))]
    pub bytes: u64,
    pub video_frames: u32,
    pub skipped_frames: u32,
    pub dropped_frames: u32,
    pub push_reconnects: u32,
    /// Markers closed at stop, as written to the sidecar.
    pub markers: Vec<Marker>,
    /// Chapters were written into the recording itself.
    pub chapters_in_file: bool,
    pub stop_reason: StopReason,
}

pub(crate) struct Recording {
    octx: format::context::Output,
    path: PathBuf,
    container: Container,
    video_enc_tb: Rational,
    audio_enc_tb: Rational,
}

/// Sets the muxer-side codec tag to 0 so each container picks its own.
fn clear_codec_tag(stream: &mut format::stream::StreamMut<'_>) {
    unsafe {
        (*(*stream.as_mut_ptr()).codecpar).codec_tag = 0;
    }
}

pub(crate) fn add_streams(
    octx: &mut format::context::Output,
    video: &StreamSetup,
    audio: &StreamSetup,
) -> Result<(), ffmpeg::Error> {
    for setup in [video, audio] {
        let mut stream = octx.add_stream(None::<ffmpeg::Codec>)?;
        stream.set_parameters(setup.params.clone());
        stream.set_time_base(setup.time_base);
        clear_codec_tag(&mut stream);
    }
    Ok(())
}

/// Creates the recording file and writes its header.
pub(crate) fn open_recording(
    path: &Path,
    container: Container,
    video: &StreamSetup,
    audio: &StreamSetup,
) -> Result<Recording, CaptureError> {
    let name = match container {
        Container::Mp4 => "mp4",
        Container::Mkv => "matroska",
    };
    let not_writable = |e: ffmpeg::Error| CaptureError::OutputNotWritable {
        path: path.to_owned(),
        message: e.to_string(),
    };
    let mut octx = format::output_as(path, name).map_err(not_writable)?;
    let result = (|| {
        add_streams(&mut octx, video, audio)
            .map_err(CaptureError::ffmpeg("adding recording streams"))?;
        let mut opts = Dictionary::new();
        // Hand every packet to the OS at once: a kill -9 then loses nothing the muxer wrote.
        opts.set("flush_packets", "1");
        match container {
            Container::Mp4 => {
                // Fragments every keyframe or half second, each self-contained: a crash
                // keeps everything up to the last fragment.
                opts.set("movflags", "frag_keyframe+empty_moov+default_base_moof");
                opts.set("frag_duration", "500000");
            }
            Container::Mkv => {
                // Matroska holds a cluster in memory until it closes.
                opts.set("cluster_time_limit", "500");
            }
        }
        octx.write_header_with(opts)
            .map_err(CaptureError::ffmpeg("writing the recording header"))?;
        Ok(())
    })();
    if let Err(e) = result {
        drop(octx);
        let _ = std::fs::remove_file(path);
        return Err(e);
    }
    Ok(Recording {
        octx,
        path: path.to_owned(),
        container,
        video_enc_tb: video.time_base,
        audio_enc_tb: audio.time_base,
    })
}

impl Recording {
    fn write(
        &mut self,
        mut packet: codec::packet::Packet,
        video: bool,
    ) -> Result<(), ffmpeg::Error> {
        let (index, enc_tb) = if video {
            (0, self.video_enc_tb)
        } else {
            (1, self.audio_enc_tb)
        };
        let stream_tb = self
            .octx
            .stream(index)
            .expect("recording has a video and an audio stream")
            .time_base();
        packet.rescale_ts(enc_tb, stream_tb);
        packet.set_stream(index);
        packet.set_position(-1);
        packet.write_interleaved(&mut self.octx)
    }
}

/// Options for the end of a recording.
pub(crate) struct Finish {
    pub remux_mp4: bool,
    /// A second canvas's encoder sends packets too: wait for its end.
    pub second_canvas: bool,
}

pub(crate) fn writer_thread(
    mut recording: Recording,
    rx: Receiver<WriterMsg>,
    pushes: Vec<(Sender<PushMsg>, bool)>,
    shared: Arc<Shared>,
    finish: Finish,
) -> Result<RecordingSummary, CaptureError> {
    let c = &shared.counters;
    let (mut video_done, mut audio_done) = (false, false);
    let mut second_done = !finish.second_canvas;
    // Per destination: a packet was lost for it, so it waits for the next keyframe.
    let mut push_gap = vec![false; pushes.len()];
    let mut write_failed: Option<ffmpeg::Error> = None;
    let mut last_video_end_us: i64 = 0;
    let mut video_frames: u32 = 0;
    let sync_file = std::fs::OpenOptions::new()
        .append(true)
        .open(&recording.path)
        .ok();
    let mut last_sync = Instant::now();
    while !(video_done && audio_done && second_done) {
        let Ok(msg) = rx.recv() else { break };
        // Which picture a video packet is of: the recording's (first canvas) or the second's.
        let (packet, video, second) = match msg {
            WriterMsg::Video(p) => (p, true, false),
            WriterMsg::Audio(p) => (p, false, false),
            WriterMsg::SecondVideo(p) => (p, true, true),
            WriterMsg::VideoEnd => {
                video_done = true;
                continue;
            }
            WriterMsg::AudioEnd => {
                audio_done = true;
                continue;
            }
            WriterMsg::SecondVideoEnd => {
                second_done = true;
                // No more of the second picture (its encoder gave up, or the end): its pushes
                // end with what they have queued; the others and the recording go on.
                for (push, on_second) in &pushes {
                    if *on_second {
                        let _ = push.try_send(PushMsg::End);
                    }
                }
                continue;
            }
        };
        if !second {
            Counters::add(&c.encoded_bytes, packet.size() as u64);
        }
        if video && !second {
            video_frames += 1;
            let tb = recording.video_enc_tb;
            if let Some(pts) = packet.pts() {
                let end = (pts + packet.duration()).rescale(tb, Rational::new(1, 1_000_000));
                last_video_end_us = last_video_end_us.max(end);
            }
        }
        for (i, (push, on_second)) in pushes.iter().enumerate() {
            if video && *on_second != second {
                continue;
            }
            // A packet lost for a push breaks decoding until the next keyframe, so after a
            // drop that push waits for one (the way OBS drops frames). Each destination has
            // its own queue: one that falls behind never holds back another.
            let dropped = &shared.destinations[i].dropped;
            if push_gap[i] && video && packet.is_key() {
                push_gap[i] = false;
            }
            if push_gap[i] {
                Counters::add(dropped, 1);
                continue;
            }
            match push.try_send(PushMsg::Packet {
                video,
                packet: packet.clone(),
            }) {
                Ok(()) | Err(TrySendError::Disconnected(_)) => {}
                Err(TrySendError::Full(_)) => {
                    push_gap[i] = true;
                    Counters::add(dropped, 1);
                }
            }
        }
        if second {
            continue;
        }
        if write_failed.is_none()
            && let Err(e) = recording.write(packet, video)
        {
            tracing::error!(%e, path = %recording.path.display(), "recording write failed; stopping");
            let full = matches!(e, ffmpeg::Error::Other { errno } if is_disk_full(errno));
            let reason = if full {
                StopReason::DiskFull
            } else {
                StopReason::WriteFailed
            };
            shared.request_stop(reason);
            write_failed = Some(e);
        }
        if last_sync.elapsed() > Duration::from_secs(5) {
            // Power loss, not just a crash: push what the OS holds to the disk now and then.
            if let Some(f) = &sync_file {
                let _ = f.sync_data();
            }
            last_sync = Instant::now();
        }
    }
    for (push, _) in pushes {
        // Never wait for a push here: it may be inside a reconnect attempt. Closing
        // the channel ends it once it has sent what is queued.
        let _ = push.try_send(PushMsg::End);
    }

    let duration_ms = (last_video_end_us / 1000).max(0) as u32;
    let markers = marker::close(
        &shared.markers.lock().unwrap_or_else(|p| p.into_inner()),
        duration_ms,
    );
    let mut chapters_in_file = false;
    if recording.container == Container::Mkv {
        for (i, m) in markers.iter().enumerate() {
            let end = m.end_ms.unwrap_or(m.start_ms);
            if recording
                .octx
                .add_chapter(
                    i as i64 + 1,
                    Rational::new(1, 1000),
                    m.start_ms as i64,
                    end as i64,
                    chapter_title(m),
                )
                .is_ok()
            {
                chapters_in_file = true;
            }
        }
    }
    let trailer = recording.octx.write_trailer();
    let path = recording.path.clone();
    drop(recording);
    if let Some(f) = &sync_file {
        let _ = f.sync_all();
    }
    if let Some(e) = write_failed {
        // The markers matter most when the recording is cut short; the sidecar is small.
        if let Err(sidecar_error) = marker::write_sidecar(&path, duration_ms, &markers) {
            tracing::error!(%sidecar_error, "cannot write the markers sidecar either");
        }
        if shared.stop_reason() == StopReason::DiskFull {
            return Err(CaptureError::DiskFull { path });
        }
        return Err(CaptureError::Ffmpeg {
            context: format!("writing {}", path.display()),
            source: e,
        });
    }
    trailer.map_err(CaptureError::ffmpeg(format!(
        "finishing {}",
        path.display()
    )))?;
    if finish.remux_mp4 && Container::for_path(&path) == Container::Mp4 {
        match remux_with_chapters(&path, &markers) {
            Ok(()) => chapters_in_file = !markers.is_empty(),
            Err(e) => {
                tracing::warn!(%e, "kept the fragmented MP4; chapters are in the sidecar only")
            }
        }
    }
    let sidecar = marker::write_sidecar(&path, duration_ms, &markers)?;
    let bytes = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
    Ok(RecordingSummary {
        path,
        sidecar,
        duration_ms,
        bytes,
        video_frames,
        skipped_frames: Counters::get(&c.frames_skipped) as u32,
        dropped_frames: shared.push_dropped() as u32,
        push_reconnects: shared.push_reconnects() as u32,
        markers,
        chapters_in_file,
        stop_reason: shared.stop_reason(),
    })
}

/// ENOSPC, or the file system's (or the process's) size limit, or a quota: no more room
/// either way.
fn is_disk_full(errno: i32) -> bool {
    #[cfg(unix)]
    let quota = errno == libc::EDQUOT;
    #[cfg(not(unix))]
    let quota = false;
    errno == libc::ENOSPC || errno == libc::EFBIG || quota
}

fn chapter_title(m: &Marker) -> String {
    match &m.sku {
        Some(sku) => format!("{} [{sku}]", m.label),
        None => m.label.clone(),
    }
}

/// Rewrites a fragmented MP4 as a plain MP4 with chapters, replacing it only when the
/// copy is complete.
pub(crate) fn remux_with_chapters(path: &Path, markers: &[Marker]) -> Result<(), CaptureError> {
    let size = std::fs::metadata(path)
        .map_err(CaptureError::io(format!("reading {}", path.display())))?
        .len();
    if let Some(free) = crate::disk::available_bytes(path)
        && free < size + 64 * 1024 * 1024
    {
        return Err(CaptureError::DiskSpace {
            path: path.to_owned(),
            needed_mb: size / 1_000_000 + 64,
            available_mb: free / 1_000_000,
        });
    }
    let tmp = path.with_extension("remux.mp4");
    let result = (|| {
        let mut ictx = format::input(path)
            .map_err(CaptureError::ffmpeg(format!("reading {}", path.display())))?;
        let mut octx = format::output_as(&tmp, "mp4")
            .map_err(CaptureError::ffmpeg(format!("creating {}", tmp.display())))?;
        let mut time_bases = Vec::new();
        for ist in ictx.streams() {
            let mut ost = octx
                .add_stream(None::<ffmpeg::Codec>)
                .map_err(CaptureError::ffmpeg("adding a stream"))?;
            ost.set_parameters(ist.parameters());
            ost.set_time_base(ist.time_base());
            clear_codec_tag(&mut ost);
            time_bases.push(ist.time_base());
        }
        for (i, m) in markers.iter().enumerate() {
            let end = m.end_ms.unwrap_or(m.start_ms);
            octx.add_chapter(
                i as i64 + 1,
                Rational::new(1, 1000),
                m.start_ms as i64,
                end as i64,
                chapter_title(m),
            )
            .map_err(CaptureError::ffmpeg("adding a chapter"))?;
        }
        octx.write_header()
            .map_err(CaptureError::ffmpeg("writing the MP4 header"))?;
        loop {
            // Not ictx.packets(): it retries forever on a read error that is not EOF.
            let mut packet = codec::packet::Packet::empty();
            match packet.read(&mut ictx) {
                Ok(()) => {}
                Err(ffmpeg::Error::Eof) => break,
                Err(e) => {
                    return Err(CaptureError::Ffmpeg {
                        context: format!("reading {}", path.display()),
                        source: e,
                    });
                }
            }
            let i = packet.stream();
            let ost_tb = octx
                .stream(i)
                .expect("same streams as the input")
                .time_base();
            packet.rescale_ts(time_bases[i], ost_tb);
            packet.set_position(-1);
            packet.set_stream(i);
            packet
                .write_interleaved(&mut octx)
                .map_err(CaptureError::ffmpeg("copying a packet"))?;
        }
        octx.write_trailer()
            .map_err(CaptureError::ffmpeg("writing the MP4 index"))?;
        Ok(())
    })();
    match result {
        Ok(()) => {
            if let Ok(f) = std::fs::File::open(&tmp) {
                let _ = f.sync_all();
            }
            std::fs::rename(&tmp, path)
                .map_err(CaptureError::io(format!("replacing {}", path.display())))
        }
        Err(e) => {
            let _ = std::fs::remove_file(&tmp);
            Err(e)
        }
    }
}
