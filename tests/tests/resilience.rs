//! Destinations fail alone: a dead server never stalls the others or the recording, and a
//! server that comes back gets the stream again.

mod common;

use kaibo_testkit::{Nginx, TempDir, flv_has_video_frame, video_packet_times, wait_until};
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

fn spawn_live(args: &[&str], dir: &TempDir) -> Child {
    common::kaibo()
        .args(["live", "--source", "test", "--json"])
        .args(args)
        .arg("--log-file")
        .arg(dir.path().join("k.log"))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("kaibo starts")
}

/// A stall caused by another destination lasts seconds (a TCP timeout, a reconnect); on a
/// loaded 2-core machine a frame or two may go missing for unrelated reasons.
const MAX_GAP_S: f64 = 0.25;

/// The largest gap between consecutive video frames of a file, in seconds.
fn largest_gap_s(path: &Path) -> f64 {
    let times = video_packet_times(&path.to_string_lossy());
    assert!(
        times.len() > 30,
        "{} has {} frames",
        path.display(),
        times.len()
    );
    times.windows(2).map(|w| w[1] - w[0]).fold(0.0, f64::max)
}

fn span_s(path: &Path) -> f64 {
    let times = video_packet_times(&path.to_string_lossy());
    times.last().copied().unwrap_or(0.0) - times.first().copied().unwrap_or(0.0)
}

fn wait_live(nginx: &Nginx, key: &str) -> PathBuf {
    let mut found = None;
    wait_until(
        Duration::from_secs(10),
        "the stream to reach the server",
        || {
            found = nginx.recordings().into_iter().find(|p| {
                p.file_name()
                    .is_some_and(|n| n.to_string_lossy().starts_with(key))
                    && flv_has_video_frame(p)
            });
            found.is_some()
        },
    );
    found.expect("found")
}

#[test]
fn a_dead_destination_never_stalls_the_other_or_the_recording() {
    let mut first = Nginx::start();
    let second = Nginx::start();
    let dir = TempDir::new();
    let record = dir.path().join("show.mkv");
    let record_s = record.to_string_lossy().to_string();
    let child = spawn_live(
        &[
            "--to",
            &first.url("live", "one"),
            "--to",
            &second.url("live", "two"),
            "--record",
            &record_s,
            "--duration",
            "12",
        ],
        &dir,
    );
    wait_live(&first, "one");
    wait_live(&second, "two");
    std::thread::sleep(Duration::from_secs(3));
    first.stop();
    let out = child.wait_with_output().expect("kaibo ends");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    let target = format!("rtmp://127.0.0.1:{}/live/****", first.rtmp_port());
    let last = stderr
        .lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("");
    assert!(
        last.contains(&target) && last.contains("lost"),
        "the failure names the destination: {stderr}"
    );
    assert!(stderr.contains("reconnecting to"), "{stderr}");
    let summary: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON summary");
    assert_eq!(summary["outputs"][0]["state"], "failed", "{summary}");
    assert!(
        summary["outputs"][0]["reconnects"].as_u64().unwrap_or(0) >= 1,
        "{summary}"
    );
    assert_eq!(
        summary["outputs"][1]["state"], "stopped",
        "{summary}\n{stderr}"
    );
    assert_eq!(summary["outputs"][2]["state"], "stopped", "{summary}");
    let other = second.recordings();
    assert_eq!(other.len(), 1, "{other:?}");
    for file in [&other[0], &record] {
        let gap = largest_gap_s(file);
        assert!(gap < MAX_GAP_S, "{} has a {gap:.3} s gap", file.display());
        assert!(
            span_s(file) >= 11.0,
            "{} spans {:.2} s",
            file.display(),
            span_s(file)
        );
    }
}

#[test]
fn the_stream_resumes_when_the_server_returns_and_the_recording_has_no_gap() {
    let mut nginx = Nginx::start();
    let dir = TempDir::new();
    let record = dir.path().join("outage.mkv");
    let record_s = record.to_string_lossy().to_string();
    let child = spawn_live(
        &[
            "--to",
            &nginx.url("live", "outage"),
            "--record",
            &record_s,
            "--duration",
            "16",
        ],
        &dir,
    );
    wait_live(&nginx, "outage");
    std::thread::sleep(Duration::from_secs(3));
    nginx.stop();
    let before: Vec<PathBuf> = nginx.recordings();
    std::thread::sleep(Duration::from_secs(5));
    nginx.restart();
    let back = Instant::now();
    let mut resumed = None;
    wait_until(Duration::from_secs(8), "the stream to come back", || {
        let fresh = nginx
            .recordings()
            .into_iter()
            .find(|p| !before.contains(p) && flv_has_video_frame(p));
        if fresh.is_some() {
            resumed = Some(back.elapsed());
        }
        fresh.is_some()
    });
    let resumed = resumed.expect("resumed");
    assert!(
        resumed <= Duration::from_secs(2),
        "the stream came back {resumed:?} after the server"
    );
    let out = child.wait_with_output().expect("kaibo ends");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let summary: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON summary");
    assert!(
        summary["reconnects"].as_u64().unwrap_or(0) >= 1,
        "{summary}"
    );
    assert_eq!(summary["outputs"][0]["state"], "stopped", "{summary}");
    let gap = largest_gap_s(&record);
    assert!(gap < MAX_GAP_S, "the recording has a {gap:.3} s gap");
    assert!(
        span_s(&record) >= 15.0,
        "the recording spans {:.2} s",
        span_s(&record)
    );
    // The resumed stream starts with a decodable keyframe.
    let after: Vec<PathBuf> = nginx
        .recordings()
        .into_iter()
        .filter(|p| !before.contains(p))
        .collect();
    let probe = kaibo_testkit::ffprobe(&after[0].to_string_lossy());
    assert_eq!(
        probe.video.map(|v| (v.codec, v.width)),
        Some(("h264".to_owned(), 1280)),
        "{}",
        probe.raw
    );
}
