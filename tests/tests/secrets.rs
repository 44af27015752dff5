//! A canary stream key never appears in stdout, stderr, the JSON summary or the log file.

mod common;

use common::run;
use kaibo_testkit::{Nginx, TempDir};

const CANARY: &str = "CANARY-k3y-7f3a9c";

fn assert_no_canary(what: &str, text: &str) {
    assert!(
        !text.contains(CANARY),
        "the stream key leaked into {what}:\n{text}"
    );
    assert!(
        !text.contains("k3y-7f3a9c"),
        "part of the stream key leaked into {what}:\n{text}"
    );
}

#[test]
fn canary_key_never_leaks_in_success_or_failure() {
    let nginx = Nginx::start();
    let dir = TempDir::new();
    let log = dir.path().join("kaibo.log");
    let key = format!("{CANARY}?txSecret={CANARY}&txTime=1");
    let cases = [
        (nginx.url("live", &key), true),
        (nginx.url("deny", &key), false),
        // Port 1: always refused, never a port a parallel test may take.
        (format!("rtmp://127.0.0.1:1/live/{key}"), false),
        (format!("ftp://127.0.0.1/live/{key}"), false),
    ];
    for (url, ok) in cases {
        let ran = run(
            &[
                "live",
                "--source",
                "test",
                "--to",
                &url,
                "--duration",
                "3",
                "--json",
            ],
            None,
            &log,
        );
        assert_eq!(ran.code == Some(0), ok, "{url}: {}", ran.stderr);
        assert_no_canary("stdout", &ran.stdout);
        assert_no_canary("stderr", &ran.stderr);
        if ok {
            let summary = ran.json();
            assert!(
                summary["outputs"][0]["target"]
                    .as_str()
                    .unwrap_or("")
                    .ends_with("/live/****"),
                "{summary}"
            );
        }
    }
    let log_text = std::fs::read_to_string(&log).expect("log file written");
    assert!(
        log_text.contains("going live"),
        "the log has content: {log_text}"
    );
    assert_no_canary("the log file", &log_text);
}
