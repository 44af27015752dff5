//! The window driven headless with egui_kittest against real sessions: add a scene, rename
//! it, add a source, open the settings, Go Live to nginx-rtmp, switch scenes while live,
//! Stop; the stream nginx recorded shows the switches. (The first Go Live runs the checklist,
//! whose test publish nginx records too.)

use eframe::egui;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use kaibo_model::{
    AppSettings, Language, Scene, SceneCollection, Secret, SessionState, SourceKind,
};
use kaibo_runtime::ConfigStore;
use kaibo_testkit::{Nginx, TempDir, require_tool, tiny_frames};
use kaibo_ui::KaiboApp;
use std::time::{Duration, Instant};

fn solid_png(dir: &std::path::Path, color: &str) -> String {
    let path = dir.join("blue.png");
    let status = std::process::Command::new(require_tool("convert", "imagemagick"))
        .args(["-size", "1280x720", &format!("xc:{color}")])
        .arg(&path)
        .status()
        .expect("convert runs");
    assert!(status.success());
    path.display().to_string()
}

/// Steps the harness in real time until `done` holds.
fn step_until(
    h: &mut Harness<'_, KaiboApp>,
    secs: u64,
    what: &str,
    done: impl Fn(&KaiboApp) -> bool,
) {
    let deadline = Instant::now() + Duration::from_secs(secs);
    while !done(h.state()) {
        assert!(
            Instant::now() < deadline,
            "timed out after {secs} s waiting for {what}; notices: {:?}",
            h.state()
                .notices()
                .iter()
                .map(|n| &n.text)
                .collect::<Vec<_>>()
        );
        h.step();
        std::thread::sleep(Duration::from_millis(30));
    }
}

fn run_for(h: &mut Harness<'_, KaiboApp>, secs: f64) {
    let until = Instant::now() + Duration::from_secs_f64(secs);
    while Instant::now() < until {
        h.step();
        std::thread::sleep(Duration::from_millis(30));
    }
}

fn is_blue(rgb: &[u8]) -> bool {
    rgb[2] > 180 && rgb[0] < 60 && rgb[1] < 60
}

#[test]
fn a_host_builds_a_scene_goes_live_switches_and_stops() {
    let nginx = Nginx::start();
    let dir = TempDir::new();
    let blue = solid_png(dir.path(), "#0000ff");
    let store = ConfigStore::at(dir.path().join("config"), false);
    let url = nginx.url("live", "kittest");
    let (server, key) = url.rsplit_once('/').unwrap();
    store
        .save_settings(&AppSettings {
            language: Some(Language::En),
            server_url: server.into(),
            transition: kaibo_model::TransitionKind::Cut,
            recording_folder: Some(dir.path().to_path_buf()),
            ..Default::default()
        })
        .expect("save settings");
    store.save_stream_key(&Secret::new(key)).unwrap();
    store
        .save_scenes(&SceneCollection {
            version: 1,
            canvas: Default::default(),
            scenes: vec![Scene::from_inputs("Bars", vec![SourceKind::Test])],
        })
        .unwrap();

    let app = KaiboApp::new(store.clone());
    let mut h = Harness::builder()
        .with_size([1280.0, 800.0])
        .with_context_setup(|ctx| {
            kaibo_ui::install_cjk(ctx).expect("a CJK font (fonts-noto-cjk)");
        })
        .build_ui_state(|ui, app: &mut KaiboApp| app.show(ui), app);
    step_until(&mut h, 20, "the preview", |a| a.preview_frames() > 3);

    // Add a scene, rename it "Blue".
    h.get_by_label("＋ Add scene").click();
    h.run_steps(2);
    assert_eq!(h.state().scenes().scenes.len(), 2);
    let added = h.state().scenes().scenes[1].name.clone();
    assert_eq!(added, "Scene 1");
    h.get_by_label(&format!("2  {added}")).click();
    h.run_steps(2);
    assert_eq!(h.state().active_scene(), 1);
    h.get_by_label("Rename").click();
    h.run_steps(2);
    for _ in 0..added.len() {
        h.key_press(egui::Key::Backspace);
    }
    h.get_by_role(egui::accesskit::Role::TextInput)
        .type_text("Blue");
    h.key_press(egui::Key::Enter);
    h.run_steps(2);
    assert_eq!(h.state().scenes().scenes[1].name, "Blue");

    // Add an image source to it through the menu.
    h.get_by_label("＋ Add source").click();
    h.run_steps(3);
    h.get_by_role_and_label(egui::accesskit::Role::TextInput, "Image or clip file")
        .click();
    h.run_steps(1);
    h.get_by_role_and_label(egui::accesskit::Role::TextInput, "Image or clip file")
        .type_text(&blue);
    h.run_steps(2);
    h.get_by_label("Add image").click();
    h.run_steps(2);
    assert_eq!(
        h.state().scenes().scenes[1].sources.len(),
        1,
        "notices: {:?}",
        h.state()
            .notices()
            .iter()
            .map(|n| &n.text)
            .collect::<Vec<_>>()
    );
    // The settings open and show the destination.
    h.get_by_role_and_label(egui::accesskit::Role::Button, "Settings")
        .click();
    h.run_steps(2);
    assert!(h.query_by_label("Server URL").is_some());
    h.get_by_role_and_label(egui::accesskit::Role::Button, "Settings")
        .click();
    h.run_steps(2);
    assert!(h.query_by_label("Server URL").is_none());
    // Let the rebuilt preview with the new scene settle.
    step_until(&mut h, 20, "the preview of the new scenes", |a| {
        a.state() == SessionState::Live
    });

    // Go Live on "Blue": the first time, the checklist runs first (a test publish to nginx);
    // if an item failed on this machine (say the encode test on a busy CPU), go anyway.
    // The preview session runs a while first, so that it has counted more pictures than the
    // live session will have sent when its first ones must show (below).
    run_for(&mut h, 6.0);
    h.get_by_label("Go Live").click();
    h.run_steps(2);
    assert!(
        h.state().check_running(),
        "the first Go Live runs the checklist"
    );
    step_until(&mut h, 120, "the checklist", |a| !a.check_running());
    h.run_steps(2);
    if h.state().asking_to_go_live() {
        h.get_by_label("Go live anyway").click();
        h.run_steps(2);
    }
    assert!(
        !h.state().checklist_open(),
        "the checklist window closes when the stream starts"
    );
    // Switch to "Bars" (hotkey 1) and back.
    step_until(&mut h, 20, "the stream to go live", |a| {
        a.is_live() && a.state() == SessionState::Live
    });
    // The live session's pictures reach the preview at once. (Each session counts its
    // pictures from 1; the window kept the preview session's count and showed nothing new
    // until the live session had sent as many.)
    let before = h.state().preview_frames();
    step_until(
        &mut h,
        5,
        "the live session's pictures in the preview",
        |a| a.preview_frames() >= before + 10,
    );
    run_for(&mut h, 3.0);
    h.key_press(egui::Key::Num1);
    run_for(&mut h, 3.0);
    assert_eq!(h.state().active_scene(), 0);
    h.get_by_label("2  Blue").click();
    run_for(&mut h, 2.0);
    // Record joins the live stream, then the stream stops while the recording goes on.
    h.get_by_label("● Record").click();
    run_for(&mut h, 3.0);
    h.get_by_label("Stop streaming").click();
    step_until(&mut h, 20, "the stream to stop", |a| !a.is_live());
    run_for(&mut h, 3.0);
    h.get_by_label("● Record").click();
    run_for(&mut h, 2.0);
    assert!(
        h.state()
            .notices()
            .iter()
            .all(|n| n.level != kaibo_ui::Level::Error),
        "no error: {:?}",
        h.state()
            .notices()
            .iter()
            .map(|n| &n.text)
            .collect::<Vec<_>>()
    );
    drop(h);

    // The checklist's test publish, then one stream: recording on and off never restarted it.
    let rec = nginx.recordings();
    assert_eq!(
        rec.len(),
        2,
        "nginx saw the test publish and one stream: {rec:?}"
    );
    let file = rec.last().expect("nginx recorded the stream");
    let times = kaibo_testkit::flv_video_timestamps_ms(file);
    let gaps: Vec<(u32, u32)> = times
        .windows(2)
        .filter(|w| w[1] - w[0] >= 50)
        .map(|w| (w[0], w[1] - w[0]))
        .collect();
    assert!(
        gaps.is_empty(),
        "gaps (at ms, length ms) in the stream: {gaps:?} of {} ms",
        times.last().unwrap_or(&0)
    );
    // The local recording holds about 5 s (joined mid-stream, outlived it).
    let mkv: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "mkv"))
        .collect();
    assert_eq!(mkv.len(), 1, "one recording: {mkv:?}");
    let secs = kaibo_testkit::decoded_duration_s(&mkv[0].display().to_string());
    assert!(
        (3.0..7.0).contains(&secs),
        "the recording lasts {secs:.1} s"
    );
    // The stream shows blue, then the bars, then blue again.
    let frames = tiny_frames(&file.display().to_string(), 8, 4);
    let centre = |f: &Vec<u8>| f[(2 * 8 + 4) * 3..(2 * 8 + 4) * 3 + 3].to_vec();
    let runs: Vec<bool> =
        frames
            .iter()
            .map(|f| is_blue(&centre(f)))
            .fold(Vec::new(), |mut runs, b| {
                if runs.last() != Some(&b) {
                    runs.push(b);
                }
                runs
            });
    assert_eq!(
        runs,
        vec![true, false, true],
        "scene runs in the recording (blue?): {runs:?}"
    );
    // The edits were saved as they happened.
    let saved = store.load_scenes().unwrap().unwrap();
    assert_eq!(saved.scenes[1].name, "Blue");
}
