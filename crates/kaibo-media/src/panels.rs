//! Interaction panels on the program: the host's [`OverlayState`] drawn by `kaibo-overlay` and
//! blended over the canvas by `overlaycomposition`, only where a panel is.
//!
//! ```text
//! … → [image/text overlays] → panels-overlaycomposition → [ptee/preview] → encoder
//!                                  ↑ draw: the cached composition (one rectangle per panel)
//! panel thread: state / countdown tick / fade frame → Renderer::render → composition
//! ```
//! Rendering happens on a thread of its own (loading fonts or shaping text never holds up a
//! streaming thread); the element's `draw` only hands over the latest composition. Without
//! panels it passes pictures through untouched. Fades are rendered frame by frame; a
//! countdown re-renders when its displayed second changes.

use crate::error::MediaError;
use crate::sources::make;
use gst::prelude::*;
use gst_video::{VideoOverlayComposition, VideoOverlayFormatFlags, VideoOverlayRectangle};
use kaibo_model::OverlayState;
use kaibo_overlay::{Fonts, Frame, PixelRect, Renderer};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// While a fade runs, a frame is rendered this often (the program's frame interval at 30 fps).
const FADE_STEP: Duration = Duration::from_millis(33);

#[derive(Default)]
struct Shared {
    composition: Option<VideoOverlayComposition>,
    /// Why the panels cannot be drawn (e.g. no CJK font), once it is known.
    error: Option<String>,
}

/// The overlay element of a session and the thread that renders into it.
pub(crate) struct PanelLayer {
    shared: Arc<Mutex<Shared>>,
    size: (u32, u32),
    states: Option<mpsc::Sender<OverlayState>>,
}

impl PanelLayer {
    /// The `overlaycomposition` element for a `width`×`height` canvas; link it into the
    /// video chain. No thread runs until the first state arrives.
    pub fn new(width: u32, height: u32) -> Result<(Self, gst::Element), MediaError> {
        let element = make("overlaycomposition", "panels-overlaycomposition")?;
        let shared: Arc<Mutex<Shared>> = Arc::default();
        let draw_from = Arc::clone(&shared);
        element.connect("draw", false, move |_| {
            let composition = draw_from.lock().ok().and_then(|s| s.composition.clone());
            Some(composition.to_value())
        });
        Ok((
            Self {
                shared,
                size: (width, height),
                states: None,
            },
            element,
        ))
    }

    /// Puts `state` on the program (an empty state clears it, with fades). Starts the panel
    /// thread on first use; fails when the panels cannot be drawn on this machine.
    pub fn set(&mut self, state: OverlayState) -> Result<(), MediaError> {
        if let Some(error) = self.shared.lock().ok().and_then(|s| s.error.clone()) {
            return Err(MediaError::Invalid(error));
        }
        if self.states.is_none() {
            let (tx, rx) = mpsc::channel();
            let shared = Arc::clone(&self.shared);
            let (w, h) = self.size;
            std::thread::Builder::new()
                .name("kaibo-panels".into())
                .spawn(move || run(rx, shared, w, h))
                .map_err(|e| MediaError::Build(format!("could not start the panel thread: {e}")))?;
            self.states = Some(tx);
        }
        self.states
            .as_ref()
            .and_then(|tx| tx.send(state).ok())
            .ok_or_else(|| MediaError::Invalid("the panel renderer stopped".into()))
    }
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

/// The panel thread: renders each new state, each fade frame and each countdown second.
fn run(states: mpsc::Receiver<OverlayState>, shared: Arc<Mutex<Shared>>, w: u32, h: u32) {
    let renderer = Fonts::system().and_then(|fonts| Renderer::new(w, h, fonts));
    let mut renderer = match renderer {
        Ok(r) => r,
        Err(e) => {
            log::error!("panels: {e}");
            if let Ok(mut s) = shared.lock() {
                s.error = Some(format!("interaction panels cannot be drawn: {e}"));
            }
            return;
        }
    };
    let mut state = OverlayState::default();
    let mut wait = Duration::from_secs(3600);
    loop {
        match states.recv_timeout(wait) {
            Ok(next) => {
                state = next;
                // Several quick changes: draw only the newest.
                while let Ok(newer) = states.try_recv() {
                    state = newer;
                }
            }
            Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) => return,
        }
        let now = now_ms();
        if renderer.render(&state, now).is_some() {
            let composition = compose(renderer.frame(), &renderer.panel_rects());
            if let Ok(mut s) = shared.lock() {
                s.composition = composition;
            }
        }
        wait = if renderer.animating() {
            FADE_STEP
        } else {
            renderer
                .next_change_ms()
                .map_or(Duration::from_secs(3600), |at| {
                    Duration::from_millis(at.saturating_sub(now_ms()).max(1))
                })
        };
    }
}

/// One overlay rectangle per panel, cut from the frame (BGRA, straight alpha, as
/// `overlaycomposition` blends it): only the panels' pixels are blended into each picture.
fn compose(frame: &Frame, rects: &[(&str, PixelRect)]) -> Option<VideoOverlayComposition> {
    let rectangles: Vec<VideoOverlayRectangle> = rects
        .iter()
        .filter_map(|(_, rect)| rectangle(frame, *rect))
        .collect();
    if rectangles.is_empty() {
        return None;
    }
    VideoOverlayComposition::new(rectangles.iter()).ok()
}

fn rectangle(frame: &Frame, rect: PixelRect) -> Option<VideoOverlayRectangle> {
    let right = rect.right().min(frame.width());
    let bottom = rect.bottom().min(frame.height());
    let (w, h) = (right.checked_sub(rect.x)?, bottom.checked_sub(rect.y)?);
    if w == 0 || h == 0 {
        return None;
    }
    let stride = frame.stride();
    let data = frame.data();
    let mut bgra = Vec::with_capacity(w as usize * h as usize * 4);
    for y in rect.y..bottom {
        let row = &data[y as usize * stride + rect.x as usize * 4..][..w as usize * 4];
        for px in row.chunks_exact(4) {
            bgra.extend_from_slice(&[px[2], px[1], px[0], px[3]]);
        }
    }
    let mut buffer = gst::Buffer::from_mut_slice(bgra);
    gst_video::VideoMeta::add(
        buffer.get_mut()?,
        gst_video::VideoFrameFlags::empty(),
        gst_video::VideoFormat::Bgra,
        w,
        h,
    )
    .ok()?;
    Some(VideoOverlayRectangle::new_raw(
        &buffer,
        rect.x as i32,
        rect.y as i32,
        w,
        h,
        VideoOverlayFormatFlags::empty(),
    ))
}
