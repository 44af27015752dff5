//! The viewer API against a real hub: join, ask, like, list, vote, rate, enter the draw.

mod common;
use common::{refused, start};
use serde_json::json;

#[tokio::test]
async fn join_needs_the_privacy_notice_accepted_and_masks_the_nickname() {
    let t = start().await;
    let got = t
        .send(
            reqwest::Method::POST,
            "/api/v1/join",
            None,
            Some(json!({ "nickname": "张三丰", "accept_privacy": false })),
        )
        .await;
    refused(got, 400, "privacy-not-accepted");
    let (status, body) = t
        .send(
            reqwest::Method::POST,
            "/api/v1/join",
            None,
            Some(json!({ "nickname": "张三丰", "accept_privacy": true })),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["viewer"]["name"], "张**");
    assert_eq!(body["token"].as_str().expect("token").len(), 64);
    // No nickname: a pseudonym.
    let (_, anon) = t
        .send(
            reqwest::Method::POST,
            "/api/v1/join",
            None,
            Some(json!({ "accept_privacy": true })),
        )
        .await;
    assert!(
        anon["viewer"]["name"]
            .as_str()
            .expect("name")
            .starts_with("观众")
    );
}

#[tokio::test]
async fn questions_are_listed_by_likes_and_a_like_counts_once_per_viewer() {
    let t = start().await;
    let a = t.join("Alice").await;
    let b = t.join("Bob").await;
    let first = t.ask(&a, "什么时候发货？").await;
    let second = t.ask(&b, "有优惠券吗？").await;
    let (status, liked) = t
        .post(&format!("/api/v1/questions/{second}/like"), &a, json!({}))
        .await;
    assert_eq!(status, 200, "{liked}");
    assert_eq!(liked["likes"], 1);
    assert_eq!(liked["liked"], true);
    let replay = t
        .post(&format!("/api/v1/questions/{second}/like"), &a, json!({}))
        .await;
    refused(replay, 409, "already-liked");
    let (status, list) = t.get("/api/v1/questions?sort=likes", &a).await;
    assert_eq!(status, 200);
    let ids: Vec<i64> = list
        .as_array()
        .expect("list")
        .iter()
        .map(|q| q["id"].as_i64().expect("id"))
        .collect();
    assert_eq!(ids, vec![second, first]);
    assert_eq!(list[0]["likes"], 1);
    assert_eq!(list[0]["asker"], "B**");
    assert_eq!(list[1]["mine"], true);
    let (_, newest) = t.get("/api/v1/questions?sort=newest", &a).await;
    assert_eq!(newest[0]["id"], second);
    refused(
        t.get("/api/v1/questions?sort=random", &a).await,
        400,
        "bad-query",
    );
    refused(
        t.post("/api/v1/questions/999/like", &a, json!({})).await,
        404,
        "not-found",
    );
    refused(
        t.post("/api/v1/questions/abc/like", &a, json!({})).await,
        400,
        "bad-path",
    );
}

#[tokio::test]
async fn a_viewer_votes_once_in_the_open_poll_and_not_in_a_closed_one() {
    let t = start().await;
    let v = t.join("小明").await;
    let w = t.join("小红").await;
    let poll = t.open_poll(&["产品A", "产品B"]).await;
    let (status, body) = t
        .post(
            &format!("/api/v1/polls/{poll}/vote"),
            &v,
            json!({ "option": 1 }),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["options"][1]["votes"], 1);
    assert_eq!(body["voted"], 1);
    refused(
        t.post(
            &format!("/api/v1/polls/{poll}/vote"),
            &v,
            json!({ "option": 0 }),
        )
        .await,
        409,
        "already-voted",
    );
    refused(
        t.post(
            &format!("/api/v1/polls/{poll}/vote"),
            &w,
            json!({ "option": 7 }),
        )
        .await,
        409,
        "no-such-option",
    );
    refused(
        t.post(
            &format!("/api/v1/polls/{poll}/vote"),
            &w,
            json!({ "option": -1 }),
        )
        .await,
        400,
        "bad-json",
    );
    let host = t.host();
    let (status, _) = t
        .post(
            &format!("/api/v1/host/polls/{poll}/close"),
            &host,
            json!({}),
        )
        .await;
    assert_eq!(status, 200);
    refused(
        t.post(
            &format!("/api/v1/polls/{poll}/vote"),
            &w,
            json!({ "option": 0 }),
        )
        .await,
        409,
        "poll-closed",
    );
    // The viewer's state shows the poll, their vote and that it closed.
    let (_, state) = t.get("/api/v1/state", &v).await;
    assert_eq!(state["poll"]["id"], poll);
    assert_eq!(state["poll"]["voted"], 1);
    assert_eq!(state["poll"]["state"], "closed");
}

#[tokio::test]
async fn ratings_are_one_to_five_and_rating_again_replaces() {
    let t = start().await;
    let v = t.join("").await;
    let w = t.join("").await;
    refused(
        t.post("/api/v1/rating", &v, json!({ "stars": 0 })).await,
        400,
        "bad-stars",
    );
    refused(
        t.post("/api/v1/rating", &v, json!({ "stars": 6 })).await,
        400,
        "bad-stars",
    );
    refused(
        t.post("/api/v1/rating", &v, json!({ "stars": "5" })).await,
        400,
        "bad-json",
    );
    t.post("/api/v1/rating", &v, json!({ "stars": 2 })).await;
    t.post("/api/v1/rating", &v, json!({ "stars": 4 })).await;
    let (status, body) = t.post("/api/v1/rating", &w, json!({ "stars": 5 })).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["count"], 2);
    assert_eq!(body["average"], 4.5);
}

#[tokio::test]
async fn a_viewer_enters_the_open_draw_once() {
    let t = start().await;
    let v = t.join("王五").await;
    refused(
        t.post("/api/v1/lottery/enter", &v, json!({})).await,
        404,
        "not-found",
    );
    let host = t.host();
    let (status, l) = t
        .post(
            "/api/v1/host/lottery",
            &host,
            json!({ "title": "整点红包", "kind": "red-envelope", "window_s": 600, "winners": 1 }),
        )
        .await;
    assert_eq!(status, 201, "{l}");
    let (status, body) = t.post("/api/v1/lottery/enter", &v, json!({})).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["entrants"], 1);
    assert_eq!(body["entered"], true);
    refused(
        t.post("/api/v1/lottery/enter", &v, json!({})).await,
        409,
        "already-entered",
    );
    let id = l["id"].as_i64().expect("id");
    t.post(
        &format!("/api/v1/host/lottery/{id}/close"),
        &host,
        json!({}),
    )
    .await;
    let late = t.join("迟到").await;
    refused(
        t.post("/api/v1/lottery/enter", &late, json!({})).await,
        409,
        "lottery-closed",
    );
}

#[tokio::test]
async fn a_draw_that_opens_later_refuses_early_entries() {
    let t = start().await;
    let v = t.join("").await;
    let host = t.host();
    let opens = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_millis() as u64
        + 3_600_000;
    let (status, _) = t
        .post(
            "/api/v1/host/lottery",
            &host,
            json!({ "title": "整点抽奖", "opens_at_ms": opens, "window_s": 10 }),
        )
        .await;
    assert_eq!(status, 201);
    refused(
        t.post("/api/v1/lottery/enter", &v, json!({})).await,
        409,
        "lottery-not-open",
    );
    // The countdown on stream runs to the opening.
    let overlay = t.hub.overlay();
    let countdown = overlay
        .panels
        .iter()
        .find_map(|p| match &p.content {
            kaibo_model::PanelContent::Countdown { ends_at_ms, .. } => Some(*ends_at_ms),
            _ => None,
        })
        .expect("countdown shown");
    assert_eq!(countdown, opens);
}
