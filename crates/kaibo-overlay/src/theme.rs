//! Sizes and colours of the overlay, scaled with the canvas.
//!
//! Designed at 720 lines: Chinese body text 28 px, nothing under 24 px, cards with a
//! semi-transparent dark ground, white text and one accent colour. Everything scales with the
//! canvas's short side (its height for landscape, its width for a portrait stream), so a
//! 1080p canvas draws 1.5× larger and a 720×1280 phone canvas matches 720p.

/// RGBA, straight alpha.
pub type Rgba = [u8; 4];

/// The card ground: near-black at 78 % opacity.
pub const CARD: Rgba = [14, 16, 22, 200];
/// Main text.
pub const TEXT: Rgba = [255, 255, 255, 255];
/// Secondary text (counts, states).
pub const MUTED: Rgba = [176, 182, 194, 255];
/// The accent: poll bars, stars, digits, headers.
pub const ACCENT: Rgba = [255, 140, 26, 255];
/// Unfilled poll bars and stars.
pub const TRACK: Rgba = [255, 255, 255, 56];
/// Dark QR modules.
pub const QR_DARK: Rgba = [0, 0, 0, 255];
/// The QR code's light ground.
pub const QR_LIGHT: Rgba = [255, 255, 255, 255];

/// Sizes in pixels for one canvas.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Theme {
    /// 1.0 at 720 lines.
    pub scale: f32,
    /// Space between the canvas edge and the cards.
    pub margin: f32,
    /// Inner padding of a card.
    pub pad: f32,
    /// Space between stacked cards and between rows inside a card.
    pub gap: f32,
    /// Corner radius of cards.
    pub radius: f32,
    /// Question text, names, offer details.
    pub body_px: f32,
    /// Titles.
    pub title_px: f32,
    /// The smallest text: askers, counts, poll options.
    pub small_px: f32,
    /// Big countdown digits.
    pub digits_px: f32,
    /// A lower third's name.
    pub name_px: f32,
    /// Poll bar thickness.
    pub bar_px: f32,
    /// A rating star's outer diameter.
    pub star_px: f32,
    /// The QR code's side, quiet zone included (before rounding to whole modules).
    pub qr_px: f32,
    /// Line height as a multiple of the font size.
    pub line_factor: f32,
    /// Most lines of a question.
    pub question_lines: usize,
    /// Card width in a corner.
    pub corner_w: f32,
    /// Card width in the centre.
    pub center_w: f32,
}

impl Theme {
    /// The theme for a `width`×`height` canvas.
    pub fn for_canvas(width: u32, height: u32) -> Self {
        let short = width.min(height).max(1) as f32;
        let s = short / 720.0;
        let margin = 24.0 * s;
        let max_w = (width as f32 - 2.0 * margin).max(1.0);
        Theme {
            scale: s,
            margin,
            pad: 18.0 * s,
            gap: 10.0 * s,
            radius: 14.0 * s,
            body_px: 28.0 * s,
            title_px: 30.0 * s,
            small_px: 24.0 * s,
            digits_px: 72.0 * s,
            name_px: 36.0 * s,
            bar_px: 12.0 * s,
            star_px: 36.0 * s,
            qr_px: 220.0 * s,
            line_factor: 1.3,
            question_lines: 4,
            corner_w: (440.0 * s).min(max_w),
            center_w: (560.0 * s).min(max_w),
        }
    }

    /// Card width for a full-width band.
    pub fn band_w(&self, canvas_w: u32) -> f32 {
        (canvas_w as f32 - 2.0 * self.margin).max(1.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chinese_text_is_at_least_24_px_at_720p_and_scales() {
        let t720 = Theme::for_canvas(1280, 720);
        assert!(t720.small_px >= 24.0 && t720.body_px >= 24.0);
        let t1080 = Theme::for_canvas(1920, 1080);
        assert!((t1080.body_px / t720.body_px - 1.5).abs() < 1e-4);
        let portrait = Theme::for_canvas(720, 1280);
        assert_eq!(portrait.body_px, t720.body_px);
        assert!(portrait.corner_w <= 720.0 - 2.0 * portrait.margin);
    }
}
