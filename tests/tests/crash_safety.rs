//! A recording survives `kill -9`: it plays up to at most 2 s before the kill.

mod common;

use kaibo_testkit::{Nginx, TempDir, decoded_duration_s, ffprobe, wait_until};
use std::time::{Duration, Instant};

#[test]
fn recording_is_playable_after_kill_9() {
    let nginx = Nginx::start();
    let dir = TempDir::new();
    let record = dir.path().join("crash.mkv");
    let mut child = common::kaibo()
        .args([
            "live",
            "--source",
            "test",
            "--to",
            &nginx.url("live", "crash"),
            "--record",
        ])
        .arg(&record)
        .arg("--log-file")
        .arg(dir.path().join("k.log"))
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("kaibo starts");
    wait_until(Duration::from_secs(10), "the recording to start", || {
        std::fs::metadata(&record).is_ok_and(|m| m.len() > 0)
    });
    let started = Instant::now();
    std::thread::sleep(Duration::from_secs(8));
    let lived = started.elapsed().as_secs_f64();
    child.kill().expect("SIGKILL");
    child.wait().expect("reaped");
    let path = record.to_string_lossy().to_string();
    let probe = ffprobe(&path);
    assert_eq!(
        probe.video.as_ref().map(|v| v.codec.as_str()),
        Some("h264"),
        "{}",
        probe.raw
    );
    let played = decoded_duration_s(&path);
    assert!(
        played >= 6.0,
        "only {played:.2} s playable after {lived:.2} s of recording"
    );
    assert!(
        played >= lived - 2.0,
        "lost more than 2 s: {played:.2} s of {lived:.2} s"
    );
}

#[test]
fn ctrl_c_ends_cleanly_with_a_finalised_recording_and_summary() {
    let nginx = Nginx::start();
    let dir = TempDir::new();
    let record = dir.path().join("stop.mkv");
    let child = common::kaibo()
        .args([
            "live",
            "--source",
            "test",
            "--json",
            "--to",
            &nginx.url("live", "stop"),
            "--record",
        ])
        .arg(&record)
        .arg("--log-file")
        .arg(dir.path().join("k.log"))
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("kaibo starts");
    wait_until(Duration::from_secs(10), "the recording to start", || {
        std::fs::metadata(&record).is_ok_and(|m| m.len() > 0)
    });
    std::thread::sleep(Duration::from_secs(3));
    let status = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(status.success());
    let out = child.wait_with_output().expect("kaibo ends");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let summary: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON summary");
    assert!(
        summary["frames_encoded"].as_u64().unwrap_or(0) >= 80,
        "{summary}"
    );
    assert!(
        summary["outputs"]
            .as_array()
            .is_some_and(|o| o.iter().all(|o| o["state"] == "stopped")),
        "{summary}"
    );
    // A finalised Matroska file carries its duration; a cut one does not.
    let probe = ffprobe(&record.to_string_lossy());
    let duration = probe
        .duration_s
        .expect("the recording was finalised with a duration");
    assert!(duration >= 3.0, "{duration}");
    assert!(decoded_duration_s(&record.to_string_lossy()) >= 3.0);
}
