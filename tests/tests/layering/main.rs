//! Layering is law (see ARCHITECTURE.md): reads the resolved dependency graph from `cargo
//! metadata` and the crates' sources, and fails when a crate names a crate its layer must not,
//! reaches one through others, pulls in what its layer must not carry, or re-exports a whole
//! crate of ours (which lets the crates above name it without this test seeing them do so).

mod graph;
mod modules;
mod reexports;

use graph::{graph, workspace_deps, workspace_root};
use modules::import_circles;
use reexports::{whole_crate_reexport, whole_crate_reexports};
use std::collections::BTreeSet;

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

/// Kaibo crates `krate` may reach at any depth: those it may name, and what they may reach.
fn allowed_reach(krate: &str) -> BTreeSet<&'static str> {
    let mut reach = BTreeSet::new();
    let mut todo = allowed_internal(krate).to_vec();
    while let Some(dep) = todo.pop() {
        if reach.insert(dep) {
            todo.extend(allowed_internal(dep));
        }
    }
    reach
}

/// Each crate's layer, bottom up as ARCHITECTURE.md draws them. A crate reaches only crates
/// of lower layers. Kept apart from the table above, so that an arrow added there in the
/// wrong direction (a cycle, the runtime naming the UI) still fails.
fn layer(krate: &str) -> u8 {
    match krate {
        "kaibo-model" => 0,
        "kaibo-overlay" | "kaibo-devices" | "kaibo-hub" | "kaibo-check" => 1,
        "kaibo-media" => 2,
        "kaibo-runtime" => 3,
        "kaibo-ui" => 4,
        "kaibo-app" => 5,
        // Beside the product: the test harnesses name none of ours, the tools sit on top.
        "kaibo-testkit" | "kaibo-ingest" => 0,
        "xtask" | "kaibo-tests" => 6,
        other => panic!("{other} has no layer; add it here and to ARCHITECTURE.md"),
    }
}

fn is_media_stack(dep: &str) -> bool {
    dep.starts_with("gstreamer")
        || dep == "glib"
        || dep == "nokhwa"
        || dep == "cpal"
        || dep == "x11rb"
}

/// Third-party crates `krate` must not pull in even through others, with the reason.
fn forbidden_reach(krate: &str, dep: &str) -> Option<&'static str> {
    let io = is_media_stack(dep)
        || dep == "eframe"
        || dep.starts_with("egui")
        || ["tokio", "reqwest", "rusqlite"].contains(&dep);
    match krate {
        "kaibo-model" if io => Some("the model is pure data"),
        "kaibo-check" if io => Some("the checklist's evaluators do no I/O"),
        _ => None,
    }
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
fn every_crate_reaches_only_lower_layers() {
    let graph = graph();
    let mut broken = Vec::new();
    for member in &graph.members {
        let krate = member.name.as_str();
        let allowed = allowed_reach(krate);
        for dep in graph.reach(member) {
            if !dep.starts_with("kaibo-") {
                continue;
            }
            if !allowed.contains(dep) {
                broken.push(format!("{krate} reaches {dep} (allowed: {allowed:?})"));
            }
            if layer(dep) >= layer(krate) {
                broken.push(format!("{krate} reaches {dep}, at or above its own layer"));
            }
        }
    }
    assert!(broken.is_empty(), "{}", broken.join("\n"));
}

#[test]
fn model_and_checklist_pull_in_no_io_stack() {
    let graph = graph();
    let mut broken = Vec::new();
    for member in &graph.members {
        for dep in graph.reach(member) {
            if let Some(why) = forbidden_reach(&member.name, dep) {
                broken.push(format!("{} reaches {dep}: {why}", member.name));
            }
        }
    }
    assert!(broken.is_empty(), "{}", broken.join("\n"));
}

#[test]
fn app_and_model_never_touch_media_or_devices() {
    for (krate, deps) in workspace_deps() {
        // kaibo-ui names no gstreamer crate here; it reaches them through the runtime only.
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
fn no_crate_reexports_a_whole_crate_of_ours() {
    let found = whole_crate_reexports(workspace_root());
    assert!(
        found.is_empty(),
        "a crate of ours is re-exported whole, so crates above can name it unseen by the \
         layering checks; re-export the items they need instead:\n{}",
        found.join("\n")
    );
}

#[test]
fn no_crate_has_an_import_circle_between_its_modules() {
    let mut found = Vec::new();
    let mut dirs: Vec<_> = std::fs::read_dir(workspace_root().join("crates"))
        .expect("the crates folder")
        .flatten()
        .map(|e| e.path().join("src"))
        .filter(|src| src.is_dir())
        .collect();
    dirs.sort();
    assert!(dirs.len() >= 10, "every crate's sources: {dirs:?}");
    for src in dirs {
        for circle in import_circles(&src) {
            found.push(format!("{}: {}", src.display(), circle.join(" → ")));
        }
    }
    assert!(
        found.is_empty(),
        "modules that import each other, directly or round others (move what both need into \
         a module of its own):\n{}",
        found.join("\n")
    );
}

#[test]
fn the_circle_finder_sees_a_circle_and_lets_a_parent_and_child_be() {
    let dir = std::env::temp_dir().join(format!("kaibo-circles-{}", std::process::id()));
    let write = |rel: &str, text: &str| {
        let path = dir.join(rel);
        std::fs::create_dir_all(path.parent().expect("a folder")).expect("a folder");
        std::fs::write(path, text).expect("written");
    };
    write("lib.rs", "mod a;\nmod b;\nmod c;\npub use a::A;\n");
    write("a.rs", "use crate::b::B;\npub struct A;\n");
    write("b.rs", "pub struct B(crate::c::C);\n");
    write("c/mod.rs", "mod inner;\nuse super::a::A;\npub struct C;\n");
    write(
        "c/inner.rs",
        "use super::C;\n// crate::a::A only in a comment\n",
    );
    let circles = import_circles(&dir);
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(
        circles,
        vec![vec!["a".to_owned(), "b".into(), "c".into(), "a".into()]]
    );
}

#[test]
fn the_table_catches_a_broken_direction() {
    // The checks above must be able to fail: the app naming the engine is refused.
    assert!(!allowed_internal("kaibo-app").contains(&"kaibo-media"));
    assert!(is_media_stack("gstreamer"));
    // The table itself points down: every crate it lets one name sits on a lower layer.
    for krate in graph().members.iter().map(|m| m.name.as_str()) {
        for dep in allowed_internal(krate) {
            assert!(
                layer(dep) < layer(krate),
                "the table lets {krate} name {dep}"
            );
        }
    }
    assert!(allowed_reach("kaibo-ui").contains("kaibo-media"));
    assert!(!allowed_reach("kaibo-media").contains("kaibo-devices"));
    assert!(forbidden_reach("kaibo-model", "tokio").is_some());
    assert!(forbidden_reach("kaibo-ui", "gstreamer").is_none());
}

#[test]
fn the_reexport_scan_tells_a_whole_crate_from_its_items() {
    for (line, whole) in [
        ("pub use kaibo_hub as hub;", true),
        ("    pub use kaibo_hub;", true),
        ("pub use kaibo_hub::*;", true),
        ("pub use kaibo_hub::{self, Store};", true),
        ("pub extern crate kaibo_hub;", true),
        ("pub use kaibo_hub::Store;", false),
        ("pub use kaibo_devices::list_all as list_devices;", false),
        ("pub(crate) use kaibo_hub as hub;", false),
        ("// pub use kaibo_hub as hub;", false),
        ("pub use serde_json as json;", false),
    ] {
        assert_eq!(whole_crate_reexport(line).is_some(), whole, "{line}");
    }
}
