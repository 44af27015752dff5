//! Hostile input stays inert and bounded: markup is stored and returned as plain text, huge or
//! malformed bodies get 4xx (never 5xx), stored text stays within the limit, floods get 429.

mod common;
use common::{refused, start, start_with};
use kaibo_hub::Limits;
use serde_json::json;

#[tokio::test]
async fn markup_is_kept_as_plain_text_and_served_as_json_only() {
    let t = start().await;
    let v = t.join("<b onclick=alert(1)>").await;
    let script = "<script>alert('x')</script><img src=x onerror=alert(2)>";
    let id = t.ask(&v, script).await;
    let res = t
        .client
        .get(format!("{}/api/v1/questions", t.base))
        .bearer_auth(&v)
        .send()
        .await
        .expect("list");
    let headers = res.headers().clone();
    assert_eq!(headers["content-type"], "application/json");
    assert_eq!(headers["x-content-type-options"], "nosniff");
    assert!(
        headers["content-security-policy"]
            .to_str()
            .expect("csp")
            .contains("script-src 'self'")
    );
    let list: serde_json::Value = res.json().await.expect("json");
    let q = list
        .as_array()
        .expect("list")
        .iter()
        .find(|q| q["id"] == id)
        .expect("question");
    // Exactly the text sent: the hub neither escapes nor strips markup; the page shows it
    // with textContent. The nickname is masked to its first character.
    assert_eq!(q["text"], script);
    assert_eq!(q["asker"], "<******");
}

#[tokio::test]
async fn bidi_overrides_zero_width_and_zalgo_are_cleaned_and_bounded() {
    let t = start().await;
    let v = t.join("").await;
    let bidi = t.ask(&v, "price\u{202E}0001\u{202C} ok\u{200B}").await;
    let zalgo: String = "hello"
        .chars()
        .flat_map(|c| std::iter::once(c).chain(std::iter::repeat_n('\u{0336}', 40)))
        .collect();
    let z = t.ask(&v, &zalgo).await;
    let (_, list) = t.get("/api/v1/questions?sort=newest", &v).await;
    let text = |id: i64| {
        list.as_array()
            .expect("list")
            .iter()
            .find(|q| q["id"] == id)
            .and_then(|q| q["text"].as_str())
            .expect("text")
            .to_owned()
    };
    assert_eq!(text(bidi), "price0001 ok");
    let zalgo_stored = text(z);
    assert!(zalgo_stored.chars().count() <= 15, "{zalgo_stored}");
    assert!(zalgo_stored.starts_with('h'));
}

#[tokio::test]
async fn oversized_and_malformed_bodies_are_refused_with_4xx() {
    let t = start().await;
    let v = t.join("").await;
    let url = format!("{}/api/v1/questions", t.base);
    // 1 MiB of text.
    let huge = json!({ "text": "啊".repeat(350_000) });
    let res = t
        .client
        .post(&url)
        .bearer_auth(&v)
        .json(&huge)
        .send()
        .await
        .expect("send");
    assert_eq!(res.status().as_u16(), 413);
    let body: serde_json::Value = res.json().await.expect("json error");
    assert_eq!(body["error"], "body-too-large");
    // Just over 300 characters, within the body limit.
    refused(
        t.post("/api/v1/questions", &v, json!({ "text": "x".repeat(301) }))
            .await,
        400,
        "text-too-long",
    );
    // Malformed JSON, wrong type, unknown field, missing field, wrong content type.
    let res = t
        .client
        .post(&url)
        .bearer_auth(&v)
        .header("content-type", "application/json")
        .body("{\"text\": ")
        .send()
        .await
        .expect("send");
    assert_eq!(res.status().as_u16(), 400);
    refused(
        t.post("/api/v1/questions", &v, json!({ "text": 5 })).await,
        400,
        "bad-json",
    );
    refused(
        t.post(
            "/api/v1/questions",
            &v,
            json!({ "text": "hi", "admin": true }),
        )
        .await,
        400,
        "bad-json",
    );
    refused(
        t.post("/api/v1/questions", &v, json!({})).await,
        400,
        "bad-json",
    );
    refused(
        t.post("/api/v1/questions", &v, json!({ "text": "   " }))
            .await,
        400,
        "empty-text",
    );
    let res = t
        .client
        .post(&url)
        .bearer_auth(&v)
        .body("text=hi")
        .send()
        .await
        .expect("send");
    assert_eq!(res.status().as_u16(), 415);
    // A 1 MiB bearer token and a 1 MiB nickname.
    let res = t
        .client
        .get(&url)
        .header("authorization", format!("Bearer {}", "a".repeat(1 << 20)))
        .send()
        .await
        .expect("send");
    assert!(res.status().is_client_error(), "{}", res.status());
    let res = t
        .client
        .post(format!("{}/api/v1/join", t.base))
        .json(&json!({ "nickname": "名".repeat(400_000), "accept_privacy": true }))
        .send()
        .await
        .expect("send");
    assert_eq!(res.status().as_u16(), 413);
    refused(
        t.send(
            reqwest::Method::POST,
            "/api/v1/join",
            None,
            Some(json!({ "nickname": "名".repeat(25), "accept_privacy": true })),
        )
        .await,
        400,
        "text-too-long",
    );
    // Unknown routes and methods answer JSON too.
    refused(t.get("/api/v1/nothing", &v).await, 404, "not-found");
    refused(
        t.send(reqwest::Method::PUT, "/api/v1/questions", Some(&v), None)
            .await,
        405,
        "method-not-allowed",
    );
    // After all that, the store holds only bounded text.
    let host = t.host();
    let (status, r) = t.get("/api/v1/host/report", &host).await;
    assert_eq!(status, 200);
    assert_eq!(r["questions"], 0);
}

#[tokio::test]
async fn a_flood_from_one_viewer_is_limited_and_others_are_not() {
    let limits = Limits {
        burst: 3,
        per_minute: 1,
        ..Limits::default()
    };
    let t = start_with(limits).await;
    let flooder = t.join("").await;
    let other = t.join("").await;
    let mut statuses = Vec::new();
    for i in 0..6 {
        let (status, _) = t
            .post(
                "/api/v1/questions",
                &flooder,
                json!({ "text": format!("刷屏 {i}") }),
            )
            .await;
        statuses.push(status);
    }
    assert_eq!(&statuses[..3], &[201, 201, 201]);
    assert!(statuses[3..].iter().all(|s| *s == 429), "{statuses:?}");
    refused(
        t.post("/api/v1/questions", &flooder, json!({ "text": "again" }))
            .await,
        429,
        "rate-limited",
    );
    assert!(t.ask(&other, "我的问题").await > 0);
}
