//! The Interactions window against a real hub (127.0.0.1, a temporary database), driven
//! headless with egui_kittest while viewers act over HTTP: a viewer's question appears with
//! the asker masked, Pin puts it on stream (the hub's overlay holds it), and a question that
//! hit the moderation list waits under "Waiting for approval" until Approve shows it. The hub
//! runs in the window's process, so the window's host actions make no HTTP request: the hub
//! counts the requests its host routes receive.

use eframe::egui;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use kaibo_model::{AppSettings, Language, PanelContent};
use kaibo_runtime::{ConfigStore, HostApi, QuestionFilter, QuestionStatus};
use kaibo_testkit::TempDir;
use kaibo_ui::KaiboApp;
use std::time::{Duration, Instant};

/// Generous: the hub answers in milliseconds, a busy test machine may take far longer.
const LIMIT_S: u64 = 60;

/// Steps the harness in real time until `done` holds.
fn step_until(
    h: &mut Harness<'_, KaiboApp>,
    what: &str,
    done: impl Fn(&Harness<'_, KaiboApp>) -> bool,
) {
    let deadline = Instant::now() + Duration::from_secs(LIMIT_S);
    while !done(h) {
        assert!(
            Instant::now() < deadline,
            "timed out after {LIMIT_S} s waiting for {what}; notices: {:?}",
            h.state()
                .notices()
                .iter()
                .map(|n| &n.text)
                .collect::<Vec<_>>()
        );
        h.step();
        std::thread::sleep(Duration::from_millis(30));
    }
}

fn window(dir: &TempDir) -> Harness<'static, KaiboApp> {
    let store = ConfigStore::at(dir.path().join("config"), false);
    store
        .save_settings(&AppSettings {
            language: Some(Language::En),
            ..Default::default()
        })
        .expect("save settings");
    let mut app = KaiboApp::without_sessions(store);
    app.set_hub_listen(
        "127.0.0.1:0".parse().expect("address"),
        dir.path().join("hub.sqlite"),
    );
    Harness::builder()
        .with_size([1280.0, 900.0])
        .with_context_setup(|ctx| {
            kaibo_ui::install_cjk(ctx).expect("a CJK font (fonts-noto-cjk)");
        })
        .build_ui_state(|ui, app: &mut KaiboApp| app.show(ui), app)
}

/// A viewer joins as `nickname` and asks `text`; the question's status as the hub stored it.
fn ask(base: &str, nickname: &str, text: &str) -> String {
    let client = reqwest::blocking::Client::new();
    let post = |url: String, token: &str, body: serde_json::Value| -> serde_json::Value {
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
    };
    let joined = post(
        format!("{base}/join"),
        "",
        serde_json::json!({"nickname": nickname, "accept_privacy": true}),
    );
    let token = joined["token"].as_str().expect("a viewer token").to_owned();
    let asked = post(
        format!("{base}/questions"),
        &token,
        serde_json::json!({ "text": text }),
    );
    asked["status"].as_str().expect("a status").to_owned()
}

fn button<'a>(h: &'a Harness<'_, KaiboApp>, name: &'a str) -> Option<egui_kittest::Node<'a>> {
    h.query_by_role_and_label(egui::accesskit::Role::Button, name)
}

#[test]
fn a_viewers_question_is_pinned_and_a_held_one_approved_from_the_window() {
    let dir = TempDir::new();
    let mut h = window(&dir);
    h.run_steps(2);
    assert!(
        h.state().interaction().is_none(),
        "no hub before the window opens"
    );

    h.get_by_role_and_label(egui::accesskit::Role::Button, "Interactions")
        .click();
    step_until(&mut h, "the hub", |h| h.state().interaction().is_some());
    let addr = h.state().interaction().expect("a hub").hub().local_addr();
    let base = format!("http://{addr}/api/v1");
    let url = format!("http://{addr}/");
    step_until(&mut h, "the join address in the window", |h| {
        h.query_by_label_contains(&url).is_some()
    });

    // A viewer asks; the question shows with the asker masked.
    let asked = "How do I sign up for the course? 怎么报名？";
    assert_eq!(ask(&base, "张三丰", asked), "visible");
    step_until(&mut h, "the question in the window", |h| {
        h.query_by_label(asked).is_some()
    });
    assert!(h.query_by_label_contains("张** · 0 likes").is_some());
    assert!(
        h.query_by_label_contains("张三丰").is_none(),
        "the raw nickname is never shown"
    );

    // Pin: the hub puts it on stream, masked.
    let pin = format!("Pin: {asked}");
    button(&h, &pin).expect("a Pin button for it").click();
    step_until(&mut h, "the question on stream", |h| {
        h.state().interaction().is_some_and(|i| {
            i.hub().overlay().panels.iter().any(|p| {
                matches!(&p.content, PanelContent::Question { text, asker, .. }
                    if text == asked && asker == "张**")
            })
        })
    });
    step_until(&mut h, "Unpin offered", |h| {
        button(h, &format!("Unpin: {asked}")).is_some()
    });

    // A question with a moderation term waits for approval.
    let held = "Please dm me the price list";
    assert_eq!(ask(&base, "李四", held), "held");
    step_until(
        &mut h,
        "the held question under Waiting for approval",
        |h| h.query_by_label("Waiting for approval").is_some() && h.query_by_label(held).is_some(),
    );
    assert!(
        button(&h, &format!("Pin: {held}")).is_none(),
        "a held question cannot be pinned before approval"
    );
    button(&h, &format!("Approve: {held}"))
        .expect("an Approve button for it")
        .click();
    step_until(&mut h, "the approved question among the questions", |h| {
        button(h, &format!("Pin: {held}")).is_some()
            && h.query_by_label("Waiting for approval").is_none()
    });
    // Pin and Approve, and the window's refreshes, went to the hub in-process.
    let hub = h.state().interaction().expect("a hub").hub();
    assert_eq!(
        hub.host_requests(),
        0,
        "the window reached its own hub over HTTP"
    );
    // The counter does count: the same questions over the host's HTTP API.
    let host = h.state().interaction().expect("a hub").host();
    let open = host.questions(QuestionFilter::Open).expect("questions");
    assert_eq!(hub.host_requests(), 1);
    let approved = open.iter().find(|q| q.text == held).expect("listed");
    assert_eq!(approved.status, QuestionStatus::Visible);
    assert_eq!(approved.asker, "李*");
    assert!(
        host.questions(QuestionFilter::Held)
            .expect("held")
            .is_empty()
    );

    // The report line counts both viewers and questions.
    step_until(&mut h, "the report line", |h| {
        h.query_by_label_contains("Viewers 2 · Questions 2")
            .is_some()
    });
}
