//! The pre-stream checklist in the window, driven headless with egui_kittest against real
//! checks (`kaibo_runtime::run_check`): opened on demand it lists the real results as words;
//! a failing destination makes Go Live ask first, and the host's answer is obeyed.

use eframe::egui;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use kaibo_model::{
    AppSettings, CheckStatus, Language, Scene, SceneCollection, Secret, SourceKind, VideoSettings,
};
use kaibo_runtime::ConfigStore;
use kaibo_testkit::{TempDir, require_tool};
use kaibo_ui::KaiboApp;
use std::time::{Duration, Instant};

/// The whole checklist takes about 5 s; on a busy machine much more.
const CHECK_LIMIT_S: u64 = 120;

fn solid_png(dir: &std::path::Path) -> std::path::PathBuf {
    let path = dir.join("green.png");
    let status = std::process::Command::new(require_tool("convert", "imagemagick"))
        .args(["-size", "640x360", "xc:#00a000"])
        .arg(&path)
        .status()
        .expect("convert runs");
    assert!(status.success());
    path
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

/// A window with one scene (the test pattern and a still image), recording into `dir`.
fn window(dir: &TempDir, server_url: &str, key: Option<&str>) -> Harness<'static, KaiboApp> {
    let image = solid_png(dir.path());
    let store = ConfigStore::at(dir.path().join("config"), false);
    store
        .save_settings(&AppSettings {
            language: Some(Language::En),
            server_url: server_url.into(),
            recording_folder: Some(dir.path().to_path_buf()),
            // Small, so the encode test has headroom even on a busy test machine.
            video: VideoSettings {
                width: 854,
                height: 480,
                bitrate_kbps: 1200,
                ..Default::default()
            },
            ..Default::default()
        })
        .expect("save settings");
    if let Some(key) = key {
        store.save_stream_key(&Secret::new(key)).expect("save key");
    }
    store
        .save_scenes(&SceneCollection {
            version: 1,
            canvas: Default::default(),
            scenes: vec![Scene::from_inputs(
                "Bars",
                vec![
                    SourceKind::Test,
                    SourceKind::Image {
                        path: image.display().to_string(),
                    },
                ],
            )],
        })
        .expect("save scenes");
    let app = KaiboApp::new(store);
    Harness::builder()
        .with_size([1280.0, 800.0])
        .with_context_setup(|ctx| {
            kaibo_ui::install_cjk(ctx).expect("a CJK font (fonts-noto-cjk)");
        })
        .build_ui_state(|ui, app: &mut KaiboApp| app.show(ui), app)
}

fn word(s: CheckStatus) -> &'static str {
    match s {
        CheckStatus::Pass => "Pass",
        CheckStatus::Warn => "Warning",
        CheckStatus::Fail => "Fail",
    }
}

/// The window shows the item `id`, named `name`, with its reported status in words.
fn assert_row(h: &Harness<'_, KaiboApp>, id: &str, name: &str) -> CheckStatus {
    let report = h.state().check_report().expect("a report");
    let item = report
        .item(id)
        .unwrap_or_else(|| panic!("the report has no {id}: {report:?}"));
    let title = format!("{}  {name}", word(item.status));
    assert!(
        h.query_by_label(&title).is_some(),
        "the checklist shows \"{title}\""
    );
    if !item.hint.is_empty() {
        assert!(
            h.query_all_by_label(&item.hint).next().is_some(),
            "the hint of {id} is shown: {}",
            item.hint
        );
    }
    item.status
}

#[test]
fn the_checklist_opens_on_demand_and_lists_the_real_results() {
    let dir = TempDir::new();
    let mut h = window(&dir, "", None);
    step_until(&mut h, 30, "the preview", |a| a.preview_frames() > 0);

    h.get_by_role_and_label(egui::accesskit::Role::Button, "Checklist")
        .click();
    h.run_steps(2);
    assert!(h.state().check_running(), "opening the checklist runs it");
    // The window says it is checking (the run takes seconds: the traffic sample alone is 1 s).
    assert!(h.query_by_label_contains("Checking…").is_some());
    assert!(
        h.query_by_label_contains("The preview is paused").is_some(),
        "the preview lets go of the devices while they are tested"
    );
    step_until(&mut h, CHECK_LIMIT_S, "the checklist to finish", |a| {
        !a.check_running()
    });
    h.run_steps(2);

    let report = h.state().check_report().expect("a report").clone();
    // No destination in the settings: no network or destination items.
    assert!(
        report.item("destination").is_none() && report.item("network.uplink").is_none(),
        "{report:?}"
    );
    for (id, name) in [
        ("disk", "Disk space"),
        ("devices", "Devices"),
        ("compliance", "Wording (compliance)"),
    ] {
        let status = assert_row(&h, id, name);
        assert_ne!(status, CheckStatus::Fail, "{id}: {:?}", report.item(id));
    }
    // The encode test's verdict depends on the machine; it is shown whatever it is.
    assert_row(&h, "headroom", "Encoding headroom");
    let overall = word(report.overall);
    assert!(h.query_by_label(overall).is_some(), "overall {overall}");
    // Every reported item is listed.
    let rows: usize = ["Pass  ", "Warning  ", "Fail  "]
        .iter()
        .map(|w| h.query_all_by_label_contains(w).count())
        .sum();
    assert_eq!(rows, report.items.len(), "{report:?}");
    // The preview comes back once the devices are free.
    let before = h.state().preview_frames();
    step_until(&mut h, 30, "the preview to come back", |a| {
        a.preview_frames() > before
    });

    // Run again: a new run, then a new report.
    h.get_by_label("Run again").click();
    h.run_steps(2);
    assert!(h.state().check_running(), "Run again starts a check");
    step_until(&mut h, CHECK_LIMIT_S, "the second run", |a| {
        !a.check_running()
    });
    assert!(!h.state().wants_live(), "checking never goes live");
}

#[test]
fn a_failing_check_asks_before_going_live() {
    let dir = TempDir::new();
    // Nothing listens on port 1: the test publish is refused.
    let mut h = window(&dir, "rtmp://127.0.0.1:1/live", Some("kittest"));
    step_until(&mut h, 30, "the preview", |a| a.preview_frames() > 0);

    // The first Go Live of the session runs the checklist instead of going on air.
    h.get_by_label("Go Live").click();
    h.run_steps(2);
    assert!(
        h.state().check_running(),
        "Go Live runs the checklist first"
    );
    assert!(!h.state().wants_live());
    assert!(h.query_by_label("Checking before going live…").is_some());
    step_until(&mut h, CHECK_LIMIT_S, "the question", |a| {
        a.asking_to_go_live()
    });
    h.run_steps(2);
    assert_eq!(
        assert_row(&h, "destination", "Destination"),
        CheckStatus::Fail
    );
    assert!(
        h.query_by_label("Some checks failed. Go live anyway?")
            .is_some()
    );
    assert!(
        h.query_by_label_contains("Failed: Destination").is_some(),
        "the question names what failed"
    );
    assert!(!h.state().wants_live() && !h.state().is_live());

    // Cancel: stays off air.
    h.get_by_label("Cancel").click();
    h.run_steps(3);
    assert!(!h.state().asking_to_go_live());
    assert!(
        h.query_by_label("Some checks failed. Go live anyway?")
            .is_none()
    );
    assert!(!h.state().wants_live() && !h.state().is_live());

    // Go Live again: the report is recent, so it asks at once without checking again.
    h.get_by_label("Go Live").click();
    h.run_steps(2);
    assert!(!h.state().check_running(), "a recent report is not rerun");
    assert!(h.state().asking_to_go_live());
    assert!(!h.state().wants_live());

    // Go live anyway: the stream starts (and then fails against the closed port).
    h.get_by_label("Go live anyway").click();
    h.step();
    assert!(h.state().wants_live(), "the host chose to go live");
    assert!(!h.state().asking_to_go_live());
    assert!(
        !h.state().checklist_open(),
        "the checklist gives the preview back once the host chose"
    );
    step_until(&mut h, 30, "the stream to start", |a| a.is_live());
}

#[test]
fn the_show_script_typed_in_the_checklist_is_scanned_and_kept() {
    let dir = TempDir::new();
    let script = dir.path().join("script.txt");
    std::fs::write(&script, "欢迎来到直播间。\n这是全网最低价，国家级品质！\n").expect("write");
    let mut h = window(&dir, "", None);
    step_until(&mut h, 30, "the preview", |a| a.preview_frames() > 0);
    h.get_by_role_and_label(egui::accesskit::Role::Button, "Checklist")
        .click();
    h.run_steps(2);
    step_until(&mut h, CHECK_LIMIT_S, "the first run", |a| {
        !a.check_running()
    });
    h.run_steps(2);
    // Without a script the wording item has nothing to object to.
    assert_ne!(
        assert_row(&h, "compliance", "Wording (compliance)"),
        CheckStatus::Fail
    );

    h.get_by_role_and_label(egui::accesskit::Role::TextInput, "Show script")
        .click();
    h.run_steps(1);
    h.get_by_role_and_label(egui::accesskit::Role::TextInput, "Show script")
        .type_text(script.to_str().expect("utf-8"));
    h.key_press(egui::Key::Enter);
    h.run_steps(2);
    assert_eq!(
        h.state().settings().script.as_deref(),
        Some(script.as_path())
    );
    h.get_by_label("Run again").click();
    h.run_steps(2);
    step_until(&mut h, CHECK_LIMIT_S, "the run with the script", |a| {
        !a.check_running()
    });
    h.run_steps(2);
    let report = h.state().check_report().expect("a report").clone();
    let compliance = report.item("compliance").expect("a compliance item");
    assert_eq!(compliance.status, CheckStatus::Fail, "{compliance:?}");
    let text = format!("{} {}", compliance.value, compliance.details.join(" "));
    assert!(text.contains("最") && text.contains("2:"), "{compliance:?}");
    // Kept for the next start.
    let saved = ConfigStore::at(dir.path().join("config"), false)
        .load_settings()
        .expect("settings")
        .expect("saved");
    assert_eq!(saved.script.as_deref(), Some(script.as_path()));
}
