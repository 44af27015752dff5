//! The real window: `kaibo` with no arguments under Xvfb (software OpenGL), in Chinese and in
//! English. It must open a window titled "Kaibo", draw the panels and the live preview, and
//! find a font for Chinese.

mod common;

use kaibo_testkit::{TempDir, Xvfb, require_tool, terminate_child, wait_until};
use std::process::{Command, Stdio};
use std::time::Duration;

const SCENES: &str = r#"version = 1
[[scenes]]
name = "讲解 Talk"
[[scenes.sources]]
name = "Bars"
input = { kind = "test" }
"#;

/// A running `kaibo` window.
struct Running {
    child: std::process::Child,
    stderr: std::path::PathBuf,
    /// The window's X id (decimal, as xdotool prints it).
    xid: String,
    _config: TempDir,
}

impl Running {
    fn stderr(&self) -> String {
        std::fs::read_to_string(&self.stderr).unwrap_or_default()
    }
}

/// Starts `kaibo` with `lang` and waits for its window.
fn start_window(x: &Xvfb, lang: &str) -> Running {
    let xdotool = require_tool("xdotool", "xdotool");
    let config = TempDir::new();
    std::fs::create_dir_all(config.path().join("kaibo")).expect("make the config folder");
    std::fs::write(config.path().join("kaibo/scenes.toml"), SCENES).expect("write scenes.toml");
    let stderr = config.path().join("stderr.txt");
    let child = Command::new(common::kaibo_bin())
        .env("DISPLAY", x.display())
        .env_remove("WAYLAND_DISPLAY")
        .env("XDG_CONFIG_HOME", config.path())
        .env("XDG_STATE_HOME", config.path())
        .env("LANG", lang)
        .env("LC_ALL", lang)
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&stderr).expect("create the stderr file"))
        .spawn()
        .expect("kaibo starts");
    let mut xid = String::new();
    wait_until(Duration::from_secs(30), "a window titled Kaibo", || {
        let found = Command::new(&xdotool)
            .env("DISPLAY", x.display())
            .args(["search", "--name", "^Kaibo$"])
            .output();
        match found {
            Ok(o) if o.status.success() && !o.stdout.is_empty() => {
                xid = String::from_utf8_lossy(&o.stdout).trim().to_string();
                true
            }
            _ => false,
        }
    });
    Running {
        child,
        stderr,
        xid,
        _config: config,
    }
}

/// Starts `kaibo` with `lang`, waits for its window, returns a screenshot (RGB) and stderr.
fn open_window(x: &Xvfb, lang: &str) -> (Vec<u8>, String) {
    let mut running = start_window(x, lang);
    // Let the preview session start and a few pictures arrive.
    std::thread::sleep(Duration::from_secs(6));
    let shot = x.screenshot_rgb();
    assert!(
        running.child.try_wait().expect("kaibo status").is_none(),
        "kaibo exited early: {}",
        running.stderr()
    );
    terminate_child(&mut running.child, Duration::from_secs(5));
    (shot, running.stderr())
}

/// `xwininfo` about `id`, with `args`.
fn xwininfo(x: &Xvfb, args: &[&str], id: &str) -> String {
    let tool = require_tool("xwininfo", "x11-utils");
    let out = Command::new(tool)
        .env("DISPLAY", x.display())
        .args(args)
        .args(["-id", id])
        .output()
        .expect("xwininfo runs");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The preview's child window: its id, width, height, x and y in the Kaibo window.
fn preview_child(x: &Xvfb, parent: &str) -> Option<(String, u32, u32, i32, i32)> {
    let tree = xwininfo(x, &["-children"], parent);
    tree.lines().find_map(|line| {
        // `     0x400000 (has no name): ()  744x418+278+180  +278+180`
        let line = line.trim();
        let id = line.split_whitespace().next()?.to_string();
        if !id.starts_with("0x") || !line.contains("(has no name)") {
            return None;
        }
        let geometry = line.split_whitespace().rev().nth(1)?;
        let (size, place) = geometry.split_once('+')?;
        let (w, h) = size.split_once('x')?;
        let (px, py) = place.split_once('+')?;
        Some((
            id,
            w.parse().ok()?,
            h.parse().ok()?,
            px.parse().ok()?,
            py.parse().ok()?,
        ))
    })
}

fn mapped(x: &Xvfb, id: &str) -> bool {
    xwininfo(x, &[], id).contains("Map State: IsViewable")
}

/// How many distinct colours (quantised) a screenshot holds.
fn colours(rgb: &[u8]) -> usize {
    let mut seen = std::collections::HashSet::new();
    for p in rgb.chunks_exact(3) {
        seen.insert((p[0] >> 4, p[1] >> 4, p[2] >> 4));
    }
    seen.len()
}

/// Pixels that are (nearly) pure yellow, as the test pattern's first bars are.
fn yellow_pixels(rgb: &[u8]) -> usize {
    rgb.chunks_exact(3)
        .filter(|p| p[0] > 180 && p[1] > 180 && p[2] < 40)
        .count()
}

/// Whether a `w`×`h` picture shows the test pattern's bars in their order: a bar's width
/// right of yellow comes cyan (the pattern scrolls sideways, so the bars are found, not
/// expected at a place). With red and blue swapped, cyan would come before yellow.
fn bars_in_order(rgb: &[u8], w: u32, h: u32) -> bool {
    let at = |x: u32| {
        // Low in the top bars: below the Settings window, which opens over the preview.
        let i = ((h * 11 / 20 * w) + x % w) as usize * 3;
        (rgb[i], rgb[i + 1], rgb[i + 2])
    };
    let yellow = |(r, g, b): (u8, u8, u8)| r > 180 && g > 180 && b < 40;
    let cyan = |(r, g, b): (u8, u8, u8)| r < 40 && g > 180 && b > 180;
    (0..w).any(|x| yellow(at(x)) && cyan(at(x + w / 7)))
}

#[test]
fn the_window_renders_in_chinese_and_english_with_the_preview() {
    let x = Xvfb::start(1280, 800);
    let (zh, zh_err) = open_window(&x, "zh_CN.UTF-8");
    let (en, en_err) = open_window(&x, "en_US.UTF-8");
    for (name, shot, err) in [("zh", &zh, &zh_err), ("en", &en, &en_err)] {
        assert_eq!(shot.len(), 1280 * 800 * 3, "{name}: screenshot size");
        assert!(
            colours(shot) > 20,
            "{name}: the window looks blank ({} colours); stderr: {err}",
            colours(shot)
        );
        assert!(
            yellow_pixels(shot) > 500,
            "{name}: no test-pattern bars in the preview; stderr: {err}"
        );
        assert!(
            !err.contains("no Chinese font"),
            "{name}: the CJK font was not found: {err}"
        );
    }
    // The two languages draw different text in the same layout: compare the scene and
    // source panels (left), which hold no moving picture.
    let left = |rgb: &[u8]| -> Vec<u8> {
        rgb.chunks_exact(1280 * 3)
            .take(300)
            .flat_map(|row| row[..240 * 3].to_vec())
            .collect()
    };
    let differing = left(&zh)
        .chunks_exact(3)
        .zip(left(&en).chunks_exact(3))
        .filter(|(a, b)| a != b)
        .count();
    assert!(
        differing > 2000,
        "Chinese and English look the same ({differing} pixels differ)"
    );
}

/// On X11 the preview has a child window of its own, exactly the size the engine scales the
/// picture to, so egui need not redraw the window for each picture; it steps aside while an
/// egui window (Settings) lies over the preview, and comes back when that closes.
#[test]
fn the_preview_has_its_own_window_that_steps_aside_for_settings() {
    let x = Xvfb::start(1280, 800);
    let mut running = start_window(&x, "en_US.UTF-8");
    let xdotool = require_tool("xdotool", "xdotool");
    let click = |at: (i32, i32)| {
        let ok = Command::new(&xdotool)
            .env("DISPLAY", x.display())
            .args([
                "mousemove",
                &at.0.to_string(),
                &at.1.to_string(),
                "click",
                "1",
            ])
            .status()
            .expect("xdotool");
        assert!(ok.success());
    };
    let mut child = None;
    wait_until(
        Duration::from_secs(20),
        "the preview's own window, shown",
        || {
            // The geometry is read again once the window is seen mapped: it is placed before
            // it is mapped, and the first read may predate both.
            child = preview_child(&x, &running.xid)
                .filter(|c| mapped(&x, &c.0))
                .and_then(|_| preview_child(&x, &running.xid));
            child.is_some()
        },
    );
    let (id, w, h, px, py) = child.expect("a child window");
    // The picture keeps the canvas's 16:9 shape and fills the preview area's width.
    assert!(
        (w as f64 / h as f64 - 16.0 / 9.0).abs() < 0.02 && w > 640,
        "the preview window is {w}x{h}"
    );
    // The preview area of a screenshot.
    let inside = || -> Vec<u8> {
        x.screenshot_rgb()
            .chunks_exact(1280 * 3)
            .skip(py as usize)
            .take(h as usize)
            .flat_map(|row| row[px as usize * 3..(px as usize + w as usize) * 3].to_vec())
            .collect()
    };
    std::thread::sleep(Duration::from_secs(1));
    assert!(
        bars_in_order(&inside(), w, h),
        "no test-pattern bars (yellow, then cyan) in the preview's window"
    );
    // Settings (top right) opens a window over the preview: the child window steps aside.
    click((1240, 12));
    wait_until(
        Duration::from_secs(5),
        "the preview window hidden under Settings",
        || !mapped(&x, &id),
    );
    // Meanwhile OpenGL draws the same pictures, which come in the child window's byte order
    // (BGRx): the yellow bars stay yellow beside the Settings window.
    std::thread::sleep(Duration::from_secs(1));
    assert!(
        bars_in_order(&inside(), w, h),
        "no test-pattern bars (yellow, then cyan) drawn by OpenGL under Settings"
    );
    // Closing Settings brings it back.
    click((1240, 12));
    wait_until(Duration::from_secs(5), "the preview window back", || {
        mapped(&x, &id)
    });
    assert!(
        running.child.try_wait().expect("kaibo status").is_none(),
        "kaibo exited early: {}",
        running.stderr()
    );
    terminate_child(&mut running.child, Duration::from_secs(5));
}
