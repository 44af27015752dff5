//! Shared by the session tests: a preview session on a plain amber picture (cards stand out on
//! it), and a viewer asking through the hub's HTTP API.
#![allow(dead_code)] // each test file uses its own part

use kaibo_model::{Layout, Monitor, Scene, SceneSource, SessionPlan, SourceKind, VideoSettings};
use kaibo_runtime::LiveHandle;
use kaibo_testkit::{TempDir, require_tool, wait_until};
use std::process::Command as Process;
use std::sync::Arc;
use std::time::Duration;

/// A preview session showing a full-canvas amber image.
pub fn amber_plan(dir: &TempDir) -> SessionPlan {
    let amber = dir.path().join("amber.png");
    if !amber.exists() {
        let convert = require_tool("convert", "imagemagick");
        assert!(
            Process::new(convert)
                .args(["-size", "1280x720", "xc:#ffcc00"])
                .arg(&amber)
                .status()
                .expect("convert runs")
                .success()
        );
    }
    SessionPlan {
        canvas: Default::default(),
        scenes: vec![Scene {
            name: "Amber".into(),
            sources: vec![SceneSource {
                name: "Amber".into(),
                input: SourceKind::Image {
                    path: amber.display().to_string(),
                },
                layout: Some(Layout::fill(1280, 720)),
                audio: Default::default(),
            }],
        }],
        active: 0,
        video: VideoSettings::default(),
        audio_bitrate_kbps: 128,
        outputs: vec![],
        duration_s: None,
        adaptive: false,
        preview: Some(Default::default()),
    }
}

pub fn start(plan: SessionPlan) -> (LiveHandle, Arc<Monitor>) {
    let live = LiveHandle::spawn(plan).expect("session thread starts");
    let m = live.monitor().expect("a monitor").clone();
    wait_until(Duration::from_secs(20), "preview pictures", || {
        m.frames() > 3
    });
    (live, m)
}

/// POSTs JSON with a bearer token; the JSON answer (panics with the hub's answer otherwise).
pub fn post(
    client: &reqwest::blocking::Client,
    url: String,
    token: &str,
    body: serde_json::Value,
) -> serde_json::Value {
    let answer = client
        .post(&url)
        .bearer_auth(token)
        .header("content-type", "application/json")
        .body(body.to_string())
        .send()
        .unwrap_or_else(|e| panic!("{url}: {e}"));
    let status = answer.status();
    let text = answer.text().expect("a body");
    assert!(status.is_success(), "{url}: {status} {text}");
    serde_json::from_str(&text).expect("JSON")
}

/// A viewer joins as `nickname` and asks `text`; the question's id.
pub fn join_and_ask(base: &str, nickname: &str, text: &str) -> i64 {
    let client = reqwest::blocking::Client::new();
    let joined = post(
        &client,
        format!("{base}/join"),
        "",
        serde_json::json!({"nickname": nickname, "accept_privacy": true}),
    );
    let viewer = joined["token"].as_str().expect("a viewer token").to_owned();
    let asked = post(
        &client,
        format!("{base}/questions"),
        &viewer,
        serde_json::json!({ "text": text }),
    );
    asked["id"].as_i64().expect("a question id")
}
