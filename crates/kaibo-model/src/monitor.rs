//! What a face watches while a session runs: the program picture and the sound levels.
//!
//! Streaming threads write here; the desktop app reads the newest value each frame. Nothing
//! queues: a slow reader only ever sees the latest picture.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

/// One scaled RGBA frame of the composed program.
#[derive(Clone, Debug, PartialEq)]
pub struct PreviewFrame {
    pub width: u32,
    pub height: u32,
    /// Tightly packed RGBA rows (`width * 4` bytes each).
    pub rgba: Vec<u8>,
    /// Counts frames since the session started: a reader uploads only when it changed.
    pub seq: u64,
    /// When the picture left the compositor (before it was scaled for the preview).
    pub at: Instant,
}

/// The loudness of one audio source, measured after its gain.
#[derive(Clone, Debug, PartialEq)]
pub struct AudioLevel {
    /// [`crate::SourceKind::key`] of the source.
    pub source: String,
    /// Loudest channel's RMS over the last interval, dBFS (-inf for silence is clamped to -100).
    pub rms_db: f64,
    /// Loudest channel's peak, dBFS.
    pub peak_db: f64,
}

/// Shared between the engine (writer) and a face (reader).
#[derive(Debug, Default)]
pub struct Monitor {
    frame: Mutex<Option<Arc<PreviewFrame>>>,
    /// The pixels of a picture no reader holds any more, reused for the next one: a
    /// picture a frame is 0.9 MiB, and a fresh allocation each time costs page faults.
    spare: Mutex<Vec<u8>>,
    levels: Mutex<Vec<AudioLevel>>,
    frames: AtomicU64,
}

impl Monitor {
    /// Stores a copy of `rgba` as the newest preview picture, composed at `at`; returns its
    /// sequence number.
    pub fn put_frame(&self, width: u32, height: u32, rgba: &[u8], at: Instant) -> u64 {
        let mut pixels = self
            .spare
            .lock()
            .map(|mut s| std::mem::take(&mut *s))
            .unwrap_or_default();
        pixels.clear();
        pixels.extend_from_slice(rgba);
        let seq = self.frames.fetch_add(1, Ordering::Relaxed) + 1;
        let frame = Arc::new(PreviewFrame {
            width,
            height,
            rgba: pixels,
            seq,
            at,
        });
        let old = self.frame.lock().ok().and_then(|mut f| f.replace(frame));
        if let Some(old) = old.and_then(|o| Arc::try_unwrap(o).ok())
            && let Ok(mut spare) = self.spare.lock()
        {
            *spare = old.rgba;
        }
        seq
    }

    /// The newest picture, when it is newer than `seen`. It is shared, not copied.
    pub fn frame_after(&self, seen: u64) -> Option<Arc<PreviewFrame>> {
        if self.frames.load(Ordering::Relaxed) <= seen {
            return None;
        }
        self.frame.lock().ok()?.clone()
    }

    /// How many preview pictures arrived so far.
    pub fn frames(&self) -> u64 {
        self.frames.load(Ordering::Relaxed)
    }

    /// Replaces one source's level.
    pub fn put_level(&self, level: AudioLevel) {
        if let Ok(mut levels) = self.levels.lock() {
            match levels.iter_mut().find(|l| l.source == level.source) {
                Some(l) => *l = level,
                None => levels.push(level),
            }
        }
    }

    /// Every source's latest level.
    pub fn levels(&self) -> Vec<AudioLevel> {
        self.levels.lock().map(|l| l.clone()).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reader_sees_only_newer_frames_and_latest_levels() {
        let m = Monitor::default();
        assert!(m.frame_after(0).is_none());
        let seq = m.put_frame(2, 1, &[0; 8], Instant::now());
        assert_eq!(m.frame_after(0).map(|f| f.seq), Some(seq));
        assert!(m.frame_after(seq).is_none());
        // A picture a reader still holds stays as it was when the next one arrives.
        let held = m.frame_after(0).unwrap();
        let next = m.put_frame(2, 1, &[7; 8], Instant::now());
        assert_eq!(held.rgba, vec![0; 8]);
        let newest = m.frame_after(seq).unwrap();
        assert_eq!((newest.seq, newest.rgba.clone()), (next, vec![7; 8]));
        drop((held, newest));
        // Once no reader holds it, its buffer carries the next picture.
        m.put_frame(2, 1, &[9; 8], Instant::now());
        assert_eq!(m.frame_after(next).unwrap().rgba, vec![9; 8]);
        for db in [-20.0, -10.0] {
            m.put_level(AudioLevel {
                source: "mic".into(),
                rms_db: db,
                peak_db: db + 3.0,
            });
        }
        assert_eq!(m.levels().len(), 1);
        assert_eq!(m.levels()[0].rms_db, -10.0);
    }
}
