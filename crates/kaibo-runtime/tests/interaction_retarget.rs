//! One hub, sessions rebuilt under it: after [`Interaction::retarget`] the panels go to the new
//! session (what is on stream at once, and later pins), the old one no longer matters; and
//! the host's side (pin, held questions, refusals in the hub's words) answers the same through
//! [`HostClient`] over HTTP and through the hub's desk in-process, which makes no request.

mod common;

use common::{amber_plan, join_and_ask, start};
use kaibo_hub::HubConfig;
use kaibo_model::{Command, Monitor, PanelContent};
use kaibo_runtime::{
    HostApi, HostClient, Interaction, NewOffer, PanelKind, PollState, QuestionFilter,
    QuestionStatus,
};
use kaibo_testkit::{TempDir, wait_until};
use std::time::Duration;

/// How much of the bottom half (where question cards go) is not amber, 0 to 1.
fn card_share(m: &Monitor) -> f64 {
    let p = m.frame_after(0).expect("a preview picture");
    let (mut off, mut n) = (0u32, 0u32);
    for y in p.height / 2..p.height {
        for x in 0..p.width {
            let at = (y * p.width + x) as usize * 4;
            let (r, g, b) = (p.pixels[at], p.pixels[at + 1], p.pixels[at + 2]);
            let amber = r > 200 && (150..=240).contains(&g) && b < 80;
            off += u32::from(!amber);
            n += 1;
        }
    }
    f64::from(off) / f64::from(n)
}

#[test]
fn after_retarget_the_panels_go_to_the_new_session() {
    let dir = TempDir::new();
    let (first, first_m) = start(amber_plan(&dir));
    let config = HubConfig::new(
        "127.0.0.1:0".parse().expect("address"),
        dir.path().join("hub.sqlite"),
    )
    .expect("hub config");
    let interaction = Interaction::start(config, first.sender()).expect("hub starts");
    let base = format!("http://{}/api/v1", interaction.hub().local_addr());
    let host: HostClient = interaction.host();
    let first_id = join_and_ask(&base, "张三丰", "第一个问题：怎么报名？");
    host.pin(first_id).expect("pin");
    wait_until(
        Duration::from_secs(10),
        "the card on the first session",
        || card_share(&first_m) > 0.02,
    );

    // The app rebuilds its session: the first one ends, a second one starts with no panels.
    assert!(first.send(Command::Stop));
    drop(first);
    let (second, second_m) = start(amber_plan(&dir));
    let plain = card_share(&second_m);
    assert!(
        plain < 0.01,
        "the new session starts without panels: {plain}"
    );

    // Retargeting sends what is on stream at once.
    interaction.retarget(Some(second.sender()));
    wait_until(
        Duration::from_secs(10),
        "the pinned card on the second session",
        || card_share(&second_m) > 0.02,
    );

    // Later changes follow: taking the question off clears the second session ...
    host.hide(PanelKind::Question).expect("hide");
    wait_until(Duration::from_secs(10), "the card gone again", || {
        card_share(&second_m) < 0.01
    });
    // ... and a pin from a viewer's new question reaches it.
    let second_id = join_and_ask(&base, "李四", "第二个问题：有回放吗？");
    let pinned = host.pin(second_id).expect("pin");
    assert!(pinned.pinned);
    wait_until(
        Duration::from_secs(10),
        "the second pin on the second session",
        || card_share(&second_m) > 0.02,
    );
    let state = interaction.hub().overlay();
    let PanelContent::Question { text, asker, .. } = &state.panels[0].content else {
        panic!("a question panel: {state:?}");
    };
    assert_eq!(
        (text.as_str(), asker.as_str()),
        ("第二个问题：有回放吗？", "李*")
    );

    // No session: nothing is sent, and nothing breaks.
    interaction.retarget(None);
    host.unpin(second_id).expect("unpin");
    drop(interaction);
    assert!(second.send(Command::Stop));
}

fn hub(dir: &TempDir) -> Interaction {
    let config = HubConfig::new(
        "127.0.0.1:0".parse().expect("address"),
        dir.path().join("hub.sqlite"),
    )
    .expect("hub config");
    Interaction::start_with(config, None).expect("hub starts")
}

/// Moderation, a poll, a red envelope, panels and the report through `host`, as the window and
/// a remote host use them.
fn moderate_and_report(host: &dyn HostApi, base: &str) {
    let plain = join_and_ask(base, "王五", "How do I sign up?");
    let held = join_and_ask(base, "赵六", "加微信 123 for a discount");
    let open = host.questions(QuestionFilter::Open).expect("questions");
    assert_eq!(open.len(), 2, "{open:?}");
    let h = open.iter().find(|q| q.id == held).expect("the held one");
    assert_eq!(h.status, QuestionStatus::Held);
    assert!(
        h.flags.as_ref().is_some_and(|f| !f.is_empty()),
        "the host sees why: {h:?}"
    );
    // A held question cannot go on stream; the hub's message says why.
    let refused = host.pin(held).expect_err("pinning a held question");
    assert_eq!(refused.code(), Some("not-visible"), "{refused}");
    assert!(!refused.to_string().is_empty());
    assert_eq!(
        host.approve(held).expect("approve").status,
        QuestionStatus::Visible
    );
    assert!(
        host.questions(QuestionFilter::Held)
            .expect("held")
            .is_empty()
    );
    assert_eq!(
        host.reject(plain).expect("reject").status,
        QuestionStatus::Rejected
    );

    let poll = host.open_satisfaction().expect("satisfaction poll");
    assert_eq!(poll.state, PollState::Open);
    let on = host.overlay().expect("overlay");
    assert!(
        on.panels
            .iter()
            .any(|p| matches!(p.content, PanelContent::Poll { .. })),
        "{on:?}"
    );
    host.close_poll(poll.id).expect("close");
    let envelope = host
        .start_red_envelope("红包", 1, 1)
        .expect("a red envelope");
    assert!(envelope.closes_at_ms > envelope.opens_at_ms);
    let offer = host
        .show_offer(NewOffer {
            title: "限时优惠".into(),
            detail: "今晚 8 折".into(),
            ends_at_ms: None,
            duration_s: Some(60),
        })
        .expect("offer");
    assert!(
        offer
            .panels
            .iter()
            .any(|p| matches!(p.content, PanelContent::Offer { .. }))
    );
    host.show_lower_third("主讲人", "开播团队")
        .expect("lower third");
    let qr = host.show_join_qr().expect("join QR");
    assert!(
        qr.panels
            .iter()
            .any(|p| matches!(p.content, PanelContent::JoinQr { .. }))
    );
    let hidden = host.hide(PanelKind::JoinQr).expect("hide");
    assert!(
        !hidden
            .panels
            .iter()
            .any(|p| matches!(p.content, PanelContent::JoinQr { .. }))
    );
    let report = host.report().expect("report");
    assert_eq!((report.views, report.questions), (2, 2), "{report:?}");
}

#[test]
fn the_host_client_moderates_and_reports_in_the_hubs_words() {
    let dir = TempDir::new();
    let interaction = hub(&dir);
    let base = format!("http://{}/api/v1", interaction.hub().local_addr());
    moderate_and_report(&interaction.host(), &base);
    assert!(interaction.hub().host_requests() >= 14, "all over HTTP");

    // A wrong token is refused with the hub's message, not a parse error.
    let stranger = HostClient::new(
        format!("http://{}", interaction.hub().local_addr()),
        kaibo_model::Secret::new("not-the-host-token-at-all"),
    );
    let e = stranger.report().expect_err("a wrong token");
    assert_eq!(e.code(), Some("unauthorized"), "{e}");
}

#[test]
fn the_hubs_desk_answers_in_process_as_its_http_api_does() {
    let dir = TempDir::new();
    let interaction = hub(&dir);
    let base = format!("http://{}/api/v1", interaction.hub().local_addr());
    moderate_and_report(&interaction.desk(), &base);
    assert_eq!(
        interaction.hub().host_requests(),
        0,
        "the desk made no HTTP request"
    );
}
