//! The workspace's dependency graph, as `cargo metadata` resolves it for this platform.

use serde_json::Value;
use std::collections::{BTreeSet, HashMap};
use std::path::Path;
use std::process::Command;
use std::sync::OnceLock;

/// The workspace root: this crate (`tests/`) sits one level below it.
pub fn workspace_root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ sits in the workspace root")
}

fn cargo() -> String {
    std::env::var("CARGO").unwrap_or_else(|_| "cargo".into())
}

/// The platform cargo builds for here. The graph is resolved for it alone: for every platform
/// cargo would need crates (Android's, Windows') that no build here ever downloads.
fn host() -> String {
    let out = Command::new(cargo())
        .arg("-vV")
        .output()
        .expect("cargo -vV runs");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .find_map(|l| l.strip_prefix("host: "))
        .expect("cargo -vV names the host")
        .to_owned()
}

fn metadata() -> Value {
    let out = Command::new(cargo())
        .args(["metadata", "--format-version", "1", "--offline"])
        .args(["--filter-platform", &host()])
        .current_dir(workspace_root())
        .output()
        .expect("cargo metadata runs");
    assert!(
        out.status.success(),
        "cargo metadata failed (every crate of the build must be downloaded: `cargo fetch`): {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("cargo metadata prints JSON")
}

/// One workspace crate.
pub struct Member {
    pub name: String,
    id: String,
    /// Its normal dependencies as its manifest declares them (package names).
    declared: Vec<String>,
}

/// The workspace's dependency graph, resolved for this platform.
pub struct Graph {
    pub members: Vec<Member>,
    /// Package id → name, for every package in the graph.
    names: HashMap<String, String>,
    /// Package id → ids of its normal dependencies (not dev, not build) as resolved.
    normal: HashMap<String, Vec<String>>,
}

pub fn graph() -> &'static Graph {
    static GRAPH: OnceLock<Graph> = OnceLock::new();
    GRAPH.get_or_init(|| {
        let meta = metadata();
        let text = |v: &Value| v.as_str().expect("a string").to_owned();
        let ids: Vec<String> = meta["workspace_members"]
            .as_array()
            .expect("workspace_members")
            .iter()
            .map(text)
            .collect();
        let packages = meta["packages"].as_array().expect("packages");
        let names = packages
            .iter()
            .map(|p| (text(&p["id"]), text(&p["name"])))
            .collect();
        let members = packages
            .iter()
            .filter(|p| ids.contains(&text(&p["id"])))
            .map(|p| Member {
                name: text(&p["name"]),
                id: text(&p["id"]),
                declared: p["dependencies"]
                    .as_array()
                    .expect("dependencies")
                    .iter()
                    .filter(|d| d["kind"].is_null())
                    .map(|d| text(&d["name"]))
                    .collect(),
            })
            .collect();
        let normal = meta["resolve"]["nodes"]
            .as_array()
            .expect("resolve.nodes")
            .iter()
            .map(|node| {
                let deps = node["deps"].as_array().expect("deps").iter();
                let normal = deps
                    .filter(|d| {
                        let kinds = d["dep_kinds"].as_array().expect("dep_kinds");
                        kinds.iter().any(|k| k["kind"].is_null())
                    })
                    .map(|d| text(&d["pkg"]));
                (text(&node["id"]), normal.collect())
            })
            .collect();
        Graph {
            members,
            names,
            normal,
        }
    })
}

impl Graph {
    /// Names of every package `member` reaches through normal dependencies, however deep.
    pub fn reach(&self, member: &Member) -> BTreeSet<&str> {
        let mut seen = BTreeSet::new();
        let mut todo = vec![member.id.as_str()];
        while let Some(id) = todo.pop() {
            for dep in self.normal.get(id).into_iter().flatten() {
                if seen.insert(dep.as_str()) {
                    todo.push(dep);
                }
            }
        }
        seen.iter().map(|id| self.names[*id].as_str()).collect()
    }
}

/// (crate, declared normal dependencies) for every workspace crate.
pub fn workspace_deps() -> Vec<(String, Vec<String>)> {
    graph()
        .members
        .iter()
        .map(|m| (m.name.clone(), m.declared.clone()))
        .collect()
}
