//! `cargo xtask bench latency`: capture-to-decoded latency at 720p30, read from a clock
//! burned into the frames as a QR code (`qroverlay` with each frame's capture time on the
//! system clock → `zbar` where the receiver decodes).
//!
//! Three paths, interleaved per round, the same nginx for the RTMP ones:
//! - baseline: a bare GStreamer publisher (`kaibo-ingest push`: the gst-launch graph of the
//!   engine bench with the QR clock) → nginx → `kaibo-ingest rtmp-pull` (rtmp2src → flvdemux →
//!   avdec_h264 → zbar, no sync);
//! - kaibo RTMP: `kaibo live --source test` with `KAIBO_DEBUG_QR_CLOCK=1` → the same nginx and
//!   puller;
//! - kaibo WHIP: the same kaibo → `kaibo-ingest whip`, measured where its webrtcbin peer decodes.

use kaibo_testkit::{Nginx, terminate_child};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// Seconds dropped after the first decoded QR code (connection set-up, encoder start).
const WARMUP_S: u64 = 5;

struct Figures {
    median_ms: f64,
    p95_ms: f64,
    samples: u64,
}

pub fn main(args: &[String]) -> Result<(), String> {
    let (mut seconds, mut rounds) = (60u64, 1u32);
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let value = it
            .next()
            .and_then(|v| v.parse::<u64>().ok())
            .ok_or(format!("{a} needs a number"))?;
        match a.as_str() {
            "--seconds" => seconds = value,
            "--rounds" => rounds = value as u32,
            other => return Err(format!("unknown option {other}")),
        }
    }
    crate::install::ensure(&["build", "run", "test"])?;
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    crate::step(
        &cargo,
        &[
            "build",
            "--release",
            "-p",
            "kaibo-app",
            "-p",
            "kaibo-ingest",
        ],
    )?;
    let bin = target_dir().join("release");
    let (kaibo, ingest) = (bin.join("kaibo"), bin.join("kaibo-ingest"));
    let nginx = Nginx::start();
    let names = ["baseline (gst, RTMP)", "kaibo RTMP", "kaibo WHIP"];
    let mut results: Vec<Vec<Figures>> = (0..3).map(|_| Vec::new()).collect();
    for round in 1..=rounds {
        for (i, name) in names.iter().enumerate() {
            eprintln!("bench latency: round {round}/{rounds}: {name}, {seconds} s measured");
            let key = format!("latency-{round}-{i}");
            let figures = match i {
                0 => rtmp_path(&ingest, &nginx.url("live", &key), seconds, |url, s| {
                    command(
                        &ingest,
                        &["push", "--url", url, "--seconds", &s.to_string()],
                    )
                }),
                1 => rtmp_path(&ingest, &nginx.url("live", &key), seconds, |url, s| {
                    kaibo_live(&kaibo, url, s)
                }),
                _ => whip_path(&ingest, &kaibo, seconds),
            }?;
            eprintln!(
                "bench latency:   median {:.1} ms, p95 {:.1} ms ({} frames read)",
                figures.median_ms, figures.p95_ms, figures.samples
            );
            results[i].push(figures);
        }
    }
    print_report(&names, &results, seconds);
    Ok(())
}

/// Where cargo puts binaries (respects CARGO_TARGET_DIR).
fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| crate::workspace_root().join("target"))
}

fn command(program: &Path, args: &[&str]) -> Result<Child, String> {
    Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .map_err(|e| format!("could not start {}: {e}", program.display()))
}

/// `kaibo live --source test` with the QR clock, fixed bitrate as the baseline.
fn kaibo_live(kaibo: &Path, url: &str, seconds: u64) -> Result<Child, String> {
    Command::new(kaibo)
        .args(["live", "--source", "test", "--to", url, "--fixed-bitrate"])
        .args(["--duration", &seconds.to_string()])
        .arg("--log-file")
        .arg(std::env::temp_dir().join("kaibo-bench-latency.log"))
        .env("KAIBO_DEBUG_QR_CLOCK", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("could not start kaibo: {e}"))
}

/// Reads the receiver's closing `latency …` line.
fn figures(receiver: Child) -> Result<Figures, String> {
    let out = receiver
        .wait_with_output()
        .map_err(|e| format!("the receiver: {e}"))?;
    let text = String::from_utf8_lossy(&out.stdout);
    let line = text
        .lines()
        .find(|l| l.starts_with("latency "))
        .ok_or(format!("the receiver measured nothing ({})", out.status))?;
    let field = |name: &str| -> f64 {
        line.split_whitespace()
            .find_map(|kv| kv.strip_prefix(name)?.strip_prefix('='))
            .and_then(|v| v.parse().ok())
            .unwrap_or(f64::NAN)
    };
    Ok(Figures {
        median_ms: field("median_ms"),
        p95_ms: field("p95_ms"),
        samples: field("samples") as u64,
    })
}

/// A publisher to nginx, pulled back and decoded at once.
fn rtmp_path(
    ingest: &Path,
    url: &str,
    seconds: u64,
    publisher: impl Fn(&str, u64) -> Result<Child, String>,
) -> Result<Figures, String> {
    let mut publisher = publisher(url, seconds + WARMUP_S + 15)?;
    std::thread::sleep(Duration::from_secs(2));
    let (s, w) = (seconds.to_string(), WARMUP_S.to_string());
    let puller = command(
        ingest,
        &["rtmp-pull", "--url", url, "--seconds", &s, "--warmup", &w],
    );
    let result = puller.and_then(figures);
    terminate_child(&mut publisher, Duration::from_secs(5));
    result
}

/// kaibo → the WHIP ingest, measured where the ingest decodes.
fn whip_path(ingest: &Path, kaibo: &Path, seconds: u64) -> Result<Figures, String> {
    let (s, w) = (seconds.to_string(), WARMUP_S.to_string());
    let mut receiver = command(ingest, &["whip", "--seconds", &s, "--warmup", &w])?;
    let stdout = receiver.stdout.take().ok_or("no stdout from the ingest")?;
    let mut lines = BufReader::new(stdout).lines();
    let url = lines
        .next()
        .and_then(Result::ok)
        .and_then(|l| l.strip_prefix("url ").map(str::to_owned))
        .ok_or("the WHIP ingest did not say where it listens")?;
    let mut kaibo = kaibo_live(kaibo, &url, seconds + WARMUP_S + 15)?;
    let closing = lines
        .map_while(Result::ok)
        .find(|l| l.starts_with("latency "));
    let _ = receiver.wait();
    terminate_child(&mut kaibo, Duration::from_secs(5));
    let line = closing.ok_or("the WHIP ingest measured nothing")?;
    let field = |name: &str| -> f64 {
        line.split_whitespace()
            .find_map(|kv| kv.strip_prefix(name)?.strip_prefix('='))
            .and_then(|v| v.parse().ok())
            .unwrap_or(f64::NAN)
    };
    Ok(Figures {
        median_ms: field("median_ms"),
        p95_ms: field("p95_ms"),
        samples: field("samples") as u64,
    })
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v.get(v.len() / 2).copied().unwrap_or(f64::NAN)
}

fn print_report(names: &[&str], results: &[Vec<Figures>], seconds: u64) {
    let pooled: Vec<(f64, f64, u64)> = results
        .iter()
        .map(|runs| {
            (
                median(runs.iter().map(|f| f.median_ms).collect()),
                median(runs.iter().map(|f| f.p95_ms).collect()),
                runs.iter().map(|f| f.samples).sum(),
            )
        })
        .collect();
    let base = pooled[0].0;
    println!(
        "\ncapture-to-decoded latency, 720p30 test source, {seconds} s per run ({} runs each)",
        results[0].len()
    );
    println!(
        "{:<22} {:>10} {:>10} {:>9} {:>16}",
        "path", "median ms", "p95 ms", "frames", "median/baseline"
    );
    for (name, (med, p95, n)) in names.iter().zip(&pooled) {
        println!(
            "{name:<22} {med:>10.1} {p95:>10.1} {n:>9} {:>16.2}",
            med / base
        );
    }
    println!("targets: kaibo RTMP median <= 60 ms, kaibo WHIP median <= 100 ms");
}
