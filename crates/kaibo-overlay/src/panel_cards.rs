//! What each panel kind shows, as card rows.

use crate::card::{CardSpec, Row};
use crate::fonts::{Fonts, TextStyle};
use crate::theme::{self, Theme};
use kaibo_model::{Anchor, PanelContent};
use qrcode::{EcLevel, QrCode};

/// Quiet zone around a QR code, in modules (the standard's minimum).
const QR_QUIET: usize = 4;
/// Poll options shown at most.
const POLL_OPTIONS_MAX: usize = 6;

/// Seconds a countdown shows at `now_ms`: whole seconds left, rounded up (0 once over).
pub fn displayed_seconds(ends_at_ms: u64, now_ms: u64) -> u64 {
    ends_at_ms.saturating_sub(now_ms).div_ceil(1000)
}

/// When the seconds a countdown shows next change, if they still do.
pub fn next_tick_ms(ends_at_ms: u64, now_ms: u64) -> Option<u64> {
    let shown = displayed_seconds(ends_at_ms, now_ms);
    (shown > 0).then(|| ends_at_ms - (shown - 1) * 1000)
}

/// "MM:SS", or "H:MM:SS" from an hour on.
pub fn clock(seconds: u64) -> String {
    let (h, m, s) = (seconds / 3600, seconds / 60 % 60, seconds % 60);
    if h > 0 {
        format!("{h}:{m:02}:{s:02}")
    } else {
        format!("{m:02}:{s:02}")
    }
}

/// The countdown end a panel shows, if any.
pub fn deadline(content: &PanelContent) -> Option<u64> {
    match content {
        PanelContent::Countdown { ends_at_ms, .. } => Some(*ends_at_ms),
        PanelContent::Offer { ends_at_ms, .. } => *ends_at_ms,
        _ => None,
    }
}

/// Card width for a panel at `anchor` on a canvas `canvas_w` wide.
pub fn card_width(theme: &Theme, anchor: Anchor, content: &PanelContent, canvas_w: u32) -> f32 {
    let anchored = match anchor {
        Anchor::BottomBand => theme.band_w(canvas_w),
        Anchor::Center => theme.center_w,
        _ => theme.corner_w,
    };
    match content {
        // A QR card hugs its code.
        PanelContent::JoinQr { .. } => anchored.min(theme.qr_px + 2.0 * theme.pad),
        _ => anchored,
    }
}

fn style(theme: &Theme, size_px: f32, bold: bool, max_lines: usize) -> TextStyle {
    TextStyle {
        size_px,
        line_factor: theme.line_factor,
        bold,
        max_lines,
    }
}

/// The body style of a question: what [`crate::Renderer`] sets the question text in.
pub fn question_style(theme: &Theme) -> TextStyle {
    style(theme, theme.body_px, false, theme.question_lines)
}

/// Lays out the card for `content` at `now_ms`, `width` wide.
pub fn card(
    fonts: &mut Fonts,
    theme: &Theme,
    content: &PanelContent,
    now_ms: u64,
    width: f32,
) -> CardSpec {
    let mut spec = CardSpec::new(width);
    let t = theme;
    let small = style(t, t.small_px, false, 1);
    let title = style(t, t.title_px, true, 2);
    match content {
        PanelContent::Question { text, asker, likes } => {
            spec.pair(
                fonts,
                t,
                (&format!("{asker} 提问"), small, theme::ACCENT),
                (&format!("赞 {likes}"), small, theme::ACCENT),
            );
            spec.text(fonts, t, text, question_style(t), theme::TEXT);
        }
        PanelContent::Poll {
            title: name,
            options,
            open,
        } => {
            spec.text(fonts, t, name, title, theme::TEXT);
            let total: u64 = options.iter().map(|o| u64::from(o.votes)).sum();
            for option in options.iter().take(POLL_OPTIONS_MAX) {
                let fraction = if total == 0 {
                    0.0
                } else {
                    option.votes as f32 / total as f32
                };
                let percent = format!("{}%", (fraction * 100.0).round());
                spec.pair(
                    fonts,
                    t,
                    (&option.label, small, theme::TEXT),
                    (&percent, small, theme::TEXT),
                );
                spec.rows.push(Row::Bar { fraction });
            }
            let state = if *open {
                "投票中"
            } else {
                "投票已结束"
            };
            spec.text(
                fonts,
                t,
                &format!("共 {total} 票 · {state}"),
                small,
                theme::MUTED,
            );
        }
        PanelContent::Rating {
            title: name,
            average,
            count,
        } => {
            spec.text(fonts, t, name, title, theme::TEXT);
            let average = if average.is_finite() {
                average.clamp(0.0, 5.0)
            } else {
                0.0
            };
            spec.rows.push(Row::Stars { average });
            spec.text(
                fonts,
                t,
                &format!("{average:.1} 分 · {count} 人评分"),
                small,
                theme::MUTED,
            );
        }
        PanelContent::Countdown { label, ends_at_ms } => {
            spec.centered(fonts, t, label, title, theme::TEXT);
            let digits = clock(displayed_seconds(*ends_at_ms, now_ms));
            spec.centered(
                fonts,
                t,
                &digits,
                style(t, t.digits_px, true, 1),
                theme::ACCENT,
            );
        }
        PanelContent::Offer {
            title: name,
            detail,
            ends_at_ms,
        } => {
            let left = (name.as_str(), style(t, t.title_px, true, 1), theme::ACCENT);
            match ends_at_ms {
                Some(end) => {
                    let remaining = format!("剩余 {}", clock(displayed_seconds(*end, now_ms)));
                    spec.pair(
                        fonts,
                        t,
                        left,
                        (&remaining, style(t, t.title_px, true, 1), theme::TEXT),
                    );
                }
                None => spec.text(fonts, t, left.0, left.1, left.2),
            }
            spec.text(fonts, t, detail, style(t, t.body_px, false, 2), theme::TEXT);
        }
        PanelContent::Winners { title: name, names } => {
            spec.text(fonts, t, name, style(t, t.title_px, true, 1), theme::ACCENT);
            spec.text(
                fonts,
                t,
                &names.join("、"),
                style(t, t.body_px, false, 3),
                theme::TEXT,
            );
        }
        PanelContent::JoinQr { url, caption } => {
            match qr_modules(url) {
                Some((dark, modules)) => spec.rows.push(Row::Qr { dark, modules }),
                None => spec.text(fonts, t, "链接过长，无法生成二维码", small, theme::MUTED),
            }
            spec.centered(
                fonts,
                t,
                caption,
                style(t, t.small_px, false, 2),
                theme::TEXT,
            );
        }
        PanelContent::LowerThird {
            title: name,
            subtitle,
        } => {
            spec.text(fonts, t, name, style(t, t.name_px, true, 1), theme::TEXT);
            spec.text(
                fonts,
                t,
                subtitle,
                style(t, t.small_px, false, 1),
                theme::MUTED,
            );
        }
    }
    spec
}

/// The QR code of `url` with its quiet zone: dark cells row-major and the side in modules.
/// `None` when the URL does not fit a QR code.
pub fn qr_modules(url: &str) -> Option<(Vec<bool>, usize)> {
    let code = QrCode::with_error_correction_level(url.as_bytes(), EcLevel::M).ok()?;
    let inner = code.width();
    let side = inner + 2 * QR_QUIET;
    let colors = code.to_colors();
    let mut dark = vec![false; side * side];
    for (i, color) in colors.iter().enumerate() {
        let (x, y) = (i % inner + QR_QUIET, i / inner + QR_QUIET);
        dark[y * side + x] = *color == qrcode::Color::Dark;
    }
    Some((dark, side))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn countdown_seconds_round_up_and_tick_on_the_second() {
        assert_eq!(displayed_seconds(10_000, 0), 10);
        assert_eq!(displayed_seconds(10_000, 1), 10);
        assert_eq!(displayed_seconds(10_000, 1_000), 9);
        assert_eq!(displayed_seconds(10_000, 10_000), 0);
        assert_eq!(displayed_seconds(10_000, 99_000), 0);
        assert_eq!(next_tick_ms(10_000, 1), Some(1_000));
        assert_eq!(next_tick_ms(10_000, 9_500), Some(10_000));
        assert_eq!(next_tick_ms(10_000, 10_000), None);
    }

    #[test]
    fn clock_shows_minutes_and_hours() {
        assert_eq!(clock(0), "00:00");
        assert_eq!(clock(299), "04:59");
        assert_eq!(clock(3_725), "1:02:05");
    }

    #[test]
    fn qr_modules_include_the_quiet_zone() {
        let (dark, side) = qr_modules("https://kaibo.example/j/abc").expect("fits");
        assert_eq!(dark.len(), side * side);
        assert!(side >= 21 + 2 * QR_QUIET);
        assert!(
            !dark[..side * QR_QUIET].iter().any(|d| *d),
            "quiet rows are light"
        );
        assert!(qr_modules(&"x".repeat(5_000)).is_none());
    }
}
