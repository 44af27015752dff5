//! Layering is law: reads `cargo metadata` and fails when a crate depends on what its layer
//! must not (see ARCHITECTURE.md).

use serde_json::Value;
use std::process::Command;

fn metadata() -> Value {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let out = Command::new(cargo)
        .args([
            "metadata",
            "--format-version",
            "1",
            "--no-deps",
            "--offline",
        ])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("cargo metadata runs");
    assert!(
        out.status.success(),
        "cargo metadata failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("cargo metadata prints JSON")
}

/// (crate, normal dependencies) for every workspace package.
fn workspace_deps() -> Vec<(String, Vec<String>)> {
    let meta = metadata();
    meta["packages"]
        .as_array()
        .expect("packages")
        .iter()
        .map(|p| {
            let deps = p["dependencies"]
                .as_array()
                .expect("dependencies")
                .iter()
                .filter(|d| d["kind"].is_null())
                .map(|d| d["name"].as_str().expect("name").to_owned())
                .collect();
            (p["name"].as_str().expect("name").to_owned(), deps)
        })
        .collect()
}

/// Kaibo crates each crate may depend on; anything else of ours is a broken layer.
fn allowed_internal(krate: &str) -> &'static [&'static str] {
    match krate {
        "kaibo-model" | "kaibo-testkit" | "kaibo-ingest" => &[],
        "kaibo-media" => &["kaibo-model", "kaibo-overlay"],
        "kaibo-devices" | "kaibo-overlay" | "kaibo-hub" | "kaibo-check" => &["kaibo-model"],
        "kaibo-runtime" => &[
            "kaibo-model",
            "kaibo-media",
            "kaibo-devices",
            "kaibo-check",
            "kaibo-hub",
        ],
        "kaibo-ui" => &["kaibo-model", "kaibo-runtime"],
        "kaibo-app" => &["kaibo-model", "kaibo-runtime", "kaibo-ui", "kaibo-hub"],
        "xtask" => &["kaibo-testkit"],
        // The end-to-end tests run the built binary; their crates are dev-dependencies only.
        "kaibo-tests" => &[],
        other => panic!("{other} is not in the layering table; add it here and to ARCHITECTURE.md"),
    }
}

fn is_media_stack(dep: &str) -> bool {
    dep.starts_with("gstreamer")
        || dep == "glib"
        || dep == "nokhwa"
        || dep == "cpal"
        || dep == "x11rb"
}

#[test]
fn every_crate_depends_only_on_lower_layers() {
    for (krate, deps) in workspace_deps() {
        let allowed = allowed_internal(&krate);
        for dep in deps.iter().filter(|d| d.starts_with("kaibo-")) {
            assert!(
                allowed.contains(&dep.as_str()),
                "{krate} must not depend on {dep} (allowed: {allowed:?})"
            );
        }
    }
}

#[test]
fn app_and_model_never_touch_media_or_devices() {
    for (krate, deps) in workspace_deps() {
        if ["kaibo-app", "kaibo-ui", "kaibo-model", "kaibo-check"].contains(&krate.as_str()) {
            for dep in &deps {
                // The window draws its preview into a child window of its own through x11rb
                // (`native_preview.rs`): windowing, not capture; it lists no screen or window.
                if krate == "kaibo-ui" && dep == "x11rb" {
                    continue;
                }
                assert!(
                    !is_media_stack(dep),
                    "{krate} depends on {dep}; only kaibo-media/kaibo-devices may"
                );
            }
        }
    }
}

#[test]
fn model_is_pure_data() {
    let (_, deps) = workspace_deps()
        .into_iter()
        .find(|(k, _)| k == "kaibo-model")
        .expect("kaibo-model exists");
    for dep in deps {
        assert!(
            ["serde", "thiserror", "toml", "toml_edit"].contains(&dep.as_str()),
            "kaibo-model depends on {dep}: the model is pure data (no I/O, GStreamer, UI or network)"
        );
    }
}

#[test]
fn the_table_catches_a_broken_direction() {
    // The checks above must be able to fail: the app naming the engine is refused.
    assert!(!allowed_internal("kaibo-app").contains(&"kaibo-media"));
    assert!(is_media_stack("gstreamer"));
}
