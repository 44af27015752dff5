//! Nothing is lost across a restart (drop the hub, reopen the same database), and live updates
//! reach connected viewers.

mod common;
use common::{config, refused, start};
use futures_util::StreamExt;
use kaibo_hub::{Hub, Limits};
use serde_json::json;

/// Reads server-sent events until one named `name` whose data contains `needle`.
async fn wait_for_event<B: AsRef<[u8]>>(
    stream: &mut (impl futures_util::Stream<Item = reqwest::Result<B>> + Unpin),
    buffer: &mut String,
    name: &str,
    needle: &str,
) -> String {
    loop {
        while let Some(end) = buffer.find("\n\n") {
            let frame: String = buffer.drain(..end + 2).collect();
            let event = frame
                .lines()
                .find_map(|l| l.strip_prefix("event: "))
                .unwrap_or("message");
            let data: String = frame
                .lines()
                .filter_map(|l| l.strip_prefix("data: "))
                .collect();
            if event == name && data.contains(needle) {
                return data;
            }
        }
        let chunk = stream
            .next()
            .await
            .expect("the event stream stays open")
            .expect("chunk");
        buffer.push_str(&String::from_utf8_lossy(chunk.as_ref()));
    }
}

#[tokio::test]
async fn live_updates_reach_a_connected_viewer() {
    let t = start().await;
    let watcher = t.join("看客").await;
    let asker = t.join("提问者").await;
    refused(
        t.send(reqwest::Method::GET, "/api/v1/events", None, None)
            .await,
        401,
        "unauthorized",
    );
    let res = t
        .client
        .get(format!("{}/api/v1/events", t.base))
        .bearer_auth(&watcher)
        .send()
        .await
        .expect("events");
    assert_eq!(res.headers()["content-type"], "text/event-stream");
    let mut stream = res.bytes_stream();
    let mut buf = String::new();
    wait_for_event(&mut stream, &mut buf, "ready", "{}").await;
    let id = t.ask(&asker, "直播回放在哪里看？").await;
    let data = wait_for_event(&mut stream, &mut buf, "update", "直播回放在哪里看").await;
    let batch: serde_json::Value = serde_json::from_str(&data).expect("json batch");
    let update = batch
        .as_array()
        .expect("array")
        .iter()
        .find(|u| u["type"] == "question")
        .expect("question update");
    assert_eq!(update["data"]["id"], id);
    assert_eq!(update["data"]["asker"], "提**");
    // Pinning shows up as an overlay update.
    let host = t.host();
    t.post(
        &format!("/api/v1/host/questions/{id}/pin"),
        &host,
        json!({}),
    )
    .await;
    wait_for_event(&mut stream, &mut buf, "update", "\"overlay\"").await;
    // The host can listen too, without counting as a viewer.
    let res = t
        .client
        .get(format!("{}/api/v1/events", t.base))
        .bearer_auth(&host)
        .send()
        .await
        .expect("host events");
    assert_eq!(res.status().as_u16(), 200);
    drop(res);
    // Shutting down ends the stream instead of hanging.
    let hub = t.hub;
    hub.shutdown().await;
    while let Some(Ok(_)) = stream.next().await {}
}

#[tokio::test]
async fn everything_survives_a_restart_on_the_same_database() {
    let t = start().await;
    let host = t.host();
    let a = t.join("张三丰").await;
    let b = t.join("李四").await;
    // A connected watcher, so watch time is recorded.
    let watching = t
        .client
        .get(format!("{}/api/v1/events", t.base))
        .bearer_auth(&b)
        .send()
        .await
        .expect("events");
    let q = t.ask(&a, "能开发票吗？").await;
    let held = t.ask(&a, "加我微信").await;
    t.post(&format!("/api/v1/questions/{q}/like"), &b, json!({}))
        .await;
    t.post(&format!("/api/v1/host/questions/{q}/pin"), &host, json!({}))
        .await;
    let poll = t.open_poll(&["要", "不要"]).await;
    t.post(
        &format!("/api/v1/polls/{poll}/vote"),
        &a,
        json!({ "option": 0 }),
    )
    .await;
    t.post("/api/v1/rating", &b, json!({ "stars": 5 })).await;
    let (_, l) = t
        .post(
            "/api/v1/host/lottery",
            &host,
            json!({ "title": "抽奖", "window_s": 600 }),
        )
        .await;
    let lottery = l["id"].as_i64().expect("id");
    t.post("/api/v1/lottery/enter", &a, json!({})).await;
    t.post(
        "/api/v1/host/lower-third",
        &host,
        json!({ "title": "主播", "subtitle": "小王" }),
    )
    .await;
    let overlay_before = t.hub.overlay();
    let (_, report_before) = t.get("/api/v1/host/report", &host).await;
    drop(watching);

    let db = t.db_path();
    let common::TestHub {
        hub, dir, client, ..
    } = t;
    hub.shutdown().await;
    let hub = Hub::start(config(&db, Limits::default()))
        .await
        .expect("reopens");
    let t = common::TestHub {
        base: format!("http://{}", hub.local_addr()),
        hub,
        dir,
        client,
    };
    let new_host = t.host();
    assert_ne!(new_host, host, "each start has a fresh host token");
    refused(
        t.get("/api/v1/host/report", &host).await,
        401,
        "unauthorized",
    );

    // Viewers keep their tokens; likes, votes, entries and the display are all there.
    let (status, list) = t.get("/api/v1/questions", &b).await;
    assert_eq!(status, 200, "{list}");
    assert_eq!(list[0]["id"], q);
    assert_eq!(list[0]["likes"], 1);
    assert_eq!(list[0]["pinned"], true);
    refused(
        t.post(&format!("/api/v1/questions/{q}/like"), &b, json!({}))
            .await,
        409,
        "already-liked",
    );
    refused(
        t.post(
            &format!("/api/v1/polls/{poll}/vote"),
            &a,
            json!({ "option": 1 }),
        )
        .await,
        409,
        "already-voted",
    );
    refused(
        t.post("/api/v1/lottery/enter", &a, json!({})).await,
        409,
        "already-entered",
    );
    let (_, queue) = t.get("/api/v1/host/questions?status=held", &new_host).await;
    assert_eq!(queue[0]["id"], held);
    assert_eq!(t.hub.overlay(), overlay_before);
    let (_, report) = t.get("/api/v1/host/report", &new_host).await;
    for key in [
        "session_id",
        "views",
        "questions",
        "questions_held",
        "likes",
        "votes",
        "ratings",
        "lottery_entries",
        "interacting_viewers",
        "watchers",
    ] {
        assert_eq!(
            report[key], report_before[key],
            "{key}: {report} vs {report_before}"
        );
    }
    assert_eq!(report["watchers"], 1);
    let (status, _) = t
        .post(
            &format!("/api/v1/host/lottery/{lottery}/close"),
            &new_host,
            json!({}),
        )
        .await;
    assert_eq!(status, 200);
}
