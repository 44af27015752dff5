//! Fonts and text: system fonts through fontdb (fontconfig's directories), Noto Sans CJK SC
//! preferred, shaped and wrapped by cosmic-text, rasterised by swash into a clipped box.

use crate::OverlayError;
use crate::sanitize::plain_text;
use crate::theme::Rgba;
use cosmic_text::fontdb::Database;
use cosmic_text::{
    Attrs, Buffer, Color, Ellipsize, EllipsizeHeightLimit, Family, FontSystem, Metrics, Shaping,
    SwashCache, Weight, Wrap,
};
use tiny_skia::Pixmap;

/// The family every overlay text asks for; Latin, digits and CJK all come from it.
pub const CJK_FAMILY: &str = "Noto Sans CJK SC";
/// The Debian/Ubuntu package that ships [`CJK_FAMILY`].
pub const CJK_PACKAGE: &str = "fonts-noto-cjk";
/// Rasterised glyphs kept before the cache starts over (a long stream shows many characters).
const GLYPH_CACHE_MAX: usize = 4_096;

/// The loaded fonts, the shaper and the glyph cache. Loading scans the system once.
pub struct Fonts {
    system: FontSystem,
    glyphs: SwashCache,
}

impl std::fmt::Debug for Fonts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Fonts")
            .field("faces", &self.system.db().len())
            .finish()
    }
}

/// How one block of text is set.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TextStyle {
    pub size_px: f32,
    /// Line height as a multiple of `size_px`.
    pub line_factor: f32,
    pub bold: bool,
    /// Lines shown at most; the last one ends in "…" when the text is longer.
    pub max_lines: usize,
}

/// Text shaped and wrapped to a width, ready to draw.
pub struct TextBlock {
    buffer: Buffer,
    lines: usize,
    line_height: f32,
    /// Widest line, in pixels.
    pub width: f32,
}

impl TextBlock {
    /// Height of the shown lines, in pixels.
    pub fn height(&self) -> f32 {
        self.lines as f32 * self.line_height
    }
}

/// Coverage of a text drawn alone: one byte per pixel, row after row.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GlyphMask {
    pub width: u32,
    pub height: u32,
    pub coverage: Vec<u8>,
}

impl Fonts {
    /// Loads the system's fonts (fontconfig's font directories) and checks for the CJK family.
    pub fn system() -> Result<Self, OverlayError> {
        let mut db = Database::new();
        db.load_system_fonts();
        Self::from_database(db)
    }

    /// Uses the fonts in `db`; fails with [`OverlayError::MissingCjkFont`] without a Chinese face.
    pub fn from_database(mut db: Database) -> Result<Self, OverlayError> {
        let has_cjk = db
            .faces()
            .any(|face| face.families.iter().any(|(name, _)| name == CJK_FAMILY));
        if !has_cjk {
            return Err(OverlayError::MissingCjkFont {
                family: CJK_FAMILY,
                package: CJK_PACKAGE,
                faces: db.len(),
            });
        }
        db.set_sans_serif_family(CJK_FAMILY);
        Ok(Fonts {
            system: FontSystem::new_with_locale_and_db("zh-CN".into(), db),
            glyphs: SwashCache::new(),
        })
    }

    /// Shapes `text` (made plain first, see [`crate::plain_text`]) into lines of `max_width`.
    pub fn layout(&mut self, text: &str, style: &TextStyle, max_width: f32) -> TextBlock {
        let text = plain_text(text);
        let line_height = (style.size_px * style.line_factor).ceil();
        let max_lines = style.max_lines.max(1);
        let mut buffer = Buffer::new(&mut self.system, Metrics::new(style.size_px, line_height));
        buffer.set_wrap(Wrap::WordOrGlyph);
        buffer.set_ellipsize(Ellipsize::End(EllipsizeHeightLimit::Lines(max_lines)));
        buffer.set_size(Some(max_width.max(1.0)), None);
        let weight = if style.bold {
            Weight::BOLD
        } else {
            Weight::NORMAL
        };
        let attrs = Attrs::new().family(Family::Name(CJK_FAMILY)).weight(weight);
        buffer.set_text(&text, &attrs, Shaping::Advanced, None);
        buffer.shape_until_scroll(&mut self.system, false);
        let (lines, width) = buffer
            .layout_runs()
            .take(max_lines)
            .fold((0, 0.0f32), |(n, w), run| (n + 1, w.max(run.line_w)));
        TextBlock {
            buffer,
            lines,
            line_height,
            width: width.min(max_width),
        }
    }

    /// Draws `block` with its top-left at (`x`, `y`) in `color`, touching only pixels inside
    /// the `clip` rectangle (x0, y0, x1, y1; end exclusive) of `pixmap`.
    pub fn draw(
        &mut self,
        block: &TextBlock,
        pixmap: &mut Pixmap,
        (x, y): (f32, f32),
        color: Rgba,
        clip: (i32, i32, i32, i32),
    ) {
        if self.glyphs.image_cache.len() > GLYPH_CACHE_MAX {
            self.glyphs.image_cache.clear();
        }
        let (pw, ph) = (pixmap.width() as i32, pixmap.height() as i32);
        let (x0, y0) = (clip.0.max(0), clip.1.max(0));
        let (x1, y1) = (clip.2.min(pw), clip.3.min(ph));
        let data = pixmap.data_mut();
        let base = Color::rgba(color[0], color[1], color[2], 255);
        for run in block.buffer.layout_runs().take(block.lines) {
            for glyph in run.glyphs {
                let g = glyph.physical((x, y + run.line_y), 1.0);
                self.glyphs
                    .with_pixels(&mut self.system, g.cache_key, base, |dx, dy, c| {
                        let (px, py) = (g.x + dx, g.y + dy);
                        if px < x0 || py < y0 || px >= x1 || py >= y1 {
                            return;
                        }
                        let cover = u32::from(c.a()) * u32::from(color[3]) / 255;
                        let i = (py * pw + px) as usize * 4;
                        blend_over(&mut data[i..i + 4], [c.r(), c.g(), c.b()], cover);
                    });
            }
        }
    }

    /// Rasterises `text` alone, as [`Fonts::layout`] sets it: the glyph coverage in a mask as
    /// wide as `max_width` and as tall as the shown lines.
    pub fn rasterize(&mut self, text: &str, style: &TextStyle, max_width: f32) -> GlyphMask {
        let block = self.layout(text, style, max_width);
        let (w, h) = (max_width.ceil().max(1.0), block.height().ceil().max(1.0));
        let Some(mut pixmap) = Pixmap::new(w as u32, h as u32) else {
            return GlyphMask {
                width: 0,
                height: 0,
                coverage: Vec::new(),
            };
        };
        let clip = (0, 0, w as i32, h as i32);
        self.draw(&block, &mut pixmap, (0.0, 0.0), [255, 255, 255, 255], clip);
        GlyphMask {
            width: pixmap.width(),
            height: pixmap.height(),
            coverage: pixmap.data().chunks_exact(4).map(|p| p[3]).collect(),
        }
    }
}

/// Source-over of a straight colour with `cover` (0–255) onto one premultiplied RGBA pixel.
fn blend_over(dst: &mut [u8], rgb: [u8; 3], cover: u32) {
    if cover == 0 {
        return;
    }
    let inv = 255 - cover;
    for k in 0..3 {
        let src = u32::from(rgb[k]) * cover / 255;
        dst[k] = (src + u32::from(dst[k]) * inv / 255).min(255) as u8;
    }
    dst[3] = (cover + u32::from(dst[3]) * inv / 255).min(255) as u8;
}
