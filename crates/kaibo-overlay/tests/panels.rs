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
                assert!(
                    !overlap(*rect, *r),
                    "{id} and {other} overlap: {rect:?} {r:?}"
                );
            }
            let white = matching(&frame, *rect, is_text_white);
            assert!(
                white.len() > 100,
                "panel {id} shows text: {} white pixels",
                white.len()
            );
            // The card ground is the translucent dark colour.
            let corner_in = frame.pixel(rect.x + rect.width / 2, rect.y + 2);
            assert!(
                corner_in[3] > 150 && corner_in[3] < 255 && corner_in[0] < 40,
                "{id}: {corner_in:?}"
            );
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
    points
        .iter()
        .fold((u32::MAX, u32::MAX, 0, 0), |(x0, y0, x1, y1), &(x, y)| {
            (x0.min(x), y0.min(y), x1.max(x + 1), y1.max(y + 1))
        })
}

#[test]
fn question_text_in_the_card_is_the_shaped_text_itself() {
    let text = "怎么报名？How to join";
    let (frame, rects) = render_once(&state(vec![panel(
        "q",
        Anchor::BottomRight,
        question(text),
    )]));
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
    assert_eq!(
        (x1 - x0, y1 - y0),
        (mx1 - mx0, my1 - my0),
        "same ink extent as the text alone"
    );
    assert!(
        y1 - y0 >= 20,
        "CJK glyphs are at least 20 px tall at 720p: {}",
        y1 - y0
    );

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
    assert_eq!(
        solid_white, solid,
        "every solid glyph pixel is white in the card"
    );
    assert!(
        empty_dark * 100 >= empty * 99,
        "{empty_dark}/{empty} empty pixels stay dark"
    );
    assert!(TEXT == [255, 255, 255, 255]);
}

#[test]
fn different_questions_draw_different_text() {
    let render = |text: &str| {
        let (frame, rects) = render_once(&state(vec![panel(
            "q",
            Anchor::BottomRight,
            question(text),
        )]));
        matching(&frame, rects[0].1, is_text_white)
    };
    let a = render("怎么报名？How to join");
    let b = render("价格是多少？What's the price");
    assert!(!a.is_empty() && !b.is_empty());
    assert_ne!(a, b);
    assert_eq!(
        render("怎么报名？How to join"),
        a,
        "the same text draws the same pixels"
    );
}

/// Bars top to bottom: groups of rows holding an accent run of at least 12 px (glyph strokes
/// and stars are not accent in a poll card); each bar's length is its longest run.
fn bar_lengths(frame: &kaibo_overlay::Frame, card: PixelRect) -> Vec<u32> {
    let mut bars = Vec::new();
    let mut current: Option<u32> = None;
    for y in card.y..card.bottom() {
        let (mut best, mut run) = (0, 0);
        for x in card.x..card.right() {
            run = if is_accent(frame.pixel(x, y)) {
                run + 1
            } else {
                0
            };
            best = best.max(run);
        }
        match (best >= 12, current) {
            (true, c) => current = Some(c.unwrap_or(0).max(best)),
            (false, Some(len)) => {
                bars.push(len);
                current = None;
            }
            (false, None) => {}
        }
    }
    bars.extend(current);
    bars
}

#[test]
fn poll_bars_are_proportional_to_votes() {
    let (frame, rects) = render_once(&state(vec![panel(
        "p",
        Anchor::TopRight,
        poll(&[45, 15, 0, 30]),
    )]));
    let card = rects[0].1;
    let theme = kaibo_overlay::Theme::for_canvas(W, H);
    let track_w = card.width as f32 - 2.0 * theme.pad;
    let bars = bar_lengths(&frame, card);
    assert_eq!(
        bars.len(),
        3,
        "the option with no votes has no bar: {bars:?}"
    );
    let expected = [45.0 / 90.0, 15.0 / 90.0, 30.0 / 90.0].map(|f| f * track_w);
    for (bar, want) in bars.iter().zip(expected) {
        assert!(
            (*bar as f32 - want).abs() <= 1.5,
            "bar {bar} px, want {want:.1} ({bars:?})"
        );
    }

    // More votes, longer bar: the order follows the votes.
    let (frame, rects) = render_once(&state(vec![panel(
        "p",
        Anchor::TopRight,
        poll(&[10, 80, 10]),
    )]));
    let bars = bar_lengths(&frame, rects[0].1);
    assert_eq!(bars.len(), 3, "{bars:?}");
    assert!(bars[1] > 7 * bars[0] && bars[0] == bars[2], "{bars:?}");
}

#[test]
fn a_poll_without_votes_draws_empty_tracks() {
    let (frame, rects) = render_once(&state(vec![panel("p", Anchor::TopRight, poll(&[0, 0]))]));
    assert!(bar_lengths(&frame, rects[0].1).is_empty());
}

#[test]
fn join_qr_decodes_back_to_its_url() {
    let url = "https://kaibo.example/j/8Fq2?from=stream&lang=zh-CN";
    let qr = PanelContent::JoinQr {
        url: url.into(),
        caption: "扫码加入".into(),
    };
    for (w, h) in [(1280, 720), (1920, 1080)] {
        let mut r = kaibo_overlay::Renderer::new(w, h, fonts())
            .expect("renderer")
            .with_fade_ms(0);
        let frame = r
            .render(&state(vec![panel("j", Anchor::TopRight, qr.clone())]), T0)
            .expect("frame")
            .clone();
        dump(&frame, &format!("qr_{h}"));
        // What a viewer's phone sees: the layer over a black program.
        let luma = |x: usize, y: usize| {
            let p = frame.pixel(x as u32, y as u32);
            ((u32::from(p[0]) + u32::from(p[1]) + u32::from(p[2])) / 3 * u32::from(p[3]) / 255)
                as u8
        };
        let mut img = rqrr::PreparedImage::prepare_from_greyscale(w as usize, h as usize, luma);
        let grids = img.detect_grids();
        assert_eq!(grids.len(), 1, "one QR code on the {h}p canvas");
        let (_, content) = grids[0].decode().expect("decodes");
        assert_eq!(content, url);
    }
}

#[test]
fn text_scales_with_the_canvas() {
    let text = "怎么报名？How to join";
    let height_at = |w: u32, h: u32| {
        let mut r = kaibo_overlay::Renderer::new(w, h, fonts())
            .expect("renderer")
            .with_fade_ms(0);
        let frame = r
            .render(
                &state(vec![panel("q", Anchor::BottomRight, question(text))]),
                T0,
            )
            .expect("frame")
            .clone();
        let card = r.panel_rects()[0].1;
        let (_, y0, _, y1) = bbox(&matching(&frame, card, is_text_white));
        (y1 - y0) as f32
    };
    let (h720, h1080) = (height_at(1280, 720), height_at(1920, 1080));
    assert!(
        (h1080 / h720 - 1.5).abs() < 0.1,
        "{h720} px at 720p, {h1080} px at 1080p"
    );
}

#[test]
fn missing_cjk_font_names_the_package() {
    let err = kaibo_overlay::Fonts::from_database(cosmic_text::fontdb::Database::new())
        .expect_err("no fonts at all");
    let message = err.to_string();
    assert!(
        message.contains("fonts-noto-cjk") && message.contains("Noto Sans CJK SC"),
        "{message}"
    );
}
