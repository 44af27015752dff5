//! Picture and sound sources end up where they should: clips loop, images sit in their box,
//! several destinations each get the stream.

mod common;

use common::run;
use kaibo_testkit::{Nginx, TempDir, ffprobe, frame_md5s, frame_rgb, require_tool};
use std::process::Command;

fn ffmpeg(args: &[&str]) {
    require_tool("ffmpeg", "ffmpeg");
    let status = Command::new("ffmpeg")
        .args(["-hide_banner", "-loglevel", "error", "-y"])
        .args(args)
        .status()
        .expect("ffmpeg runs");
    assert!(status.success(), "ffmpeg {args:?} failed");
}

fn pixel(frame: &[u8], width: usize, x: usize, y: usize) -> (u8, u8, u8) {
    let i = (y * width + x) * 3;
    (frame[i], frame[i + 1], frame[i + 2])
}

#[test]
fn a_short_clip_loops_for_the_whole_session() {
    let dir = TempDir::new();
    let clip = dir.path().join("clip.mp4");
    let clip_s = clip.to_string_lossy().to_string();
    ffmpeg(&[
        "-f",
        "lavfi",
        "-i",
        "testsrc=size=640x360:rate=30",
        "-f",
        "lavfi",
        "-i",
        "sine=frequency=300",
        "-t",
        "2",
        "-c:v",
        "libx264",
        "-pix_fmt",
        "yuv420p",
        "-c:a",
        "aac",
        &clip_s,
    ]);
    let record = dir.path().join("out.mkv");
    let ran = run(
        &[
            "live",
            "--source",
            &format!("media:{clip_s}"),
            "--record",
            &record.to_string_lossy(),
            "--duration",
            "6",
            "--json",
        ],
        None,
        &dir.path().join("k.log"),
    );
    ran.assert_ok();
    assert!(
        ran.json()["frames_encoded"].as_u64().unwrap_or(0) >= 170,
        "{}",
        ran.stdout
    );
    // After the clip's 2 s the picture keeps moving: it looped instead of freezing.
    let hashes = frame_md5s(&record.to_string_lossy());
    assert!(hashes.len() >= 170, "{} frames", hashes.len());
    let late: std::collections::HashSet<_> = hashes[100..160].iter().collect();
    assert!(
        late.len() > 30,
        "only {} distinct frames between 3.3 s and 5.3 s: the clip froze",
        late.len()
    );
    assert_eq!(
        ffprobe(&record.to_string_lossy()).audio.map(|a| a.codec),
        Some("aac".to_owned())
    );
}

#[test]
fn an_image_sits_in_its_picture_in_picture_box() {
    let dir = TempDir::new();
    let image = dir.path().join("red.png");
    ffmpeg(&[
        "-f",
        "lavfi",
        "-i",
        "color=c=red:s=320x180",
        "-frames:v",
        "1",
        &image.to_string_lossy(),
    ]);
    let record = dir.path().join("out.mkv");
    run(
        &[
            "live",
            "--source",
            "test",
            "--source",
            &format!("image:{}", image.display()),
            "--record",
            &record.to_string_lossy(),
            "--duration",
            "3",
        ],
        None,
        &dir.path().join("k.log"),
    )
    .assert_ok();
    let frame = frame_rgb(&record, 1.5);
    assert_eq!(frame.len(), 1280 * 720 * 3);
    // Default PiP box: 384x216 with its bottom-right corner 32 px from the canvas corner.
    let (r, g, b) = pixel(&frame, 1280, 1280 - 32 - 192, 720 - 32 - 108);
    assert!(
        r > 200 && g < 60 && b < 60,
        "PiP centre is ({r},{g},{b}), not red"
    );
    let (r, g, b) = pixel(&frame, 1280, 100, 360);
    assert!(
        !(r > 200 && g < 60 && b < 60),
        "the image leaked outside its box"
    );
}

#[test]
fn one_encode_reaches_every_destination() {
    let nginx = Nginx::start();
    let dir = TempDir::new();
    let ran = run(
        &[
            "live",
            "--source",
            "test",
            "--to",
            &nginx.url("live", "first"),
            "--to",
            &nginx.url("live", "second"),
            "--duration",
            "4",
            "--json",
        ],
        None,
        &dir.path().join("k.log"),
    );
    ran.assert_ok();
    let summary = ran.json();
    let outputs = summary["outputs"].as_array().expect("outputs");
    assert_eq!(outputs.len(), 2);
    for o in outputs {
        assert!(o["bytes_sent"].as_u64().unwrap_or(0) > 500_000, "{summary}");
        // The per-destination rate over the session: the 2500 kbps stream plus audio.
        let kbps = o["kbps"].as_f64().unwrap_or(0.0);
        assert!((1500.0..4000.0).contains(&kbps), "{summary}");
    }
    let recordings = nginx.recordings();
    assert_eq!(recordings.len(), 2, "{recordings:?}");
    for r in recordings {
        assert_eq!(
            ffprobe(&r.to_string_lossy()).video.map(|v| v.width),
            Some(1280)
        );
    }
}

#[test]
fn other_resolutions_and_openh264_work() {
    let dir = TempDir::new();
    let record = dir.path().join("small.mkv");
    run(
        &[
            "live",
            "--source",
            "test",
            "--source",
            "test",
            "--record",
            &record.to_string_lossy(),
            "--duration",
            "3",
            "--resolution",
            "640x360",
            "--fps",
            "25",
            "--bitrate-kbps",
            "800",
            "--encoder",
            "openh264",
        ],
        None,
        &dir.path().join("k.log"),
    )
    .assert_ok();
    let probe = ffprobe(&record.to_string_lossy());
    let video = probe.video.expect("video");
    assert_eq!(
        (video.codec.as_str(), video.width, video.height),
        ("h264", 640, 360),
        "{}",
        probe.raw
    );
    assert!((video.fps - 25.0).abs() < 0.5, "{}", probe.raw);
    assert_ne!(video.profile, "High 4:4:4 Predictive");
}
