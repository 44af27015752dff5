//! Lighting from one camera frame: exposure, clipping, backlight, colour cast, contrast and
//! focus, judged for a host sitting in the middle of the picture.
//!
//! The frame is read once at about 640 pixels across (every n-th pixel of every n-th row):
//! enough for statistics and for focus at the scale a viewer sees, and a few milliseconds at
//! 1080p.

use crate::{CheckItem, CheckStatus, Language};
use kaibo_model::Tr;
use kaibo_model::checklist::ids;
use serde::Serialize;

/// An RGBA picture (8 bits per channel, rows of `width * 4` bytes).
#[derive(Clone, Copy, Debug)]
pub struct Frame<'a> {
    pub width: u32,
    pub height: u32,
    pub rgba: &'a [u8],
}

/// What one frame measured. Luma and chroma are on the 0–255 scale.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct LightingStats {
    pub mean_luma: f32,
    /// Share of the picture at or above luma 250, in percent.
    pub highlights_pct: f32,
    /// Share of the picture at or below luma 6, in percent.
    pub shadows_pct: f32,
    /// Mean luma where the host sits (the middle of the picture).
    pub subject_luma: f32,
    /// Mean luma of the background around and above the host.
    pub background_luma: f32,
    /// Blue-difference and red-difference chroma of the brightest tenth (0 for neutral).
    pub cast_cb: f32,
    pub cast_cr: f32,
    /// (p95 − p5) / (p95 + p5) of luma: 0 is flat grey, 1 is full contrast.
    pub contrast: f32,
    /// Mean absolute Laplacian relative to the tonal range (p95 − p5), × 100.
    pub sharpness: f32,
}

/// Something wrong with the lighting, most serious first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LightingProblem {
    Dark,
    Backlit,
    Overexposed,
    Flat,
    ColourCast,
    Blurred,
}

/// A region as fractions of the width and height: (x0, y0, x1, y1).
type Region = (f32, f32, f32, f32);
/// Where a host's face and upper body are in a usual framing.
const SUBJECT: Region = (0.3, 0.15, 0.7, 0.75);
/// The band left, right and above the host: where windows and lamps behind them show.
const BACKGROUND_TOP: f32 = 0.6;
/// How many columns the analysis reads at most.
const TARGET_WIDTH: u32 = 640;

/// Measures one frame.
pub fn analyse_frame(frame: Frame<'_>) -> LightingStats {
    let step = (frame.width / TARGET_WIDTH).max(1) as usize;
    let (w, h) = (frame.width as usize, frame.height as usize);
    let usable = frame.rgba.len().min(w * h * 4);
    let rows = (usable / (w * 4).max(1)).min(h);
    let (sw, sh) = (w.div_ceil(step), rows.div_ceil(step));
    let mut luma = vec![0u8; sw * sh];
    let mut hist = [0u32; 256];
    // Chroma summed per luma level: the cast is read from the brightest tenth, where a
    // correctly balanced picture is nearly neutral whatever colours the scene has.
    let mut cb_by_luma = [0i64; 256];
    let mut cr_by_luma = [0i64; 256];
    let (sx0, sx1) = (
        (SUBJECT.0 * sw as f32) as usize,
        (SUBJECT.2 * sw as f32) as usize,
    );
    let (sy0, sy1) = (
        (SUBJECT.1 * sh as f32) as usize,
        (SUBJECT.3 * sh as f32) as usize,
    );
    let bg_y1 = (BACKGROUND_TOP * sh as f32) as usize;
    let (mut subject_sum, mut subject_n) = (0u64, 0u64);
    let (mut bg_sum, mut bg_n) = (0u64, 0u64);
    for (y, out_row) in luma.chunks_exact_mut(sw.max(1)).enumerate() {
        let row = &frame.rgba[y * step * w * 4..][..w * 4];
        let in_subject_rows = (sy0..sy1).contains(&y);
        let mut row_subject = 0u64;
        let mut row_bg = 0u64;
        for (x, px) in row.chunks_exact(4).step_by(step).enumerate() {
            let (r, g, b) = (i32::from(px[0]), i32::from(px[1]), i32::from(px[2]));
            // BT.601 in 16-bit fixed point.
            let l = ((19595 * r + 38470 * g + 7471 * b + 32768) >> 16) as u8;
            let cb = (-11056 * r - 21712 * g + 32768 * b + 32768) >> 16;
            let cr = (32768 * r - 27440 * g - 5328 * b + 32768) >> 16;
            out_row[x] = l;
            hist[l as usize] += 1;
            cb_by_luma[l as usize] += i64::from(cb);
            cr_by_luma[l as usize] += i64::from(cr);
            let in_subject_cols = (sx0..sx1).contains(&x);
            if in_subject_rows && in_subject_cols {
                row_subject += u64::from(l);
            } else if y < bg_y1 && !in_subject_cols {
                row_bg += u64::from(l);
            }
        }
        if in_subject_rows {
            subject_sum += row_subject;
            subject_n += (sx1 - sx0) as u64;
        }
        if y < bg_y1 {
            bg_sum += row_bg;
            bg_n += (sw - (sx1 - sx0)) as u64;
        }
    }
    let total: u64 = hist.iter().map(|&c| u64::from(c)).sum::<u64>().max(1);
    let sum: u64 = hist
        .iter()
        .enumerate()
        .map(|(v, &c)| v as u64 * u64::from(c))
        .sum();
    let share = |range: std::ops::RangeInclusive<usize>| -> f32 {
        hist[range].iter().map(|&c| u64::from(c)).sum::<u64>() as f32 * 100.0 / total as f32
    };
    let p5 = percentile(&hist, 0.05);
    let p95 = percentile(&hist, 0.95);
    let range = (p95 - p5).max(1.0);
    // The brightest tenth below clipping (clipped pixels are white whatever the light).
    let bright = (percentile(&hist, 0.9) as usize).min(249)..250;
    let bright_n: u64 = hist[bright.clone()].iter().map(|&c| u64::from(c)).sum();
    let chroma = |sums: &[i64; 256]| -> f32 {
        sums[bright.clone()].iter().sum::<i64>() as f32 / bright_n.max(1) as f32
    };
    LightingStats {
        mean_luma: sum as f32 / total as f32,
        highlights_pct: share(250..=255),
        shadows_pct: share(0..=6),
        subject_luma: subject_sum as f32 / subject_n.max(1) as f32,
        background_luma: bg_sum as f32 / bg_n.max(1) as f32,
        cast_cb: chroma(&cb_by_luma),
        cast_cr: chroma(&cr_by_luma),
        contrast: (p95 - p5) / (p95 + p5).max(1.0),
        sharpness: mean_abs_laplacian(&luma, sw, sh) / range * 100.0,
    }
}

/// The value below which `q` of the histogram's mass lies.
fn percentile(hist: &[u32; 256], q: f32) -> f32 {
    let total: u64 = hist.iter().map(|&c| u64::from(c)).sum();
    let target = (total as f64 * f64::from(q)).ceil() as u64;
    let mut seen = 0u64;
    for (v, &c) in hist.iter().enumerate() {
        seen += u64::from(c);
        if seen >= target.max(1) {
            return v as f32;
        }
    }
    255.0
}

fn mean_abs_laplacian(luma: &[u8], w: usize, h: usize) -> f32 {
    if w < 3 || h < 3 {
        return 0.0;
    }
    let mut sum = 0u64;
    for y in 1..h - 1 {
        let (up, row, down) = (&luma[(y - 1) * w..], &luma[y * w..], &luma[(y + 1) * w..]);
        for x in 1..w - 1 {
            let c = 4 * i32::from(row[x]);
            let n = i32::from(up[x])
                + i32::from(down[x])
                + i32::from(row[x - 1])
                + i32::from(row[x + 1]);
            sum += (c - n).unsigned_abs() as u64;
        }
    }
    sum as f32 / ((w - 2) * (h - 2)) as f32
}

/// The problems in `stats`, most serious first, each with how bad it is.
pub fn lighting_problems(stats: &LightingStats) -> Vec<(LightingProblem, CheckStatus)> {
    use CheckStatus::{Fail, Warn};
    use LightingProblem::*;
    let mut out = Vec::new();
    let dark = if stats.mean_luma < 45.0 {
        Some(Fail)
    } else if stats.mean_luma < 75.0 {
        Some(Warn)
    } else {
        None
    };
    if let Some(s) = dark {
        out.push((Dark, s));
    }
    // A bright window behind the host clips the background: that is backlight, and its fix,
    // not a general overexposure.
    let ratio = stats.subject_luma / stats.background_luma.max(1.0);
    if stats.background_luma > 150.0 && ratio < 0.55 {
        out.push((Backlit, Fail));
    } else if stats.background_luma > 130.0 && ratio < 0.7 {
        out.push((Backlit, Warn));
    } else if stats.mean_luma > 200.0 || stats.highlights_pct > 25.0 {
        out.push((Overexposed, Fail));
    } else if stats.mean_luma > 175.0 || stats.highlights_pct > 10.0 {
        out.push((Overexposed, Warn));
    }
    // Contrast and colour cannot be judged in a picture that is nearly black.
    if dark != Some(Fail) {
        if stats.contrast < 0.2 {
            out.push((Flat, Fail));
        } else if stats.contrast < 0.3 {
            out.push((Flat, Warn));
        }
        let cast = stats.cast_cb.hypot(stats.cast_cr);
        if cast > 30.0 {
            out.push((ColourCast, Fail));
        } else if cast > 20.0 {
            out.push((ColourCast, Warn));
        }
    }
    // Focus is judged only on a sound exposure: crushed or washed-out detail looks soft.
    if out.is_empty() || out.iter().all(|(p, _)| *p == ColourCast) {
        if stats.sharpness < 3.0 {
            out.push((Blurred, Fail));
        } else if stats.sharpness < 4.5 {
            out.push((Blurred, Warn));
        }
    }
    out
}

/// The checklist item for a frame's measurements.
pub fn evaluate_lighting(stats: &LightingStats, lang: Language) -> CheckItem {
    let problems = lighting_problems(stats);
    let status = problems
        .iter()
        .map(|(_, s)| *s)
        .max()
        .unwrap_or(CheckStatus::Pass);
    let value = format!(
        "luma {:.0}, clipped {:.1}%/{:.1}%, subject/background {:.0}/{:.0}, cast {:+.0}/{:+.0}, contrast {:.2}, sharpness {:.1}",
        stats.mean_luma,
        stats.highlights_pct,
        stats.shadows_pct,
        stats.subject_luma,
        stats.background_luma,
        stats.cast_cb,
        stats.cast_cr,
        stats.contrast,
        stats.sharpness
    );
    let hints: Vec<String> = problems
        .iter()
        .map(|(p, _)| problem_hint(*p, stats, lang))
        .collect();
    let hint = match hints.first() {
        Some(h) => h.clone(),
        None => Tr(lang).t("The lighting is good.", "光线良好。").to_owned(),
    };
    CheckItem::new(ids::LIGHTING, status, value, hint)
        .with_details(hints.into_iter().skip(1).collect())
}

fn problem_hint(problem: LightingProblem, stats: &LightingStats, lang: Language) -> String {
    match problem {
        LightingProblem::Dark => Tr(lang).t("The picture is too dark: turn on the fill light (or a desk lamp) in front of you, facing you.", "画面太暗：打开补光灯或台灯，正对脸部从前方照亮。").to_owned(),
        LightingProblem::Overexposed => Tr(lang).t("The picture is overexposed: dim the fill light or move it further away, and keep bright light out of the lens.", "画面过曝：调暗补光灯或把灯移远一些，避免强光直射镜头。").to_owned(),
        LightingProblem::Backlit => Tr(lang).t("Backlit: the background is brighter than you. Move the window behind you out of frame (close the curtain or turn around), or add a fill light in front.", "逆光：背后比脸亮。把身后的窗户移出画面（拉上窗帘或转个方向），或在前方加补光灯。").to_owned(),
        LightingProblem::Flat => Tr(lang).t("The picture is flat and hazy: wipe the lens, turn off lights shining into it, and add a key light from one side.", "画面发灰、缺少对比：擦拭镜头，关掉正对镜头的灯，从一侧加主光。").to_owned(),
        LightingProblem::ColourCast => {
            let warm = stats.cast_cr > 0.0 && stats.cast_cb < 0.0;
            let cool = stats.cast_cb > 0.0 && stats.cast_cr <= stats.cast_cb;
            match (warm, cool) {
                (true, _) => Tr(lang).t("The picture is yellow/orange: use daylight bulbs (5000–6500 K) or set the camera's white balance.", "画面偏黄/偏橙：换用日光色（5000–6500K）灯泡，或在摄像头设置中调整白平衡。").to_owned(),
                (_, true) => Tr(lang).t("The picture is blue: daylight mixed with indoor light does this; use one kind of light or set the camera's white balance.", "画面偏蓝：窗外日光与室内灯混合时常见，统一光源色温或调整白平衡。").to_owned(),
                _ => Tr(lang).t("The picture has a colour cast: use lights of one colour temperature or set the camera's white balance.", "画面偏色：统一光源色温，或在摄像头设置中调整白平衡。").to_owned(),
            }
        }
        LightingProblem::Blurred => Tr(lang).t("The picture is blurred: wipe the lens, refocus (or turn on autofocus), and sit at least half a metre from the camera.", "画面模糊：擦拭镜头，重新对焦（或打开自动对焦），与摄像头保持半米以上距离。").to_owned(),
    }
}

/// A plain pass over every byte of the frame: the baseline the benchmark compares with.
pub fn sum_pixels(frame: Frame<'_>) -> u64 {
    frame.rgba.iter().map(|&b| u64::from(b)).sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn solid(w: u32, h: u32, rgb: [u8; 3]) -> Vec<u8> {
        (0..w * h)
            .flat_map(|_| [rgb[0], rgb[1], rgb[2], 255])
            .collect()
    }

    #[test]
    fn a_black_frame_is_dark_and_nothing_else() {
        let px = solid(64, 36, [0, 0, 0]);
        let stats = analyse_frame(Frame {
            width: 64,
            height: 36,
            rgba: &px,
        });
        let problems = lighting_problems(&stats);
        assert_eq!(problems, vec![(LightingProblem::Dark, CheckStatus::Fail)]);
        let item = evaluate_lighting(&stats, Language::Zh);
        assert_eq!(item.status, CheckStatus::Fail);
        assert!(item.hint.contains("补光灯"), "{}", item.hint);
    }

    #[test]
    fn a_short_buffer_is_read_as_far_as_it_goes() {
        let px = solid(64, 10, [128, 128, 128]);
        let stats = analyse_frame(Frame {
            width: 64,
            height: 36,
            rgba: &px,
        });
        assert!((stats.mean_luma - 128.0).abs() < 1.0);
    }
}
