//! `cargo xtask bench engine`: the same screen-capture live job done by `kaibo live`, a bare
//! `gst-launch-1.0` pipeline and `ffmpeg`, interleaved (A B C A B C …) against one nginx-rtmp,
//! with identical input and x264 settings. Prints per-tool figures and Kaibo's ratios.

use kaibo_testkit::{
    Nginx, Xvfb, cpu_seconds_tree, flv_has_video_frame, rss_kib_tree, video_packet_times,
};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const WIDTH: u32 = 1280;
const HEIGHT: u32 = 720;
const FPS: u32 = 30;
pub(crate) const BITRATE_KBPS: u32 = 2500;
const WARMUP: Duration = Duration::from_secs(5);

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Tool {
    /// `kaibo live` pushing the one encode to this many destinations.
    Kaibo(usize),
    GstLaunch,
    Ffmpeg,
}

impl Tool {
    fn name(self) -> String {
        match self {
            Tool::Kaibo(1) => "kaibo live".into(),
            Tool::Kaibo(n) => format!("kaibo ×{n} dest"),
            Tool::GstLaunch => "gst-launch".into(),
            Tool::Ffmpeg => "ffmpeg".into(),
        }
    }
}

/// One run's figures.
#[derive(Clone, Debug, Default)]
struct Run {
    cpu_per_s: f64,
    peak_rss_mib: f64,
    fps: f64,
    kbps: f64,
    dropped: u64,
    duplicated: u64,
    first_frame_s: f64,
}

pub fn main(args: &[String]) -> Result<(), String> {
    let tools: Vec<Tool> = match args.first().map(String::as_str) {
        Some("engine") => vec![Tool::Kaibo(1), Tool::GstLaunch, Tool::Ffmpeg],
        // One encode pushed to three destinations against one, same job otherwise.
        Some("fanout") => vec![Tool::Kaibo(1), Tool::Kaibo(3)],
        Some("abr") | Some("probe") => Vec::new(),
        _ => {
            return Err(
                "usage: cargo xtask bench engine|fanout|abr|probe|latency [--rounds N] [--seconds S]"
                    .into(),
            );
        }
    };
    let mut rounds = 3u32;
    let mut seconds = 30u64;
    let mut it = args[1..].iter();
    while let Some(a) = it.next() {
        let mut value = || {
            it.next()
                .and_then(|v| v.parse::<u64>().ok())
                .ok_or(format!("{a} needs a number"))
        };
        match a.as_str() {
            "--rounds" => rounds = value()? as u32,
            "--seconds" => seconds = value()?,
            other => return Err(format!("unknown option {other}")),
        }
    }
    crate::install::ensure(&["build", "run", "test"])?;
    crate::step(
        &std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()),
        &["build", "--release", "-p", "kaibo-app"],
    )?;
    let kaibo = crate::workspace_root().join("target/release/kaibo");
    if args.first().map(String::as_str) == Some("probe") {
        return crate::bench_net::probe(&kaibo, rounds);
    }
    if tools.is_empty() {
        return crate::bench_net::abr(&kaibo);
    }

    let xvfb = Xvfb::start(WIDTH, HEIGHT);
    let _animation = xvfb.spawn_animation();
    let nginx = Nginx::start();
    let mut results: Vec<(Tool, Vec<Run>)> = tools.iter().map(|t| (*t, Vec::new())).collect();
    for round in 1..=rounds {
        for (i, tool) in tools.iter().enumerate() {
            let key = format!("bench-{}-{round}", i);
            eprintln!(
                "bench: round {round}/{rounds}: {} ({} s + {} s warm-up)",
                tool.name(),
                seconds,
                WARMUP.as_secs()
            );
            let run = run_once(
                *tool,
                &kaibo,
                &xvfb.display(),
                &nginx,
                &key,
                Duration::from_secs(seconds),
            )?;
            eprintln!(
                "bench:   {:.3} CPU-s/s, {:.0} MiB, {:.2} fps, {:.0} kbps, dropped {}, dup {}, first frame {:.3} s",
                run.cpu_per_s,
                run.peak_rss_mib,
                run.fps,
                run.kbps,
                run.dropped,
                run.duplicated,
                run.first_frame_s
            );
            results[i].1.push(run);
        }
    }
    print_report(&results, rounds, seconds);
    Ok(())
}

fn command(
    tool: Tool,
    kaibo: &PathBuf,
    display: &str,
    url: &str,
    extra_urls: &[String],
) -> Command {
    let gop = (FPS * 2).to_string();
    // The same x264 settings for all: veryfast, zerolatency, CBR, keyframe every 2 s exactly.
    match tool {
        Tool::Kaibo(_) => {
            let mut c = Command::new(kaibo);
            c.args([
                "live",
                "--source",
                &format!("screen:{display}"),
                "--to",
                url,
                "--encoder",
                "x264",
            ])
            .args([
                "--resolution",
                &format!("{WIDTH}x{HEIGHT}"),
                "--fps",
                &FPS.to_string(),
            ])
            .args([
                "--bitrate-kbps",
                &BITRATE_KBPS.to_string(),
                "--log-file",
                "/dev/null",
            ]);
            for extra in extra_urls {
                c.args(["--to", extra]);
            }
            c
        }
        Tool::GstLaunch => {
            let pipeline = format!(
                "ximagesrc display-name={display} use-damage=false ! video/x-raw,framerate={FPS}/1 ! videoconvert ! \
                 video/x-raw,format=I420 ! queue ! x264enc speed-preset=veryfast tune=zerolatency pass=cbr bitrate={BITRATE_KBPS} \
                 key-int-max={gop} option-string=scenecut=0 vbv-buf-capacity=1000 ! video/x-h264,profile=high ! h264parse ! queue ! \
                 flvmux name=m streamable=true ! rtmp2sink location={url} \
                 audiotestsrc is-live=true wave=silence ! audio/x-raw,format=F32LE,rate=48000,channels=2 ! audioconvert ! \
                 avenc_aac bitrate=128000 ! aacparse ! queue ! m."
            );
            let mut c = Command::new("gst-launch-1.0");
            c.arg("-e").arg("-q").args(pipeline.split_whitespace());
            c
        }
        Tool::Ffmpeg => {
            let mut c = Command::new("ffmpeg");
            c.args(["-hide_banner", "-loglevel", "error", "-nostdin"])
                .args([
                    "-f",
                    "x11grab",
                    "-framerate",
                    &FPS.to_string(),
                    "-video_size",
                    &format!("{WIDTH}x{HEIGHT}"),
                    "-i",
                    display,
                ])
                .args(["-f", "lavfi", "-i", "anullsrc=r=48000:cl=stereo"])
                .args([
                    "-c:v",
                    "libx264",
                    "-preset",
                    "veryfast",
                    "-tune",
                    "zerolatency",
                    "-pix_fmt",
                    "yuv420p",
                ])
                .args([
                    "-b:v",
                    &format!("{BITRATE_KBPS}k"),
                    "-maxrate",
                    &format!("{BITRATE_KBPS}k"),
                    "-bufsize",
                    &format!("{BITRATE_KBPS}k"),
                ])
                .args([
                    "-g",
                    &gop,
                    "-sc_threshold",
                    "0",
                    "-profile:v",
                    "high",
                    "-c:a",
                    "aac",
                    "-b:a",
                    "128k",
                    "-f",
                    "flv",
                    url,
                ]);
            c
        }
    }
}

fn interrupt(child: &mut Child) {
    let _ = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status();
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        if let Ok(Some(_)) = child.try_wait() {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = child.kill();
    let _ = child.wait();
}

fn run_once(
    tool: Tool,
    kaibo: &PathBuf,
    display: &str,
    nginx: &Nginx,
    key: &str,
    measure: Duration,
) -> Result<Run, String> {
    let url = nginx.url("live", key);
    // Extra destinations get keys that do not share the measured one's prefix.
    let extra: Vec<String> = match tool {
        Tool::Kaibo(n) => (1..n)
            .map(|j| nginx.url("live", &format!("x{j}-{key}")))
            .collect(),
        _ => Vec::new(),
    };
    let before: Vec<PathBuf> = nginx.recordings();
    let started = Instant::now();
    let mut child = command(tool, kaibo, display, &url, &extra)
        .env("DISPLAY", display)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("could not start {}: {e}", tool.name()))?;
    let pid = child.id();
    // Start → first frame at the server: the server's recording gets its first video frame.
    let mut first_frame_s = f64::NAN;
    let mut recording = None;
    while started.elapsed() < Duration::from_secs(10) {
        if recording.is_none() {
            recording = nginx.recordings().into_iter().find(|p| {
                !before.contains(p)
                    && p.file_name()
                        .is_some_and(|n| n.to_string_lossy().starts_with(&format!("{key}-")))
            });
        }
        if let Some(r) = &recording
            && flv_has_video_frame(r)
        {
            first_frame_s = started.elapsed().as_secs_f64();
            break;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    let Some(recording) = recording else {
        interrupt(&mut child);
        return Err(format!("{} never reached the server", tool.name()));
    };
    let mut peak_kib = 0;
    while started.elapsed() < WARMUP {
        peak_kib = peak_kib.max(rss_kib_tree(pid));
        std::thread::sleep(Duration::from_millis(100));
    }
    let cpu0 = cpu_seconds_tree(pid);
    let t0 = Instant::now();
    while t0.elapsed() < measure {
        peak_kib = peak_kib.max(rss_kib_tree(pid));
        std::thread::sleep(Duration::from_millis(250));
    }
    let cpu = cpu_seconds_tree(pid) - cpu0;
    let wall = t0.elapsed().as_secs_f64();
    interrupt(&mut child);
    // Give nginx a moment to close the recording.
    std::thread::sleep(Duration::from_millis(500));
    let path = recording.to_string_lossy().to_string();
    let times = video_packet_times(&path);
    let span = match (times.first(), times.last()) {
        (Some(a), Some(b)) if b > a => b - a,
        _ => 0.0,
    };
    let interval = 1.0 / f64::from(FPS);
    let mut dropped = 0u64;
    let mut duplicated = 0u64;
    for w in times.windows(2) {
        let gap = (w[1] - w[0]) / interval;
        if gap > 1.5 {
            dropped += (gap.round() as u64).saturating_sub(1);
        } else if gap < 0.5 {
            duplicated += 1;
        }
    }
    let bytes = std::fs::metadata(&recording).map(|m| m.len()).unwrap_or(0);
    Ok(Run {
        cpu_per_s: cpu / wall,
        peak_rss_mib: peak_kib as f64 / 1024.0,
        fps: if span > 0.0 {
            (times.len() - 1) as f64 / span
        } else {
            0.0
        },
        kbps: if span > 0.0 {
            bytes as f64 * 8.0 / 1000.0 / span
        } else {
            0.0
        },
        dropped,
        duplicated,
        first_frame_s,
    })
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    if v.is_empty() {
        f64::NAN
    } else {
        v[v.len() / 2]
    }
}

fn print_report(results: &[(Tool, Vec<Run>)], rounds: u32, seconds: u64) {
    println!(
        "\nengine benchmark: {WIDTH}x{HEIGHT}@{FPS} screen capture (Xvfb animation), x264 veryfast zerolatency CBR {BITRATE_KBPS} kbps, keyframe 2 s, AAC 128 kbps → nginx-rtmp"
    );
    println!(
        "{rounds} interleaved rounds of {seconds} s after {} s warm-up; medians over rounds\n",
        WARMUP.as_secs()
    );
    println!(
        "{:<12} {:>10} {:>10} {:>8} {:>8} {:>8} {:>6} {:>12}",
        "tool", "CPU-s/s", "peak MiB", "fps", "kbps", "dropped", "dup", "first frame"
    );
    let med = |runs: &[Run], f: fn(&Run) -> f64| median(runs.iter().map(f).collect());
    let mut rows = Vec::new();
    for (tool, runs) in results {
        let row = (
            med(runs, |r| r.cpu_per_s),
            med(runs, |r| r.peak_rss_mib),
            med(runs, |r| r.fps),
            med(runs, |r| r.kbps),
            runs.iter().map(|r| r.dropped).sum::<u64>(),
            runs.iter().map(|r| r.duplicated).sum::<u64>(),
            med(runs, |r| r.first_frame_s),
        );
        println!(
            "{:<12} {:>10.3} {:>10.1} {:>8.2} {:>8.0} {:>8} {:>6} {:>10.3} s",
            tool.name(),
            row.0,
            row.1,
            row.2,
            row.3,
            row.4,
            row.5,
            row.6
        );
        rows.push((*tool, row));
    }
    let kaibo = rows
        .iter()
        .find(|(t, _)| *t == Tool::Kaibo(1))
        .map(|(_, r)| *r);
    if let Some(k) = kaibo {
        for (tool, r) in &rows {
            if let Tool::Kaibo(n) = tool
                && *n > 1
            {
                println!(
                    "\none encode pushed to {n} destinations: CPU {:.2}× and peak RSS {:.2}× one destination (target ≤ 1.10)",
                    r.0 / k.0,
                    r.1 / k.1
                );
            }
        }
        println!("\nKaibo as a ratio to each peer (≤ 1.0 is better or equal):");
        for (tool, r) in rows.iter().filter(|(t, _)| *t != Tool::Kaibo(1)) {
            println!(
                "  vs {:<11} CPU {:.2}   peak RSS {:.2}   start→first frame {:.2}",
                tool.name(),
                k.0 / r.0,
                k.1 / r.1,
                k.6 / r.6
            );
        }
    }
}
