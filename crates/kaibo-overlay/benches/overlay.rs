//! What the overlay costs the CPU at 1280×720, as ratios against plain full-canvas work in the
//! same run: clearing the RGBA buffer (memset) and a tiny-skia fill of the whole canvas.
//!
//! `cargo bench -p kaibo-overlay` (release). Prints one line a measurement: median µs per
//! call over many calls, and the ratio to each baseline.

use kaibo_model::{Anchor, OverlayState, Panel, PanelContent, PollOption};
use kaibo_overlay::{Fonts, Renderer};
use std::hint::black_box;
use std::time::{Duration, Instant};

const W: u32 = 1280;
const H: u32 = 720;
const T0: u64 = 1_795_000_000_000;
/// A 30 fps frame, in milliseconds (rounded down).
const FRAME_MS: u64 = 33;

/// Median and fastest wall time of `f` over `rounds` calls (µs), after a few warm-up calls.
/// The fastest is the steadier figure on a shared machine.
fn median_us(rounds: usize, mut f: impl FnMut(usize)) -> (f64, f64) {
    for i in 0..5 {
        f(i);
    }
    let times: Vec<Duration> = (0..rounds)
        .map(|i| {
            let start = Instant::now();
            f(i + 5);
            start.elapsed()
        })
        .collect();
    stats(times)
}

fn stats(mut times: Vec<Duration>) -> (f64, f64) {
    times.sort();
    (
        times[times.len() / 2].as_secs_f64() * 1e6,
        times[0].as_secs_f64() * 1e6,
    )
}

fn typical(question: &str, votes: [u32; 3], with_question: bool) -> OverlayState {
    let mut panels = vec![
        Panel {
            id: "poll".into(),
            anchor: Anchor::TopRight,
            content: PanelContent::Poll {
                title: "今天的内容你满意吗？".into(),
                options: ["满意", "一般", "不满意"]
                    .iter()
                    .zip(votes)
                    .map(|(label, votes)| PollOption {
                        label: (*label).into(),
                        votes,
                    })
                    .collect(),
                open: true,
            },
        },
        Panel {
            id: "countdown".into(),
            anchor: Anchor::TopLeft,
            content: PanelContent::Countdown {
                label: "红包雨".into(),
                ends_at_ms: T0 + 3_600_000,
            },
        },
    ];
    if with_question {
        panels.push(Panel {
            id: "question".into(),
            anchor: Anchor::BottomRight,
            content: PanelContent::Question {
                text: question.into(),
                asker: "张*".into(),
                likes: 12,
            },
        });
    }
    OverlayState { panels }
}

fn main() {
    let fonts = Fonts::system().expect("system fonts with Noto Sans CJK SC (fonts-noto-cjk)");
    let mut r = Renderer::new(W, H, fonts).expect("renderer");

    let mut buffer = vec![0u8; W as usize * H as usize * 4];
    let memset = median_us(400, |i| {
        buffer.fill(i as u8);
        black_box(&buffer);
    });
    let mut pixmap = tiny_skia::Pixmap::new(W, H).expect("pixmap");
    let skia_fill = median_us(400, |i| {
        pixmap.fill(tiny_skia::Color::from_rgba8(i as u8, 16, 22, 200));
        black_box(&pixmap);
    });

    // Warm the renderer (fonts, glyph cache) with the typical state, fully faded in.
    let question =
        |i: usize| format!("第{i}个问题：怎么报名？需要先加企业微信吗？How to join #{i}");
    let mut now = T0;
    for i in 0..20 {
        now += 1_000;
        r.render(&typical(&question(i), [45, 15, 30], true), now);
    }

    // A new pinned question: shaping and drawing one card, composing, un-premultiplying.
    let new_question = median_us(200, |i| {
        now += FRAME_MS;
        black_box(r.render(&typical(&question(i), [45, 15, 30], true), now));
    });
    let mut q = question(0);
    // A vote: the poll card's bars and percentages.
    let vote = median_us(200, |i| {
        now += FRAME_MS;
        q = question(1);
        black_box(r.render(&typical(&q, [45 + i as u32, 15, 30], true), now));
    });
    let votes = 1_000;
    // A countdown's second: its digits card only (the poll is left as it was).
    let tick = median_us(200, |_| {
        now += 1_000;
        black_box(r.render(&typical(&q, [45 + votes, 15, 30], true), now));
    });
    // A frame with nothing new: what the caller pays for asking every frame.
    let unchanged = median_us(2_000, |_| {
        black_box(r.render(&typical(&q, [45 + votes, 15, 30], true), now));
    });
    // Fade frames: the question leaves and comes back; each frame in a fade is a recompose
    // of cached cards at a new opacity.
    let mut fade_times = Vec::new();
    for round in 0..60 {
        let with = round % 2 == 1;
        let state = typical(&q, [45 + votes, 15, 30], with);
        now += 1_000;
        // The first frame of a fade in reshapes the card; measure the steps after it.
        r.render(&state, now);
        for step in 1..=7 {
            let start = Instant::now();
            black_box(r.render(&state, now + step * FRAME_MS));
            fade_times.push(start.elapsed());
        }
        now += 300;
        r.render(&state, now);
    }
    let fade = stats(fade_times);

    println!(
        "overlay renderer at {W}×{H}: median (fastest) µs per call; ratios of the medians to a memset clear and to a tiny-skia full fill"
    );
    println!(
        "baseline memset clear of the RGBA buffer   {:>8.1} ({:>7.1}) µs",
        memset.0, memset.1
    );
    println!(
        "baseline tiny-skia fill of the canvas      {:>8.1} ({:>7.1}) µs",
        skia_fill.0, skia_fill.1
    );
    for (name, us) in [
        ("new question (shape + draw + compose)", new_question),
        ("poll vote (poll card redrawn)", vote),
        ("countdown second (digits card redrawn)", tick),
        ("fade frame (recompose, cached cards)", fade),
        ("unchanged (returns None)", unchanged),
    ] {
        println!(
            "{name:<42} {:>8.1} ({:>7.1}) µs  ×{:.2} memset  ×{:.2} fill",
            us.0,
            us.1,
            us.0 / memset.0,
            us.0 / skia_fill.0
        );
    }
    // A live minute at 30 fps with this state: 60 countdown seconds, one new question, 20 votes,
    // one question fading in and out (2 × 8 frames), every other frame unchanged.
    let busy_us = 60.0 * tick.0 + new_question.0 + 20.0 * vote.0 + 16.0 * fade.0;
    let idle_us = (30.0 * 60.0 - 97.0) * unchanged.0;
    let ms_per_s = (busy_us + idle_us) / 60.0 / 1_000.0;
    println!(
        "a typical live minute at 720p30: {ms_per_s:.2} ms CPU per stream second ({:.3} % of one core)",
        ms_per_s / 10.0
    );
}
