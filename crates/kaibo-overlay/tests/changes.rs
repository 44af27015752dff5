//! When the renderer draws: only on a change of state, of a countdown's displayed second, or
//! during a fade; and what it reports about it (damage, next change).

mod support;

use kaibo_model::{Anchor, OverlayState, PanelContent};
use kaibo_overlay::{DEFAULT_FADE_MS, Renderer};
use support::*;

fn countdown(ends_at_ms: u64) -> OverlayState {
    state(vec![panel(
        "c",
        Anchor::Center,
        PanelContent::Countdown {
            label: "红包雨".into(),
            ends_at_ms,
        },
    )])
}

#[test]
fn an_unchanged_state_renders_nothing_new() {
    let mut r = renderer();
    let s = state(vec![panel(
        "q",
        Anchor::BottomRight,
        question("怎么报名？"),
    )]);
    assert!(r.render(&s, T0).is_some());
    for t in [1, 500, 60_000, 3_600_000] {
        assert!(r.render(&s, T0 + t).is_none(), "nothing changed at +{t} ms");
    }
    assert!(
        r.render(&s.clone(), T0 + 3_600_001).is_none(),
        "an equal state is no change"
    );
    assert!(!r.animating());
    assert_eq!(r.next_change_ms(), None);
}

#[test]
fn a_countdown_redraws_exactly_when_its_second_changes() {
    let end = T0 + 10_000;
    let s = countdown(end);
    let mut r = renderer();
    let first = r.render(&s, T0).expect("first frame").clone();
    assert_eq!(r.next_change_ms(), Some(T0 + 1_000));
    let mut frames = vec![first];
    let mut at = T0;
    while at < end + 2_000 {
        at += 100;
        let changed = r.render(&s, at).cloned();
        let second_changed = (at - T0).is_multiple_of(1_000) && at <= end;
        assert_eq!(changed.is_some(), second_changed, "at +{} ms", at - T0);
        if let Some(frame) = changed {
            assert!(frame.damage().is_some(), "a tick reports its damage");
            frames.push(frame);
        }
    }
    assert_eq!(
        frames.len(),
        11,
        "10 s → 0 s: one frame per displayed second"
    );
    for pair in frames.windows(2) {
        assert_ne!(
            pair[0].data(),
            pair[1].data(),
            "each tick shows other digits"
        );
    }
    assert_eq!(
        r.next_change_ms(),
        None,
        "a finished countdown stays at 00:00"
    );
}

#[test]
fn a_countdown_mid_second_ticks_on_the_next_whole_second() {
    let mut r = renderer();
    let s = countdown(T0 + 5_250);
    r.render(&s, T0).expect("frame");
    assert_eq!(r.next_change_ms(), Some(T0 + 250));
    assert!(r.render(&s, T0 + 249).is_none());
    assert!(r.render(&s, T0 + 250).is_some());
    assert_eq!(r.next_change_ms(), Some(T0 + 1_250));
}

#[test]
fn damage_covers_the_changed_card_only() {
    let mut r = renderer();
    let with = |text: &str| {
        state(vec![
            panel("p", Anchor::TopRight, poll(&[3, 4])),
            panel("q", Anchor::BottomLeft, question(text)),
        ])
    };
    let first = r.render(&with("怎么报名？"), T0).expect("first").clone();
    assert_eq!(first.damage(), None, "the first frame is whole");
    let rects = r.panel_rects();
    let (poll_rect, question_rect) = (rects[0].1, rects[1].1);
    let next = r
        .render(&with("多少钱？"), T0 + 40)
        .expect("changed")
        .clone();
    assert_eq!(next.damage(), Some(question_rect));
    assert_eq!(next.serial(), first.serial() + 1);
    // Outside the damage, the new frame equals the old one byte for byte.
    for y in 0..H {
        for x in 0..W {
            if !question_rect.contains(x, y) {
                assert_eq!(first.pixel(x, y), next.pixel(x, y), "({x},{y})");
            }
        }
    }
    assert!(poll_rect.y < question_rect.y);
}

/// The alpha of the card ground at the middle of its top edge (text never reaches it).
fn card_alpha(r: &Renderer, x: u32, y: u32) -> u8 {
    r.frame().pixel(x, y)[3]
}

#[test]
fn panels_fade_in_and_out_over_a_quarter_second() {
    let mut r = Renderer::new(W, H, fonts()).expect("renderer");
    let shown = state(vec![panel(
        "q",
        Anchor::BottomRight,
        question("怎么报名？"),
    )]);
    // Where the card will be, from a renderer without fades.
    let (full, rects) = render_once(&shown);
    let card = rects[0].1;
    let (x, y) = (card.x + card.width / 2, card.y + 3);
    let solid = full.pixel(x, y)[3];
    assert!(solid > 150);

    r.render(&OverlayState::default(), T0);
    let mut ramp = Vec::new();
    for t in (0..=DEFAULT_FADE_MS + 50).step_by(25) {
        r.render(&shown, T0 + t);
        ramp.push(card_alpha(&r, x, y));
        assert_eq!(r.animating(), t < DEFAULT_FADE_MS, "animating at +{t} ms");
    }
    assert_eq!(ramp[0], 0, "{ramp:?}");
    assert!(
        ramp.windows(2).take(10).all(|w| w[1] > w[0]),
        "rises every step: {ramp:?}"
    );
    let half = f32::from(ramp[5]) / f32::from(solid);
    assert!((0.4..=0.6).contains(&half), "half way at 125 ms: {ramp:?}");
    assert_eq!(ramp[10], solid, "full at 250 ms: {ramp:?}");
    assert_eq!(
        r.frame().data(),
        full.data(),
        "a finished fade is the plain picture"
    );
    assert!(r.render(&shown, T0 + 1_000).is_none());

    let gone = T0 + 2_000;
    let mut ramp = Vec::new();
    for t in (0..=DEFAULT_FADE_MS).step_by(25) {
        let frame = r.render(&OverlayState::default(), gone + t);
        // At +0 the card is still whole: the same picture, no new frame.
        assert_eq!(
            frame.is_some(),
            t > 0,
            "every fade step is a new frame (+{t} ms)"
        );
        ramp.push(card_alpha(&r, x, y));
    }
    assert_eq!(ramp[0], solid, "{ramp:?}");
    assert!(
        ramp.windows(2).all(|w| w[1] < w[0]),
        "falls every step: {ramp:?}"
    );
    assert!(r.frame().is_transparent(), "gone after 250 ms");
    assert!(!r.animating());
    assert!(r.render(&OverlayState::default(), gone + 1_000).is_none());
}

#[test]
fn a_panel_coming_back_mid_fade_continues_from_where_it_was() {
    let mut r = Renderer::new(W, H, fonts()).expect("renderer");
    let shown = state(vec![panel(
        "q",
        Anchor::BottomRight,
        question("怎么报名？"),
    )]);
    r.render(&shown, T0);
    r.render(&shown, T0 + 300);
    let card = r.panel_rects()[0].1;
    let (x, y) = (card.x + card.width / 2, card.y + 3);
    let solid = card_alpha(&r, x, y);
    r.render(&OverlayState::default(), T0 + 1_000);
    r.render(&OverlayState::default(), T0 + 1_100);
    let faded = card_alpha(&r, x, y);
    assert!(faded < solid && faded > 0);
    r.render(&shown, T0 + 1_100);
    assert_eq!(card_alpha(&r, x, y), faded, "no jump when it comes back");
    // 100 ms of fading out took 40 %; taking it back takes as long.
    assert_eq!(
        r.next_change_ms(),
        Some(T0 + 1_200),
        "the fade in ends 100 ms later"
    );
    r.render(&shown, T0 + 1_199);
    assert!(card_alpha(&r, x, y) < solid);
    r.render(&shown, T0 + 1_200);
    assert_eq!(card_alpha(&r, x, y), solid);
}

#[test]
fn frames_built_from_damage_equal_frames_drawn_afresh() {
    let long = "这个问题很长，会占好几行：报名以后在哪里看回放？可以分享给同事吗？".repeat(2);
    let states = [
        state(vec![
            panel("a", Anchor::BottomRight, question("怎么报名？")),
            panel("b", Anchor::BottomRight, poll(&[1, 2])),
            panel("c", Anchor::Center, poll(&[5, 5])),
        ]),
        // The first card grows: the one stacked above it moves up.
        state(vec![
            panel("a", Anchor::BottomRight, question(&long)),
            panel("b", Anchor::BottomRight, poll(&[1, 2])),
            panel("c", Anchor::Center, poll(&[5, 5])),
        ]),
        // Swapped order: other places and z-order.
        state(vec![
            panel("c", Anchor::Center, poll(&[5, 5])),
            panel("b", Anchor::BottomRight, poll(&[1, 3])),
            panel("a", Anchor::BottomRight, question(&long)),
        ]),
        // One leaves, one moves to another corner.
        state(vec![
            panel("b", Anchor::TopLeft, poll(&[1, 3])),
            panel("a", Anchor::BottomRight, question(&long)),
        ]),
        OverlayState::default(),
    ];
    let mut r = Renderer::new(W, H, fonts()).expect("renderer");
    let mut now = T0;
    for (i, s) in states.iter().enumerate() {
        // Through the fades, frame by frame, to the settled picture.
        for _ in 0..10 {
            now += 33;
            r.render(s, now);
        }
        assert!(!r.animating());
        let (fresh, _) = render_once(s);
        assert!(
            r.frame().data() == fresh.data(),
            "state {i}: incremental frame differs from a fresh one"
        );
    }
}
