//! The output: a canvas-sized RGBA picture with straight (non-premultiplied) alpha.

/// 255·65536/a for each alpha: un-premultiplying is a multiply and a shift.
const RECIPROCAL: [u32; 256] = {
    let mut table = [0u32; 256];
    let mut a = 1;
    while a < 256 {
        table[a] = (255 * 65_536 + a as u32 / 2) / a as u32;
        a += 1;
    }
    table
};

/// A rectangle of pixels.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct PixelRect {
    pub x: u32,
    pub y: u32,
    pub width: u32,
    pub height: u32,
}

impl PixelRect {
    /// The smallest rectangle holding both.
    pub fn union(self, other: PixelRect) -> PixelRect {
        let x0 = self.x.min(other.x);
        let y0 = self.y.min(other.y);
        let x1 = self.right().max(other.right());
        let y1 = self.bottom().max(other.bottom());
        PixelRect {
            x: x0,
            y: y0,
            width: x1 - x0,
            height: y1 - y0,
        }
    }

    /// One past the last column.
    pub fn right(&self) -> u32 {
        self.x + self.width
    }

    /// One past the last row.
    pub fn bottom(&self) -> u32 {
        self.y + self.height
    }

    /// Whether the pixel (`x`, `y`) lies inside.
    pub fn contains(&self, x: u32, y: u32) -> bool {
        x >= self.x && y >= self.y && x < self.right() && y < self.bottom()
    }
}

/// The overlay layer: `width`×`height` RGBA, 8 bits a channel, rows `width * 4` bytes apart,
/// **straight alpha** (what GStreamer's `video/x-raw,format=RGBA` means to `compositor`).
/// Where no panel is, every byte is 0.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Frame {
    width: u32,
    height: u32,
    data: Vec<u8>,
    damage: Option<PixelRect>,
    serial: u64,
}

impl Frame {
    pub(crate) fn new(width: u32, height: u32) -> Frame {
        Frame {
            width,
            height,
            data: vec![0; width as usize * height as usize * 4],
            damage: None,
            serial: 0,
        }
    }

    pub fn width(&self) -> u32 {
        self.width
    }

    pub fn height(&self) -> u32 {
        self.height
    }

    /// Bytes from one row to the next.
    pub fn stride(&self) -> usize {
        self.width as usize * 4
    }

    /// The pixels, straight-alpha RGBA, row after row.
    pub fn data(&self) -> &[u8] {
        &self.data
    }

    /// One pixel as [r, g, b, a] (straight alpha); transparent outside the frame.
    pub fn pixel(&self, x: u32, y: u32) -> [u8; 4] {
        if x >= self.width || y >= self.height {
            return [0; 4];
        }
        let i = (y as usize * self.width as usize + x as usize) * 4;
        [
            self.data[i],
            self.data[i + 1],
            self.data[i + 2],
            self.data[i + 3],
        ]
    }

    /// The pixels that differ from the previous frame lie inside this rectangle (`None` on
    /// the first frame: take all of it).
    pub fn damage(&self) -> Option<PixelRect> {
        self.damage
    }

    /// Counts the frames the renderer produced: 1 for the first, +1 for each change.
    pub fn serial(&self) -> u64 {
        self.serial
    }

    /// Whether any pixel is visible.
    pub fn is_transparent(&self) -> bool {
        self.data.chunks_exact(4).all(|p| p[3] == 0)
    }

    pub(crate) fn set_changed(&mut self, damage: Option<PixelRect>) {
        self.damage = damage;
        self.serial += 1;
    }

    /// Copies `rect` from a premultiplied canvas of the same size, un-premultiplying.
    pub(crate) fn copy_unpremultiplied(&mut self, premultiplied: &[u8], rect: PixelRect) {
        let stride = self.stride();
        for y in rect.y..rect.bottom().min(self.height) {
            let start = y as usize * stride + rect.x as usize * 4;
            let end = y as usize * stride + rect.right().min(self.width) as usize * 4;
            let (src, dst) = (&premultiplied[start..end], &mut self.data[start..end]);
            for (s, d) in src.chunks_exact(4).zip(dst.chunks_exact_mut(4)) {
                match s[3] {
                    0 => d.copy_from_slice(&[0, 0, 0, 0]),
                    255 => d.copy_from_slice(s),
                    a => {
                        let r = RECIPROCAL[usize::from(a)];
                        for k in 0..3 {
                            d[k] = ((u32::from(s[k]) * r + (1 << 15)) >> 16).min(255) as u8;
                        }
                        d[3] = a;
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unpremultiplying_restores_straight_colour() {
        let mut frame = Frame::new(2, 1);
        // White at 50 %: premultiplied 128,128,128,128; a half-covered orange.
        let canvas = [128, 128, 128, 128, 100, 55, 10, 100];
        let all = PixelRect {
            x: 0,
            y: 0,
            width: 2,
            height: 1,
        };
        frame.copy_unpremultiplied(&canvas, all);
        assert_eq!(frame.pixel(0, 0), [255, 255, 255, 128]);
        assert_eq!(frame.pixel(1, 0), [255, 140, 26, 100]);
    }

    #[test]
    fn union_covers_both() {
        let a = PixelRect {
            x: 10,
            y: 10,
            width: 5,
            height: 5,
        };
        let b = PixelRect {
            x: 2,
            y: 12,
            width: 3,
            height: 10,
        };
        let u = a.union(b);
        assert_eq!((u.x, u.y, u.right(), u.bottom()), (2, 10, 15, 22));
        assert!(u.contains(14, 21) && !u.contains(15, 21));
    }
}
