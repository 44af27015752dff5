//! Bad input and broken destinations: a clear line, the right exit code, quickly, no panic.

mod common;

use common::run;
use kaibo_testkit::{Nginx, TempDir};
use std::net::TcpListener;
use std::time::Duration;

/// Connection failures must be reported within this long (the requirement), not after a hang.
const REPORT_WITHIN: Duration = Duration::from_secs(10);

#[test]
fn refused_connection_fails_fast_with_a_clear_line() {
    let dir = TempDir::new();
    // Port 1 needs root to bind and nothing here does: a connection to it is always refused,
    // unlike a "free" port that a test running in parallel may take.
    let port = 1;
    let url = format!("rtmp://127.0.0.1:{port}/live/key");
    let ran = run(
        &["live", "--source", "test", "--to", &url, "--duration", "20"],
        None,
        &dir.path().join("k.log"),
    );
    assert_eq!(ran.code, Some(1), "{}", ran.stderr);
    assert!(ran.elapsed < REPORT_WITHIN, "took {:?}", ran.elapsed);
    let line = ran.last_line();
    assert!(
        line.contains("refused") && line.contains(&format!("127.0.0.1:{port}")),
        "{line}"
    );
}

#[test]
fn silent_server_fails_within_ten_seconds() {
    // Accepts the TCP connection and never answers the RTMP handshake.
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let holder = std::thread::spawn(move || {
        let conn = listener.accept();
        std::thread::sleep(Duration::from_secs(15));
        drop(conn);
    });
    let dir = TempDir::new();
    let url = format!("rtmp://127.0.0.1:{port}/live/key");
    let ran = run(
        &["live", "--source", "test", "--to", &url, "--duration", "30"],
        None,
        &dir.path().join("k.log"),
    );
    assert_eq!(ran.code, Some(1), "{}", ran.stderr);
    assert!(
        ran.elapsed < REPORT_WITHIN + Duration::from_secs(1),
        "took {:?}",
        ran.elapsed
    );
    let line = ran.last_line();
    assert!(
        line.contains("did not answer") || line.contains("did not accept"),
        "{line}"
    );
    drop(holder);
}

/// nginx refuses the publish: `deny publish all` in app `deny`, `on_publish` answering 403 in `hook`.
#[test]
fn refused_publish_reports_key_rejected() {
    let nginx = Nginx::start();
    let dir = TempDir::new();
    for app in ["deny", "hook"] {
        let url = nginx.url(app, "expired-key");
        let ran = run(
            &["live", "--source", "test", "--to", &url, "--duration", "20"],
            None,
            &dir.path().join("k.log"),
        );
        assert_eq!(ran.code, Some(1), "{app}: {}", ran.stderr);
        assert!(ran.elapsed < REPORT_WITHIN, "{app}: took {:?}", ran.elapsed);
        assert!(
            ran.last_line().contains("rejected the stream key"),
            "{app}: {}",
            ran.stderr
        );
    }
}

#[test]
fn malformed_urls_are_refused_before_starting() {
    let dir = TempDir::new();
    for (url, expect) in [
        ("http://example.com/live/k", "rtmp://"),
        ("rtmp://127.0.0.1/live", "stream key"),
        ("rtmp://127.0.0.1:99999/live/k", "port"),
    ] {
        let ran = run(
            &["live", "--source", "test", "--to", url],
            None,
            &dir.path().join("k.log"),
        );
        assert_eq!(ran.code, Some(2), "{url}: {}", ran.stderr);
        assert!(ran.last_line().contains(expect), "{url}: {}", ran.stderr);
    }
}

#[test]
fn missing_display_is_a_device_error() {
    let dir = TempDir::new();
    let ran = run(
        &[
            "live",
            "--source",
            "screen::987",
            "--to",
            "rtmp://127.0.0.1:1/live/k",
            "--duration",
            "5",
        ],
        None,
        &dir.path().join("k.log"),
    );
    assert_eq!(ran.code, Some(1), "{}", ran.stderr);
    assert!(ran.last_line().contains("display"), "{}", ran.stderr);
}

#[test]
fn malformed_scene_files_name_line_and_field() {
    let dir = TempDir::new();
    let cases = [
        (
            "version = 1\n[[scenes]]\nname = \"A\"\n[[scenes.sources]]\nname = \"x\"\ninput = { kind = \"webcam\" }\n",
            ":6:",
            "webcam",
        ),
        (
            "version = 1\n[[scenes]]\nname = \"A\"\n[[scenes.sources]]\nname = \"x\"\ninput = { kind = \"test\" }\nlayout = { x = 0, y = 0, width = 10, height = 10, opacity = 2.5 }\n",
            ":7:",
            "scenes[0].sources[0].layout.opacity",
        ),
        ("version = 1\n[[scenes]\nname = \"A\"\n", ":2:", "TOML"),
        ("version = 3\n[[scenes]]\nname = \"A\"\n", ":1:", "version"),
        (
            "version = 1\n[[scenes]]\nname = \"A\"\n[[scenes.sources]]\nname = \"x\"\ninput = { kind = \"text\", text = \"hi\", colour = \"red\" }\n",
            ":6:",
            "colour",
        ),
    ];
    for (i, (text, line, field)) in cases.iter().enumerate() {
        let path = dir.path().join(format!("bad{i}.toml"));
        std::fs::write(&path, text).expect("write");
        let ran = run(
            &[
                "live",
                "--scenes",
                &path.to_string_lossy(),
                "--to",
                "rtmp://127.0.0.1:1/live/k",
            ],
            None,
            &dir.path().join("k.log"),
        );
        assert_eq!(ran.code, Some(2), "case {i}: {}", ran.stderr);
        assert!(
            ran.stderr.contains(&format!("bad{i}.toml{line}")),
            "case {i}: {}",
            ran.stderr
        );
        assert!(ran.stderr.contains(field), "case {i}: {}", ran.stderr);
    }
    let ran = run(
        &[
            "live",
            "--scenes",
            "/nonexistent/show.toml",
            "--to",
            "rtmp://h/a/k",
        ],
        None,
        &dir.path().join("k.log"),
    );
    assert_eq!(ran.code, Some(2));
    assert!(ran.last_line().contains("no such file"), "{}", ran.stderr);
}

#[test]
fn no_arguments_without_a_display_explain_and_print_the_guide() {
    // `kaibo` alone opens the window; on a machine without a desktop it says why it cannot
    // and how to stream without one.
    let out = common::kaibo()
        .env_remove("DISPLAY")
        .env_remove("WAYLAND_DISPLAY")
        .env("XDG_STATE_HOME", std::env::temp_dir())
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("could not open the Kaibo window") && err.contains("kaibo live"),
        "{err}"
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("kaibo live") && text.contains("kaibo devices") && text.contains("开播"),
        "{text}"
    );
}
