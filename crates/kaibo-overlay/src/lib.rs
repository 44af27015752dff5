//! The overlay renderer: [`OverlayState`](kaibo_model::OverlayState) → an RGBA layer the
//! engine composes over the program (appsrc, `video/x-raw,format=RGBA`, straight alpha).
//!
//! - [`Fonts::system`] loads the system's fonts through fontdb (fontconfig's directories) and
//!   insists on Noto Sans CJK SC (`fonts-noto-cjk`); cosmic-text shapes, wraps and ellipsises
//!   mixed Chinese and Latin text; viewer text is made plain first ([`plain_text`]).
//! - [`Renderer::render`] draws cards with tiny-skia (rounded cards, poll bars, stars, big
//!   countdown digits, a QR code) and returns a [`Frame`] only when the picture changed:
//!   a panel's content, its place, its fade, or a countdown's displayed second.
//! - Panels fade in and out over [`DEFAULT_FADE_MS`]; [`Renderer::animating`] and
//!   [`Renderer::next_change_ms`] tell the caller when to render again, and
//!   [`Frame::damage`] which rectangle changed.

mod card;
mod fonts;
mod frame;
mod panel_cards;
mod renderer;
mod sanitize;
mod theme;

pub use fonts::{CJK_FAMILY, CJK_PACKAGE, Fonts, GlyphMask, TextBlock, TextStyle};
pub use frame::{Frame, PixelRect};
pub use panel_cards::{clock, displayed_seconds, next_tick_ms, question_style};
pub use renderer::{DEFAULT_FADE_MS, Renderer};
pub use sanitize::{MAX_CHARS, MAX_CLUSTER_CHARS, MAX_MARKS, plain_text};
pub use theme::{ACCENT, CARD, MUTED, Rgba, TEXT, Theme};

/// Why the renderer cannot start.
#[derive(Debug, thiserror::Error)]
pub enum OverlayError {
    /// No font with Chinese glyphs: the overlay would draw boxes.
    #[error(
        "no {family} font among the {faces} system font faces: install the {package} package (e.g. `sudo apt install {package}`)"
    )]
    MissingCjkFont {
        family: &'static str,
        package: &'static str,
        faces: usize,
    },
    /// The canvas size cannot hold a picture.
    #[error("overlay canvas {width}×{height} is not a drawable size")]
    Canvas { width: u32, height: u32 },
}
