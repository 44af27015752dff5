//! The studio's command handling, without a window and without GStreamer: a studio that runs
//! no session, a store in a temporary folder (no keyring: the stream key goes to the sealed
//! file).

use super::*;
use kaibo_model::{Language, Layout, SourceKind, VideoSettings};
use kaibo_testkit::TempDir;

fn studio(dir: &TempDir) -> Studio {
    let store = ConfigStore::at(dir.path().join("config"), false);
    store
        .save_settings(&AppSettings {
            language: Some(Language::En),
            ..Default::default()
        })
        .expect("settings saved");
    Studio::without_sessions(store)
}

fn saved_scenes(dir: &TempDir) -> SceneCollection {
    ConfigStore::at(dir.path().join("config"), false)
        .load_scenes()
        .expect("readable")
        .expect("saved")
}

fn names(s: &Studio) -> Vec<&str> {
    s.scenes().scenes.iter().map(|s| s.name.as_str()).collect()
}

fn last_notice(s: &Studio) -> &str {
    s.notices().last().map_or("", |n| n.text.as_str())
}

#[test]
fn scene_commands_edit_the_collection_and_save_it() {
    let dir = TempDir::new();
    let mut s = studio(&dir);
    assert_eq!(names(&s), ["Scene 1"]);
    s.apply(UiCommand::AddScene {
        base: "Scene".into(),
    });
    // A copy goes right after its scene, with the smallest free number.
    s.apply(UiCommand::DuplicateScene(0));
    assert_eq!(names(&s), ["Scene 1", "Scene 3", "Scene 2"]);
    s.apply(UiCommand::SwitchScene(2));
    assert_eq!(s.active_scene(), 2);
    // The scene on air moves with the list.
    s.apply(UiCommand::MoveScene { index: 2, by: -1 });
    assert_eq!(names(&s), ["Scene 1", "Scene 2", "Scene 3"]);
    assert_eq!(s.active_scene(), 1);
    s.apply(UiCommand::MoveScene { index: 0, by: -1 });
    assert_eq!(
        names(&s),
        ["Scene 1", "Scene 2", "Scene 3"],
        "no move off the top"
    );
    s.apply(UiCommand::RenameScene {
        index: 1,
        name: "  Slides  ".into(),
    });
    s.apply(UiCommand::RenameScene {
        index: 0,
        name: "   ".into(),
    });
    assert_eq!(names(&s), ["Scene 1", "Slides", "Scene 3"]);
    s.apply(UiCommand::DeleteScene(2));
    s.apply(UiCommand::DeleteScene(1));
    assert_eq!(s.active_scene(), 0, "the active scene stays in range");
    s.apply(UiCommand::DeleteScene(0));
    assert_eq!(names(&s), ["Scene 1"], "the last scene is never deleted");
    assert_eq!(
        saved_scenes(&dir),
        *s.scenes(),
        "every edit is saved at once"
    );
}

#[test]
fn source_commands_select_place_and_refuse_missing_files() {
    let dir = TempDir::new();
    let mut s = studio(&dir);
    s.apply(UiCommand::AddSource {
        name: "Pattern".into(),
        input: SourceKind::Test,
    });
    assert_eq!(s.selected_source(), Some(1), "a new source is selected");
    let missing = dir.path().join("nope.png").display().to_string();
    s.apply(UiCommand::AddSource {
        name: "Logo".into(),
        input: SourceKind::Image {
            path: missing.clone(),
        },
    });
    assert_eq!(s.scenes().scenes[0].sources.len(), 2, "not added");
    assert_eq!(last_notice(&s), format!("No such file: {missing}"));

    // A drag in progress moves the source without saving; letting go saves, sizes even.
    let layout = Layout {
        width: 641,
        height: 361,
        ..Layout::fill(1280, 720)
    };
    let before = saved_scenes(&dir).scenes[0].sources[1].layout;
    assert!(
        before.is_some(),
        "a new source gets its place made explicit"
    );
    s.apply(UiCommand::SetLayout {
        source: 1,
        layout,
        settled: false,
    });
    assert_eq!(saved_scenes(&dir).scenes[0].sources[1].layout, before);
    assert_eq!(
        s.scenes().scenes[0].sources[1].layout.map(|l| l.x),
        Some(layout.x),
        "the drag shows at once"
    );
    s.apply(UiCommand::SetLayout {
        source: 1,
        layout,
        settled: true,
    });
    let placed = saved_scenes(&dir).scenes[0].sources[1]
        .layout
        .expect("placed");
    assert_eq!((placed.width, placed.height), (640, 360));

    s.apply(UiCommand::ToggleSource(1));
    assert!(!s.scenes().scenes[0].sources[1].layout.expect("set").visible);
    s.apply(UiCommand::SwapSources(1, 0));
    assert_eq!(s.scenes().scenes[0].sources[0].name, "Pattern");
    assert_eq!(s.selected_source(), Some(0));
    s.apply(UiCommand::RemoveSource(0));
    assert_eq!(s.selected_source(), None);
    assert_eq!(saved_scenes(&dir).scenes[0].sources.len(), 1);
}

#[test]
fn the_mixer_keeps_one_device_in_step_across_scenes() {
    let dir = TempDir::new();
    let mut s = studio(&dir);
    let mic = SourceKind::Mic { device: None };
    s.apply(UiCommand::AddSource {
        name: "Mic".into(),
        input: mic.clone(),
    });
    s.apply(UiCommand::DuplicateScene(0));
    s.apply(UiCommand::SetAudio {
        input: mic.clone(),
        gain_db: -6.0,
        muted: true,
    });
    for scene in &saved_scenes(&dir).scenes {
        let source = scene.sources.iter().find(|x| x.input == mic).expect("mic");
        assert_eq!((source.audio.gain_db, source.audio.muted), (-6.0, true));
    }
}

#[test]
fn go_live_without_a_destination_opens_the_settings_and_stays_off_air() {
    let dir = TempDir::new();
    let mut s = studio(&dir);
    s.apply(UiCommand::SetLive(true));
    assert!(!s.wants_live());
    assert!(s.is_open(Window::Settings));
    assert!(
        last_notice(&s).starts_with("No destination yet"),
        "{}",
        last_notice(&s)
    );
    assert!(
        s.checklist().running_since.is_none(),
        "no check without a destination"
    );
}

#[test]
fn settings_are_validated_saved_and_the_key_kept_out_of_the_file() {
    let dir = TempDir::new();
    let mut s = studio(&dir);
    s.apply(UiCommand::Open(Window::Settings));
    let mut form = s.settings().clone();
    form.video = VideoSettings {
        width: 1281,
        ..form.video
    };
    s.apply(UiCommand::SaveSettings {
        settings: Box::new(form.clone()),
        key: None,
    });
    assert!(s.is_open(Window::Settings), "a bad form stays open");
    assert!(
        last_notice(&s).contains("not usable"),
        "{}",
        last_notice(&s)
    );

    form.video.width = 1920;
    form.video.height = 1080;
    form.server_url = "rtmp://127.0.0.1/live".into();
    s.apply(UiCommand::SaveSettings {
        settings: Box::new(form),
        key: Some(Secret::new("live_secret_key_42")),
    });
    assert!(!s.is_open(Window::Settings));
    assert!(s.has_stream_key());
    let store = ConfigStore::at(dir.path().join("config"), false);
    let saved = store.load_settings().expect("readable").expect("saved");
    assert_eq!(saved.video.width, 1920);
    let file = std::fs::read_to_string(dir.path().join("config/settings.toml")).expect("file");
    assert!(
        !file.contains("live_secret_key_42"),
        "the key is not in {file}"
    );
    assert_eq!(
        store.stream_key().expect("key").expect("saved").expose(),
        "live_secret_key_42"
    );
    assert!(s.destination().is_ok());
}

#[test]
fn the_script_and_windows_follow_their_commands() {
    let dir = TempDir::new();
    let mut s = studio(&dir);
    let script = dir.path().join("show.txt");
    s.apply(UiCommand::SetScript(script.display().to_string()));
    assert!(last_notice(&s).starts_with("No such file:"));
    assert_eq!(s.settings().script.as_ref(), Some(&script));
    // Saving the settings form keeps the script the checklist set.
    s.apply(UiCommand::SaveSettings {
        settings: Box::new(AppSettings {
            language: Some(Language::En),
            ..Default::default()
        }),
        key: None,
    });
    assert_eq!(s.settings().script.as_ref(), Some(&script));
    s.apply(UiCommand::SetScript("  ".into()));
    assert_eq!(s.settings().script, None);

    s.apply(UiCommand::StayOffAir);
    assert!(!s.checklist().go_live_after);
    s.apply(UiCommand::Close(Window::Checklist));
    assert!(!s.is_open(Window::Checklist));

    let before = s.notices().len();
    s.apply(UiCommand::DismissNotice(0));
    s.apply(UiCommand::DismissNotice(99));
    assert_eq!(s.notices().len(), before - 1);
}

#[test]
fn host_actions_wait_for_a_hub_and_go_nowhere_without_one() {
    let dir = TempDir::new();
    let mut s = studio(&dir);
    s.apply(UiCommand::Host(kaibo_runtime::HostAction::JoinQr));
    s.tick();
    assert!(s.interaction().is_none());
    assert!(s.hub_snapshot().is_none());
}
