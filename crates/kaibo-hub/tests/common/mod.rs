//! A real hub on a loopback port with a fresh database, and a small JSON client.
#![allow(dead_code)]

use kaibo_hub::{Hub, HubConfig, Limits};
use serde_json::{Value, json};
use std::path::{Path, PathBuf};

pub struct TestHub {
    pub hub: Hub,
    pub dir: tempfile::TempDir,
    pub base: String,
    pub client: reqwest::Client,
}

pub fn config(db: &Path, limits: Limits) -> HubConfig {
    let mut config = HubConfig::new("127.0.0.1:0".parse().expect("addr"), db).expect("config");
    config.limits = limits;
    config.public_url = Some("https://live.example.invalid/j".into());
    config
}

pub async fn start() -> TestHub {
    start_with(Limits::default()).await
}

pub async fn start_with(limits: Limits) -> TestHub {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("hub.sqlite");
    let hub = Hub::start(config(&db, limits)).await.expect("hub starts");
    let base = format!("http://{}", hub.local_addr());
    TestHub {
        hub,
        dir,
        base,
        client: reqwest::Client::new(),
    }
}

impl TestHub {
    pub fn db_path(&self) -> PathBuf {
        self.dir.path().join("hub.sqlite")
    }

    pub fn host(&self) -> String {
        self.hub.host_token().expose().to_owned()
    }

    pub async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (u16, Value) {
        let mut req = self.client.request(method, format!("{}{path}", self.base));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        let res = req.send().await.expect("request reaches the hub");
        let status = res.status().as_u16();
        let text = res.text().await.expect("body");
        let value = serde_json::from_str(&text).unwrap_or(Value::String(text));
        (status, value)
    }

    pub async fn post(&self, path: &str, token: &str, body: Value) -> (u16, Value) {
        self.send(reqwest::Method::POST, path, Some(token), Some(body))
            .await
    }

    pub async fn get(&self, path: &str, token: &str) -> (u16, Value) {
        self.send(reqwest::Method::GET, path, Some(token), None)
            .await
    }

    /// Joins as a viewer; returns the token.
    pub async fn join(&self, nickname: &str) -> String {
        let (status, body) = self
            .send(
                reqwest::Method::POST,
                "/api/v1/join",
                None,
                Some(json!({ "nickname": nickname, "accept_privacy": true })),
            )
            .await;
        assert_eq!(status, 201, "{body}");
        body["token"].as_str().expect("token").to_owned()
    }

    /// Asks a question; returns its id.
    pub async fn ask(&self, token: &str, text: &str) -> i64 {
        let (status, body) = self
            .post("/api/v1/questions", token, json!({ "text": text }))
            .await;
        assert_eq!(status, 201, "{body}");
        body["id"].as_i64().expect("id")
    }

    /// Creates and opens a poll; returns its id.
    pub async fn open_poll(&self, options: &[&str]) -> i64 {
        let host = self.host();
        let (status, poll) = self
            .post(
                "/api/v1/host/polls",
                &host,
                json!({ "title": "下次讲什么？", "options": options }),
            )
            .await;
        assert_eq!(status, 201, "{poll}");
        let id = poll["id"].as_i64().expect("id");
        let (status, body) = self
            .post(&format!("/api/v1/host/polls/{id}/open"), &host, json!({}))
            .await;
        assert_eq!(status, 200, "{body}");
        id
    }
}

/// Asserts a JSON refusal with this status and code.
pub fn refused(got: (u16, Value), status: u16, code: &str) {
    assert_eq!(got.0, status, "{}", got.1);
    assert_eq!(got.1["error"], code, "{}", got.1);
    assert!(
        got.1["message"].as_str().is_some_and(|m| !m.is_empty()),
        "{}",
        got.1
    );
}
