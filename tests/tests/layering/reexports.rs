//! Whole-crate re-exports (`pub use kaibo_hub as hub;`): through one, a crate above names a
//! crate of ours that no manifest of its lists, unseen by the dependency checks.

use std::path::{Path, PathBuf};

/// The crate of ours a line re-exports whole, if it does: `pub use kaibo_hub as hub;`,
/// `pub use kaibo_hub;`, `pub use kaibo_hub::*;`, `pub use kaibo_hub::{self, …};` or
/// `pub extern crate kaibo_hub;`.
/// Re-exporting single items is fine, and so is `pub(crate)`: it stays inside the crate.
pub fn whole_crate_reexport(line: &str) -> Option<&str> {
    let line = line.trim_start();
    let rest = ["pub use ", "pub extern crate "]
        .iter()
        .find_map(|p| line.strip_prefix(p))?
        .trim_start()
        .trim_start_matches("::");
    let end = rest
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(rest.len());
    let (krate, tail) = rest.split_at(end);
    let tail = tail.trim_start();
    let whole = [";", "as ", "::*", "::{self"]
        .iter()
        .any(|t| tail.starts_with(t));
    (krate.starts_with("kaibo_") && whole).then_some(krate)
}

/// Every `.rs` file under `dir`, recursively, in a stable order.
fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut paths: Vec<PathBuf> = entries.map_while(Result::ok).map(|e| e.path()).collect();
    paths.sort();
    for path in paths {
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// `file:line: text` of every whole-crate re-export in `crates/*/src` under `root`.
pub fn whole_crate_reexports(root: &Path) -> Vec<String> {
    let mut files = Vec::new();
    let crates = std::fs::read_dir(root.join("crates")).expect("crates/ lists");
    for krate in crates.map_while(Result::ok) {
        rust_files(&krate.path().join("src"), &mut files);
    }
    files.sort();
    let mut found = Vec::new();
    for file in files {
        let text = std::fs::read_to_string(&file).expect("a readable source file");
        for (n, line) in text.lines().enumerate() {
            if let Some(krate) = whole_crate_reexport(line) {
                let at = file.strip_prefix(root).unwrap_or(&file).display();
                found.push(format!(
                    "{at}:{}: {} (re-exports {krate})",
                    n + 1,
                    line.trim()
                ));
            }
        }
    }
    found
}
