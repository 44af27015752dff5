//! `cargo xtask bench overlay`: what interaction panels cost a live session, and how fast a
//! host's action reaches the program.
//!
//! 1. Latency: a 720p30 session (test pattern, encoder, recording, preview). 40 times, a
//!    question card is put on or taken off with `SetOverlay`; the time runs from the send to
//!    the first composed picture (stamped where the preview branch receives it) whose card
//!    region differs from the picture before the send — the first frame of the card's fade in
//!    or out. Baseline in the same run: 40 scene cuts through the same command path.
//!    Target: ≤ 200 ms.
//! 2. Cost: the same session for 20 s without panels and 20 s with a question, a poll and a
//!    running countdown (re-rendered every second), alternating, 3 rounds each; CPU seconds
//!    of this process per second. Target: ratio ≤ 1.03.

use kaibo_model::{
    Anchor, Command, Layout, Monitor, OutputSpec, OverlayState, Panel, PanelContent, PollOption,
    Scene, SceneSource, SessionPlan, SourceKind, Transition, VideoSettings,
};
use kaibo_runtime::{LiveHandle, process_cpu_seconds};
use std::path::Path;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

const ACTIONS: usize = 40;
const ROUNDS: usize = 3;
const MEASURE: Duration = Duration::from_secs(20);

fn scene(name: &str, layout: Layout) -> Scene {
    Scene {
        name: name.into(),
        sources: vec![SceneSource {
            name: "Bars".into(),
            input: SourceKind::Test,
            layout: Some(layout),
            audio: Default::default(),
        }],
    }
}

fn plan(dir: &Path, name: &str) -> SessionPlan {
    SessionPlan {
        canvas: Default::default(),
        // The second scene leaves the bottom right black: the card's corner is read there.
        scenes: vec![
            scene("Corner", Layout::rect(0, 0, 640, 360, 0)),
            scene("Full", Layout::fill(1280, 720)),
        ],
        active: 0,
        video: VideoSettings::default(),
        audio_bitrate_kbps: 128,
        outputs: vec![OutputSpec::Record(dir.join(name))],
        duration_s: None,
        adaptive: false,
        preview: Some(Default::default()),
    }
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

fn question(n: usize) -> OverlayState {
    OverlayState {
        panels: vec![Panel {
            id: format!("q-{n}"),
            anchor: Anchor::BottomRight,
            content: PanelContent::Question {
                text: format!("第 {n} 个问题：课程什么时候开始？When does it start?"),
                asker: "李*".into(),
                likes: n as u32,
            },
        }],
    }
}

fn busy_state() -> OverlayState {
    let mut state = question(1);
    state.panels.push(Panel {
        id: "poll".into(),
        anchor: Anchor::TopRight,
        content: PanelContent::Poll {
            title: "今天的内容有帮助吗？".into(),
            options: vec![
                PollOption {
                    label: "很有帮助".into(),
                    votes: 120,
                },
                PollOption {
                    label: "一般".into(),
                    votes: 30,
                },
            ],
            open: true,
        },
    });
    state.panels.push(Panel {
        id: "red-envelope".into(),
        anchor: Anchor::TopLeft,
        content: PanelContent::Countdown {
            label: "红包倒计时".into(),
            ends_at_ms: now_ms() + 3_600_000,
        },
    });
    state
}

/// The bottom-right quarter of a picture (where the card goes), every other pixel's RGB.
fn corner(f: &kaibo_model::PreviewFrame) -> Vec<u8> {
    let (w, h) = (f.width as usize, f.height as usize);
    let mut out = Vec::new();
    for y in (h / 2..h).step_by(2) {
        for x in (w / 2..w).step_by(2) {
            out.extend_from_slice(&f.pixels[(y * w + x) * 4..][..3]);
        }
    }
    out
}

/// Whether the corner changed visibly (mean difference over 1.5 levels) from `before`.
fn changed(before: &[u8], f: &kaibo_model::PreviewFrame) -> bool {
    let now = corner(f);
    let total: u64 = before
        .iter()
        .zip(&now)
        .map(|(a, b)| u64::from(a.abs_diff(*b)))
        .sum();
    total as f64 / now.len().max(1) as f64 > 1.5
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

/// Sends `command` and returns the time to the first picture composed after it whose corner
/// differs from the newest picture before it.
fn time_to_change(live: &LiveHandle, m: &Monitor, command: Command) -> f64 {
    let before = corner(&m.frame_after(0).expect("a picture"));
    let since = Instant::now();
    assert!(live.send(command));
    let mut seen = 0;
    loop {
        assert!(
            since.elapsed() < Duration::from_secs(5),
            "the change never showed"
        );
        if let Some(f) = m.frame_after(seen) {
            seen = f.seq;
            if f.at >= since && changed(&before, &f) {
                return f.at.duration_since(since).as_secs_f64() * 1000.0;
            }
        }
        std::thread::sleep(Duration::from_micros(500));
    }
}

fn stats(v: &mut [f64]) -> (f64, f64) {
    v.sort_by(f64::total_cmp);
    (percentile(v, 0.5), percentile(v, 0.95))
}

fn main() {
    let dir = std::env::temp_dir().join(format!("kaibo-bench-overlay-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");

    // 1. Latency of a host action against a scene cut.
    let live = LiveHandle::spawn(plan(&dir, "latency.mkv")).expect("session starts");
    let m = live.monitor().expect("monitor").clone();
    let t = Instant::now();
    while m.frames() < 10 {
        assert!(t.elapsed() < Duration::from_secs(20), "no preview pictures");
        std::thread::sleep(Duration::from_millis(20));
    }
    // Warm the renderer (fonts load once, on first use), then let its fade finish.
    time_to_change(&live, &m, Command::SetOverlay(question(0)));
    std::thread::sleep(Duration::from_millis(600));
    time_to_change(&live, &m, Command::SetOverlay(OverlayState::default()));
    std::thread::sleep(Duration::from_millis(600));
    let mut panel_ms = Vec::new();
    for n in 1..=ACTIONS {
        let state = if n % 2 == 1 {
            question(n)
        } else {
            OverlayState::default()
        };
        panel_ms.push(time_to_change(&live, &m, Command::SetOverlay(state)));
        // Past the fade, so the next action starts from a still picture.
        std::thread::sleep(Duration::from_millis(600));
    }
    let mut cut_ms = Vec::new();
    for n in 1..=ACTIONS {
        let switch = Command::SwitchScene {
            index: n % 2,
            transition: Transition::Cut,
        };
        cut_ms.push(time_to_change(&live, &m, switch));
        std::thread::sleep(Duration::from_millis(200));
    }
    assert!(live.send(Command::Stop));
    drop(live);

    // 2. CPU with and without panels.
    let mut plain = Vec::new();
    let mut panels = Vec::new();
    for round in 0..ROUNDS {
        for with_panels in [false, true] {
            let live = LiveHandle::spawn(plan(&dir, &format!("cost-{round}-{with_panels}.mkv")))
                .expect("session starts");
            let m = live.monitor().expect("monitor").clone();
            let t = Instant::now();
            while m.frames() < 10 {
                assert!(t.elapsed() < Duration::from_secs(20), "no preview pictures");
                std::thread::sleep(Duration::from_millis(20));
            }
            if with_panels {
                assert!(live.send(Command::SetOverlay(busy_state())));
            }
            std::thread::sleep(Duration::from_secs(3));
            let (t0, c0) = (Instant::now(), process_cpu_seconds().expect("cpu"));
            std::thread::sleep(MEASURE);
            let cpu = process_cpu_seconds().expect("cpu") - c0;
            let per_s = cpu / t0.elapsed().as_secs_f64();
            eprintln!(
                "bench overlay: round {} {}: {per_s:.3} CPU-s/s",
                round + 1,
                if with_panels { "panels" } else { "plain" }
            );
            if with_panels { &mut panels } else { &mut plain }.push(per_s);
            assert!(live.send(Command::Stop));
            drop(live);
        }
    }
    let _ = std::fs::remove_dir_all(&dir);

    let (p50, p95) = stats(&mut panel_ms);
    let (c50, c95) = stats(&mut cut_ms);
    let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len() as f64;
    println!(
        "interaction panels on a 720p30 session ({ACTIONS} actions, {ROUNDS}×2 rounds of 20 s):"
    );
    println!(
        "  host action → program: median {p50:.1} ms, p95 {p95:.1} ms (target ≤ 200 ms); \
         scene cut (baseline, same path): median {c50:.1} ms, p95 {c95:.1} ms; ratio {:.2}",
        p50 / c50
    );
    println!(
        "  CPU without panels {:.3} CPU-s/s, with question + poll + countdown {:.3}: ratio {:.3} (target ≤ 1.03)",
        mean(&plain),
        mean(&panels),
        mean(&panels) / mean(&plain)
    );
}
