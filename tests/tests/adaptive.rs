//! Adaptive bitrate over a real shaped link: a 2500 kbps stream through a link that steps
//! 6 → 1.5 → 6 Mbit/s keeps going, fits under the narrow link within 3 s and climbs back.

mod common;

use kaibo_testkit::{Nginx, ShapedLink, TempDir};
use std::io::{BufRead, BufReader};
use std::process::Stdio;
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// One progress line: when it arrived, and the video kbps it reported.
struct Sample {
    at: Duration,
    kbps: f64,
    line: String,
}

fn kbps_of(line: &str) -> Option<f64> {
    let before = line.split(" kbps").next()?;
    before.split_whitespace().last()?.parse().ok()
}

#[test]
fn bitrate_follows_a_narrowing_and_widening_link_without_disconnecting() {
    let link = ShapedLink::new(6000);
    let nginx = Nginx::start_behind(&link);
    let dir = TempDir::new();
    let started = Instant::now();
    let mut child = common::kaibo()
        .args([
            "live",
            "--source",
            "test",
            "--bitrate-kbps",
            "2500",
            "--duration",
            "36",
            "--json",
        ])
        .args(["--to", &nginx.url("live", "shaped")])
        .arg("--log-file")
        .arg(dir.path().join("k.log"))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("kaibo starts");
    let stderr = child.stderr.take().expect("stderr");
    let (tx, rx) = mpsc::channel();
    let reader = std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            let _ = tx.send((started.elapsed(), line));
        }
    });
    std::thread::sleep(Duration::from_secs(10));
    link.set_rate(1500);
    let narrowed = started.elapsed();
    std::thread::sleep(Duration::from_secs(10));
    link.set_rate(6000);
    let widened = started.elapsed();
    let out = child.wait_with_output().expect("kaibo ends");
    let _ = reader.join();
    let lines: Vec<(Duration, String)> = rx.try_iter().collect();
    let all = lines
        .iter()
        .map(|(_, l)| l.as_str())
        .collect::<Vec<_>>()
        .join("\n");
    assert!(out.status.success(), "{all}");
    assert!(!all.contains("reconnecting"), "the stream dropped:\n{all}");
    let summary: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON summary");
    assert_eq!(summary["reconnects"], 0, "{summary}");
    let samples: Vec<Sample> = lines
        .iter()
        .filter_map(|(at, line)| {
            kbps_of(line).map(|kbps| Sample {
                at: *at,
                kbps,
                line: line.clone(),
            })
        })
        .collect();
    eprintln!("narrowed at {narrowed:?}, widened at {widened:?}:\n{all}");
    // Video plus 128 kbps of audio fits the 1.5 Mbit/s link within 3 s of it narrowing, and
    // mostly stays under it; probing upward (in case the link widened) may overshoot briefly.
    let fits = |s: &Sample| s.kbps + 128.0 < 1500.0;
    let narrow: Vec<&Sample> = samples
        .iter()
        .filter(|s| s.at >= narrowed + Duration::from_secs(3) && s.at < widened)
        .collect();
    assert!(narrow.len() >= 5, "{all}");
    let first: Vec<&&Sample> = narrow
        .iter()
        .filter(|s| s.at < narrowed + Duration::from_secs(5))
        .collect();
    assert!(
        !first.is_empty() && first.iter().all(|s| fits(s)),
        "not under the link within 3 s:\n{all}"
    );
    let under = narrow.iter().filter(|s| fits(s)).count();
    assert!(
        under * 4 >= narrow.len() * 3,
        "under the link only {under} of {} seconds:\n{all}",
        narrow.len()
    );
    assert!(
        narrow.iter().all(|s| s.kbps + 128.0 < 1500.0 * 1.2),
        "an overshoot above 120 %:\n{all}"
    );
    // Back near the configured rate after the link widens again. How fast is the
    // benchmark's business (`cargo xtask bench abr`, target ≤ 10 s); here it has 11 s, since a
    // probe that congested the narrow link just before it widened holds the rate for 4 s and
    // x264 then takes 2-3 s to follow (CI once saw 1999 kbps 9 s after).
    let late: Vec<&Sample> = samples
        .iter()
        .filter(|s| s.at >= widened + Duration::from_secs(11))
        .collect();
    assert!(!late.is_empty(), "{all}");
    assert!(
        late.iter().all(|s| s.kbps > 2000.0),
        "did not climb back: {}\n{all}",
        late.iter()
            .map(|s| s.line.as_str())
            .collect::<Vec<_>>()
            .join("\n")
    );
}
