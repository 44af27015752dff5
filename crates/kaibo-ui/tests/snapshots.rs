//! Snapshots of the main panels, rendered through wgpu (lavapipe on a machine without a GPU)
//! from one blessed harness: fixed size, the system CJK font, a fixed scene collection, no
//! session (so no moving picture or timer). Bless new images with `UPDATE_SNAPSHOTS=1`.

use eframe::egui;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use kaibo_model::{AppSettings, Language, Layout, Scene, SceneCollection, SceneSource, SourceKind};
use kaibo_runtime::ConfigStore;
use kaibo_testkit::TempDir;
use kaibo_ui::KaiboApp;

fn source(name: &str, input: SourceKind, layout: Option<Layout>) -> SceneSource {
    SceneSource {
        name: name.into(),
        input,
        layout,
        audio: Default::default(),
    }
}

/// The one harness every snapshot uses.
fn blessed(lang: Language) -> (Harness<'static, KaiboApp>, TempDir) {
    let dir = TempDir::new();
    let store = ConfigStore::at(dir.path(), false);
    store
        .save_settings(&AppSettings {
            language: Some(lang),
            server_url: "rtmp://push.example.com/live".into(),
            ..Default::default()
        })
        .expect("save settings");
    store
        .save_scenes(&SceneCollection {
            version: 1,
            canvas: Default::default(),
            scenes: vec![
                Scene {
                    name: "讲解 PPT".into(),
                    sources: vec![
                        source(
                            "PowerPoint",
                            SourceKind::Window {
                                title: Some("PowerPoint".into()),
                                xid: None,
                                display: None,
                            },
                            None,
                        ),
                        source("Camera", SourceKind::Camera { device: None }, None),
                        source("Mic", SourceKind::Mic { device: None }, None),
                        source(
                            "Title",
                            SourceKind::Text {
                                text: "欢迎 Welcome".into(),
                                font: None,
                                color: None,
                            },
                            None,
                        ),
                    ],
                },
                Scene {
                    name: "Q&A 问答".into(),
                    sources: vec![source(
                        "Camera",
                        SourceKind::Camera { device: None },
                        Some(Layout::fill(1280, 720)),
                    )],
                },
            ],
        })
        .expect("save scenes");
    let app = KaiboApp::without_sessions(store);
    let harness = Harness::builder()
        .with_size([1280.0, 800.0])
        .with_context_setup(|ctx| {
            kaibo_ui::install_cjk(ctx).expect("a CJK font (fonts-noto-cjk)");
        })
        .wgpu()
        .build_ui_state(|ui, app: &mut KaiboApp| app.show(ui), app);
    (harness, dir)
}

#[test]
fn main_window_and_settings_in_english() {
    let (mut h, _dir) = blessed(Language::En);
    h.run_steps(3);
    // Selecting a source shows its properties.
    h.get_by_label("Title · text").click();
    h.run_steps(2);
    h.snapshot("main_en");
    h.get_by_role_and_label(egui::accesskit::Role::Button, "Settings")
        .click();
    h.run_steps(3);
    h.snapshot("settings_en");
}

#[test]
fn main_window_and_settings_in_chinese() {
    let (mut h, _dir) = blessed(Language::Zh);
    h.run_steps(3);
    h.snapshot("main_zh");
    h.get_by_role_and_label(egui::accesskit::Role::Button, "设置")
        .click();
    h.run_steps(3);
    h.snapshot("settings_zh");
}
