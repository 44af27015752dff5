//! A card: a rounded, semi-transparent dark rectangle holding rows (text, bars, stars, a QR
//! code) stacked top to bottom. Nothing a row draws leaves the card's inner box.

use crate::fonts::{Fonts, TextBlock, TextStyle};
use crate::theme::{self, Rgba, Theme};
use tiny_skia::{Color, FillRule, Mask, Paint, Path, PathBuilder, Pixmap, Rect, Transform};

/// One row of a card.
pub enum Row {
    /// Text on the left.
    Text { block: TextBlock, color: Rgba },
    /// Text centred in the card.
    Centered { block: TextBlock, color: Rgba },
    /// Text on the left and a single line flush right on the same first line.
    Pair {
        left: TextBlock,
        left_color: Rgba,
        right: TextBlock,
        right_color: Rgba,
    },
    /// A bar filled to `fraction` (0–1) of the inner width.
    Bar { fraction: f32 },
    /// Five stars filled to `average` (0–5).
    Stars { average: f32 },
    /// A QR code: `modules`×`modules` dark/light cells, row-major, with a 4-module quiet zone.
    Qr { dark: Vec<bool>, modules: usize },
}

/// Rows laid out in a card of a fixed width.
pub struct CardSpec {
    pub width: f32,
    pub rows: Vec<Row>,
}

impl CardSpec {
    pub fn new(width: f32) -> Self {
        CardSpec {
            width: width.max(1.0),
            rows: Vec::new(),
        }
    }

    /// The width rows can use.
    pub fn inner_w(&self, theme: &Theme) -> f32 {
        (self.width - 2.0 * theme.pad).max(1.0)
    }

    /// Adds left-aligned text wrapped to the inner width.
    pub fn text(
        &mut self,
        fonts: &mut Fonts,
        theme: &Theme,
        text: &str,
        style: TextStyle,
        color: Rgba,
    ) {
        let block = fonts.layout(text, &style, self.inner_w(theme));
        self.rows.push(Row::Text { block, color });
    }

    /// Adds centred text.
    pub fn centered(
        &mut self,
        fonts: &mut Fonts,
        theme: &Theme,
        text: &str,
        style: TextStyle,
        color: Rgba,
    ) {
        let block = fonts.layout(text, &style, self.inner_w(theme));
        self.rows.push(Row::Centered { block, color });
    }

    /// Adds `left` with `right` flush right on one line; `left` wraps in what `right` leaves.
    pub fn pair(
        &mut self,
        fonts: &mut Fonts,
        theme: &Theme,
        (left, left_style, left_color): (&str, TextStyle, Rgba),
        (right, right_style, right_color): (&str, TextStyle, Rgba),
    ) {
        let inner = self.inner_w(theme);
        let right = fonts.layout(
            right,
            &TextStyle {
                max_lines: 1,
                ..right_style
            },
            inner / 2.0,
        );
        let left_w = (inner - right.width - theme.gap).max(1.0);
        let left = fonts.layout(left, &left_style, left_w);
        self.rows.push(Row::Pair {
            left,
            left_color,
            right,
            right_color,
        });
    }

    fn row_height(row: &Row, theme: &Theme, inner_w: f32) -> f32 {
        match row {
            Row::Text { block, .. } | Row::Centered { block, .. } => block.height(),
            Row::Pair { left, right, .. } => left.height().max(right.height()),
            Row::Bar { .. } => theme.bar_px,
            Row::Stars { .. } => theme.star_px,
            Row::Qr { modules, .. } => qr_module_px(theme, *modules, inner_w) * *modules as f32,
        }
    }

    /// Card height: padding, rows and the gaps between them.
    pub fn height(&self, theme: &Theme) -> f32 {
        let inner_w = self.inner_w(theme);
        let rows: f32 = self
            .rows
            .iter()
            .map(|r| Self::row_height(r, theme, inner_w))
            .sum();
        let gaps = self.rows.len().saturating_sub(1) as f32 * theme.gap;
        (2.0 * theme.pad + rows + gaps).ceil()
    }

    /// Paints the card; `None` only for an impossible (zero or huge) size.
    pub fn paint(&self, fonts: &mut Fonts, theme: &Theme) -> Option<Pixmap> {
        let (w, h) = (self.width.ceil(), self.height(theme));
        let mut pixmap = Pixmap::new(w as u32, h as u32)?;
        fill_path(
            &mut pixmap,
            &rounded_rect(0.0, 0.0, w, h, theme.radius)?,
            theme::CARD,
            None,
        );
        let (x0, inner_w) = (theme.pad, self.inner_w(theme));
        let clip = (
            theme.pad.floor() as i32,
            theme.pad.floor() as i32,
            (w - theme.pad).ceil() as i32,
            (h - theme.pad).ceil() as i32,
        );
        let mut y = theme.pad;
        for row in &self.rows {
            match row {
                Row::Text { block, color } => fonts.draw(block, &mut pixmap, (x0, y), *color, clip),
                Row::Centered { block, color } => {
                    let x = x0 + ((inner_w - block.width) / 2.0).max(0.0);
                    fonts.draw(block, &mut pixmap, (x.round(), y), *color, clip);
                }
                Row::Pair {
                    left,
                    left_color,
                    right,
                    right_color,
                } => {
                    fonts.draw(left, &mut pixmap, (x0, y), *left_color, clip);
                    let x = (x0 + inner_w - right.width).round();
                    fonts.draw(right, &mut pixmap, (x, y), *right_color, clip);
                }
                Row::Bar { fraction } => paint_bar(&mut pixmap, theme, (x0, y), inner_w, *fraction),
                Row::Stars { average } => paint_stars(&mut pixmap, theme, (x0, y), *average),
                Row::Qr { dark, modules } => {
                    paint_qr(&mut pixmap, theme, (x0, y), inner_w, dark, *modules)
                }
            }
            y += Self::row_height(row, theme, inner_w) + theme.gap;
        }
        Some(pixmap)
    }
}

/// Whole pixels per QR module so the code (quiet zone included) fits `qr_px` and the row.
pub fn qr_module_px(theme: &Theme, modules: usize, inner_w: f32) -> f32 {
    let side = theme.qr_px.min(inner_w);
    (side / modules.max(1) as f32).floor().max(1.0)
}

fn paint_rgba(color: Rgba) -> Paint<'static> {
    let mut paint = Paint::default();
    paint.set_color(Color::from_rgba8(color[0], color[1], color[2], color[3]));
    paint.anti_alias = true;
    paint
}

fn fill_path(pixmap: &mut Pixmap, path: &Path, color: Rgba, mask: Option<&Mask>) {
    pixmap.fill_path(
        path,
        &paint_rgba(color),
        FillRule::Winding,
        Transform::identity(),
        mask,
    );
}

/// A rectangle with corners of radius `r` (clamped to half the shorter side).
pub fn rounded_rect(x: f32, y: f32, w: f32, h: f32, r: f32) -> Option<Path> {
    let r = r.min(w / 2.0).min(h / 2.0).max(0.0);
    let mut pb = PathBuilder::new();
    pb.move_to(x + r, y);
    pb.line_to(x + w - r, y);
    pb.quad_to(x + w, y, x + w, y + r);
    pb.line_to(x + w, y + h - r);
    pb.quad_to(x + w, y + h, x + w - r, y + h);
    pb.line_to(x + r, y + h);
    pb.quad_to(x, y + h, x, y + h - r);
    pb.line_to(x, y + r);
    pb.quad_to(x, y, x + r, y);
    pb.close();
    pb.finish()
}

fn paint_bar(pixmap: &mut Pixmap, theme: &Theme, (x, y): (f32, f32), w: f32, fraction: f32) {
    let h = theme.bar_px;
    if let Some(track) = rounded_rect(x, y, w, h, h / 2.0) {
        fill_path(pixmap, &track, theme::TRACK, None);
    }
    let fill_w = (w * fraction.clamp(0.0, 1.0)).round();
    // Square ends: the filled length is exactly proportional to the votes.
    if let Some(rect) = Rect::from_xywh(x.round(), y.round(), fill_w, h.round()) {
        pixmap.fill_rect(
            rect,
            &paint_rgba(theme::ACCENT),
            Transform::identity(),
            None,
        );
    }
}

/// A five-pointed star inside a `size` square at (x, y).
fn star(x: f32, y: f32, size: f32) -> Option<Path> {
    let (cx, cy) = (x + size / 2.0, y + size / 2.0 + size * 0.04);
    let (outer, inner) = (size / 2.0, size * 0.2);
    let mut pb = PathBuilder::new();
    for i in 0..10 {
        let r = if i % 2 == 0 { outer } else { inner };
        let a = -std::f32::consts::FRAC_PI_2 + i as f32 * std::f32::consts::PI / 5.0;
        let (px, py) = (cx + r * a.cos(), cy + r * a.sin());
        if i == 0 {
            pb.move_to(px, py);
        } else {
            pb.line_to(px, py);
        }
    }
    pb.close();
    pb.finish()
}

fn paint_stars(pixmap: &mut Pixmap, theme: &Theme, (x, y): (f32, f32), average: f32) {
    let size = theme.star_px;
    let step = size * 1.15;
    let filled_to = x
        + step * average.clamp(0.0, 5.0).floor()
        + size * (average.clamp(0.0, 5.0) - average.clamp(0.0, 5.0).floor());
    let mut mask = Mask::new(pixmap.width(), pixmap.height());
    if let (Some(mask), Some(rect)) = (
        mask.as_mut(),
        Rect::from_ltrb(0.0, 0.0, filled_to, pixmap.height() as f32),
    ) {
        mask.fill_path(
            &PathBuilder::from_rect(rect),
            FillRule::Winding,
            false,
            Transform::identity(),
        );
    }
    for i in 0..5 {
        let Some(path) = star(x + i as f32 * step, y, size) else {
            continue;
        };
        fill_path(pixmap, &path, theme::TRACK, None);
        if filled_to > x
            && let Some(mask) = mask.as_ref()
        {
            fill_path(pixmap, &path, theme::ACCENT, Some(mask));
        }
    }
}

fn paint_qr(
    pixmap: &mut Pixmap,
    theme: &Theme,
    (x, y): (f32, f32),
    inner_w: f32,
    dark: &[bool],
    modules: usize,
) {
    let m = qr_module_px(theme, modules, inner_w);
    let side = m * modules as f32;
    let left = (x + (inner_w - side) / 2.0).round();
    let top = y.round();
    if let Some(ground) = Rect::from_xywh(left, top, side, side) {
        pixmap.fill_rect(
            ground,
            &paint_rgba(theme::QR_LIGHT),
            Transform::identity(),
            None,
        );
    }
    let ink = paint_rgba(theme::QR_DARK);
    for (i, _) in dark.iter().enumerate().filter(|(_, d)| **d) {
        let (col, row) = ((i % modules) as f32, (i / modules) as f32);
        if let Some(cell) = Rect::from_xywh(left + col * m, top + row * m, m, m) {
            pixmap.fill_rect(cell, &ink, Transform::identity(), None);
        }
    }
}
