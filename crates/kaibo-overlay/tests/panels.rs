//! Each panel kind rendered at 1280×720 with the system's fonts, checked by its pixels.

mod support;

use kaibo_model::{Anchor, PanelContent};
use kaibo_overlay::{PixelRect, TEXT, question_style};
use support::*;

/// Two screens of panels, four kinds each, placed so that no two cards overlap.
fn screens() -> [Vec<kaibo_model::Panel>; 2] {
    [
        vec![
            panel("q", Anchor::BottomRight, question("怎么报名？How to join")),
            panel("p", Anchor::TopRight, poll(&[45, 15, 0, 30])),
            panel(
                "r",
                Anchor::TopLeft,
                PanelContent::Rating {
                    title: "本场满意度".into(),
                    average: 4.5,
                    count: 128,
                },
            ),
            panel(
                "l",
                Anchor::BottomLeft,
                PanelContent::LowerThird {
                    title: "陈老师".into(),
                    subtitle: "产品培训 · Product training".into(),
                },
            ),
        ],
        vec![
            panel(
                "j",
                Anchor::TopLeft,
                PanelContent::JoinQr {
                    url: "https://kaibo.example/j/8Fq2".into(),
                    caption: "扫码提问、投票".into(),
                },
            ),
            panel(
                "c",
                Anchor::Center,
                PanelContent::Countdown {
                    label: "红包雨".into(),
                    ends_at_ms: T0 + 65_000,
                },
            ),
            panel(
                "w",
                Anchor::TopRight,
                PanelContent::Winners {
                    title: "中奖名单".into(),
                    names: vec!["李*".into(), "王*明".into(), "J*n".into()],
                },
            ),
            panel(
                "o",
                Anchor::BottomBand,
                PanelContent::Offer {
                    title: "限时优惠".into(),
                    detail: "前 100 名下单立减 50 元，Free shipping".into(),
                    ends_at_ms: Some(T0 + 299_000),
                },
            ),
        ],
    ]
}

fn overlap(a: PixelRect, b: PixelRect) -> bool {
    a.x < b.right() && b.x < a.right() && a.y < b.bottom() && b.y < a.bottom()
}

#[test]
fn every_kind_draws_a_card_with_text_inside_it_and_nothing_elsewhere() {
    for (n, panels) in screens().into_iter().enumerate() {
        let (frame, rects) = render_once(&state(panels));
        dump(&frame, &format!("screen_{n}"));
        assert_eq!(rects.len(), 4, "{rects:?}");
        for (i, (id, rect)) in rects.iter().enumerate() {
            for (other, r) in &rects[i + 1..] {
                assert!(!overlap(*rect, *r), "{id} and {other} overlap: {rect:?} {r:?}");
            }
            let white = matching(&frame, *rect, is_text_white);
            assert!(white.len() > 100, "panel {id} shows text: {} white pixels", white.len());
            // The card ground is the translucent dark colour.
            let corner_in = frame.pixel(rect.x + rect.width / 2, rect.y + 2);
            assert!(corner_in[3] > 150 && corner_in[3] < 255 && corner_in[0] < 40, "{id}: {corner_in:?}");
        }
        for y in 0..H {
            for x in 0..W {
                if frame.pixel(x, y)[3] != 0 {
                    assert!(
                        rects.iter().any(|(_, r)| r.contains(x, y)),
                        "pixel ({x},{y}) drawn outside every card"
                    );
                }
            }
        }
    }
}

/// The bounding box (x0, y0, x1, y1; end exclusive) of the points.
fn bbox(points: &[(u32, u32)]) -> (u32, u32, u32, u32) {
    points.iter().fold((u32::MAX, u32::MAX, 0, 0), |(x0, y0, x1, y1), &(x, y)| {
        (x0.min(x), y0.min(y), x1.max(x + 1), y1.max(y + 1))
    })
}

#[test]
fn question_text_in_the_card_is_the_shaped_text_itself() {
    let text = "怎么报名？How to join";
    let (frame, rects) = render_once(&state(vec![panel("q", Anchor::BottomRight, question(text))]));
    let card = rects[0].1;
    // The body is the only white in a question card (asker and likes are in the accent).
    let white = matching(&frame, card, is_text_white);
    let (x0, y0, x1, y1) = bbox(&white);

    let mut fonts = fonts();
    let theme = kaibo_overlay::Theme::for_canvas(W, H);
    let inner_w = card.width as f32 - 2.0 * theme.pad;
    let mask = fonts.rasterize(text, &question_style(&theme), inner_w);
    let ink: Vec<(u32, u32)> = (0..mask.height)
        .flat_map(|y| (0..mask.width).map(move |x| (x, y)))
        .filter(|&(x, y)| mask.coverage[(y * mask.width + x) as usize] > 200)
        .collect();
    let (mx0, my0, mx1, my1) = bbox(&ink);
    assert_eq!((x1 - x0, y1 - y0), (mx1 - mx0, my1 - my0), "same ink extent as the text alone");
    assert!(y1 - y0 >= 20, "CJK glyphs are at least 20 px tall at 720p: {}", y1 - y0);

    // Glyph by glyph: solid mask pixels are white in the card, empty ones are not.
    let (dx, dy) = (x0 - mx0, y0 - my0);
    let mut solid_white = 0;
    let mut empty_dark = 0;
    let (mut solid, mut empty) = (0, 0);
    for y in 0..mask.height {
        for x in 0..mask.width {
            let cover = mask.coverage[(y * mask.width + x) as usize];
            let p = frame.pixel(x + dx, y + dy);
            if cover > 200 {
                solid += 1;
                solid_white += usize::from(is_text_white(p));
            } else if cover == 0 {
                empty += 1;
                empty_dark += usize::from(p[0] < 60);
            }
        }
    }
    assert!(solid > 300, "the text has ink: {solid}");
    assert_eq!(solid_white, solid, "every solid glyph pixel is white in the card");
    assert!(empty_dark * 100 >= empty * 99, "{empty_dark}/{empty} empty pixels stay dark");
    assert!(TEXT == [255, 255, 255, 255]);
}

#[test]
fn different_questions_draw_different_text() {
    let render = |text: &str| {
        let (frame, rects) = render_once(&state(vec![panel("q", Anchor::BottomRight, question(text))]));
        matching(&frame, rects[0].1, is_text_white)
    };
    let a = render("怎么报名？How to join");
    let b = render("价格是多少？What's the price");
    assert!(!a.is_empty() && !b.is_empty());
    assert_ne!(a, b);
    assert_eq!(render("怎么报名？How to join"), a, "the same text draws the same pixels");
}
