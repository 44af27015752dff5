//! End to end in a real browser: headless Chromium (system package) driven by Playwright
//! (`playwright-core` from npm, in `tests/browser/`) runs `tests/browser/viewer.mjs` against a
//! real hub: join, ask (one hostile, one held), host approves and pins, like, vote, rate, enter
//! the draw, winners — all seen live on the page, and no viewer text ever runs as script.
//! Missing Chromium or npm packages fail with how to install them; this test never skips.

mod common;
use common::start;
use std::path::Path;
use std::process::Command;

fn require_components(dir: &Path) {
    assert!(
        Path::new("/usr/bin/chromium").exists(),
        "Chromium is missing: install it with `apt-get install chromium` (or `cargo xtask install test`)"
    );
    let node = Command::new("node").arg("--version").output();
    assert!(
        node.is_ok_and(|o| o.status.success()),
        "Node.js is missing: install it with `apt-get install nodejs npm` (or `cargo xtask install test`)"
    );
    assert!(
        dir.join("node_modules/playwright-core/package.json")
            .exists(),
        "playwright-core is missing: run `npm ci` in {} (`cargo xtask test` does it)",
        dir.display()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_viewer_takes_part_in_a_real_browser_and_sees_the_host_live() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/browser");
    require_components(&dir);
    let t = start().await;
    let shot = t.dir.path().join("viewer.png");
    let mut cmd = Command::new("node");
    cmd.arg("viewer.mjs")
        .current_dir(&dir)
        .env("HUB_URL", &t.base)
        .env("HOST_TOKEN", t.host())
        .env("SCREENSHOT", &shot);
    let out = tokio::task::spawn_blocking(move || cmd.output())
        .await
        .expect("join")
        .expect("node runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "browser flow failed:\n{stdout}\n{stderr}"
    );
    assert!(stdout.contains("viewer flow ok"), "{stdout}");
    assert!(shot.exists(), "the screenshot was taken");
    // What the page did is in the database.
    let (_, r) = t.get("/api/v1/host/report", &t.host()).await;
    assert_eq!(r["views"], 2, "{r}");
    assert_eq!(r["questions"], 3, "{r}");
    assert_eq!(r["likes"], 1, "{r}");
    assert_eq!(r["votes"], 1, "{r}");
    assert_eq!(r["ratings"], 1, "{r}");
    assert_eq!(r["lottery_entries"], 1, "{r}");
    assert_eq!(r["draws"], 1, "{r}");
    if let Ok(keep) = std::env::var("KAIBO_KEEP_SCREENSHOT") {
        std::fs::copy(&shot, keep).expect("copy screenshot");
    }
}
