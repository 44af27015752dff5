//! A kill at any moment never leaves a broken scenes or settings file: a child process saves
//! both as fast as it can and is killed with SIGKILL at random moments; after each kill both
//! files must still read back whole.

use kaibo_model::{AppSettings, Scene, SceneCollection, SourceKind};
use kaibo_runtime::ConfigStore;
use kaibo_testkit::TempDir;
use std::process::Command;
use std::time::Duration;

const CHILD: &str = "KAIBO_STORE_KILL_CHILD";

fn collection(n: usize) -> SceneCollection {
    SceneCollection {
        version: 1,
        canvas: Default::default(),
        scenes: (0..=n % 40)
            .map(|i| Scene::from_inputs(&format!("场景 {i} of {n}"), vec![SourceKind::Test]))
            .collect(),
    }
}

#[test]
fn killed_writers_leave_whole_files() {
    if let Ok(dir) = std::env::var(CHILD) {
        // The writer: save forever until killed.
        let store = ConfigStore::at(dir, false);
        for n in 0.. {
            store.save_scenes(&collection(n)).expect("save scenes");
            let settings = AppSettings {
                server_url: format!("rtmp://example.com/live/{n}"),
                ..Default::default()
            };
            store.save_settings(&settings).expect("save settings");
        }
        return;
    }
    let dir = TempDir::new();
    let store = ConfigStore::at(dir.path(), false);
    store.save_scenes(&collection(0)).expect("first save");
    let me = std::env::current_exe().expect("test binary");
    for round in 0..20u64 {
        let mut child = Command::new(&me)
            .args(["--exact", "killed_writers_leave_whole_files", "--nocapture"])
            .env(CHILD, dir.path())
            .spawn()
            .expect("writer starts");
        std::thread::sleep(Duration::from_millis(150 + (round * 37) % 200));
        child.kill().expect("SIGKILL");
        child.wait().expect("reaped");
        let scenes = store.load_scenes();
        assert!(
            matches!(scenes, Ok(Some(ref c)) if !c.scenes.is_empty()),
            "round {round}: scenes.toml after a kill: {scenes:?}"
        );
        let settings = store.load_settings();
        assert!(
            matches!(settings, Ok(Some(_)) | Ok(None)),
            "round {round}: settings.toml after a kill: {settings:?}"
        );
    }
}
