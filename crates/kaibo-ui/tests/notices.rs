//! Where notices appear: at the foot of the right-hand column, clear of the preview (a notice
//! over the preview would take the pictures off their child window in a real window).

use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use kaibo_model::{AppSettings, Language};
use kaibo_runtime::ConfigStore;
use kaibo_testkit::TempDir;
use kaibo_ui::KaiboApp;

#[test]
fn a_broken_scenes_file_is_reported_beside_the_preview_not_over_it() {
    let dir = TempDir::new();
    let store = ConfigStore::at(dir.path(), false);
    store
        .save_settings(&AppSettings {
            language: Some(Language::En),
            ..Default::default()
        })
        .expect("save settings");
    std::fs::write(dir.path().join("scenes.toml"), "scenes = [ {name = ")
        .expect("write a broken scenes file");
    let app = KaiboApp::without_sessions(store);
    assert!(
        app.notices().iter().any(|n| n.text.contains("scenes.toml")),
        "no notice names the broken file: {:?}",
        app.notices().iter().map(|n| &n.text).collect::<Vec<_>>()
    );
    let mut h = Harness::builder()
        .with_size([1280.0, 800.0])
        .with_context_setup(|ctx| {
            kaibo_ui::install_cjk(ctx).expect("a CJK font (fonts-noto-cjk)");
        })
        .build_ui_state(|ui, app: &mut KaiboApp| app.show(ui), app);
    h.run_steps(3);
    let notice = h.get_by_label_contains("scenes.toml").rect();
    let column = h.get_by_label("Stats").rect();
    let preview = h.get_by_label("Starting the preview…").rect();
    assert!(
        notice.left() >= column.left() - 1.0 && notice.right() <= 1280.0,
        "the notice {notice:?} is not in the right-hand column (its heading: {column:?})"
    );
    assert!(
        notice.bottom() > 400.0,
        "the notice {notice:?} is not at the column's foot"
    );
    assert!(
        notice.left() > preview.right(),
        "the notice {notice:?} lies over the preview area (its label: {preview:?})"
    );
}
