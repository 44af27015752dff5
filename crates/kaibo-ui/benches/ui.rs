//! `cargo xtask bench ui`: what the window costs. The release `kaibo` opens its window
//! (software OpenGL under Xvfb) with the preview, goes live to nginx (a real click on
//! Go Live) and streams a 720p30 screen capture; in the same run, headless `kaibo live`
//! streams the same scene with the same encoder settings. Rounds alternate; the figure is
//! the window's CPU as a ratio to headless (target ≤ 1.15) and its resident memory (target
//! ≤ 160 MiB).

use kaibo_model::{
    AppSettings, EncoderChoice, Language, Layout, Scene, SceneCollection, SceneSource, Secret,
    SourceKind, VideoSettings,
};
use kaibo_runtime::ConfigStore;
use kaibo_testkit::{
    Nginx, TempDir, Xvfb, cpu_seconds_by_thread, cpu_seconds_tree, peak_rss_kib, require_tool,
    rss_by_mapping_kib, rss_kib_tree, terminate_child, wait_until,
};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// `KAIBO_BENCH_WINDOW_ONLY=1` measures the window alone (no ratio): for trying a change to
/// the window quickly, with the headless figure from an earlier full run.
fn window_only() -> bool {
    std::env::var_os("KAIBO_BENCH_WINDOW_ONLY").is_some_and(|v| v == "1")
}

/// Rounds (`KAIBO_BENCH_ROUNDS` overrides, e.g. 1 for a quick breakdown).
fn rounds() -> usize {
    std::env::var("KAIBO_BENCH_ROUNDS")
        .ok()
        .and_then(|r| r.parse().ok())
        .filter(|r| *r > 0)
        .unwrap_or(3)
}
const WARM_UP: Duration = Duration::from_secs(6);
const MEASURE: Duration = Duration::from_secs(30);

fn kaibo() -> PathBuf {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let bin = root.join("target/release/kaibo");
    assert!(
        bin.exists(),
        "build it first: cargo build --release -p kaibo-app"
    );
    bin
}

/// `KAIBO_BENCH_HEAPTRACK=<dir>` records every allocation of each measured process with
/// heaptrack's preload library into `<dir>/<key>.raw`, for study after the run (`heaptrack_interpret
/// < key.raw | zstd > key.zst`, then `heaptrack_print key.zst`). The figures of such a run
/// include heaptrack's own cost.
fn heaptrack(key: &str) -> Vec<(&'static str, String)> {
    let Some(dir) = std::env::var_os("KAIBO_BENCH_HEAPTRACK") else {
        return Vec::new();
    };
    let preload = "/usr/lib/heaptrack/libheaptrack_preload.so";
    assert!(
        std::path::Path::new(preload).exists(),
        "KAIBO_BENCH_HEAPTRACK needs heaptrack: sudo apt install heaptrack"
    );
    let out = PathBuf::from(dir).join(format!("{key}.raw"));
    vec![
        ("LD_PRELOAD", preload.to_owned()),
        ("DUMP_HEAPTRACK_OUTPUT", out.display().to_string()),
    ]
}

struct Measured {
    cpu_per_s: f64,
    /// CPU-s/s per thread name, largest first.
    threads: Vec<(String, f64)>,
    rss_mib: f64,
    peak_mib: f64,
    /// Resident MiB by mapping, largest first.
    memory: Vec<(String, f64)>,
}

/// Waits for the stream to reach nginx, lets it settle, then measures the process tree.
fn measure(child: &mut Child, nginx: &Nginx, key: &str) -> Measured {
    wait_until(Duration::from_secs(30), "the stream at nginx", || {
        nginx.stat_xml().contains(&format!("<name>{key}</name>"))
    });
    std::thread::sleep(WARM_UP);
    let pid = child.id();
    let (t0, c0, th0) = (
        Instant::now(),
        cpu_seconds_tree(pid),
        cpu_seconds_by_thread(pid),
    );
    std::thread::sleep(MEASURE);
    let cpu = cpu_seconds_tree(pid) - c0;
    let wall = t0.elapsed().as_secs_f64();
    let mut threads: Vec<(String, f64)> = cpu_seconds_by_thread(pid)
        .into_iter()
        .map(|(name, s)| {
            let before = th0.get(&name).copied().unwrap_or(0.0);
            (name, (s - before) / wall)
        })
        .filter(|(_, per_s)| *per_s >= 0.005)
        .collect();
    threads.sort_by(|a, b| b.1.total_cmp(&a.1));
    let m = Measured {
        cpu_per_s: cpu / wall,
        threads,
        rss_mib: rss_kib_tree(pid) as f64 / 1024.0,
        peak_mib: peak_rss_kib(pid) as f64 / 1024.0,
        memory: rss_by_mapping_kib(pid)
            .into_iter()
            .map(|(name, kib)| (name, kib as f64 / 1024.0))
            .collect(),
    };
    assert!(
        child.try_wait().expect("status").is_none(),
        "kaibo exited during the measurement"
    );
    // `KAIBO_BENCH_SMAPS=<dir>` keeps each process's memory map, `<key>.smaps`, for study.
    if let Some(dir) = std::env::var_os("KAIBO_BENCH_SMAPS") {
        let to = PathBuf::from(dir).join(format!("{key}.smaps"));
        std::fs::copy(format!("/proc/{pid}/smaps"), &to)
            .unwrap_or_else(|e| panic!("copy the memory map to {}: {e}", to.display()));
    }
    terminate_child(child, Duration::from_secs(5));
    m
}

fn main() {
    let xdotool = require_tool("xdotool", "xdotool");
    let screen = Xvfb::start(1280, 720);
    let _animation = screen.spawn_animation();
    let desk = Xvfb::start(1280, 800);
    let nginx = Nginx::start();
    let video = VideoSettings {
        encoder: EncoderChoice::X264,
        ..VideoSettings::default()
    };
    let mut window = Vec::new();
    let mut headless = Vec::new();
    let rounds = rounds();
    for round in 0..rounds {
        // The window, live.
        let config = TempDir::new();
        let store = ConfigStore::at(config.path().join("kaibo"), false);
        let key = format!("ui-window-{round}");
        let url = nginx.url("live", &key);
        let (server, _) = url.rsplit_once('/').expect("a key in the URL");
        store
            .save_settings(&AppSettings {
                language: Some(Language::En),
                server_url: server.into(),
                video,
                ..Default::default()
            })
            .expect("settings");
        store
            .save_stream_key(&Secret::new(key.clone()))
            .expect("key");
        store
            .save_scenes(&SceneCollection {
                version: 1,
                canvas: Default::default(),
                scenes: vec![Scene {
                    name: "Screen".into(),
                    sources: vec![SceneSource {
                        name: "Screen".into(),
                        input: SourceKind::Screen {
                            display: Some(screen.display()),
                        },
                        layout: Some(Layout::fill(1280, 720)),
                        audio: Default::default(),
                    }],
                }],
            })
            .expect("scenes");
        eprintln!("bench ui: round {}/{rounds}: window", round + 1);
        let mut child = Command::new(kaibo())
            .env("DISPLAY", desk.display())
            .env("XDG_CONFIG_HOME", config.path())
            .env("XDG_STATE_HOME", config.path())
            .env("LANG", "en_US.UTF-8")
            // For trying settings on the window alone: KAIBO_PREVIEW=opengl, glibc's
            // MALLOC_*, Mesa's LP_* and GALLIUM_* (docs/benchmarks.md lists the ones tried).
            .envs(std::env::vars().filter(|(k, _)| {
                k == "KAIBO_PREVIEW"
                    || k.starts_with("MALLOC_")
                    || k.starts_with("LP_")
                    || k.starts_with("GALLIUM")
            }))
            .envs(heaptrack(&key))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("kaibo starts");
        wait_until(Duration::from_secs(30), "the Kaibo window", || {
            Command::new(&xdotool)
                .env("DISPLAY", desk.display())
                .args(["search", "--name", "^Kaibo$"])
                .output()
                .is_ok_and(|o| o.status.success() && !o.stdout.is_empty())
        });
        std::thread::sleep(Duration::from_secs(3));
        // Go Live is the red button in the top bar.
        let clicked = Command::new(&xdotool)
            .env("DISPLAY", desk.display())
            .args(["mousemove", "150", "20", "click", "1"])
            .status()
            .expect("xdotool");
        assert!(clicked.success());
        // Go Live runs the checklist first, and its test publish reaches nginx under the
        // same key: the session is live once its encoder thread runs.
        let live = Instant::now();
        while !cpu_seconds_by_thread(child.id()).contains_key("venc-queue:src") {
            if live.elapsed() > Duration::from_secs(60) {
                let log = std::fs::read_to_string(config.path().join("kaibo/kaibo.log"))
                    .unwrap_or_default();
                let tail: Vec<&str> = log.lines().rev().take(15).collect();
                terminate_child(&mut child, Duration::from_secs(5));
                panic!(
                    "the window did not go live within 60 s of Go Live (the checklist failed?); its log ends:\n{}",
                    tail.into_iter().rev().collect::<Vec<_>>().join("\n")
                );
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        window.push(measure(&mut child, &nginx, &key));

        if window_only() {
            continue;
        }
        // Headless, same scene.
        eprintln!("bench ui: round {}/{rounds}: headless", round + 1);
        let key = format!("ui-headless-{round}");
        let mut child = Command::new(kaibo())
            .args(["live", "--source", &format!("screen:{}", screen.display())])
            .args(["--to", &nginx.url("live", &key), "--encoder", "x264"])
            .args(["--resolution", "1280x720", "--fps", "30", "--bitrate-kbps"])
            .arg(video.bitrate_kbps.to_string())
            .args(["--log-file", "/dev/null"])
            .envs(heaptrack(&key))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("kaibo live starts");
        headless.push(measure(&mut child, &nginx, &key));
    }
    let mean =
        |v: &[Measured], f: fn(&Measured) -> f64| v.iter().map(f).sum::<f64>() / v.len() as f64;
    if window_only() {
        let last = window.last().expect("a round");
        println!(
            "window alone, {rounds} rounds: CPU {:.2} s/s, RSS {:.0} MiB",
            mean(&window, |m| m.cpu_per_s),
            mean(&window, |m| m.rss_mib)
        );
        print_breakdown("window", last);
        return;
    }
    let (w_cpu, h_cpu) = (
        mean(&window, |m| m.cpu_per_s),
        mean(&headless, |m| m.cpu_per_s),
    );
    println!(
        "window live vs headless live, 720p30 screen capture, x264, {rounds} rounds of {} s:",
        MEASURE.as_secs()
    );
    for (name, runs) in [("window", &window), ("headless", &headless)] {
        let per: Vec<String> = runs.iter().map(|m| format!("{:.2}", m.cpu_per_s)).collect();
        println!(
            "  {name:8}: CPU {:.2} s/s (rounds {}), RSS {:.0} MiB, peak {:.0} MiB",
            mean(runs, |m| m.cpu_per_s),
            per.join(", "),
            mean(runs, |m| m.rss_mib),
            mean(runs, |m| m.peak_mib),
        );
    }
    for (name, runs) in [("window", &window), ("headless", &headless)] {
        print_breakdown(name, runs.last().expect("a round"));
    }
    // Each round's pair ran a minute apart: their ratios show how much of the spread is the
    // machine's speed drifting between rounds rather than the window.
    let pairs: Vec<String> = window
        .iter()
        .zip(&headless)
        .map(|(w, h)| format!("{:.2}", w.cpu_per_s / h.cpu_per_s))
        .collect();
    println!(
        "  CPU ratio window / headless: {:.2} (target ≤ 1.15; round by round {})",
        w_cpu / h_cpu,
        pairs.join(", ")
    );
    println!(
        "  window RSS: {:.0} MiB (target ≤ 160 MiB; OBS Studio 29 with preview: 264 MiB)",
        mean(&window, |m| m.rss_mib)
    );
}

/// The last round's CPU by thread and resident memory by mapping.
fn print_breakdown(name: &str, last: &Measured) {
    println!(
        "  {name:8} threads (CPU-s/s, last round): {}",
        joined(&last.threads, 12, 3)
    );
    println!(
        "  {name:8} resident MiB by mapping (last round): {}",
        joined(&last.memory, 10, 1)
    );
}

/// The first `n` of `items` as `name value, …` with `decimals` decimals.
fn joined(items: &[(String, f64)], n: usize, decimals: usize) -> String {
    let parts: Vec<String> = items
        .iter()
        .take(n)
        .map(|(name, v)| format!("{name} {v:.decimals$}"))
        .collect();
    parts.join(", ")
}
