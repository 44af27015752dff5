//! `kaibo hub`: starts the interaction hub standalone, prints the join URL and the host token
//! once (never into the log), serves viewers and the host, and stops on Ctrl-C (SIGINT).

mod common;

use kaibo_testkit::TempDir;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};

/// One HTTP/1.1 request on a fresh connection; returns (status, body).
fn http(addr: &str, method: &str, path: &str, token: Option<&str>, body: &str) -> (u16, String) {
    let mut s = TcpStream::connect(addr).expect("connect to the hub");
    let auth = token
        .map(|t| format!("Authorization: Bearer {t}\r\n"))
        .unwrap_or_default();
    write!(
        s,
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n{auth}\
         Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .expect("send");
    let mut reply = String::new();
    s.read_to_string(&mut reply).expect("read");
    let status = reply
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .expect("status line");
    let body = reply
        .split("\r\n\r\n")
        .nth(1)
        .unwrap_or_default()
        .to_owned();
    (status, body)
}

#[test]
fn kaibo_hub_serves_viewers_and_the_host_with_a_token_printed_once() {
    let dir = TempDir::new();
    let db = dir.path().join("hub.sqlite");
    let log = dir.path().join("kaibo.log");
    let mut child = common::kaibo()
        .args([
            "hub",
            "--listen",
            "127.0.0.1:0",
            "--public-url",
            "https://live.example.invalid/",
        ])
        .arg("--db")
        .arg(&db)
        .arg("--log-file")
        .arg(&log)
        .stdout(Stdio::piped())
        .spawn()
        .expect("kaibo hub starts");
    let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
    let mut next = || lines.next().expect("a line").expect("utf-8");
    let listening = next();
    let addr = listening.rsplit(' ').next().expect("address").to_owned();
    assert_eq!(next(), "Viewers join at: https://live.example.invalid/");
    let token_line = next();
    let token = token_line.rsplit(' ').next().expect("token").to_owned();
    assert_eq!(token.len(), 64, "{token_line}");

    let (status, joined) = http(
        &addr,
        "POST",
        "/api/v1/join",
        None,
        r#"{"accept_privacy":true}"#,
    );
    assert_eq!(status, 201, "{joined}");
    let viewer: serde_json::Value = serde_json::from_str(&joined).expect("json");
    let viewer = viewer["token"].as_str().expect("viewer token");
    let (status, _) = http(&addr, "GET", "/api/v1/host/report", Some(viewer), "");
    assert_eq!(status, 403);
    let (status, report) = http(&addr, "GET", "/api/v1/host/report", Some(&token), "");
    assert_eq!(status, 200, "{report}");
    assert!(report.contains("\"views\":1"), "{report}");
    let (status, page) = http(&addr, "GET", "/", None, "");
    assert_eq!(status, 200);
    assert!(page.contains("/app.js"));

    let interrupted = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(interrupted.success());
    let status = child.wait().expect("kaibo hub exits");
    assert!(status.success(), "{status}");
    let logged = std::fs::read_to_string(&log).unwrap_or_default();
    assert!(!logged.contains(&token), "the host token reached the log");
    assert!(db.exists());
}
