//! Lighting on real photographs (scikit-image's test photos, Debian package python3-skimage):
//! the photo as taken passes; dark, overexposed, backlit, colour-cast, flat and blurred
//! variants made from it are each recognised.

use image::{Rgba, RgbaImage};
use kaibo_check::lighting::{LightingProblem, lighting_problems};
use kaibo_check::{CheckStatus, Frame, Language, analyse_frame, evaluate_lighting};
use std::path::Path;

const PHOTO_DIR: &str = "/usr/lib/python3/dist-packages/skimage/data";

fn photo(name: &str) -> RgbaImage {
    let path = Path::new(PHOTO_DIR).join(name);
    assert!(
        path.is_file(),
        "{} is missing: install the Debian package python3-skimage (`cargo xtask install test`)",
        path.display()
    );
    image::open(&path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .to_rgba8()
}

fn map(img: &RgbaImage, f: impl Fn(u32, u32, [f32; 3]) -> [f32; 3]) -> RgbaImage {
    let mut out = img.clone();
    for (x, y, p) in out.enumerate_pixels_mut() {
        let c = [f32::from(p[0]), f32::from(p[1]), f32::from(p[2])];
        let n = f(x, y, c);
        *p = Rgba([
            n[0].clamp(0.0, 255.0) as u8,
            n[1].clamp(0.0, 255.0) as u8,
            n[2].clamp(0.0, 255.0) as u8,
            255,
        ]);
    }
    out
}

/// The photo and its variants, named.
fn variants(img: &RgbaImage) -> Vec<(&'static str, RgbaImage, Option<LightingProblem>)> {
    let (w, h) = (img.width() as f32, img.height() as f32);
    // Backlight: the camera exposes for a bright window behind the host, so the background
    // washes out towards white and the host (an ellipse in the middle) falls into shadow.
    let in_subject = move |x: u32, y: u32| {
        let dx = (x as f32 / w - 0.5) / 0.28;
        let dy = (y as f32 / h - 0.55) / 0.45;
        dx * dx + dy * dy <= 1.0
    };
    vec![
        ("good", img.clone(), None),
        (
            "dark",
            map(img, |_, _, c| c.map(|v| v * 0.18)),
            Some(LightingProblem::Dark),
        ),
        (
            "overexposed",
            map(img, |_, _, c| c.map(|v| v * 2.4 + 20.0)),
            Some(LightingProblem::Overexposed),
        ),
        (
            "backlit",
            map(img, move |x, y, c| {
                if in_subject(x, y) {
                    c.map(|v| v * 0.35)
                } else {
                    c.map(|v| v * 0.3 + 200.0)
                }
            }),
            Some(LightingProblem::Backlit),
        ),
        (
            "colour-cast",
            map(img, |_, _, c| [c[0] * 1.0 + 10.0, c[1] * 0.82, c[2] * 0.5]),
            Some(LightingProblem::ColourCast),
        ),
        (
            "flat",
            map(img, |_, _, c| c.map(|v| 140.0 + (v - 128.0) * 0.22)),
            Some(LightingProblem::Flat),
        ),
        (
            "blurred",
            image::imageops::blur(img, 6.0),
            Some(LightingProblem::Blurred),
        ),
    ]
}

fn classify(name: &str, img: &RgbaImage) -> Vec<LightingProblem> {
    let stats = analyse_frame(Frame {
        width: img.width(),
        height: img.height(),
        rgba: img.as_raw(),
    });
    let problems = lighting_problems(&stats);
    eprintln!("{name}: {stats:?} → {problems:?}");
    problems.into_iter().map(|(p, _)| p).collect()
}

fn check_photo(file: &str) {
    let img = photo(file);
    let mut wrong = Vec::new();
    for (name, variant, expected) in variants(&img) {
        let found = classify(&format!("{file} {name}"), &variant);
        let right = match expected {
            None => found.is_empty(),
            Some(p) => found.first() == Some(&p),
        };
        if !right {
            wrong.push(format!(
                "{file} {name}: expected {expected:?}, found {found:?}"
            ));
        }
    }
    assert!(wrong.is_empty(), "{wrong:#?}");
}

#[test]
fn a_portrait_and_its_variants_are_classified() {
    check_photo("astronaut.png");
}

#[test]
fn a_second_photo_and_its_variants_are_classified() {
    check_photo("chelsea.png");
}

#[test]
fn the_good_photo_passes_and_a_backlit_one_says_what_to_do() {
    let img = photo("astronaut.png");
    let frame = |i: &RgbaImage| {
        analyse_frame(Frame {
            width: i.width(),
            height: i.height(),
            rgba: i.as_raw(),
        })
    };
    let good = evaluate_lighting(&frame(&img), Language::En);
    assert_eq!(good.status, CheckStatus::Pass, "{good:?}");
    let (_, backlit, _) = variants(&img).swap_remove(3);
    let item = evaluate_lighting(&frame(&backlit), Language::Zh);
    assert_eq!(item.status, CheckStatus::Fail, "{item:?}");
    assert!(item.hint.contains("窗户"), "{}", item.hint);
    let item = evaluate_lighting(&frame(&backlit), Language::En);
    assert!(
        item.hint.contains("window behind you out of frame"),
        "{}",
        item.hint
    );
}
