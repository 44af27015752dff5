//! Interaction panels reach the program: a pinned question sent to a running session shows in
//! the composed picture (compared with what the overlay renderer draws for that question,
//! region by region), and taking it off shows the scene again; and the same through the
//! interaction hub, from a viewer's question to the host's pin — over HTTP, and from the viewer
//! page in a real browser (headless Chromium driven by Playwright).

mod common;

use common::{amber_plan, join_and_ask, post, start};
use kaibo_hub::HubConfig;
use kaibo_model::{Anchor, Command, Monitor, OverlayState, Panel, PanelContent};
use kaibo_overlay::{Fonts, Frame, PixelRect, Renderer};
use kaibo_runtime::Interaction;
use kaibo_testkit::{TempDir, wait_until};
use std::process::Command as Process;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// The scene behind the panels: a bright amber, far from the dark cards.
const AMBER: [f64; 3] = [255.0, 204.0, 0.0];

fn question(text: &str) -> OverlayState {
    OverlayState {
        panels: vec![Panel {
            id: "q-1".into(),
            anchor: Anchor::BottomRight,
            content: PanelContent::Question {
                text: text.into(),
                asker: "张*".into(),
                likes: 42,
            },
        }],
    }
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

/// What the renderer draws for `state` on the 1280×720 canvas (after its fade), and where its
/// first panel is.
fn rendered(state: &OverlayState) -> (Frame, PixelRect) {
    let first = state
        .panels
        .first()
        .map(|p| p.id.clone())
        .unwrap_or_default();
    rendered_panel(state, &first)
}

/// Like [`rendered`], with the place of the panel `id`.
fn rendered_panel(state: &OverlayState, id: &str) -> (Frame, PixelRect) {
    let fonts = Fonts::system().expect("fonts (install fonts-noto-cjk)");
    let mut r = Renderer::new(1280, 720, fonts)
        .expect("renderer")
        .with_fade_ms(0);
    r.render(state, now_ms()).expect("a first frame");
    let rect = r
        .panel_rects()
        .into_iter()
        .find(|(panel, _)| *panel == id)
        .map(|(_, rect)| rect)
        .unwrap_or_else(|| panic!("no panel {id} in {state:?}"));
    (r.frame().clone(), rect)
}

fn luma(rgb: [f64; 3]) -> f64 {
    0.299 * rgb[0] + 0.587 * rgb[1] + 0.114 * rgb[2]
}

/// Mean absolute luma difference over `rect` (canvas pixels) between the 640×360 preview and
/// the expected picture: `frame` blended over amber, sampled at the preview's pixel centres.
fn difference(m: &Monitor, frame: &Frame, rect: PixelRect) -> f64 {
    let p = m.frame_after(0).expect("a preview picture");
    let (sx, sy) = (1280.0 / f64::from(p.width), 720.0 / f64::from(p.height));
    let mut total = 0.0;
    let mut n = 0.0;
    let y0 = (f64::from(rect.y) / sy).ceil() as u32;
    let x0 = (f64::from(rect.x) / sx).ceil() as u32;
    for py in y0..((f64::from(rect.bottom()) / sy) as u32).min(p.height) {
        for px in x0..((f64::from(rect.right()) / sx) as u32).min(p.width) {
            let (cx, cy) = ((f64::from(px) * sx) as u32, (f64::from(py) * sy) as u32);
            // Average the 2×2 canvas pixels the preview pixel covers.
            let mut expected = [0.0; 3];
            for (dx, dy) in [(0, 0), (1, 0), (0, 1), (1, 1)] {
                let [r, g, b, a] = frame.pixel(cx + dx, cy + dy);
                let a = f64::from(a) / 255.0;
                for (i, c) in [r, g, b].into_iter().enumerate() {
                    expected[i] += (f64::from(c) * a + AMBER[i] * (1.0 - a)) / 4.0;
                }
            }
            let at = (py * p.width + px) as usize * 4;
            let actual = [
                f64::from(p.pixels[at]),
                f64::from(p.pixels[at + 1]),
                f64::from(p.pixels[at + 2]),
            ];
            total += (luma(actual) - luma(expected)).abs();
            n += 1.0;
        }
    }
    total / n
}

#[test]
fn a_pinned_question_appears_in_the_program_as_rendered_and_leaves_again() {
    let dir = TempDir::new();
    let (live, m) = start(amber_plan(&dir));

    let asked = question("怎么报名？How do I sign up for the course?");
    let other = question("Is there a replay? 有回放吗？会后多久能看到？");
    let (frame, rect) = rendered(&asked);
    let (other_frame, _) = rendered(&other);
    let blank = Frame::clone(&frame);
    // Before: the card's region is plain amber, far from the rendered card.
    let before = difference(&m, &frame, rect);
    assert!(before > 20.0, "the card region differs before: {before:.1}");

    assert!(live.send(Command::SetOverlay(asked.clone())));
    wait_until(
        Duration::from_secs(5),
        "the question on the program",
        || difference(&m, &frame, rect) < 8.0,
    );
    // The text matters: the same card with another question is clearly further off.
    let same = difference(&m, &frame, rect);
    let wrong = difference(&m, &other_frame, rect);
    assert!(
        wrong > same * 1.5 + 2.0,
        "the preview matches the asked question ({same:.1}) better than another ({wrong:.1})"
    );

    assert!(live.send(Command::SetOverlay(OverlayState::default())));
    wait_until(
        Duration::from_secs(5),
        "the scene again after unpinning",
        || {
            difference(&m, &blank, rect) > 20.0 && {
                let p = m.frame_after(0).expect("picture");
                let at = ((p.height * 9 / 10) * p.width + p.width * 9 / 10) as usize * 4;
                p.pixels[at] > 200 && p.pixels[at + 1] > 150 && p.pixels[at + 2] < 60
            }
        },
    );
    assert!(live.send(Command::Stop));
}

#[test]
fn a_viewers_question_pinned_by_the_host_in_the_hub_reaches_the_program_masked() {
    let dir = TempDir::new();
    let (live, m) = start(amber_plan(&dir));
    let config = HubConfig::new(
        "127.0.0.1:0".parse().expect("address"),
        dir.path().join("hub.sqlite"),
    )
    .expect("hub config");
    let interaction = Interaction::start(config, live.sender()).expect("hub starts");
    let hub = interaction.hub();
    let base = format!("http://{}/api/v1", hub.local_addr());
    let host = hub.host_token().expose().to_owned();
    let client = reqwest::blocking::Client::new();
    let id = join_and_ask(
        &base,
        "张三丰",
        "怎么报名？电话 13812345678 How do I sign up?",
    );
    post(
        &client,
        format!("{base}/host/questions/{id}/pin"),
        &host,
        serde_json::json!({}),
    );

    // What the hub puts on stream is masked, plain text.
    let state = hub.overlay();
    let PanelContent::Question { text, asker, .. } = &state.panels[0].content else {
        panic!("a question panel: {state:?}");
    };
    assert_eq!(asker, "张**");
    assert!(
        text.contains("138****5678") && !text.contains("13812345678"),
        "{text}"
    );
    // And the program shows exactly that card.
    let (frame, rect) = rendered(&state);
    wait_until(
        Duration::from_secs(5),
        "the pinned question on the program",
        || difference(&m, &frame, rect) < 8.0,
    );
    drop(interaction);
    assert!(live.send(Command::Stop));
}

#[test]
fn a_question_asked_and_pinned_in_the_browser_is_on_the_program() {
    let browser =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../kaibo-hub/tests/browser");
    assert!(
        std::path::Path::new("/usr/bin/chromium").exists(),
        "Chromium is missing: `apt-get install chromium` (or `cargo xtask install test`)"
    );
    assert!(
        browser
            .join("node_modules/playwright-core/package.json")
            .exists(),
        "playwright-core is missing: run `npm ci` in {} (`cargo xtask test` does it)",
        browser.display()
    );
    let dir = TempDir::new();
    let (live, m) = start(amber_plan(&dir));
    let config = HubConfig::new(
        "127.0.0.1:0".parse().expect("address"),
        dir.path().join("hub.sqlite"),
    )
    .expect("hub config");
    let interaction = Interaction::start(config, live.sender()).expect("hub starts");
    let hub = interaction.hub();
    // The viewer page's whole flow: join, ask, like, vote, rate, enter the draw; the host
    // approves and pins the viewer's held question through the API.
    let out = Process::new("node")
        .arg("viewer.mjs")
        .current_dir(&browser)
        .env("HUB_URL", format!("http://{}", hub.local_addr()))
        .env("HOST_TOKEN", hub.host_token().expose())
        .env("SCREENSHOT", dir.path().join("viewer.png"))
        .output()
        .expect("node runs (install nodejs)");
    assert!(
        out.status.success(),
        "browser flow failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    // The question the browser asked is pinned, masked, and the program shows its card as
    // the renderer draws it.
    let state = hub.overlay();
    let question = state
        .panels
        .iter()
        .find(|p| matches!(p.content, PanelContent::Question { .. }))
        .unwrap_or_else(|| panic!("a pinned question on stream: {state:?}"));
    let PanelContent::Question { text, .. } = &question.content else {
        unreachable!("matched above")
    };
    assert!(text.contains("138****5678"), "{text}");
    let (frame, rect) = rendered_panel(&state, &question.id);
    wait_until(
        Duration::from_secs(5),
        "the browser's question on the program",
        || difference(&m, &frame, rect) < 8.0,
    );
    drop(interaction);
    assert!(live.send(Command::Stop));
}
