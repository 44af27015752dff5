//! Interaction panels on the program: the host's [`OverlayState`] drawn by `kaibo-overlay` and
//! blended into the I420 canvas, only where a card is.
//!
//! ```text
//! … → [image/text overlays] → panels-identity (src probe: blend the current patches) → …
//! panel thread: state / countdown tick / fade frame → Renderer::render → patches
//! ```
//! Rendering happens on a thread of its own (loading fonts or shaping text never holds up a
//! streaming thread), which also turns each card into a *patch*: its pixels already converted
//! to the canvas's Y, U and V with alpha, premultiplied. The streaming thread only mixes
//! patches into each picture in place — a multiply-add per pixel of a card. (GStreamer's own
//! `overlaycomposition` did the same job through its generic line blender, converting every
//! card pixel from RGB on every frame: a cost of its own on every frame a card is on stream,
//! which the patches avoid; measured in `docs/benchmarks.md`, "Interaction panels".)
//! Without panels pictures pass untouched. Fades are rendered frame by frame; a countdown
//! re-renders when its displayed second changes.

use crate::error::MediaError;
use crate::sources::make;
use gst::prelude::*;
use gst_video::prelude::VideoFrameExt;
use kaibo_model::OverlayState;
use kaibo_overlay::{Fonts, Frame, PixelRect, Renderer};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// While a fade runs, a frame is rendered this often (the program's frame interval at 30 fps).
const FADE_STEP: Duration = Duration::from_millis(33);

/// One card as the canvas's planes want it: Y at full size, U and V at half size (I420), each
/// value premultiplied by its alpha, with the alpha beside it.
#[derive(Debug, Default)]
struct Patch {
    /// Top-left corner on the canvas (even, so chroma lines up) and size in pixels.
    x: usize,
    y: usize,
    w: usize,
    h: usize,
    /// `Y × α` and α per pixel, row after row.
    luma: Vec<(u16, u8)>,
    /// `U × α`, `V × α` and α per 2×2 block.
    chroma: Vec<(u16, u16, u8)>,
}

#[derive(Default)]
struct Shared {
    patches: Arc<Vec<Patch>>,
    /// Why the panels cannot be drawn (e.g. no CJK font), once it is known.
    error: Option<String>,
}

/// The panel element of a session and the thread that renders for it.
pub(crate) struct PanelLayer {
    shared: Arc<Mutex<Shared>>,
    /// BT.601 (SD) rather than BT.709 colours, as negotiated on the canvas.
    bt601: Arc<AtomicBool>,
    size: (u32, u32),
    states: Option<mpsc::Sender<OverlayState>>,
}

impl PanelLayer {
    /// The element for a `width`×`height` I420 canvas; link it into the video chain. No
    /// thread runs until the first state arrives.
    pub fn new(width: u32, height: u32) -> Result<(Self, gst::Element), MediaError> {
        let element = make("identity", "panels-identity")?;
        let shared: Arc<Mutex<Shared>> = Arc::default();
        let bt601 = Arc::new(AtomicBool::new(false));
        let pad = element
            .static_pad("src")
            .ok_or_else(|| MediaError::Build("identity without a src pad".into()))?;
        let from = Arc::clone(&shared);
        let matrix = Arc::clone(&bt601);
        let known: Mutex<Option<gst_video::VideoInfo>> = Mutex::new(None);
        pad.add_probe(gst::PadProbeType::BUFFER, move |pad, probe| {
            let patches = match from.lock() {
                Ok(s) if !s.patches.is_empty() => Arc::clone(&s.patches),
                _ => return gst::PadProbeReturn::Ok,
            };
            let Ok(mut info) = known.lock() else {
                return gst::PadProbeReturn::Ok;
            };
            if info.is_none() {
                *info = pad
                    .current_caps()
                    .and_then(|caps| gst_video::VideoInfo::from_caps(&caps).ok());
                if let Some(i) = info.as_ref() {
                    let sd = i.colorimetry().matrix() == gst_video::VideoColorMatrix::Bt601;
                    matrix.store(sd, Ordering::Relaxed);
                }
            }
            if let (Some(info), Some(buffer)) = (info.as_ref(), probe.buffer_mut()) {
                let buffer = buffer.make_mut();
                if let Ok(mut frame) =
                    gst_video::VideoFrameRef::from_buffer_ref_writable(buffer, info)
                {
                    blend(&mut frame, &patches);
                }
            }
            gst::PadProbeReturn::Ok
        });
        Ok((
            Self {
                shared,
                bt601,
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
            let bt601 = Arc::clone(&self.bt601);
            let (w, h) = self.size;
            std::thread::Builder::new()
                .name("kaibo-panels".into())
                .spawn(move || run(rx, shared, bt601, w, h))
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
fn run(
    states: mpsc::Receiver<OverlayState>,
    shared: Arc<Mutex<Shared>>,
    bt601: Arc<AtomicBool>,
    w: u32,
    h: u32,
) {
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
            let sd = bt601.load(Ordering::Relaxed);
            let patches: Vec<Patch> = renderer
                .panel_rects()
                .iter()
                .filter_map(|(_, rect)| patch(renderer.frame(), *rect, sd))
                .collect();
            if let Ok(mut s) = shared.lock() {
                s.patches = Arc::new(patches);
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

/// Y'CbCr (limited range) of an sRGB colour, BT.709 or BT.601.
fn ycbcr([r, g, b]: [f32; 3], sd: bool) -> [f32; 3] {
    let (kr, kb) = if sd { (0.299, 0.114) } else { (0.2126, 0.0722) };
    let y = kr * r + (1.0 - kr - kb) * g + kb * b;
    let cb = (b - y) / (2.0 * (1.0 - kb));
    let cr = (r - y) / (2.0 * (1.0 - kr));
    [
        16.0 + 219.0 / 255.0 * y,
        128.0 + 224.0 / 255.0 * cb,
        128.0 + 224.0 / 255.0 * cr,
    ]
}

/// Cuts `rect` (widened to even edges) out of the straight-alpha RGBA frame as a patch.
fn patch(frame: &Frame, rect: PixelRect, sd: bool) -> Option<Patch> {
    let x = (rect.x & !1) as usize;
    let y = (rect.y & !1) as usize;
    let right = (rect.right().min(frame.width()) as usize + 1) & !1;
    let bottom = (rect.bottom().min(frame.height()) as usize + 1) & !1;
    let right = right.min(frame.width() as usize & !1);
    let bottom = bottom.min(frame.height() as usize & !1);
    let (w, h) = (right.checked_sub(x)?, bottom.checked_sub(y)?);
    if w == 0 || h == 0 {
        return None;
    }
    let stride = frame.stride();
    let data = frame.data();
    let px = |col: usize, row: usize| -> [u8; 4] {
        let i = (y + row) * stride + (x + col) * 4;
        [data[i], data[i + 1], data[i + 2], data[i + 3]]
    };
    let mut luma = Vec::with_capacity(w * h);
    let mut yuv = Vec::with_capacity(w * h);
    for row in 0..h {
        for col in 0..w {
            let [r, g, b, a] = px(col, row);
            let c = ycbcr([f32::from(r), f32::from(g), f32::from(b)], sd);
            luma.push(((c[0] * f32::from(a)).round() as u16, a));
            yuv.push((c, f32::from(a)));
        }
    }
    let mut chroma = Vec::with_capacity(w * h / 4);
    for row in (0..h).step_by(2) {
        for col in (0..w).step_by(2) {
            let (mut u, mut v, mut a) = (0.0, 0.0, 0.0);
            for (dc, dr) in [(0, 0), (1, 0), (0, 1), (1, 1)] {
                let (c, alpha) = yuv[(row + dr) * w + col + dc];
                u += c[1] * alpha;
                v += c[2] * alpha;
                a += alpha;
            }
            chroma.push((
                (u / 4.0).round() as u16,
                (v / 4.0).round() as u16,
                (a / 4.0).round() as u8,
            ));
        }
    }
    Some(Patch {
        x,
        y,
        w,
        h,
        luma,
        chroma,
    })
}

/// `dst × (1 − α) + value × α` with the value premultiplied: `(dst·(255−α) + v·α) / 255`.
fn mix(dst: &mut u8, premultiplied: u16, alpha: u8) {
    let v = u32::from(*dst) * u32::from(255 - alpha) + u32::from(premultiplied) + 127;
    *dst = ((v + (v >> 8)) >> 8) as u8;
}

/// Mixes every patch into an I420 picture in place.
fn blend(frame: &mut gst_video::VideoFrameRef<&mut gst::BufferRef>, patches: &[Patch]) {
    let (width, height) = (frame.width() as usize, frame.height() as usize);
    let strides: Vec<usize> = frame.plane_stride().iter().map(|s| *s as usize).collect();
    for p in patches {
        if p.x + p.w > width || p.y + p.h > height {
            continue;
        }
        if let Ok(plane) = frame.plane_data_mut(0) {
            for row in 0..p.h {
                let line = &mut plane[(p.y + row) * strides[0] + p.x..][..p.w];
                for (dst, &(v, a)) in line.iter_mut().zip(&p.luma[row * p.w..][..p.w]) {
                    if a != 0 {
                        mix(dst, v, a);
                    }
                }
            }
        }
        let (cw, ch) = (p.w / 2, p.h / 2);
        for (plane_index, pick) in [(1, 0usize), (2, 1usize)] {
            let Ok(plane) = frame.plane_data_mut(plane_index) else {
                continue;
            };
            let stride = strides[plane_index as usize];
            for row in 0..ch {
                let line = &mut plane[(p.y / 2 + row) * stride + p.x / 2..][..cw];
                for (dst, &(u, v, a)) in line.iter_mut().zip(&p.chroma[row * cw..][..cw]) {
                    if a != 0 {
                        mix(dst, if pick == 0 { u } else { v }, a);
                    }
                }
            }
        }
    }
}
