//! The hub's link-test routes on a real hub: random bytes for as long as asked, an upload of
//! any length counted, and bad input refused. (Through a shaped link: kaibo-app's probe tests.)

mod common;
use common::{refused, start};
use std::time::Instant;

/// Starts the hub's download test of `seconds`, as the host.
async fn download(t: &common::TestHub, seconds: u32) -> reqwest::Response {
    t.client
        .get(format!(
            "{}/api/v1/host/probe/down?seconds={seconds}",
            t.base
        ))
        .bearer_auth(t.host())
        .send()
        .await
        .expect("the hub answers")
}

#[tokio::test]
async fn the_download_test_sends_random_bytes_for_the_asked_seconds() {
    let t = start().await;
    let started = Instant::now();
    let res = download(&t, 1).await;
    assert_eq!(res.status(), 200);
    assert_eq!(
        res.headers()["content-type"],
        "application/octet-stream",
        "{:?}",
        res.headers()
    );
    assert_eq!(res.headers()["cache-control"], "no-store");
    let body = res.bytes().await.expect("the whole body");
    let took = started.elapsed().as_secs_f64();
    assert!(
        (0.9..5.0).contains(&took),
        "one second of data took {took:.2} s"
    );
    assert!(
        body.len() > 1024 * 1024,
        "only {} bytes over loopback",
        body.len()
    );
    // Random: every byte value turns up, and no 64 KiB chunk is all one value.
    let mut seen = [false; 256];
    body.iter()
        .take(1 << 20)
        .for_each(|b| seen[*b as usize] = true);
    assert!(seen.iter().all(|s| *s));
    assert!(body.chunks(64 * 1024).all(|c| c.iter().any(|b| *b != c[0])));

    for bad in ["0", "11", "x"] {
        let path = format!("/api/v1/host/probe/down?seconds={bad}");
        let got = t.get(&path, &t.host()).await;
        let code = if bad == "x" {
            "bad-query"
        } else {
            "bad-seconds"
        };
        refused(got, 400, code);
    }
}

#[tokio::test]
async fn the_upload_test_counts_a_body_far_beyond_the_api_limit() {
    let t = start().await;
    let body = vec![0x5au8; 20 * 1024 * 1024];
    let res = t
        .client
        .post(format!("{}/api/v1/host/probe/up", t.base))
        .bearer_auth(t.host())
        .body(body)
        .send()
        .await
        .expect("the hub answers");
    assert_eq!(res.status(), 200);
    let got: serde_json::Value = res.json().await.expect("JSON");
    assert_eq!(got["bytes"], 20 * 1024 * 1024, "{got}");
    let (kbps, seconds) = (
        got["kbps"].as_f64().unwrap_or(0.0),
        got["seconds"].as_f64().unwrap_or(0.0),
    );
    // kbit/s: bytes × 8 / 1000 over the seconds it took.
    let expected = 20.0 * 1024.0 * 1024.0 * 8.0 / 1000.0 / seconds;
    assert!(
        seconds > 0.0 && (kbps - expected).abs() <= expected * 0.001,
        "{got}"
    );
    // Other routes keep their small limit.
    let (status, _) = t
        .client
        .post(format!("{}/api/v1/host/offer", t.base))
        .bearer_auth(t.host())
        .header("content-type", "application/json")
        .body(vec![b' '; 2 * 1024 * 1024])
        .send()
        .await
        .map(|r| (r.status().as_u16(), ()))
        .expect("the hub answers");
    assert_eq!(status, 413);
}

#[tokio::test]
async fn a_download_nobody_reads_does_not_hold_the_hub_open() {
    // A client that asked for ten seconds of data and stopped reading keeps its connection
    // (and, graceful shutdown being graceful, the hub) open for as long as TCP retries.
    let t = start().await;
    let res = download(&t, 10).await;
    assert_eq!(res.status(), 200);
    // Let the queues between the two fill up.
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    let stopped = tokio::time::timeout(std::time::Duration::from_secs(30), t.hub.shutdown()).await;
    assert!(
        stopped.is_ok(),
        "the hub did not stop with a stalled download open"
    );
    drop(res);
}
