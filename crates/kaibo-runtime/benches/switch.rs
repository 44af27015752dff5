//! `cargo xtask bench switch`: how long a scene cut takes to show, and whether switching
//! drops frames.
//!
//! A 720p30 session with an encoder and a recording (as when live) and the preview; two
//! scenes place the same test pattern full screen and in the top-left quarter. For each of
//! 100 cuts: the time from `send(SwitchScene)` to the first composed picture (stamped where
//! the preview branch receives it, right after the compositor and a scale) that shows the
//! new scene. The baseline, measured in the same run, is the session's own frame interval:
//! the target is a cut within one frame interval (ratio ≤ 1).

use kaibo_model::{
    Command, Event, Layout, Monitor, OutputSpec, Scene, SceneSource, SessionPlan, SourceKind,
    Transition, VideoSettings,
};
use kaibo_runtime::LiveHandle;
use std::time::{Duration, Instant};

const SWITCHES: usize = 100;

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

/// Which scene a picture shows: the probe point (75 %, 30 %) is inside the colour bars in
/// the full-screen scene and on the black background in the corner scene.
fn shows_full(m: &kaibo_model::PreviewFrame) -> Option<bool> {
    let x = m.width as usize * 3 / 4;
    let y = m.height as usize * 3 / 10;
    let p = &m.pixels[(y * m.width as usize + x) * 4..][..3];
    if p.iter().any(|c| *c > 120) {
        Some(true)
    } else if p.iter().all(|c| *c < 40) {
        Some(false)
    } else {
        None
    }
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

/// Waits for the first picture after `since` that shows the wanted scene.
fn first_showing(m: &Monitor, full: bool, since: Instant) -> Instant {
    let mut seen = 0;
    let deadline = since + Duration::from_secs(5);
    loop {
        assert!(Instant::now() < deadline, "the switch never showed");
        if let Some(f) = m.frame_after(seen) {
            seen = f.seq;
            if f.at >= since && shows_full(&f) == Some(full) {
                return f.at;
            }
        }
        std::thread::sleep(Duration::from_micros(500));
    }
}

fn main() {
    let dir = std::env::temp_dir().join(format!("kaibo-bench-switch-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let plan = SessionPlan {
        canvas: Default::default(),
        scenes: vec![
            scene("Full", Layout::fill(1280, 720)),
            scene("Corner", Layout::rect(0, 0, 640, 360, 0)),
        ],
        active: 0,
        video: VideoSettings::default(),
        audio_bitrate_kbps: 128,
        outputs: vec![OutputSpec::Record(dir.join("switch.mkv"))],
        duration_s: None,
        adaptive: false,
        preview: Some(Default::default()),
    };
    let live = LiveHandle::spawn(plan).expect("session starts");
    let m = live.monitor().expect("preview").clone();
    std::thread::sleep(Duration::from_secs(3));

    // Baseline: the frame interval of this very session over two seconds.
    let mut stamps = Vec::new();
    let mut seen = 0;
    let until = Instant::now() + Duration::from_secs(2);
    while Instant::now() < until {
        if let Some(f) = m.frame_after(seen) {
            seen = f.seq;
            stamps.push(f.at);
        }
        std::thread::sleep(Duration::from_micros(500));
    }
    let frame_ms = stamps
        .last()
        .zip(stamps.first())
        .map(|(l, f)| l.duration_since(*f).as_secs_f64() * 1000.0 / (stamps.len() - 1) as f64)
        .expect("preview frames");

    let mut latencies = Vec::new();
    for i in 0..SWITCHES {
        let to = (i + 1) % 2;
        // Switch at a random point within the frame interval.
        std::thread::sleep(Duration::from_millis(150 + (i as u64 * 7) % 33));
        let sent = Instant::now();
        live.send(Command::SwitchScene {
            index: to,
            transition: Transition::Cut,
        });
        let shown = first_showing(&m, to == 0, sent);
        latencies.push(shown.duration_since(sent).as_secs_f64() * 1000.0);
    }
    live.send(Command::Stop);
    let dropped = loop {
        match live.next_event() {
            Some(Event::Ended { summary, .. }) => break summary.frames_dropped,
            Some(_) => {}
            None => panic!("no summary"),
        }
    };
    let _ = std::fs::remove_dir_all(&dir);
    latencies.sort_by(f64::total_cmp);
    let median = percentile(&latencies, 0.5);
    let p95 = percentile(&latencies, 0.95);
    println!(
        "scene cut, command → first composed picture of the new scene ({SWITCHES} cuts, 720p30, encoding):"
    );
    println!(
        "  median {median:.1} ms, p95 {p95:.1} ms, max {:.1} ms",
        latencies[latencies.len() - 1]
    );
    println!("  baseline (this session's frame interval): {frame_ms:.1} ms");
    println!(
        "  ratio to one frame interval: median {:.2}, p95 {:.2} (target ≤ 1.00)",
        median / frame_ms,
        p95 / frame_ms
    );
    println!("  frames dropped before the encoder during the run: {dropped} (target 0)");
}
