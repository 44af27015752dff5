//! The host API against a real hub: tokens, moderation, polls, draws, panels, the overlay and
//! the report.

mod common;
use common::{refused, start};
use kaibo_hub::draw::{pick_winners, seed_from_hex};
use kaibo_model::PanelContent;
use serde_json::json;

#[tokio::test]
async fn host_routes_refuse_viewer_tokens_and_missing_or_wrong_tokens() {
    let t = start().await;
    let viewer = t.join("观众甲").await;
    let routes = [
        ("GET", "/api/v1/host/questions"),
        ("POST", "/api/v1/host/questions/1/approve"),
        ("POST", "/api/v1/host/polls"),
        ("POST", "/api/v1/host/lottery"),
        ("POST", "/api/v1/host/lottery/1/draw"),
        ("POST", "/api/v1/host/offer"),
        ("DELETE", "/api/v1/host/panels/offer"),
        ("GET", "/api/v1/host/report"),
        ("GET", "/api/v1/host/overlay"),
        ("GET", "/api/v1/host/probe/down"),
        ("POST", "/api/v1/host/probe/up"),
    ];
    for (method, path) in routes {
        let m: reqwest::Method = method.parse().expect("method");
        refused(
            t.send(m.clone(), path, Some(&viewer), Some(json!({})))
                .await,
            403,
            "forbidden",
        );
        refused(
            t.send(m.clone(), path, None, Some(json!({}))).await,
            401,
            "unauthorized",
        );
        refused(
            t.send(m, path, Some("not-the-token"), Some(json!({})))
                .await,
            401,
            "unauthorized",
        );
    }
    // The host token is not a viewer either, and never appears in an error.
    let host = t.host();
    let (status, body) = t
        .post("/api/v1/questions", &host, json!({ "text": "hi" }))
        .await;
    assert_eq!(status, 403);
    assert!(!body.to_string().contains(&host));
}

#[tokio::test]
async fn flagged_questions_wait_for_approval_then_can_be_pinned_answered_or_rejected() {
    let t = start().await;
    let host = t.host();
    let asker = t.join("李四").await;
    let other = t.join("路人").await;
    let clean = t.ask(&asker, "这款适合敏感肌吗？").await;
    let bait = t.ask(&asker, "加我微信 13812345678 领优惠").await;
    // The asker sees their held question; others do not.
    let (_, mine) = t.get("/api/v1/questions", &asker).await;
    let held = mine
        .as_array()
        .expect("list")
        .iter()
        .find(|q| q["id"] == bait)
        .expect("own held question listed");
    assert_eq!(held["status"], "held");
    assert_eq!(held["text"], "加我微信 138****5678 领优惠");
    let (_, theirs) = t.get("/api/v1/questions", &other).await;
    assert_eq!(theirs.as_array().expect("list").len(), 1);
    refused(
        t.post(&format!("/api/v1/questions/{bait}/like"), &other, json!({}))
            .await,
        404,
        "not-found",
    );
    // The host's queue shows it with the list hit.
    let (status, queue) = t.get("/api/v1/host/questions?status=held", &host).await;
    assert_eq!(status, 200);
    assert_eq!(queue.as_array().expect("queue").len(), 1);
    assert_eq!(queue[0]["asker"], "李*");
    assert!(
        queue[0]["flags"]
            .to_string()
            .contains("moderation:加我微信"),
        "{queue}"
    );
    // A held question cannot be pinned before approval.
    refused(
        t.post(
            &format!("/api/v1/host/questions/{bait}/pin"),
            &host,
            json!({}),
        )
        .await,
        409,
        "not-visible",
    );
    let (status, q) = t
        .post(
            &format!("/api/v1/host/questions/{bait}/approve"),
            &host,
            json!({}),
        )
        .await;
    assert_eq!((status, q["status"].as_str()), (200, Some("visible")));
    let (_, pinned) = t
        .post(
            &format!("/api/v1/host/questions/{clean}/pin"),
            &host,
            json!({}),
        )
        .await;
    assert_eq!(pinned["pinned"], true);
    let overlay = t.hub.overlay();
    assert!(
        matches!(
            &overlay.panels[0].content,
            PanelContent::Question { text, asker, .. } if text == "这款适合敏感肌吗？" && asker == "李*"
        ),
        "{overlay:?}"
    );
    let (_, answered) = t
        .post(
            &format!("/api/v1/host/questions/{clean}/answer"),
            &host,
            json!({}),
        )
        .await;
    assert_eq!(answered["answered"], true);
    // Rejecting the pinned question takes it off stream and out of the list.
    t.post(
        &format!("/api/v1/host/questions/{clean}/reject"),
        &host,
        json!({}),
    )
    .await;
    assert!(t.hub.overlay().panels.is_empty());
    let (_, list) = t.get("/api/v1/questions", &other).await;
    assert_eq!(list.as_array().expect("list").len(), 1);
    refused(
        t.post("/api/v1/host/questions/1/explode", &host, json!({}))
            .await,
        404,
        "not-found",
    );
    let (_, by_likes) = t
        .get("/api/v1/host/questions?sort=likes&status=all", &host)
        .await;
    assert_eq!(by_likes.as_array().expect("all").len(), 2);
}

#[tokio::test]
async fn polls_open_one_at_a_time_with_live_counts_on_stream() {
    let t = start().await;
    let host = t.host();
    refused(
        t.post(
            "/api/v1/host/polls",
            &host,
            json!({ "title": "x", "options": ["only"] }),
        )
        .await,
        400,
        "bad-options",
    );
    refused(
        t.post("/api/v1/host/polls", &host, json!({ "preset": "nps" }))
            .await,
        400,
        "bad-preset",
    );
    let (status, sat) = t
        .post(
            "/api/v1/host/polls",
            &host,
            json!({ "preset": "satisfaction" }),
        )
        .await;
    assert_eq!(status, 201, "{sat}");
    assert_eq!(sat["options"].as_array().expect("options").len(), 5);
    assert_eq!(sat["state"], "draft");
    let first = t.open_poll(&["是", "否"]).await;
    let mut overlay = t.hub.subscribe_overlay();
    overlay.borrow_and_update();
    let v = t.join("").await;
    t.post(
        &format!("/api/v1/polls/{first}/vote"),
        &v,
        json!({ "option": 0 }),
    )
    .await;
    assert!(
        overlay.has_changed().expect("hub alive"),
        "a vote changes the overlay"
    );
    let state = overlay.borrow_and_update().clone();
    assert!(
        matches!(
            &state.panels[0].content,
            PanelContent::Poll { options, open: true, .. } if options[0].votes == 1
        ),
        "{state:?}"
    );
    // Opening the satisfaction poll closes the first.
    let sat_id = sat["id"].as_i64().expect("id");
    t.post(
        &format!("/api/v1/host/polls/{sat_id}/open"),
        &host,
        json!({}),
    )
    .await;
    let (_, polls) = t.get("/api/v1/host/polls", &host).await;
    let states: Vec<&str> = polls
        .as_array()
        .expect("polls")
        .iter()
        .map(|p| p["state"].as_str().expect("state"))
        .collect();
    assert_eq!(states, vec!["open", "closed"]);
    refused(
        t.post(
            &format!("/api/v1/host/polls/{sat_id}/restart"),
            &host,
            json!({}),
        )
        .await,
        404,
        "not-found",
    );
}

#[tokio::test]
async fn a_draw_is_fair_recorded_and_reproducible_from_its_seed() {
    let t = start().await;
    let host = t.host();
    refused(
        t.post(
            "/api/v1/host/lottery",
            &host,
            json!({ "title": "x", "window_s": 0 }),
        )
        .await,
        400,
        "bad-window",
    );
    let (_, l) = t
        .post(
            "/api/v1/host/lottery",
            &host,
            json!({ "title": "抽奖", "window_s": 600, "winners": 2 }),
        )
        .await;
    let id = l["id"].as_i64().expect("id");
    for name in ["赵一", "钱二", "孙三", "李四", "周五"] {
        let v = t.join(name).await;
        let (status, _) = t.post("/api/v1/lottery/enter", &v, json!({})).await;
        assert_eq!(status, 200);
    }
    refused(
        t.post(&format!("/api/v1/host/lottery/{id}/draw"), &host, json!({}))
            .await,
        409,
        "lottery-still-open",
    );
    refused(
        t.get(&format!("/api/v1/host/lottery/{id}/audit"), &host)
            .await,
        409,
        "not-drawn",
    );
    t.post(
        &format!("/api/v1/host/lottery/{id}/close"),
        &host,
        json!({}),
    )
    .await;
    let (status, drawn) = t
        .post(&format!("/api/v1/host/lottery/{id}/draw"), &host, json!({}))
        .await;
    assert_eq!(status, 200, "{drawn}");
    let names = drawn["lottery"]["winners"].as_array().expect("winners");
    assert_eq!(names.len(), 2);
    assert!(
        names
            .iter()
            .all(|n| n.as_str().expect("name").ends_with('*')),
        "{names:?}"
    );
    refused(
        t.post(&format!("/api/v1/host/lottery/{id}/draw"), &host, json!({}))
            .await,
        409,
        "already-drawn",
    );
    // The audit redoes the draw from the stored seed and entrants.
    let (_, audit) = t
        .get(&format!("/api/v1/host/lottery/{id}/audit"), &host)
        .await;
    let record = &audit["record"];
    let seed = seed_from_hex(record["seed_hex"].as_str().expect("seed")).expect("hex seed");
    let entrants: Vec<i64> = serde_json::from_value(record["entrants"].clone()).expect("ids");
    let winners: Vec<i64> = serde_json::from_value(record["winners"].clone()).expect("ids");
    assert_eq!(entrants.len(), 5);
    assert_eq!(pick_winners(seed, &entrants, 2), winners);
    // Winners are on stream, masked; the countdown is gone.
    let overlay = t.hub.overlay();
    assert!(
        matches!(
            &overlay.panels[..],
            [p] if matches!(&p.content, PanelContent::Winners { names, .. } if names.len() == 2)
        ),
        "{overlay:?}"
    );
}

#[tokio::test]
async fn panels_go_on_stream_masked_and_come_off() {
    let t = start().await;
    let host = t.host();
    let (status, _) = t
        .post(
            "/api/v1/host/offer",
            &host,
            json!({ "title": "限时优惠", "detail": "咨询 13912345678", "duration_s": 300 }),
        )
        .await;
    assert_eq!(status, 200);
    refused(
        t.post(
            "/api/v1/host/offer",
            &host,
            json!({ "title": "x", "duration_s": 0 }),
        )
        .await,
        400,
        "bad-time",
    );
    t.post(
        "/api/v1/host/lower-third",
        &host,
        json!({ "title": "王老师", "subtitle": "产品经理" }),
    )
    .await;
    t.post("/api/v1/host/join-qr", &host, json!({})).await;
    let (status, shown) = t.post("/api/v1/host/rating/show", &host, json!({})).await;
    assert_eq!(status, 200, "{shown}");
    let overlay = t.hub.overlay();
    let kinds: Vec<&str> = overlay
        .panels
        .iter()
        .map(|p| match &p.content {
            PanelContent::Offer {
                detail, ends_at_ms, ..
            } => {
                assert_eq!(detail, "咨询 139****5678");
                assert!(ends_at_ms.is_some());
                "offer"
            }
            PanelContent::LowerThird { .. } => "lower-third",
            PanelContent::JoinQr { url, .. } => {
                assert_eq!(url, "https://live.example.invalid/j");
                "join-qr"
            }
            PanelContent::Rating { count: 0, .. } => "rating",
            other => panic!("unexpected panel {other:?}"),
        })
        .collect();
    assert_eq!(kinds, vec!["rating", "offer", "join-qr", "lower-third"]);
    let (_, via_api) = t.get("/api/v1/host/overlay", &host).await;
    assert_eq!(via_api, serde_json::to_value(&overlay).expect("json"));
    for kind in ["offer", "lower-third", "join-qr", "rating"] {
        let (status, _) = t
            .send(
                reqwest::Method::DELETE,
                &format!("/api/v1/host/panels/{kind}"),
                Some(&host),
                None,
            )
            .await;
        assert_eq!(status, 200);
    }
    assert!(t.hub.overlay().panels.is_empty());
    refused(
        t.send(
            reqwest::Method::DELETE,
            "/api/v1/host/panels/everything",
            Some(&host),
            None,
        )
        .await,
        404,
        "not-found",
    );
}

#[tokio::test]
async fn the_report_counts_views_watch_time_and_interaction_conversion() {
    let t = start().await;
    let host = t.host();
    let a = t.join("甲").await;
    let _b = t.join("乙").await;
    let c = t.join("丙").await;
    let q = t.ask(&a, "问题一").await;
    t.post(&format!("/api/v1/questions/{q}/like"), &c, json!({}))
        .await;
    let (status, r) = t.get("/api/v1/host/report", &host).await;
    assert_eq!(status, 200, "{r}");
    assert_eq!(r["views"], 3);
    assert_eq!(r["questions"], 1);
    assert_eq!(r["likes"], 1);
    assert_eq!(r["interacting_viewers"], 2);
    let conversion = r["interaction_conversion"].as_f64().expect("ratio");
    assert!((conversion - 2.0 / 3.0).abs() < 1e-9, "{conversion}");
    let (status, ended) = t.post("/api/v1/host/session/end", &host, json!({})).await;
    assert_eq!(status, 200);
    assert!(ended["ended_ms"].as_u64().is_some(), "{ended}");
}
