//! Panel state → frame: cards are drawn once per change and cached; a frame is composed only
//! when a card, its place or its fade opacity changed.

use crate::OverlayError;
use crate::fonts::Fonts;
use crate::frame::{Frame, PixelRect};
use crate::panel_cards::{self, card_width, deadline, displayed_seconds, next_tick_ms};
use crate::theme::Theme;
use kaibo_model::{Anchor, OverlayState, PanelContent};
use tiny_skia::Pixmap;

/// How long a panel takes to fade in or out.
pub const DEFAULT_FADE_MS: u64 = 250;

#[derive(Clone, Copy, Debug, PartialEq)]
enum Phase {
    In { start_ms: u64 },
    Shown,
    Out { start_ms: u64 },
}

/// A card as last drawn, and what it was drawn from.
struct Drawn {
    content: PanelContent,
    tick: Option<u64>,
    width: f32,
    pixmap: Pixmap,
    version: u64,
}

/// A panel the renderer knows: on the state, or fading out after leaving it.
struct Track {
    id: String,
    anchor: Anchor,
    content: PanelContent,
    phase: Phase,
    drawn: Option<Drawn>,
}

/// What one frame shows of one panel; frames with equal lists are equal pictures.
#[derive(Clone, Debug, PartialEq)]
struct Placed {
    id: String,
    /// The card's top-left corner (it may hang off the canvas).
    origin: (i32, i32),
    /// The card's part on the canvas.
    rect: PixelRect,
    alpha: u8,
    version: u64,
}

/// Renders [`OverlayState`]s for one canvas size. Call [`Renderer::render`] whenever the state
/// may have changed, every frame while [`Renderer::animating`], and at
/// [`Renderer::next_change_ms`] for countdowns.
pub struct Renderer {
    fonts: Fonts,
    theme: Theme,
    width: u32,
    height: u32,
    fade_ms: u64,
    canvas: Pixmap,
    frame: Frame,
    tracks: Vec<Track>,
    placed: Vec<Placed>,
    versions: u64,
    last_now_ms: u64,
    rendered: bool,
}

impl Renderer {
    /// A renderer for a `width`×`height` canvas (e.g. 1280×720) with panels fading over
    /// [`DEFAULT_FADE_MS`].
    pub fn new(width: u32, height: u32, fonts: Fonts) -> Result<Self, OverlayError> {
        let canvas = Pixmap::new(width, height).ok_or(OverlayError::Canvas { width, height })?;
        Ok(Renderer {
            fonts,
            theme: Theme::for_canvas(width, height),
            width,
            height,
            fade_ms: DEFAULT_FADE_MS,
            canvas,
            frame: Frame::new(width, height),
            tracks: Vec::new(),
            placed: Vec::new(),
            versions: 0,
            last_now_ms: 0,
            rendered: false,
        })
    }

    /// Sets the fade length; 0 shows and hides panels at once.
    pub fn with_fade_ms(mut self, fade_ms: u64) -> Self {
        self.fade_ms = fade_ms;
        self
    }

    /// The sizes in use.
    pub fn theme(&self) -> &Theme {
        &self.theme
    }

    /// The fonts, e.g. to rasterise a text alone for comparison.
    pub fn fonts_mut(&mut self) -> &mut Fonts {
        &mut self.fonts
    }

    /// The last frame produced (transparent before the first render).
    pub fn frame(&self) -> &Frame {
        &self.frame
    }

    /// Renders `state` as it looks at `now_ms` (Unix milliseconds, the clock countdowns use).
    /// Returns the new frame, or `None` when it would equal the previous one. Panels are
    /// matched by id: a new id fades in, a vanished id fades out, a changed one is redrawn.
    pub fn render(&mut self, state: &OverlayState, now_ms: u64) -> Option<&Frame> {
        self.last_now_ms = now_ms;
        self.sync(state, now_ms);
        self.redraw_cards(now_ms);
        let placed = self.place(now_ms);
        if self.rendered && placed == self.placed {
            return None;
        }
        let damage = self
            .rendered
            .then(|| damage(&self.placed, &placed))
            .flatten();
        let region = damage.unwrap_or_else(|| self.full());
        self.compose(&placed, region);
        self.frame.copy_unpremultiplied(self.canvas.data(), region);
        self.frame.set_changed(damage);
        self.placed = placed;
        self.rendered = true;
        Some(&self.frame)
    }

    /// Whether a fade is running as of the last render: call [`Renderer::render`] every frame.
    pub fn animating(&self) -> bool {
        self.tracks.iter().any(|t| !matches!(t.phase, Phase::Shown))
    }

    /// When the picture changes next without a state change: a countdown's next second or
    /// the end of a fade (render every frame until then). `None`: only a new state changes it.
    pub fn next_change_ms(&self) -> Option<u64> {
        let now = self.last_now_ms;
        self.tracks
            .iter()
            .filter_map(|t| match t.phase {
                Phase::In { start_ms } | Phase::Out { start_ms } => Some(start_ms + self.fade_ms),
                Phase::Shown => deadline(&t.content).and_then(|end| next_tick_ms(end, now)),
            })
            .min()
    }

    /// Where each visible panel sits in the last frame, by id, bottom to top.
    pub fn panel_rects(&self) -> Vec<(&str, PixelRect)> {
        self.placed
            .iter()
            .map(|p| (p.id.as_str(), p.rect))
            .collect()
    }

    fn full(&self) -> PixelRect {
        PixelRect {
            x: 0,
            y: 0,
            width: self.width,
            height: self.height,
        }
    }

    fn opacity(&self, phase: Phase, now_ms: u64) -> f32 {
        let ramp = |start: u64| {
            if self.fade_ms == 0 {
                1.0
            } else {
                (now_ms.saturating_sub(start) as f32 / self.fade_ms as f32).min(1.0)
            }
        };
        match phase {
            Phase::Shown => 1.0,
            Phase::In { start_ms } => ramp(start_ms),
            Phase::Out { start_ms } => 1.0 - ramp(start_ms),
        }
    }

    /// Brings the tracks in line with `state`: new ids fade in, vanished ones fade out in
    /// their place, finished fades settle. A repeated id counts once.
    fn sync(&mut self, state: &OverlayState, now_ms: u64) {
        let mut old: Vec<Option<Track>> = std::mem::take(&mut self.tracks)
            .into_iter()
            .map(Some)
            .collect();
        let mut next: Vec<Track> = Vec::with_capacity(state.panels.len());
        for panel in &state.panels {
            if next.iter().any(|t| t.id == panel.id) {
                continue;
            }
            let known = old
                .iter_mut()
                .find(|t| t.as_ref().is_some_and(|t| t.id == panel.id))
                .and_then(Option::take);
            let phase = match known.as_ref().map(|t| t.phase) {
                Some(Phase::Out { .. }) => {
                    let shown =
                        self.opacity(known.as_ref().map_or(Phase::Shown, |t| t.phase), now_ms);
                    Phase::In {
                        start_ms: now_ms.saturating_sub((shown * self.fade_ms as f32) as u64),
                    }
                }
                Some(phase) => phase,
                None => Phase::In { start_ms: now_ms },
            };
            next.push(Track {
                id: panel.id.clone(),
                anchor: panel.anchor,
                content: panel.content.clone(),
                phase,
                drawn: known.and_then(|t| t.drawn),
            });
        }
        // Whatever left the state fades out where it was.
        for (index, track) in old.into_iter().enumerate() {
            let Some(mut track) = track else { continue };
            let shown = self.opacity(track.phase, now_ms);
            if let Phase::In { .. } | Phase::Shown = track.phase {
                track.phase = Phase::Out {
                    start_ms: now_ms.saturating_sub(((1.0 - shown) * self.fade_ms as f32) as u64),
                };
            }
            next.insert(index.min(next.len()), track);
        }
        next.retain(|t| {
            !(matches!(t.phase, Phase::Out { .. }) && self.opacity(t.phase, now_ms) <= 0.0)
        });
        for track in &mut next {
            if matches!(track.phase, Phase::In { .. }) && self.opacity(track.phase, now_ms) >= 1.0 {
                track.phase = Phase::Shown;
            }
        }
        self.tracks = next;
    }

    /// Redraws the cards whose content, displayed second or width changed. A card fading out
    /// keeps its last picture.
    fn redraw_cards(&mut self, now_ms: u64) {
        for track in &mut self.tracks {
            let tick = deadline(&track.content).map(|end| displayed_seconds(end, now_ms));
            let width = card_width(&self.theme, track.anchor, &track.content, self.width).round();
            let fresh = track.drawn.as_ref().is_some_and(|d| {
                matches!(track.phase, Phase::Out { .. })
                    || (d.content == track.content && d.tick == tick && d.width == width)
            });
            if fresh {
                continue;
            }
            let spec =
                panel_cards::card(&mut self.fonts, &self.theme, &track.content, now_ms, width);
            if let Some(pixmap) = spec.paint(&mut self.fonts, &self.theme) {
                self.versions += 1;
                track.drawn = Some(Drawn {
                    content: track.content.clone(),
                    tick,
                    width,
                    pixmap,
                    version: self.versions,
                });
            }
        }
    }

    /// Where each card goes: stacked from its anchor's corner (the first panel nearest it).
    fn place(&self, now_ms: u64) -> Vec<Placed> {
        let (cw, ch) = (self.width as f32, self.height as f32);
        let (margin, gap) = (self.theme.margin, self.theme.gap);
        let mut offsets = [0.0f32; 6];
        let center_total: f32 = self
            .tracks
            .iter()
            .filter(|t| t.anchor == Anchor::Center)
            .filter_map(|t| t.drawn.as_ref())
            .map(|d| d.pixmap.height() as f32 + gap)
            .sum::<f32>()
            - gap;
        let mut placed = Vec::with_capacity(self.tracks.len());
        for track in &self.tracks {
            let Some(drawn) = &track.drawn else { continue };
            let (w, h) = (drawn.pixmap.width() as f32, drawn.pixmap.height() as f32);
            let slot = anchor_slot(track.anchor);
            let offset = offsets[slot];
            offsets[slot] += h + gap;
            let x = match track.anchor {
                Anchor::TopRight | Anchor::BottomRight => cw - margin - w,
                Anchor::Center => (cw - w) / 2.0,
                _ => margin,
            };
            let y = match track.anchor {
                Anchor::TopLeft | Anchor::TopRight => margin + offset,
                Anchor::Center => (ch - center_total) / 2.0 + offset,
                _ => ch - margin - h - offset,
            };
            let alpha = (self.opacity(track.phase, now_ms) * 255.0).round() as u8;
            if let Some(rect) = clamp_rect(x.round(), y.round(), w, h, self.width, self.height)
                && alpha > 0
            {
                placed.push(Placed {
                    id: track.id.clone(),
                    origin: (x.round() as i32, y.round() as i32),
                    rect,
                    alpha,
                    version: drawn.version,
                });
            }
        }
        placed
    }

    /// Clears where cards were and are, then draws the cards in order.
    /// Redraws `region` of the canvas: cleared, then every card's part in it, in order.
    /// Outside `region` the canvas already shows `placed`.
    fn compose(&mut self, placed: &[Placed], region: PixelRect) {
        let stride = self.width as usize * 4;
        let data = self.canvas.data_mut();
        for y in region.y..region.bottom() {
            let start = y as usize * stride + region.x as usize * 4;
            data[start..start + region.width as usize * 4].fill(0);
        }
        for p in placed {
            let Some(drawn) = self
                .tracks
                .iter()
                .find(|t| t.id == p.id)
                .and_then(|t| t.drawn.as_ref())
            else {
                continue;
            };
            blit(&mut self.canvas, &drawn.pixmap, p.origin, p.alpha, region);
        }
    }
}

/// Source-over of the premultiplied `card` at `origin` onto the premultiplied `canvas`, at
/// `alpha`/255 opacity, cut to `clip` (inside the canvas). (tiny-skia's `draw_pixmap` takes its
/// high-precision pattern pipeline for this and costs several times more.)
fn blit(canvas: &mut Pixmap, card: &Pixmap, origin: (i32, i32), alpha: u8, clip: PixelRect) {
    let cw = canvas.width() as i64;
    let (w, h) = (card.width() as i64, card.height() as i64);
    let (ox, oy) = (i64::from(origin.0), i64::from(origin.1));
    let (x0, x1) = (
        ox.max(i64::from(clip.x)),
        (ox + w).min(i64::from(clip.right())),
    );
    let (y0, y1) = (
        oy.max(i64::from(clip.y)),
        (oy + h).min(i64::from(clip.bottom())),
    );
    if x0 >= x1 || y0 >= y1 {
        return;
    }
    let op = u32::from(alpha);
    let src = card.data();
    let dst = canvas.data_mut();
    for y in y0..y1 {
        let s_row = (((y - oy) * w + (x0 - ox)) * 4) as usize;
        let d_row = ((y * cw + x0) * 4) as usize;
        let n = ((x1 - x0) * 4) as usize;
        let (s_row, d_row) = (&src[s_row..s_row + n], &mut dst[d_row..d_row + n]);
        if op == 255 {
            for (s, d) in s_row.chunks_exact(4).zip(d_row.chunks_exact_mut(4)) {
                // Cards rarely overlap: over a cleared pixel (or from an opaque one) it is a copy.
                if s[3] == 255 || d[3] == 0 {
                    d.copy_from_slice(s);
                } else if s[3] != 0 {
                    let inv = 255 - u32::from(s[3]);
                    for k in 0..4 {
                        d[k] = (u32::from(s[k]) + mul255(u32::from(d[k]), inv)).min(255) as u8;
                    }
                }
            }
            continue;
        }
        for (s, d) in s_row.chunks_exact(4).zip(d_row.chunks_exact_mut(4)) {
            let sa = mul255(u32::from(s[3]), op);
            if sa == 0 {
                continue;
            }
            let inv = 255 - sa;
            for k in 0..4 {
                let sc = mul255(u32::from(s[k]), op);
                d[k] = (sc + mul255(u32::from(d[k]), inv)).min(255) as u8;
            }
        }
    }
}

/// a·b/255, rounded.
fn mul255(a: u32, b: u32) -> u32 {
    let t = a * b + 128;
    (t + (t >> 8)) >> 8
}

fn anchor_slot(anchor: Anchor) -> usize {
    match anchor {
        Anchor::TopLeft => 0,
        Anchor::TopRight => 1,
        Anchor::BottomLeft => 2,
        Anchor::BottomRight => 3,
        Anchor::BottomBand => 4,
        Anchor::Center => 5,
    }
}

/// The card's rectangle cut to the canvas; `None` when none of it is on the canvas.
fn clamp_rect(x: f32, y: f32, w: f32, h: f32, cw: u32, ch: u32) -> Option<PixelRect> {
    let x0 = x.max(0.0) as u32;
    let y0 = y.max(0.0) as u32;
    let x1 = (x + w).clamp(0.0, cw as f32) as u32;
    let y1 = (y + h).clamp(0.0, ch as f32) as u32;
    (x1 > x0 && y1 > y0).then_some(PixelRect {
        x: x0,
        y: y0,
        width: x1 - x0,
        height: y1 - y0,
    })
}

/// The rectangle holding every panel that differs between two frames.
fn damage(before: &[Placed], after: &[Placed]) -> Option<PixelRect> {
    let order_changed = before
        .iter()
        .map(|p| &p.id)
        .filter(|id| after.iter().any(|a| &a.id == *id))
        .ne(after
            .iter()
            .map(|p| &p.id)
            .filter(|id| before.iter().any(|b| &b.id == *id)));
    before
        .iter()
        .filter(|p| order_changed || !after.contains(p))
        .chain(
            after
                .iter()
                .filter(|p| order_changed || !before.contains(p)),
        )
        .map(|p| p.rect)
        .reduce(PixelRect::union)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_renderer_can_move_to_the_engines_thread() {
        fn sendable<T: Send + 'static>() {}
        sendable::<Renderer>();
        sendable::<crate::Frame>();
    }

    #[test]
    fn blending_at_full_and_zero_opacity() {
        assert_eq!(mul255(255, 255), 255);
        assert_eq!(mul255(200, 0), 0);
        assert_eq!(mul255(128, 255), 128);
        let mut canvas = Pixmap::new(2, 1).expect("canvas");
        let mut card = Pixmap::new(1, 1).expect("card");
        card.data_mut().copy_from_slice(&[100, 50, 0, 200]);
        let all = PixelRect {
            x: 0,
            y: 0,
            width: 2,
            height: 1,
        };
        blit(&mut canvas, &card, (1, 0), 255, all);
        assert_eq!(canvas.data(), &[0, 0, 0, 0, 100, 50, 0, 200]);
        blit(&mut canvas, &card, (0, 0), 0, all);
        assert_eq!(
            &canvas.data()[..4],
            &[0, 0, 0, 0],
            "zero opacity draws nothing"
        );
        blit(&mut canvas, &card, (5, 5), 255, all);
        assert_eq!(
            canvas.data(),
            &[0, 0, 0, 0, 100, 50, 0, 200],
            "off the canvas: nothing"
        );
    }
}
