//! End-to-end checks of the harness against the real tools.

use kaibo_testkit::{
    Nginx, Xvfb, cpu_seconds_tree, ffprobe, flv_has_video_frame, flv_video_timestamps_ms,
    frame_md5s, require_tool, video_packet_times, wait_until,
};
use std::process::{Command, ExitStatus, Stdio};
use std::time::Duration;

/// Publishes 3 s of 320x240 H.264 with GStreamer and returns gst-launch's exit status.
fn publish(url: &str) -> ExitStatus {
    let gst = require_tool("gst-launch-1.0", "gstreamer1.0-tools");
    let location = format!("location={url}");
    let mut child = Command::new(gst)
        .args([
            "-q",
            "videotestsrc",
            "num-buffers=90",
            "!",
            "video/x-raw,width=320,height=240,framerate=30/1",
        ])
        .args([
            "!",
            "videoconvert",
            "!",
            "video/x-raw,format=I420",
            "!",
            "x264enc",
            "tune=zerolatency",
        ])
        .args([
            "!",
            "video/x-h264,profile=high",
            "!",
            "h264parse",
            "!",
            "flvmux",
            "streamable=true",
        ])
        .args(["!", "rtmp2sink", &location])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn gst-launch-1.0");
    let mut status = None;
    wait_until(
        Duration::from_secs(15),
        "gst-launch-1.0 to finish publishing",
        || {
            status = child.try_wait().expect("poll gst-launch-1.0");
            status.is_some()
        },
    );
    status.expect("wait_until saw the exit status")
}

#[test]
fn nginx_records_live_and_denies() {
    let mut nginx = Nginx::start();
    assert!(nginx.url("live", "k").starts_with("rtmp://127.0.0.1:"));
    assert!(nginx.stat_xml().contains("<rtmp>"), "{}", nginx.stat_xml());

    assert!(
        !publish(&nginx.url("deny", "nope")).success(),
        "publishing to deny must fail"
    );
    assert!(
        !publish(&nginx.url("hook", "nope")).success(),
        "publishing to hook must fail"
    );
    assert!(
        publish(&nginx.url("live", "test")).success(),
        "{}",
        nginx.log_text()
    );

    // nginx-rtmp closes the recording when the publisher disconnects.
    let mut recordings = Vec::new();
    wait_until(
        Duration::from_secs(5),
        "one recording with a video frame",
        || {
            recordings = nginx.recordings();
            recordings.len() == 1 && flv_has_video_frame(&recordings[0])
        },
    );
    let path = recordings[0].to_string_lossy().to_string();
    let probe = ffprobe(&path);
    let video = probe
        .video
        .as_ref()
        .unwrap_or_else(|| panic!("no video: {}", probe.raw));
    assert_eq!(
        (video.codec.as_str(), video.width, video.height),
        ("h264", 320, 240),
        "{}",
        probe.raw
    );
    assert_eq!(video.profile, "High", "{}", probe.raw);
    assert!((video.fps - 30.0).abs() < 1.0, "{}", probe.raw);
    assert!(probe.audio.is_none());
    let duration = probe.duration_s.expect("flv duration");
    assert!((2.5..3.5).contains(&duration), "{duration}");

    let times = video_packet_times(&path);
    assert!((85..=90).contains(&times.len()), "{} packets", times.len());
    let flv_times = flv_video_timestamps_ms(&recordings[0]);
    assert_eq!(flv_times.len(), times.len());
    assert_eq!(frame_md5s(&path).len(), times.len());
    assert!(nginx.log_text().contains("publish"), "{}", nginx.log_text());

    let pid = nginx.pid().expect("running nginx");
    nginx.stop();
    assert!(nginx.pid().is_none());
    assert!(!std::path::Path::new(&format!("/proc/{pid}")).exists() || is_zombie(pid));
}

fn is_zombie(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|s| s.contains(") Z"))
}

#[test]
fn xvfb_windows_animation_and_screenshots() {
    let xvfb = Xvfb::start(320, 240);
    assert!(xvfb.display().starts_with(':'));
    let window = xvfb.spawn_window("kaibo-testkit window", "200x100+10+20");
    assert!(window.xid > 0);
    let info = Command::new("xwininfo")
        .args(["-display", &xvfb.display(), "-id", &window.xid.to_string()])
        .output()
        .expect("run xwininfo");
    let info = String::from_utf8_lossy(&info.stdout);
    assert!(
        info.contains("Width: 200") && info.contains("Height: 100"),
        "{info}"
    );
    drop(window);

    let animation = xvfb.spawn_animation();
    let a = xvfb.screenshot_rgb();
    assert_eq!(a.len(), 320 * 240 * 3);
    std::thread::sleep(Duration::from_millis(200));
    assert_ne!(a, xvfb.screenshot_rgb(), "the animation must keep moving");
    let dir = kaibo_testkit::TempDir::new();
    let png = dir.path().join("screen.png");
    xvfb.screenshot(&png);
    assert!(std::fs::metadata(&png).expect("screenshot written").len() > 0);
    assert!(cpu_seconds_tree(animation.pid()) >= 0.0);
}

#[test]
fn own_cpu_time_is_counted() {
    let start = std::time::Instant::now();
    let mut x = 1u64;
    while start.elapsed() < Duration::from_millis(30) {
        x = std::hint::black_box(x.wrapping_mul(6364136223846793005).wrapping_add(1));
    }
    assert!(cpu_seconds_tree(std::process::id()) > 0.0);
}
