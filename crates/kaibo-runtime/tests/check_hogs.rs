//! Bandwidth hogs: a download from a test host behind a real link (a network namespace, not
//! loopback) is named by the checklist while it runs.

use kaibo_model::checklist::ids;
use kaibo_model::{CheckStatus, Language};
use kaibo_runtime::{CheckRequest, platform_profiles, run_check};
use kaibo_testkit::{Nginx, ShapedLink, TempDir, require_tool, terminate_child};
use std::process::{Command, Stdio};
use std::time::Duration;

#[test]
fn a_running_download_is_named_as_a_bandwidth_hog() {
    let curl = require_tool("curl", "curl");
    require_tool("ss", "iproute2");
    let link = ShapedLink::new(20_000);
    link.shape_down(8_000);
    let nginx = Nginx::start_behind(&link);
    let url = nginx.file_url("big.bin", 64 * 1024 * 1024);
    let mut download = Command::new(curl)
        .args(["-s", "-o", "/dev/null", &url])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("curl runs");
    std::thread::sleep(Duration::from_millis(500));
    let dir = TempDir::new();
    let profile = platform_profiles()
        .expect("profiles")
        .get("wecom")
        .expect("wecom")
        .clone();
    let req = CheckRequest {
        lang: Language::En,
        destination: None,
        whip: None,
        video: profile.video(),
        audio_kbps: profile.audio_kbps,
        profile,
        download_url: None,
        hub: None,
        scene: None,
        script: None,
        overlay: Default::default(),
        lighting_image: None,
        audio_file: None,
        listen: Duration::from_secs(1),
        record_dir: dir.path().to_path_buf(),
        planned_s: 3600,
        word_list_dirs: Vec::new(),
    };
    let report = run_check(&req, |_| {});
    terminate_child(&mut download, Duration::from_secs(2));
    let hogs = report.item(ids::BANDWIDTH_HOGS).expect("hogs item");
    assert!(hogs.value.starts_with("curl (pid"), "{hogs:?}");
    assert_eq!(hogs.status, CheckStatus::Fail, "{hogs:?}");
    assert!(
        hogs.hint.contains("curl is using the network heavily"),
        "{hogs:?}"
    );
}
