//! Viewer text is hostile until drawn: bidi overrides, zalgo stacks, walls of wide CJK and
//! markup stay plain text inside their card.

mod support;

use kaibo_model::{Anchor, PanelContent, PollOption};
use kaibo_overlay::Frame;
use support::*;

fn zalgo() -> String {
    std::iter::once('Z')
        .chain((0..5_000u32).filter_map(|i| char::from_u32(0x0300 + i % 0x70)))
        .chain("algo 怎么报名".chars())
        .collect()
}

fn hostile_texts() -> Vec<(&'static str, String)> {
    vec![
        (
            "bidi",
            "\u{202E}怎么报名 gnp.exe\u{202C} \u{2067}RTL\u{2069} tail".into(),
        ),
        ("zalgo", zalgo()),
        (
            "wide",
            "报名参加直播抽奖活动请扫码"
                .repeat(24)
                .chars()
                .take(300)
                .collect(),
        ),
        (
            "script",
            "<script>alert('x')</script><b>粗体</b>&amp;".into(),
        ),
        ("unbroken", "W".repeat(300)),
        (
            "controls",
            "第一行\n第二行\r\n\t第三行\u{0}\u{7}\u{2028}end".into(),
        ),
    ]
}

/// Every text field of every kind carries `text`.
fn every_kind(text: &str) -> Vec<(Anchor, PanelContent)> {
    vec![
        (
            Anchor::BottomRight,
            PanelContent::Question {
                text: text.into(),
                asker: text.into(),
                likes: u32::MAX,
            },
        ),
        (
            Anchor::TopRight,
            PanelContent::Poll {
                title: text.into(),
                options: vec![
                    PollOption {
                        label: text.into(),
                        votes: u32::MAX,
                    },
                    PollOption {
                        label: text.into(),
                        votes: u32::MAX,
                    },
                ],
                open: false,
            },
        ),
        (
            Anchor::TopLeft,
            PanelContent::Rating {
                title: text.into(),
                average: f32::NAN,
                count: 3,
            },
        ),
        (
            Anchor::Center,
            PanelContent::Countdown {
                label: text.into(),
                ends_at_ms: u64::MAX,
            },
        ),
        (
            Anchor::BottomBand,
            PanelContent::Offer {
                title: text.into(),
                detail: text.into(),
                ends_at_ms: Some(T0 + 5_000),
            },
        ),
        (
            Anchor::BottomLeft,
            PanelContent::Winners {
                title: text.into(),
                names: vec![text.into(); 20],
            },
        ),
        (
            Anchor::TopLeft,
            PanelContent::JoinQr {
                url: text.into(),
                caption: text.into(),
            },
        ),
        (
            Anchor::BottomLeft,
            PanelContent::LowerThird {
                title: text.into(),
                subtitle: text.into(),
            },
        ),
    ]
}

fn assert_inside_its_card(frame: &Frame, card: kaibo_overlay::PixelRect, what: &str) {
    for y in 0..frame.height() {
        for x in 0..frame.width() {
            if frame.pixel(x, y)[3] != 0 {
                assert!(
                    card.contains(x, y),
                    "{what}: pixel ({x},{y}) outside its card {card:?}"
                );
            }
        }
    }
}

#[test]
fn hostile_text_stays_inside_its_card_in_every_panel_kind() {
    for (name, text) in hostile_texts() {
        for (anchor, content) in every_kind(&text) {
            let what = format!("{name} in {content:?}")
                .chars()
                .take(120)
                .collect::<String>();
            let (frame, rects) = render_once(&state(vec![panel("x", anchor, content)]));
            assert_eq!(rects.len(), 1, "{what}");
            let card = rects[0].1;
            assert_inside_its_card(&frame, card, &what);
            assert!(
                card.height < H / 2,
                "{what}: the card stays small, {card:?}"
            );
            assert!(
                !matching(&frame, card, is_text_white).is_empty(),
                "{what}: text is drawn"
            );
        }
    }
}

#[test]
fn a_long_question_is_cut_to_four_lines() {
    let wall: String = "报名参加直播抽奖活动请扫码"
        .repeat(24)
        .chars()
        .take(300)
        .collect();
    let (frame, long) = render_once(&state(vec![panel(
        "q",
        Anchor::BottomRight,
        question(&wall),
    )]));
    dump(&frame, "wall");
    let four: String = wall.chars().take(60).collect();
    let (_, four_lines) = render_once(&state(vec![panel(
        "q",
        Anchor::BottomRight,
        question(&four),
    )]));
    assert_eq!(
        long[0].1.height, four_lines[0].1.height,
        "300 characters take as many lines as 60"
    );
}

fn question_pixels(text: &str) -> Frame {
    render_once(&state(vec![panel(
        "q",
        Anchor::BottomRight,
        question(text),
    )]))
    .0
}

#[test]
fn bidi_overrides_are_ignored_when_drawing() {
    assert_eq!(
        question_pixels("\u{202E}怎么报名 How to join\u{202C}"),
        question_pixels("怎么报名 How to join"),
        "an override character changes nothing on the stream"
    );
    assert_ne!(
        question_pixels("怎么报名 How to join"),
        question_pixels("怎么报名 How to nioj")
    );
}

#[test]
fn zalgo_draws_like_its_capped_form() {
    let capped: String = "Z\u{0300}\u{0301}algo 怎么报名".into();
    let frame = question_pixels(&zalgo());
    dump(&frame, "zalgo");
    assert_eq!(frame, question_pixels(&capped));
}

#[test]
fn markup_is_drawn_as_characters() {
    let markup = question_pixels("<b>报名</b>");
    assert_ne!(
        markup,
        question_pixels("报名"),
        "the tags are visible text, not formatting"
    );
}
