//! Shared helpers for the overlay's rendering tests: real fonts, real pixels.
#![allow(dead_code)]

use kaibo_model::{Anchor, OverlayState, Panel, PanelContent, PollOption};
use kaibo_overlay::{Fonts, Frame, PixelRect, Renderer};

pub const W: u32 = 1280;
pub const H: u32 = 720;
/// A fixed "now": 2026-11-25 in Unix milliseconds.
pub const T0: u64 = 1_795_000_000_000;

pub fn fonts() -> Fonts {
    Fonts::system().expect("system fonts with Noto Sans CJK SC (fonts-noto-cjk)")
}

/// A renderer without fades, so one render shows the state fully.
pub fn renderer() -> Renderer {
    Renderer::new(W, H, fonts())
        .expect("renderer")
        .with_fade_ms(0)
}

pub fn panel(id: &str, anchor: Anchor, content: PanelContent) -> Panel {
    Panel {
        id: id.into(),
        anchor,
        content,
    }
}

pub fn state(panels: Vec<Panel>) -> OverlayState {
    OverlayState { panels }
}

pub fn question(text: &str) -> PanelContent {
    PanelContent::Question {
        text: text.into(),
        asker: "张*".into(),
        likes: 12,
    }
}

pub fn poll(votes: &[u32]) -> PanelContent {
    PanelContent::Poll {
        title: "今天的内容你满意吗？".into(),
        options: votes
            .iter()
            .enumerate()
            .map(|(i, v)| PollOption {
                label: format!("选项 {}", i + 1),
                votes: *v,
            })
            .collect(),
        open: true,
    }
}

/// Renders `state` once (no fades) and returns a copy of the frame and where the panels are.
pub fn render_once(state: &OverlayState) -> (Frame, Vec<(String, PixelRect)>) {
    let mut r = renderer();
    let frame = r
        .render(state, T0)
        .expect("first render gives a frame")
        .clone();
    let rects = r
        .panel_rects()
        .into_iter()
        .map(|(id, rect)| (id.to_owned(), rect))
        .collect();
    (frame, rects)
}

/// Writes the frame as a PNG under target/overlay-dumps when KAIBO_OVERLAY_DUMP is set (to
/// look at a test's picture; nothing compares against it).
pub fn dump(frame: &Frame, name: &str) {
    if std::env::var_os("KAIBO_OVERLAY_DUMP").is_none() {
        return;
    }
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("overlay-dumps");
    std::fs::create_dir_all(&dir).expect("dump dir");
    // Over a mid-grey program picture, as a viewer would see it.
    let mut pixmap = tiny_skia::Pixmap::new(frame.width(), frame.height()).expect("pixmap");
    for (dst, src) in pixmap
        .data_mut()
        .chunks_exact_mut(4)
        .zip(frame.data().chunks_exact(4))
    {
        let a = u32::from(src[3]);
        for k in 0..3 {
            dst[k] = ((u32::from(src[k]) * a + 96 * (255 - a)) / 255) as u8;
        }
        dst[3] = 255;
    }
    pixmap
        .save_png(dir.join(format!("{name}.png")))
        .expect("png");
}

/// Whether a straight-alpha pixel looks like white text over the card.
pub fn is_text_white(p: [u8; 4]) -> bool {
    p[3] > 200 && p[0] > 200 && p[1] > 200 && p[2] > 200
}

/// Whether a pixel is the accent orange (poll bars, stars, digits).
pub fn is_accent(p: [u8; 4]) -> bool {
    p[3] > 200 && p[0] > 200 && (110..=170).contains(&p[1]) && p[2] < 80
}

/// Pixels inside `rect` matching `pred`, as (x, y).
pub fn matching(frame: &Frame, rect: PixelRect, pred: impl Fn([u8; 4]) -> bool) -> Vec<(u32, u32)> {
    let mut out = Vec::new();
    for y in rect.y..rect.bottom() {
        for x in rect.x..rect.right() {
            if pred(frame.pixel(x, y)) {
                out.push((x, y));
            }
        }
    }
    out
}
