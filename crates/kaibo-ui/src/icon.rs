//! Kaibo's window icon, drawn at start: a red rounded square with a white "play" triangle.
//! Drawing it costs a few microseconds and 16 KiB; eframe's own icon would otherwise be
//! decoded from a PNG and held at 1 MiB for the life of the window.

use eframe::egui;

/// Side of the icon in pixels.
const SIDE: usize = 64;
/// Samples per pixel along each axis, for smooth edges.
const SUB: usize = 4;

/// The icon as RGBA pixels.
pub fn kaibo_icon() -> egui::IconData {
    let mut rgba = Vec::with_capacity(SIDE * SIDE * 4);
    for y in 0..SIDE {
        for x in 0..SIDE {
            let (mut square, mut play) = (0usize, 0usize);
            for sy in 0..SUB {
                for sx in 0..SUB {
                    let px = x as f32 + (sx as f32 + 0.5) / SUB as f32;
                    let py = y as f32 + (sy as f32 + 0.5) / SUB as f32;
                    if in_rounded_square(px, py) {
                        square += 1;
                        play += usize::from(in_triangle(px, py));
                    }
                }
            }
            let samples = (SUB * SUB) as f32;
            let white = play as f32 / square.max(1) as f32;
            let mix = |red: f32| (red + (255.0 - red) * white).round() as u8;
            rgba.extend([
                mix(229.0),
                mix(57.0),
                mix(53.0),
                (square as f32 / samples * 255.0).round() as u8,
            ]);
        }
    }
    egui::IconData {
        rgba,
        width: SIDE as u32,
        height: SIDE as u32,
    }
}

fn in_rounded_square(x: f32, y: f32) -> bool {
    let (margin, radius) = (2.0, 14.0);
    let (lo, hi) = (margin + radius, SIDE as f32 - margin - radius);
    let dx = (lo - x).max(x - hi).max(0.0);
    let dy = (lo - y).max(y - hi).max(0.0);
    x >= margin
        && x <= SIDE as f32 - margin
        && y >= margin
        && y <= SIDE as f32 - margin
        && dx * dx + dy * dy <= radius * radius
}

/// A triangle pointing right, centred a little right of the middle as the eye expects.
fn in_triangle(x: f32, y: f32) -> bool {
    let (left, right, top, bottom) = (24.0, 46.0, 19.0, 45.0);
    let mid = (top + bottom) / 2.0;
    let half = (bottom - top) / 2.0 * (right - x) / (right - left);
    x >= left && x <= right && (y - mid).abs() <= half
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_icon_is_red_with_a_white_triangle_and_clear_corners() {
        let icon = kaibo_icon();
        assert_eq!((icon.width, icon.height), (64, 64));
        assert_eq!(icon.rgba.len(), 64 * 64 * 4);
        let at = |x: usize, y: usize| &icon.rgba[(y * 64 + x) * 4..][..4];
        assert_eq!(at(0, 0)[3], 0, "a transparent corner");
        assert_eq!(at(10, 32), &[229, 57, 53, 255], "red beside the triangle");
        assert_eq!(
            at(30, 32),
            &[255, 255, 255, 255],
            "white inside the triangle"
        );
    }
}
