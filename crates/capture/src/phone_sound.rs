//! The phone's sound: the audio of the phone's push, decoded by the phone's source thread
//! and handed to the audio thread, which mixes it with the microphone (see [`crate::sound`]).
//!
//! The two run on different clocks (the phone's and the microphone's), and a phone's push
//! brings its sound in bursts (an MPEG-TS muxer packs about a quarter of a second of AAC at a
//! time: ten or eleven of our frames at once). So the hand-over is a jitter buffer of
//! 1024-sample frames that holds more than a burst: the phone is heard once twelve frames
//! (256 ms) have come, a phone whose clock runs fast loses its oldest frames beyond 48 (1 s),
//! and one that stops sending leaves silence, never an old frame repeated. Frames dropped and
//! gaps heard are counted for the stats.

use std::collections::VecDeque;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use ffmpeg_next::{codec, filter, format, frame, media};

/// Frames gathered before the phone is heard (after silence): more than one burst.
const START_AT: usize = 12;
/// Frames held at most: a second.
const MOST: usize = 48;

#[derive(Default)]
struct Queue {
    frames: VecDeque<frame::Audio>,
    playing: bool,
    last_in: Option<Instant>,
    dropped: u64,
    /// Times it ran dry while heard (a gap of silence until it gathers again).
    underruns: u64,
}

/// Shared by the phone's source thread (which pushes) and the audio thread (which pulls).
#[derive(Default)]
pub(crate) struct PhoneSound {
    queue: Mutex<Queue>,
}

impl PhoneSound {
    fn lock(&self) -> std::sync::MutexGuard<'_, Queue> {
        self.queue.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub(crate) fn push(&self, frame: frame::Audio) {
        let mut queue = self.lock();
        queue.frames.push_back(frame);
        while queue.frames.len() > MOST {
            queue.frames.pop_front();
            queue.dropped += 1;
        }
        queue.last_in = Some(Instant::now());
    }

    /// The next frame to mix, or `None` (silence) while too little has come.
    pub(crate) fn pull(&self) -> Option<frame::Audio> {
        let mut queue = self.lock();
        if !queue.playing {
            if queue.frames.len() < START_AT {
                return None;
            }
            queue.playing = true;
        }
        let next = queue.frames.pop_front();
        if next.is_none() {
            queue.playing = false;
            queue.underruns += 1;
        }
        next
    }

    /// Frames dropped (the phone ahead) and gaps heard (the phone behind), so far.
    pub(crate) fn glitches(&self) -> u64 {
        let queue = self.lock();
        queue.dropped + queue.underruns
    }

    /// The phone sent sound in the last second.
    pub(crate) fn is_live(&self) -> bool {
        self.lock().last_in.is_some_and(|at| at.elapsed() < Duration::from_secs(1))
    }
}

/// The audio stream of a phone's push: its decoder and a converter to the mix's format.
pub(crate) struct SideAudio {
    stream: usize,
    decoder: codec::decoder::Audio,
    graph: filter::Graph,
}

impl SideAudio {
    /// The best audio stream of `input`, when it has one that decodes.
    pub(crate) fn of(input: &format::context::Input) -> Option<SideAudio> {
        let stream = input.streams().best(media::Type::Audio)?;
        let decoder = codec::context::Context::from_parameters(stream.parameters()).and_then(|c| c.decoder().audio());
        let decoder = match decoder {
            Ok(decoder) => decoder,
            Err(e) => {
                tracing::warn!(%e, "the phone's sound does not decode; its picture goes on alone");
                return None;
            }
        };
        match crate::source::audio_graph(&decoder) {
            Ok(graph) => Some(SideAudio { stream: stream.index(), decoder, graph }),
            Err(e) => {
                tracing::warn!(%e, "the phone's sound cannot be converted; its picture goes on alone");
                None
            }
        }
    }

    /// Decodes `packet` if it is this stream's, into `to`.
    pub(crate) fn take(&mut self, packet: &codec::packet::Packet, to: &PhoneSound) -> bool {
        if packet.stream() != self.stream {
            return false;
        }
        let _ = self.decoder.send_packet(packet);
        let mut decoded = frame::Audio::empty();
        while self.decoder.receive_frame(&mut decoded).is_ok() {
            let ts = decoded.timestamp();
            decoded.set_pts(ts);
            let Some(mut source) = self.graph.get("in") else { return true };
            if let Err(e) = source.source().add(&decoded) {
                tracing::debug!(%e, "a frame of the phone's sound was refused");
                continue;
            }
            let mut converted = frame::Audio::empty();
            while self.graph.get("out").is_some_and(|mut sink| sink.sink().frame(&mut converted).is_ok()) {
                to.push(std::mem::replace(&mut converted, frame::Audio::empty()));
            }
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tone(value: f32) -> frame::Audio {
        let mut frame = crate::sound::silence();
        frame.plane_mut::<f32>(0).fill(value);
        frame
    }

    #[test]
    fn the_phone_is_heard_after_three_frames_and_never_falls_far_behind() {
        ffmpeg_next::init().unwrap();
        let sound = PhoneSound::default();
        assert!(sound.pull().is_none() && !sound.is_live());
        for i in 0..START_AT - 1 {
            sound.push(tone(i as f32));
        }
        assert!(sound.pull().is_none(), "less than a burst is not enough to start");
        sound.push(tone(99.0));
        assert!(sound.is_live());
        let first = sound.pull().expect("a burst: heard");
        assert_eq!(first.plane::<f32>(0)[0], 0.0);
        for _ in 1..START_AT {
            assert!(sound.pull().is_some());
        }
        assert!(sound.pull().is_none(), "empty: silence, and it gathers again");
        assert_eq!(sound.glitches(), 1, "one gap heard");
        sound.push(tone(0.4));
        assert!(sound.pull().is_none(), "after an underrun it waits for a burst again");
        // A phone whose clock runs fast: only the newest second is kept.
        for i in 0..MOST + 8 {
            sound.push(tone(i as f32));
        }
        let next = sound.pull().expect("playing");
        assert_eq!(next.plane::<f32>(0)[0], 8.0, "the oldest were dropped");
        assert_eq!(sound.lock().dropped, 9);
        assert_eq!(sound.glitches(), 10);
    }
}
