//! What a face watches while a session runs: the program picture and the sound levels.
//!
//! Streaming threads write here; the desktop app reads the newest value each frame. Nothing
//! queues: a slow reader only ever sees the latest picture.

use std::borrow::Cow;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

/// The order of a preview picture's bytes, four to a pixel.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum PixelLayout {
    /// Red, green, blue, alpha.
    #[default]
    Rgba,
    /// Blue, green, red, then a byte to ignore: what an X server with a 24-bit visual takes
    /// as it is, so a window can show the picture without converting it.
    Bgrx,
}

/// The preview pictures a face asks for: scaled to fit `width`×`height` pixels (keeping the
/// canvas's shape, never larger than the canvas), bytes in `layout`'s order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PreviewFormat {
    pub width: u32,
    pub height: u32,
    pub layout: PixelLayout,
}

impl Default for PreviewFormat {
    /// 640×360 RGBA, until the face says what it shows.
    fn default() -> Self {
        Self {
            width: 640,
            height: 360,
            layout: PixelLayout::Rgba,
        }
    }
}

/// A picture's bytes, shared as they are: owned, or lent by the engine (a mapped GStreamer
/// buffer that goes back to its pool when the last reader lets go).
pub struct Pixels(Box<dyn AsRef<[u8]> + Send + Sync>);

impl Pixels {
    /// Wraps any owner of bytes.
    pub fn new(bytes: impl AsRef<[u8]> + Send + Sync + 'static) -> Self {
        Self(Box::new(bytes))
    }
}

impl std::ops::Deref for Pixels {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        (*self.0).as_ref()
    }
}

impl std::fmt::Debug for Pixels {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Pixels({} bytes)", self.len())
    }
}

impl PartialEq for Pixels {
    fn eq(&self, other: &Self) -> bool {
        **self == **other
    }
}

/// One scaled frame of the composed program.
#[derive(Debug, PartialEq)]
pub struct PreviewFrame {
    pub width: u32,
    pub height: u32,
    pub layout: PixelLayout,
    /// Tightly packed rows (`width * 4` bytes each) in `layout`'s order.
    pub pixels: Pixels,
    /// Counts frames since the session started: a reader uploads only when it changed.
    pub seq: u64,
    /// When the picture left the compositor (before it was scaled for the preview).
    pub at: Instant,
}

impl PreviewFrame {
    /// The picture as RGBA: borrowed when it is RGBA already.
    pub fn rgba(&self) -> Cow<'_, [u8]> {
        match self.layout {
            PixelLayout::Rgba => Cow::Borrowed(&self.pixels),
            PixelLayout::Bgrx => Cow::Owned(
                self.pixels
                    .chunks_exact(4)
                    .flat_map(|p| [p[2], p[1], p[0], 255])
                    .collect(),
            ),
        }
    }
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
    /// Signalled with each new picture.
    arrived: Condvar,
    levels: Mutex<Vec<AudioLevel>>,
    frames: AtomicU64,
    /// The sequence number of the newest picture.
    latest: AtomicU64,
}

/// Sequence numbers run on across monitors: a reader that moves on to the next session's
/// monitor with the last number it saw still sees that session's first picture as newer.
static NEXT_SEQ: AtomicU64 = AtomicU64::new(1);

impl Monitor {
    /// Stores a copy of `rgba` as the newest preview picture, composed at `at`; returns its
    /// sequence number, larger than that of any picture before it in this process.
    pub fn put_frame(&self, width: u32, height: u32, rgba: &[u8], at: Instant) -> u64 {
        self.put_pixels(
            width,
            height,
            PixelLayout::Rgba,
            Pixels::new(rgba.to_vec()),
            at,
        )
    }

    /// Stores `pixels` as the newest preview picture, without copying them; returns its
    /// sequence number, larger than that of any picture before it in this process.
    pub fn put_pixels(
        &self,
        width: u32,
        height: u32,
        layout: PixelLayout,
        pixels: Pixels,
        at: Instant,
    ) -> u64 {
        let seq = NEXT_SEQ.fetch_add(1, Ordering::Relaxed);
        self.frames.fetch_add(1, Ordering::Relaxed);
        let frame = Arc::new(PreviewFrame {
            width,
            height,
            layout,
            pixels,
            seq,
            at,
        });
        // The previous picture is let go outside the lock: its bytes may go back to a pool.
        let old = self.frame.lock().ok().and_then(|mut f| {
            self.latest.store(seq, Ordering::Relaxed);
            f.replace(frame)
        });
        self.arrived.notify_all();
        drop(old);
        seq
    }

    /// The newest picture, when it is newer than `seen`. It is shared, not copied.
    pub fn frame_after(&self, seen: u64) -> Option<Arc<PreviewFrame>> {
        if self.latest.load(Ordering::Relaxed) <= seen {
            return None;
        }
        self.frame.lock().ok()?.clone().filter(|f| f.seq > seen)
    }

    /// Like [`Monitor::frame_after`], waiting up to `timeout` for a newer picture.
    pub fn wait_frame_after(&self, seen: u64, timeout: Duration) -> Option<Arc<PreviewFrame>> {
        let guard = self.frame.lock().ok()?;
        let (guard, _) = self
            .arrived
            .wait_timeout_while(guard, timeout, |f| f.as_ref().is_none_or(|f| f.seq <= seen))
            .ok()?;
        guard.as_ref().filter(|f| f.seq > seen).cloned()
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

    /// Bytes whose owner the test can count.
    struct SharedBytes(Arc<Vec<u8>>);
    impl AsRef<[u8]> for SharedBytes {
        fn as_ref(&self) -> &[u8] {
            &self.0
        }
    }

    #[test]
    fn a_bgrx_picture_reads_back_as_rgba() {
        let f = PreviewFrame {
            width: 2,
            height: 1,
            layout: PixelLayout::Bgrx,
            pixels: Pixels::new(vec![30, 20, 10, 0, 50, 100, 200, 7]),
            seq: 1,
            at: Instant::now(),
        };
        assert_eq!(*f.rgba(), [10, 20, 30, 255, 200, 100, 50, 255]);
        let rgba = PreviewFrame {
            layout: PixelLayout::Rgba,
            ..f
        };
        assert!(matches!(rgba.rgba(), Cow::Borrowed(_)));
    }

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
        assert_eq!(*held.pixels, [0; 8]);
        let newest = m.frame_after(seq).unwrap();
        assert_eq!((newest.seq, newest.pixels.to_vec()), (next, vec![7; 8]));
        drop((held, newest));
        // A waiting reader wakes for the next picture, and gives up after its timeout.
        let latest = m.frame_after(seq).unwrap().seq;
        assert!(
            m.wait_frame_after(latest, Duration::from_millis(20))
                .is_none()
        );
        // A reader that moves on to a new monitor (a new session) sees its first picture.
        let following = Monitor::default();
        following.put_frame(1, 1, &[5; 4], Instant::now());
        assert!(following.frame_after(latest).is_some());
        let waiter = {
            let m = Arc::new(Monitor::default());
            let seen = m.put_frame(1, 1, &[1; 4], Instant::now());
            let reader = Arc::clone(&m);
            let t = std::thread::spawn(move || {
                reader
                    .wait_frame_after(seen, Duration::from_secs(10))
                    .map(|f| f.pixels.to_vec())
            });
            std::thread::sleep(Duration::from_millis(50));
            m.put_frame(1, 1, &[2; 4], Instant::now());
            t.join().unwrap()
        };
        assert_eq!(waiter, Some(vec![2; 4]));
        // Lent bytes are handed out as they are, and go back once no one holds the picture.
        let lent = Arc::new(vec![9u8; 8]);
        m.put_pixels(
            2,
            1,
            PixelLayout::Rgba,
            Pixels::new(SharedBytes(Arc::clone(&lent))),
            Instant::now(),
        );
        assert_eq!(*m.frame_after(next).unwrap().pixels, [9; 8]);
        assert_eq!(
            Arc::strong_count(&lent),
            2,
            "the monitor holds the picture, not a copy"
        );
        m.put_frame(1, 1, &[0; 4], Instant::now());
        assert_eq!(
            Arc::strong_count(&lent),
            1,
            "let go once a newer picture arrived"
        );
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
