//! `kaibo check` end to end from the built binary: a real nginx-rtmp accepting and rejecting
//! the key, an unreachable host, a scene whose sources partly do not open, a real photo, speech
//! from espeak-ng (as a file and through a PulseAudio microphone), a script with advertising-law
//! terms; the JSON report's shape, the exit code, and the stream key never printed.

mod common;

use kaibo_testkit::{Nginx, Pulse, TempDir, free_port, require_tool};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

const KEY: &str = "s3cr3t-Key-9f2c";
const PHOTO: &str = "/usr/lib/python3/dist-packages/skimage/data/astronaut.png";

struct Ran {
    code: Option<i32>,
    report: Value,
    stdout: String,
    stderr: String,
    took: Duration,
}

fn finish(mut command: Command) -> Ran {
    let started = Instant::now();
    let Output {
        status,
        stdout,
        stderr,
    } = command.output().expect("kaibo runs");
    let stdout = String::from_utf8_lossy(&stdout).into_owned();
    let stderr = String::from_utf8_lossy(&stderr).into_owned();
    assert!(!stderr.contains("panicked"), "kaibo panicked:\n{stderr}");
    let report = serde_json::from_str(&stdout)
        .unwrap_or_else(|e| panic!("no JSON report ({e}):\n{stdout}\n{stderr}"));
    Ran {
        code: status.code(),
        report,
        stdout,
        stderr,
        took: started.elapsed(),
    }
}

fn check(args: &[&str], dir: &Path) -> Ran {
    let mut c = common::kaibo();
    c.arg("check")
        .args(args)
        .args(["--json", "--lang", "en", "--record-dir"])
        .arg(dir);
    finish(c)
}

fn item<'a>(ran: &'a Ran, id: &str) -> &'a Value {
    ran.report["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|i| i["id"] == id)
        .unwrap_or_else(|| panic!("no {id} item: {}", ran.report))
}

fn status<'a>(ran: &'a Ran, id: &str) -> &'a str {
    item(ran, id)["status"].as_str().unwrap_or("")
}

fn speech(dir: &Path) -> PathBuf {
    let espeak = require_tool("espeak-ng", "espeak-ng");
    let path = dir.join("speech.wav");
    let ok = Command::new(espeak)
        .arg("-w")
        .arg(&path)
        .arg("Good evening everyone, welcome to our live stream. Today we taste three new teas together.")
        .status()
        .expect("espeak-ng runs")
        .success();
    assert!(ok, "espeak-ng failed");
    path
}

fn photo() -> &'static str {
    assert!(
        Path::new(PHOTO).is_file(),
        "{PHOTO} is missing: install python3-skimage (`cargo xtask install test`)"
    );
    PHOTO
}

fn assert_no_key(ran: &Ran) {
    assert!(
        !ran.stdout.contains(KEY) && !ran.stderr.contains(KEY),
        "the stream key was printed:\n{}\n{}",
        ran.stdout,
        ran.stderr
    );
}

#[test]
fn a_full_check_reports_every_item_as_json_without_the_key() {
    let nginx = Nginx::start();
    let dir = TempDir::new();
    let scenes = dir.path().join("scenes.toml");
    std::fs::write(
        &scenes,
        format!(
            r#"version = 1
[[scenes]]
name = "Main"
[[scenes.sources]]
name = "Bars"
input = {{ kind = "test" }}
[[scenes.sources]]
name = "Banner"
input = {{ kind = "text", text = "全网最低价" }}
[[scenes.sources]]
name = "Logo"
input = {{ kind = "image", path = "{PHOTO}" }}
[[scenes.sources]]
name = "Trailer"
input = {{ kind = "media", path = "{}/missing.mp4" }}
"#,
            dir.path().display()
        ),
    )
    .expect("write scenes");
    let script = dir.path().join("script.txt");
    std::fs::write(
        &script,
        "Welcome! This is the best tea, clinically proven.\n",
    )
    .expect("write script");
    let wav = speech(dir.path());
    let url = nginx.url("live", KEY);
    let ran = check(
        &[
            "--to",
            &url,
            "--scenes",
            scenes.to_str().expect("utf-8"),
            "--script",
            script.to_str().expect("utf-8"),
            "--lighting-image",
            photo(),
            "--audio-file",
            wav.to_str().expect("utf-8"),
        ],
        dir.path(),
    );
    eprintln!("{}\ntook {:?}", ran.stdout, ran.took);
    assert_no_key(&ran);
    let ids: Vec<&str> = ran.report["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|i| i["id"].as_str().expect("id"))
        .collect();
    assert_eq!(
        ids,
        vec![
            "destination",
            "network.uplink",
            "network.downlink",
            "network.rtt",
            "bandwidth_hogs",
            "devices",
            "lighting",
            "audio",
            "headroom",
            "disk",
            "compliance"
        ]
    );
    for i in ran.report["items"].as_array().expect("items") {
        assert!(
            ["pass", "warn", "fail"].contains(&i["status"].as_str().unwrap_or("")),
            "{i}"
        );
        assert!(i["value"].is_string() && i["hint"].is_string(), "{i}");
    }
    assert_eq!(status(&ran, "destination"), "pass");
    assert_eq!(status(&ran, "network.uplink"), "pass");
    assert_eq!(status(&ran, "network.downlink"), "warn");
    assert_eq!(status(&ran, "lighting"), "pass");
    assert_eq!(status(&ran, "audio"), "pass");
    assert_eq!(status(&ran, "disk"), "pass");
    assert_eq!(status(&ran, "devices"), "fail");
    let devices = item(&ran, "devices");
    assert_eq!(
        devices["details"].as_array().map(Vec::len),
        Some(1),
        "{devices}"
    );
    assert!(
        devices["details"][0]
            .as_str()
            .unwrap_or("")
            .starts_with("Trailer (media)"),
        "{devices}"
    );
    assert_eq!(status(&ran, "compliance"), "fail");
    let hits: Vec<&str> = item(&ran, "compliance")["details"]
        .as_array()
        .expect("details")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    let hits = hits.join("\n");
    for needle in [
        "script.txt:1:18 \"the best\"",
        "clinically proven",
        "scene Main / Banner:1:3",
    ] {
        assert!(hits.contains(needle), "{needle} not in {hits}");
    }
    assert_eq!(ran.report["overall"], "fail");
    assert_eq!(ran.code, Some(1));
    assert!(ran.took < Duration::from_secs(15), "took {:?}", ran.took);
}

#[test]
fn a_rejected_key_and_an_unreachable_host_fail_the_destination() {
    let nginx = Nginx::start();
    let dir = TempDir::new();
    let rejected = check(&["--to", &nginx.url("deny", KEY)], dir.path());
    assert_no_key(&rejected);
    assert_eq!(
        status(&rejected, "destination"),
        "fail",
        "{}",
        rejected.report
    );
    let hint = item(&rejected, "destination")["hint"]
        .as_str()
        .unwrap_or("");
    assert!(hint.contains("rejected the stream key"), "{hint}");
    assert_eq!(status(&rejected, "network.uplink"), "fail");
    assert_eq!(rejected.code, Some(1));

    let port = free_port();
    let nobody = check(
        &["--to", &format!("rtmp://127.0.0.1:{port}/live/{KEY}")],
        dir.path(),
    );
    assert_no_key(&nobody);
    let dest = item(&nobody, "destination");
    assert_eq!(dest["status"], "fail");
    assert!(
        dest["hint"].as_str().unwrap_or("").contains("refused"),
        "{dest}"
    );
    assert_eq!(nobody.code, Some(1));
}

#[test]
fn a_clean_setup_passes_and_the_exit_code_follows_the_overall() {
    let dir = TempDir::new();
    let wav = speech(dir.path());
    let script = dir.path().join("script.txt");
    std::fs::write(&script, "大家好，最近天气转凉，我们第一次介绍秋茶。\n").expect("write");
    let ran = check(
        &[
            "--lighting-image",
            photo(),
            "--audio-file",
            wav.to_str().expect("utf-8"),
            "--script",
            script.to_str().expect("utf-8"),
        ],
        dir.path(),
    );
    for id in ["lighting", "audio", "compliance", "disk"] {
        assert_eq!(status(&ran, id), "pass", "{id}: {}", ran.report);
    }
    let overall = ran.report["overall"].as_str().unwrap_or("");
    assert_eq!(ran.code == Some(0), overall != "fail", "{}", ran.report);
}

#[test]
fn the_microphone_is_heard_while_the_host_speaks() {
    let pulse = Pulse::start();
    let dir = TempDir::new();
    let wav = speech(dir.path());
    require_tool("paplay", "pulseaudio-utils");
    let scenes = dir.path().join("scenes.toml");
    std::fs::write(
        &scenes,
        format!(
            "version = 1\n[[scenes]]\nname = \"Talk\"\n[[scenes.sources]]\nname = \"Mic\"\ninput = {{ kind = \"mic\", device = \"{}.monitor\" }}\n",
            Pulse::SINK
        ),
    )
    .expect("write scenes");
    let mut player = pulse
        .command("paplay")
        .arg(format!("--device={}", Pulse::SINK))
        .arg(&wav)
        .spawn()
        .expect("paplay runs");
    let mut c = pulse.command(common::kaibo_bin_str());
    c.args([
        "check", "--json", "--lang", "zh", "--listen", "3", "--scenes",
    ])
    .arg(&scenes)
    .arg("--record-dir")
    .arg(dir.path());
    let ran = finish(c);
    let _ = player.wait();
    assert_eq!(status(&ran, "devices"), "pass", "{}", ran.report);
    let audio = item(&ran, "audio");
    assert_eq!(audio["status"], "pass", "{audio}");
    assert!(ran.stderr.contains("请说话"), "{}", ran.stderr);
}

#[test]
fn a_whip_destination_is_checked_with_a_real_session() {
    // The test WHIP ingest (webrtcbin): a good token opens a session with a media path and it
    // is deleted again; a wrong token and an endpoint whose peer vanishes fail with their causes.
    let ingest = kaibo_ingest::WhipIngest::start(Some(KEY))
        .unwrap_or_else(|e| panic!("the test WHIP ingest: {e}"));
    let dir = TempDir::new();
    let url = ingest.url("/whip");
    let good = check(&["--to", &url, "--whip-token", KEY], dir.path());
    assert_no_key(&good);
    let dest = item(&good, "destination");
    assert_eq!(dest["status"], "pass", "{}", good.report);
    assert_eq!(ingest.offers(), 1);
    assert_eq!(ingest.deletes(), 1, "the test session was not ended");
    // The uplink probe publishes over RTMP: no network items for a WHIP destination alone.
    assert!(!good.stdout.contains("network.uplink"), "{}", good.report);

    let wrong = check(&["--to", &url, "--whip-token", "not-the-token"], dir.path());
    assert!(!wrong.stdout.contains("not-the-token") && !wrong.stderr.contains("not-the-token"));
    let dest = item(&wrong, "destination");
    assert_eq!(dest["status"], "fail", "{}", wrong.report);
    assert!(
        dest["value"]
            .as_str()
            .unwrap_or("")
            .contains("rejected the token")
            && dest["hint"]
                .as_str()
                .unwrap_or("")
                .contains("rejected the stream key"),
        "{dest}"
    );
    assert_eq!(wrong.code, Some(1));

    let gone = check(
        &["--to", &ingest.url("/whip/blackhole"), "--whip-token", KEY],
        dir.path(),
    );
    let dest = item(&gone, "destination");
    assert_eq!(dest["status"], "fail", "{}", gone.report);
    assert!(
        dest["hint"].as_str().unwrap_or("").contains("UDP"),
        "{dest}"
    );
}

#[test]
fn a_hub_measures_the_link_for_a_whip_destination() {
    // A WHIP destination cannot take the RTMP test publish: with a hub named, the uplink is an
    // upload to it and the downlink its download; a wrong host token is named in every item.
    let ingest = kaibo_ingest::WhipIngest::start(Some(KEY))
        .unwrap_or_else(|e| panic!("the test WHIP ingest: {e}"));
    let hub = common::HubProcess::start(None, "127.0.0.1");
    let dir = TempDir::new();
    let url = ingest.url("/whip");
    let base = ["--to", &url, "--whip-token", KEY, "--hub", &hub.url];
    let ran = check(
        &[&base[..], &["--hub-token", &hub.token]].concat(),
        dir.path(),
    );
    assert_eq!(status(&ran, "destination"), "pass", "{}", ran.report);
    for id in ["network.uplink", "network.downlink"] {
        // Loopback: far above WeCom's 2 and 4 Mbit/s.
        assert_eq!(status(&ran, id), "pass", "{}", ran.report);
    }
    item(&ran, "network.rtt");
    assert!(!ran.stdout.contains(&hub.token) && !ran.stderr.contains(&hub.token));

    let wrong = check(
        &[&base[..], &["--hub-token", "not-the-hub-token-at-all"]].concat(),
        dir.path(),
    );
    let up = item(&wrong, "network.uplink");
    assert_eq!(up["status"], "fail", "{}", wrong.report);
    assert!(
        up["hint"]
            .as_str()
            .unwrap_or("")
            .contains("refused the host token"),
        "{up}"
    );
    assert!(!wrong.stdout.contains("not-the-hub-token-at-all"));
}
