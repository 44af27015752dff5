//! `kaibo live --hub-listen`: the interaction hub beside a headless stream. A viewer joins and
//! asks over HTTP, the host pins the question with the token printed once, and the recording
//! shows the card from then on; the token never reaches the log or the JSON summary.

mod common;

use kaibo_testkit::{TempDir, frame_rgb, require_tool};
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// A request with curl; the JSON answer.
fn curl(method: &str, url: &str, token: &str, body: &str) -> serde_json::Value {
    let curl = require_tool("curl", "curl");
    let out = Command::new(curl)
        .args(["-sS", "--fail-with-body", "-X", method, url])
        .args(["-H", "content-type: application/json"])
        .args(["-H", &format!("authorization: Bearer {token}")])
        .args(["--data", body])
        .output()
        .expect("curl runs");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{method} {url}: {text}");
    serde_json::from_str(&text).expect("JSON")
}

/// Mean luma of the bottom third of a 1280×720 RGB frame (where a question card sits).
fn bottom_luma(frame: &[u8]) -> f64 {
    let (w, h) = (1280usize, 720usize);
    let mut sum = 0.0;
    let mut n = 0.0;
    for y in h * 2 / 3..h * 19 / 20 {
        for x in 0..w {
            let p = &frame[(y * w + x) * 3..][..3];
            sum += 0.299 * f64::from(p[0]) + 0.587 * f64::from(p[1]) + 0.114 * f64::from(p[2]);
            n += 1.0;
        }
    }
    sum / n
}

#[test]
fn a_question_pinned_through_the_hub_is_in_the_recording_and_the_token_stays_private() {
    let dir = TempDir::new();
    let record = dir.path().join("live.mkv");
    let log = dir.path().join("kaibo.log");
    let white = dir.path().join("white.png");
    let convert = require_tool("convert", "imagemagick");
    assert!(
        Command::new(convert)
            .args(["-size", "1280x720", "xc:white"])
            .arg(&white)
            .status()
            .expect("convert")
            .success()
    );
    let mut child = common::kaibo()
        .args(["live", "--source", &format!("image:{}", white.display())])
        .arg("--record")
        .arg(&record)
        .args(["--duration", "10", "--json", "--hub-listen", "127.0.0.1:0"])
        .arg("--hub-db")
        .arg(dir.path().join("hub.sqlite"))
        .arg("--log-file")
        .arg(&log)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("kaibo starts");
    let started = Instant::now();
    let stderr = child.stderr.take().expect("stderr");
    let (tx, rx) = mpsc::channel();
    let reader = std::thread::spawn(move || {
        let mut all = Vec::new();
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            let _ = tx.send(line.clone());
            all.push(line);
        }
        all
    });
    let (mut join, mut token) = (None, None);
    while join.is_none() || token.is_none() {
        let line = rx
            .recv_timeout(Duration::from_secs(20))
            .expect("kaibo names the hub's address and the host token");
        if let Some(url) = line.strip_prefix("kaibo: viewers join at ") {
            join = Some(url.trim_end_matches('/').to_owned());
        }
        if let Some(t) = line.split("keep it private): ").nth(1) {
            token = Some(t.to_owned());
        }
    }
    let (join, token) = (join.expect("url"), token.expect("token"));
    let api = format!("{join}/api/v1");
    let viewer = curl(
        "POST",
        &format!("{api}/join"),
        "",
        r#"{"nickname":"王小明","accept_privacy":true}"#,
    );
    let viewer = viewer["token"].as_str().expect("viewer token").to_owned();
    let asked = curl(
        "POST",
        &format!("{api}/questions"),
        &viewer,
        r#"{"text":"老师，课程回放在哪里看？Where is the replay?"}"#,
    );
    let id = asked["id"].as_i64().expect("question id");
    // A viewer's token cannot pin.
    let refused = Command::new("curl")
        .args(["-s", "-o", "/dev/null", "-w", "%{http_code}", "-X", "POST"])
        .arg(format!("{api}/host/questions/{id}/pin"))
        .args(["-H", &format!("authorization: Bearer {viewer}")])
        .output()
        .expect("curl");
    assert_eq!(String::from_utf8_lossy(&refused.stdout), "403");
    // Pin a few seconds in, so the recording's first second shows the scene alone.
    std::thread::sleep(Duration::from_secs(3).saturating_sub(started.elapsed()));
    let pinned_at = started.elapsed();
    curl(
        "POST",
        &format!("{api}/host/questions/{id}/pin"),
        &token,
        "{}",
    );
    let out = child.wait_with_output().expect("kaibo ends");
    let lines = reader.join().expect("stderr");
    assert!(out.status.success(), "{}", lines.join("\n"));

    // Before the pin the bottom is the white image; after it, a dark card covers part of it.
    let before = bottom_luma(&frame_rgb(&record, 1.0));
    let after = bottom_luma(&frame_rgb(&record, 8.5));
    assert!(
        pinned_at < Duration::from_secs(7),
        "pinned late: {pinned_at:?}"
    );
    assert!(before > 240.0, "white before the pin: {before:.0}");
    assert!(
        after < before - 20.0,
        "the card darkens the bottom after the pin: {after:.0}\n{}",
        lines.join("\n")
    );

    // The token was shown once on the terminal, never logged or summarised.
    let summary = String::from_utf8_lossy(&out.stdout);
    let logged = std::fs::read_to_string(&log).expect("log file");
    assert!(!summary.contains(&token), "token in the JSON summary");
    assert!(!logged.contains(&token), "token in the log file");
    let shown = lines.iter().filter(|l| l.contains(&token)).count();
    assert_eq!(shown, 1, "the token is shown exactly once");
}
