//! No import circle between a crate's modules: module A naming module B (`crate::b::…` or
//! `super::b::…`) while B, directly or through others, names A. A module and its own
//! descendants may name each other (a parent declares and re-exports its children, a child
//! names its parent's items); anything else that goes round is a tangle a newcomer cannot read
//! in one direction.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Module path (`["studio", "session"]`) of each `.rs` file under `src`.
fn modules(src: &Path) -> BTreeMap<Vec<String>, PathBuf> {
    let mut out = BTreeMap::new();
    let mut stack = vec![src.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).expect("a source folder").flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            if path.extension().is_none_or(|e| e != "rs") {
                continue;
            }
            let rel = path.strip_prefix(src).expect("under src");
            let mut parts: Vec<String> = rel
                .with_extension("")
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect();
            if matches!(
                parts.last().map(String::as_str),
                Some("mod" | "lib" | "main")
            ) {
                parts.pop();
            }
            // A binary's own modules (src/bin/…) are a crate of their own: left out.
            if parts.first().is_some_and(|p| p == "bin") {
                continue;
            }
            out.insert(parts, path);
        }
    }
    out
}

/// The longest known module that `path` (a module path, maybe followed by item names) is in.
fn owner(known: &BTreeMap<Vec<String>, PathBuf>, path: &[String]) -> Option<Vec<String>> {
    (1..=path.len())
        .rev()
        .map(|n| path[..n].to_vec())
        .find(|p| known.contains_key(p))
}

/// Modules each module names through `crate::` and `super::` paths, outside test code.
fn references(
    known: &BTreeMap<Vec<String>, PathBuf>,
) -> BTreeMap<Vec<String>, BTreeSet<Vec<String>>> {
    let mut edges = BTreeMap::new();
    for (module, file) in known {
        let text = std::fs::read_to_string(file).expect("a readable source file");
        // Unit tests (`#[cfg(test)]` to the end of the file, by house style) may reach anywhere.
        let code: String = text
            .split("#[cfg(test)]")
            .next()
            .unwrap_or("")
            .lines()
            .filter(|l| !l.trim_start().starts_with("//"))
            .collect::<Vec<_>>()
            .join("\n");
        let code = code.as_str();
        let mut named = BTreeSet::new();
        for (start, _) in code
            .match_indices("crate::")
            .chain(code.match_indices("super::"))
        {
            let before = code[..start].chars().last();
            if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
                continue;
            }
            let tail = &code[start..];
            let segments: Vec<&str> = tail
                .split(|c: char| !(c.is_alphanumeric() || c == '_' || c == ':'))
                .next()
                .unwrap_or("")
                .split("::")
                .filter(|s| !s.is_empty())
                .collect();
            let mut path: Vec<String> = match segments.first() {
                Some(&"crate") => Vec::new(),
                Some(&"super") => {
                    // `super` of a file module is its parent; of `mod.rs`, the folder's parent.
                    let mut p = module.clone();
                    for s in segments.iter().take_while(|s| **s == "super") {
                        let _ = s;
                        p.pop();
                    }
                    p
                }
                _ => continue,
            };
            path.extend(
                segments
                    .iter()
                    .skip_while(|s| **s == "crate" || **s == "super")
                    .map(|s| (*s).to_owned()),
            );
            // `use crate::{a::X, b::Y}`: the braces' first segments.
            if tail[segments.join("::").len()..].starts_with("::{") || tail.starts_with("crate::{")
            {
                let inner = tail.split_once('{').map(|(_, r)| r).unwrap_or("");
                let inner = inner.split('}').next().unwrap_or("");
                for item in inner.split(',') {
                    let mut p = path.clone();
                    p.extend(item.trim().split("::").map(str::trim).map(str::to_owned));
                    if let Some(o) = owner(known, &p) {
                        named.insert(o);
                    }
                }
            }
            if let Some(o) = owner(known, &path) {
                named.insert(o);
            }
        }
        edges.insert(module.clone(), named);
    }
    edges
}

fn related(a: &[String], b: &[String]) -> bool {
    a.starts_with(b) || b.starts_with(a)
}

/// Circles among `src`'s modules, each as the modules it goes through.
pub fn import_circles(src: &Path) -> Vec<Vec<String>> {
    let known = modules(src);
    let edges = references(&known);
    let next = |m: &Vec<String>| -> Vec<Vec<String>> {
        edges
            .get(m)
            .into_iter()
            .flatten()
            .filter(|n| !related(m, n))
            .cloned()
            .collect()
    };
    let name = |m: &[String]| {
        if m.is_empty() {
            "crate".to_owned()
        } else {
            m.join("::")
        }
    };
    let mut circles = Vec::new();
    for start in known.keys() {
        // Depth-first from `start`, looking for a way back to it.
        let mut stack = vec![(start.clone(), vec![start.clone()])];
        let mut seen = BTreeSet::new();
        while let Some((at, trail)) = stack.pop() {
            for n in next(&at) {
                if &n == start {
                    let mut names: Vec<String> = trail.iter().map(|m| name(m)).collect();
                    names.push(name(start));
                    circles.push(names);
                } else if seen.insert(n.clone()) {
                    let mut t = trail.clone();
                    t.push(n.clone());
                    stack.push((n, t));
                }
            }
        }
    }
    // Each circle is found once from each of its modules: keep one.
    let mut unique: BTreeMap<BTreeSet<String>, Vec<String>> = BTreeMap::new();
    for c in circles {
        unique.entry(c.iter().cloned().collect()).or_insert(c);
    }
    unique.into_values().collect()
}
