//! The real window: `kaibo` with no arguments under Xvfb (software OpenGL), in Chinese and in
//! English. It must open a window titled "Kaibo", draw the panels and the live preview, and
//! find a font for Chinese.

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

/// Starts `kaibo` with `lang`, waits for its window, returns a screenshot (RGB) and stderr.
fn open_window(x: &Xvfb, lang: &str) -> (Vec<u8>, String) {
    let xdotool = require_tool("xdotool", "xdotool");
    let config = TempDir::new();
    std::fs::create_dir_all(config.path().join("kaibo")).expect("make the config folder");
    std::fs::write(config.path().join("kaibo/scenes.toml"), SCENES).expect("write scenes.toml");
    let stderr = config.path().join("stderr.txt");
    let mut child = Command::new(env!("CARGO_BIN_EXE_kaibo"))
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
    wait_until(Duration::from_secs(30), "a window titled Kaibo", || {
        Command::new(&xdotool)
            .env("DISPLAY", x.display())
            .args(["search", "--name", "^Kaibo$"])
            .output()
            .is_ok_and(|o| o.status.success() && !o.stdout.is_empty())
    });
    // Let the preview session start and a few pictures arrive.
    std::thread::sleep(Duration::from_secs(6));
    let shot = x.screenshot_rgb();
    assert!(
        child.try_wait().expect("kaibo status").is_none(),
        "kaibo exited early: {}",
        std::fs::read_to_string(&stderr).unwrap_or_default()
    );
    terminate_child(&mut child, Duration::from_secs(5));
    (shot, std::fs::read_to_string(&stderr).unwrap_or_default())
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
