//! Going live for real: kaibo pushes to a local nginx-rtmp and ffprobe checks what arrived.

mod common;

use common::run;
use kaibo_testkit::{
    Nginx, TempDir, Xvfb, decoded_duration_s, ffprobe, frame_md5s, keyframe_times,
};

fn assert_720p30_h264_aac(path: &str, min_duration_s: f64) {
    let probe = ffprobe(path);
    let video = probe
        .video
        .as_ref()
        .unwrap_or_else(|| panic!("no video in {path}: {}", probe.raw));
    assert_eq!(video.codec, "h264", "{}", probe.raw);
    assert!(
        ["High", "Main"].contains(&video.profile.as_str()),
        "profile {}",
        video.profile
    );
    assert_eq!(video.pix_fmt, "yuv420p", "{}", probe.raw);
    assert_eq!((video.width, video.height), (1280, 720), "{}", probe.raw);
    assert!((video.fps - 30.0).abs() < 0.5, "fps {}", video.fps);
    let audio = probe
        .audio
        .as_ref()
        .unwrap_or_else(|| panic!("no audio in {path}: {}", probe.raw));
    assert_eq!(audio.codec, "aac", "{}", probe.raw);
    let duration = probe.duration_s.unwrap_or_else(|| decoded_duration_s(path));
    assert!(duration >= min_duration_s, "only {duration} s in {path}");
}

#[test]
fn test_source_reaches_the_server_as_720p30_h264_with_aac() {
    let nginx = Nginx::start();
    let dir = TempDir::new();
    let url = nginx.url("live", "test-source");
    let ran = run(
        &[
            "live",
            "--source",
            "test",
            "--to",
            &url,
            "--duration",
            "6",
            "--json",
        ],
        None,
        &dir.path().join("k.log"),
    );
    ran.assert_ok();
    let summary = ran.json();
    assert!(
        summary["frames_encoded"].as_u64().unwrap_or(0) >= 170,
        "{summary}"
    );
    assert_eq!(summary["outputs"][0]["kind"], "rtmp");
    assert_eq!(
        summary["outputs"][0]["target"],
        format!("rtmp://127.0.0.1:{}/live/****", nginx.rtmp_port())
    );
    assert!(
        summary["outputs"][0]["bytes_sent"].as_u64().unwrap_or(0) > 1_000_000,
        "{summary}"
    );
    let kbps = summary["avg_video_kbps"].as_f64().unwrap_or(0.0);
    assert!(
        (1500.0..3500.0).contains(&kbps),
        "average {kbps} kbps for a 2500 kbps CBR stream"
    );
    assert!(
        ran.stderr.contains("live "),
        "no progress line: {}",
        ran.stderr
    );
}

#[test]
fn server_recording_of_test_source_is_720p30_h264_aac_of_at_least_5_s() {
    let nginx = Nginx::start();
    let dir = TempDir::new();
    let url = nginx.url("live", "probe-me");
    run(
        &["live", "--source", "test", "--to", &url, "--duration", "6"],
        None,
        &dir.path().join("k.log"),
    )
    .assert_ok();
    let recordings = nginx.recordings();
    assert_eq!(recordings.len(), 1, "{recordings:?}");
    let path = recordings[0].to_string_lossy().to_string();
    assert_720p30_h264_aac(&path, 5.0);
    // A keyframe every 2 s, so viewers joining late start within 2 s.
    let keys = keyframe_times(&path);
    assert!(keys.len() >= 3, "{keys:?}");
    for pair in keys.windows(2) {
        assert!(
            (pair[1] - pair[0] - 2.0).abs() < 0.1,
            "keyframes at {keys:?}"
        );
    }
}

#[test]
fn xvfb_screen_capture_is_streamed() {
    let xvfb = Xvfb::start(1280, 720);
    let _animation = xvfb.spawn_animation();
    let nginx = Nginx::start();
    let dir = TempDir::new();
    let url = nginx.url("live", "screen");
    let screen = format!("screen:{}", xvfb.display());
    run(
        &["live", "--source", &screen, "--to", &url, "--duration", "5"],
        None,
        &dir.path().join("k.log"),
    )
    .assert_ok();
    let recordings = nginx.recordings();
    let path = recordings[0].to_string_lossy().to_string();
    assert_720p30_h264_aac(&path, 4.0);
    // The animation moves: the captured frames are not all the same picture.
    let hashes = frame_md5s(&path);
    let distinct: std::collections::HashSet<_> = hashes.iter().collect();
    assert!(
        distinct.len() > hashes.len() / 4,
        "{} distinct frames of {}",
        distinct.len(),
        hashes.len()
    );
}

#[test]
fn named_window_capture_is_streamed_by_title_and_by_xid() {
    let xvfb = Xvfb::start(1280, 720);
    let window = xvfb.spawn_window("Quarterly Review - Impress", "800x600+40+40");
    let nginx = Nginx::start();
    let dir = TempDir::new();
    let by_title = nginx.url("live", "by-title");
    run(
        &[
            "live",
            "--source",
            "window:quarterly review",
            "--to",
            &by_title,
            "--duration",
            "4",
        ],
        Some(&xvfb.display()),
        &dir.path().join("k.log"),
    )
    .assert_ok();
    let by_xid = nginx.url("live", "by-xid");
    let spec = format!("window:0x{:x}", window.xid);
    run(
        &[
            "live",
            "--source",
            &spec,
            "--to",
            &by_xid,
            "--duration",
            "4",
        ],
        Some(&xvfb.display()),
        &dir.path().join("k.log"),
    )
    .assert_ok();
    let recordings = nginx.recordings();
    assert_eq!(recordings.len(), 2, "{recordings:?}");
    for r in &recordings {
        assert_720p30_h264_aac(&r.to_string_lossy(), 3.0);
    }
}

#[test]
fn missing_window_title_is_a_clear_error() {
    let xvfb = Xvfb::start(640, 480);
    let dir = TempDir::new();
    let ran = run(
        &[
            "live",
            "--source",
            "window:No Such Deck",
            "--to",
            "rtmp://127.0.0.1:1/live/k",
            "--duration",
            "2",
        ],
        Some(&xvfb.display()),
        &dir.path().join("k.log"),
    );
    assert_eq!(ran.code, Some(2), "{}", ran.stderr);
    assert!(
        ran.last_line().contains("No Such Deck") && ran.last_line().contains("window"),
        "{}",
        ran.stderr
    );
}

#[test]
fn scene_file_with_screen_pip_and_text_streams_and_records() {
    let xvfb = Xvfb::start(1280, 720);
    let _animation = xvfb.spawn_animation();
    let nginx = Nginx::start();
    let dir = TempDir::new();
    let scenes = dir.path().join("show.toml");
    std::fs::write(
        &scenes,
        format!(
            r##"version = 1

[[scenes]]
name = "Intro"
[[scenes.sources]]
name = "Logo"
input = {{ kind = "test" }}

[[scenes]]
name = "Main"
[[scenes.sources]]
name = "Desktop"
input = {{ kind = "screen", display = "{display}" }}

[[scenes.sources]]
name = "Presenter"
input = {{ kind = "test" }}
layout = {{ x = 880, y = 480, width = 384, height = 216, z = 2, opacity = 0.9 }}

[[scenes.sources]]
name = "Title"
input = {{ kind = "text", text = "新品发布会 Launch 2026", color = "#ffcc00" }}
"##,
            display = xvfb.display()
        ),
    )
    .expect("write scene file");
    let url = nginx.url("live", "scene");
    let record = dir.path().join("show.mkv");
    let ran = run(
        &[
            "live",
            "--scenes",
            &scenes.to_string_lossy(),
            "--scene",
            "main",
            "--to",
            &url,
            "--record",
            &record.to_string_lossy(),
            "--duration",
            "5",
            "--json",
        ],
        None,
        &dir.path().join("k.log"),
    );
    ran.assert_ok();
    let summary = ran.json();
    assert_eq!(summary["outputs"][1]["kind"], "record");
    assert!(
        summary["outputs"][1]["bytes_sent"].as_u64().unwrap_or(0) > 500_000,
        "{summary}"
    );
    assert_720p30_h264_aac(&record.to_string_lossy(), 4.0);
    let recordings = nginx.recordings();
    assert_720p30_h264_aac(&recordings[0].to_string_lossy(), 4.0);
}
