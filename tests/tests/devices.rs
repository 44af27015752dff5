//! `kaibo devices` lists the screens and windows of a real X display.

mod common;

use kaibo_testkit::Xvfb;

#[test]
fn devices_json_lists_screen_and_named_window() {
    let xvfb = Xvfb::start(1024, 768);
    let window = xvfb.spawn_window("Kaibo Deck", "640x480+10+10");
    // Modern applications title their windows in UTF-8 through _NET_WM_NAME.
    let set = std::process::Command::new("xprop")
        .args(["-display", &xvfb.display(), "-id", &window.xid.to_string()])
        .args([
            "-f",
            "_NET_WM_NAME",
            "8u",
            "-set",
            "_NET_WM_NAME",
            "Kaibo Deck 发布会",
        ])
        .status()
        .expect("xprop (x11-utils) runs");
    assert!(set.success());
    let out = common::kaibo()
        .args(["devices", "--json", "--display", &xvfb.display()])
        .output()
        .expect("kaibo runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let list: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    let screens = list["screens"].as_array().expect("screens");
    assert_eq!(screens.len(), 1, "{list}");
    assert_eq!(
        (screens[0]["width"].as_u64(), screens[0]["height"].as_u64()),
        (Some(1024), Some(768))
    );
    let windows = list["windows"].as_array().expect("windows");
    let found = windows
        .iter()
        .find(|w| w["title"] == "Kaibo Deck 发布会")
        .unwrap_or_else(|| panic!("{list}"));
    assert_eq!(found["xid"].as_u64(), Some(window.xid));
}

#[test]
fn devices_table_names_the_spec_to_use() {
    let xvfb = Xvfb::start(800, 600);
    let window = xvfb.spawn_window("Slides Window", "300x200+0+0");
    let out = common::kaibo()
        .args(["devices", "--display", &xvfb.display()])
        .output()
        .expect("kaibo runs");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains(&format!("window:0x{:x}  Slides Window", window.xid)),
        "{text}"
    );
    assert!(
        text.contains(&format!("screen:{}", xvfb.display())),
        "{text}"
    );
}

#[test]
fn devices_without_a_display_still_answer_with_a_note() {
    let out = common::kaibo()
        .args(["devices", "--json", "--display", ":999"])
        .output()
        .expect("kaibo runs");
    assert!(out.status.success());
    let list: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    let problems = list["problems"].as_array().expect("problems");
    assert!(
        problems
            .iter()
            .any(|p| p.as_str().unwrap_or("").contains(":999")),
        "{list}"
    );
}
