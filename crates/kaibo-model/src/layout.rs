//! Where a source sits on the canvas.

use serde::{Deserialize, Serialize};

/// Pixels cut from each edge of a source before it is scaled into its box.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Crop {
    pub left: u32,
    pub top: u32,
    pub right: u32,
    pub bottom: u32,
}

impl Crop {
    /// True when nothing is cut.
    pub fn is_none(&self) -> bool {
        *self == Crop::default()
    }
}

/// A source's box on the canvas, in canvas pixels, with stacking order and opacity.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Layout {
    pub x: i32,
    pub y: i32,
    pub width: u32,
    pub height: u32,
    /// Higher is drawn on top.
    #[serde(default)]
    pub z: u32,
    #[serde(default)]
    pub crop: Crop,
    /// 0.0 (invisible) to 1.0 (opaque).
    #[serde(default = "one")]
    pub opacity: f64,
    #[serde(default = "yes")]
    pub visible: bool,
}

fn one() -> f64 {
    1.0
}

fn yes() -> bool {
    true
}

impl Layout {
    /// A box covering the whole canvas.
    pub fn fill(width: u32, height: u32) -> Self {
        Self::rect(0, 0, width, height, 0)
    }

    /// A visible, opaque, uncropped box.
    pub fn rect(x: i32, y: i32, width: u32, height: u32, z: u32) -> Self {
        Self {
            x,
            y,
            width,
            height,
            z,
            crop: Crop::default(),
            opacity: 1.0,
            visible: true,
        }
    }

    /// The same box on a canvas scaled by `sx` × `sy` (for output sizes other than the canvas).
    pub fn scaled(&self, sx: f64, sy: f64) -> Self {
        let even = |v: f64| ((v / 2.0).round() as u32 * 2).max(2);
        Self {
            x: (f64::from(self.x) * sx).round() as i32,
            y: (f64::from(self.y) * sy).round() as i32,
            width: even(f64::from(self.width) * sx),
            height: even(f64::from(self.height) * sy),
            ..*self
        }
    }
}

/// The default arrangement when a scene gives no layout: the first video source fills the
/// canvas; each later one is a picture-in-picture box 30 % of the canvas width (16:9), stacked
/// upward from the bottom-right corner with a margin of 1/40 of the width, wrapping into the
/// next column to the left when a column is full; text sources are a band across the top.
pub struct DefaultLayout {
    width: u32,
    height: u32,
    next_pip: u32,
    next_text: u32,
}

impl DefaultLayout {
    /// Starts an arrangement for a canvas of this size.
    pub fn new(width: u32, height: u32) -> Self {
        Self {
            width,
            height,
            next_pip: 0,
            next_text: 0,
        }
    }

    fn margin(&self) -> u32 {
        (self.width / 40).max(2)
    }

    /// The box for the next picture source (the first fills the canvas).
    pub fn next_picture(&mut self) -> Layout {
        let index = self.next_pip;
        self.next_pip += 1;
        if index == 0 {
            return Layout::fill(self.width, self.height);
        }
        let m = self.margin();
        let w = (self.width * 3 / 10) & !1;
        let h = (w * 9 / 16) & !1;
        let per_column = ((self.height - m) / (h + m)).max(1);
        let slot = index - 1;
        let (col, row) = (slot / per_column, slot % per_column);
        let x = self.width as i32 - ((col + 1) * (w + m)) as i32;
        let y = self.height as i32 - ((row + 1) * (h + m)) as i32;
        Layout::rect(x, y, w, h, 10 + index)
    }

    /// The box for the next text source: a band across the top, one below the other.
    pub fn next_text(&mut self) -> Layout {
        let index = self.next_text;
        self.next_text += 1;
        let m = self.margin();
        let h = (self.height / 10) & !1;
        let y = (m + index * (h + m)) as i32;
        Layout::rect(m as i32, y, self.width - 2 * m, h, 100 + index)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_picture_fills_then_pips_stack_bottom_right() {
        let mut d = DefaultLayout::new(1280, 720);
        assert_eq!(d.next_picture(), Layout::fill(1280, 720));
        let a = d.next_picture();
        let b = d.next_picture();
        assert_eq!((a.width, a.height), (384, 216));
        assert_eq!(a.x + a.width as i32, 1280 - 32);
        assert_eq!(a.y + a.height as i32, 720 - 32);
        assert_eq!(b.x, a.x);
        assert!(b.y < a.y && b.z > a.z);
    }

    #[test]
    fn pips_wrap_into_a_new_column() {
        let mut d = DefaultLayout::new(1280, 720);
        let boxes: Vec<Layout> = (0..6).map(|_| d.next_picture()).collect();
        assert!(boxes[4].x < boxes[1].x, "{boxes:?}");
        assert!(boxes.iter().all(|b| b.y >= 0));
    }

    #[test]
    fn scaling_keeps_even_sizes() {
        let l = Layout::rect(10, 10, 384, 216, 1).scaled(1.5, 1.5);
        assert_eq!((l.x, l.width, l.height), (15, 576, 324));
        assert_eq!(Layout::rect(0, 0, 101, 99, 0).scaled(1.0, 1.0).width % 2, 0);
    }
}
