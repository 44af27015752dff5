//! Platform profiles as data: listed by `kaibo profiles`, applied by `kaibo live --profile`.

mod common;

use common::run;
use kaibo_testkit::{TempDir, ffprobe};

#[test]
fn profiles_are_listed_with_their_link_requirements() {
    let out = common::kaibo()
        .args(["profiles", "--json"])
        .output()
        .expect("kaibo runs");
    assert!(out.status.success());
    let list: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    let wecom = list
        .as_array()
        .and_then(|a| a.iter().find(|p| p["id"] == "wecom"))
        .expect("wecom listed");
    assert_eq!(
        (
            wecom["uplink_kbps"].as_u64(),
            wecom["downlink_kbps"].as_u64()
        ),
        (Some(2000), Some(4000))
    );
    let table = common::kaibo()
        .arg("profiles")
        .output()
        .expect("kaibo runs");
    let text = String::from_utf8_lossy(&table.stdout);
    assert!(
        text.contains("企业微信群直播") && text.contains("tencent-meeting"),
        "{text}"
    );
}

#[test]
fn a_profile_sets_the_defaults_and_explicit_options_win() {
    let dir = TempDir::new();
    let record = dir.path().join("tm.mkv");
    run(
        &[
            "live",
            "--profile",
            "tencent-meeting",
            "--source",
            "test",
            "--record",
            &record.to_string_lossy(),
            "--duration",
            "3",
        ],
        None,
        &dir.path().join("k.log"),
    )
    .assert_ok();
    let video = ffprobe(&record.to_string_lossy()).video.expect("video");
    assert!(
        (video.fps - 25.0).abs() < 0.5,
        "the profile's 25 fps: {}",
        video.fps
    );
    let record = dir.path().join("tm-small.mkv");
    run(
        &[
            "live",
            "--profile",
            "tencent-meeting",
            "--resolution",
            "640x360",
            "--source",
            "test",
            "--record",
            &record.to_string_lossy(),
            "--duration",
            "2",
        ],
        None,
        &dir.path().join("k.log"),
    )
    .assert_ok();
    let video = ffprobe(&record.to_string_lossy()).video.expect("video");
    assert_eq!((video.width, video.height), (640, 360));
    assert!((video.fps - 25.0).abs() < 0.5, "{}", video.fps);
}

#[test]
fn an_unknown_profile_lists_the_known_ones() {
    let dir = TempDir::new();
    let ran = run(
        &[
            "live",
            "--profile",
            "kuaishou",
            "--source",
            "test",
            "--to",
            "rtmp://h/a/k",
        ],
        None,
        &dir.path().join("k.log"),
    );
    assert_eq!(ran.code, Some(2), "{}", ran.stderr);
    assert!(
        ran.last_line().contains("unknown profile") && ran.last_line().contains("wecom"),
        "{}",
        ran.stderr
    );
}
