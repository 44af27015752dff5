//! Reading checked data files (scene collections, platform profiles) from TOML text, with
//! errors that name file, line, column and field.

use std::fmt;

/// One problem in a scene file, located.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Issue {
    pub line: usize,
    pub column: usize,
    /// Dotted path of the field, e.g. `scenes[0].sources[1].layout.opacity`.
    pub field: String,
    pub message: String,
}

/// A data file that was refused; nothing of it was applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DataFileError {
    pub file: String,
    pub issues: Vec<Issue>,
}

impl fmt::Display for DataFileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, issue) in self.issues.iter().enumerate() {
            if i > 0 {
                f.write_str("\n")?;
            }
            write!(
                f,
                "{}:{}:{}: {}: {}",
                self.file, issue.line, issue.column, issue.field, issue.message
            )?;
        }
        Ok(())
    }
}

impl std::error::Error for DataFileError {}

#[derive(Clone, Debug)]
pub(crate) enum Seg {
    Key(&'static str),
    Index(usize),
}

pub(crate) type Path = Vec<Seg>;

fn path_text(path: &[Seg]) -> String {
    let mut out = String::new();
    for seg in path {
        match seg {
            Seg::Key(k) => {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(k);
            }
            Seg::Index(i) => out.push_str(&format!("[{i}]")),
        }
    }
    if out.is_empty() { "(file)".into() } else { out }
}

/// Parses TOML text into `T`, then runs `problems` over it; every problem is located (line,
/// column, dotted field) in the text. Nothing is returned unless the whole file is right.
pub(crate) fn parse_checked<T: serde::de::DeserializeOwned>(
    text: &str,
    file: &str,
    problems: impl FnOnce(&T) -> Vec<(Path, String)>,
) -> Result<T, DataFileError> {
    let fail = |issues| DataFileError {
        file: file.to_owned(),
        issues,
    };
    let doc = match toml_edit::Document::parse(text) {
        Ok(doc) => doc,
        Err(e) => {
            let offset = e.span().map(|s| s.start).unwrap_or(0);
            let (line, column) = line_col(text, offset);
            let message = first_line(e.message());
            return Err(fail(vec![Issue {
                line,
                column,
                field: "(syntax)".into(),
                message: format!("not valid TOML: {message}"),
            }]));
        }
    };
    let value: T = match toml::from_str(text) {
        Ok(c) => c,
        Err(e) => {
            let offset = e.span().map(|s| s.start).unwrap_or(0);
            let (line, column) = line_col(text, offset);
            let field = field_at(doc.as_item(), offset).unwrap_or_else(|| "(file)".into());
            return Err(fail(vec![Issue {
                line,
                column,
                field,
                message: explain_serde(e.message()),
            }]));
        }
    };
    let problems = problems(&value);
    if problems.is_empty() {
        return Ok(value);
    }
    Err(fail(
        problems
            .into_iter()
            .map(|(path, message)| {
                let offset = span_of(doc.as_item(), &path).unwrap_or(0);
                let (line, column) = line_col(text, offset);
                Issue {
                    line,
                    column,
                    field: path_text(&path),
                    message,
                }
            })
            .collect(),
    ))
}

fn first_line(s: &str) -> String {
    s.lines().next().unwrap_or("").trim().to_owned()
}

fn explain_serde(message: &str) -> String {
    let m = first_line(message);
    if m.starts_with("unknown variant") {
        format!("{m} (the source kind)")
    } else {
        m
    }
}

/// 1-based line and column of a byte offset.
fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(text.len());
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let column = before.rfind('\n').map_or(offset, |nl| offset - nl - 1) + 1;
    (line, column)
}

fn child<'a>(item: &'a toml_edit::Item, seg: &Seg) -> Option<&'a toml_edit::Item> {
    match seg {
        Seg::Key(k) => item.get(*k),
        Seg::Index(i) => item.get(*i),
    }
}

/// The start of the deepest part of `path` present in the document (its key where it has one).
fn span_of(root: &toml_edit::Item, path: &[Seg]) -> Option<usize> {
    let mut item = root;
    let mut best = None;
    for seg in path {
        let key_start = match (seg, item.as_table_like()) {
            (Seg::Key(k), Some(table)) => table
                .get_key_value(k)
                .and_then(|(key, _)| key.span())
                .map(|s| s.start),
            _ => None,
        };
        let Some(next) = child(item, seg) else { break };
        item = next;
        best = key_start.or_else(|| item.span().map(|s| s.start)).or(best);
    }
    best
}

/// The dotted path of the innermost item whose span holds `offset`.
fn field_at(root: &toml_edit::Item, offset: usize) -> Option<String> {
    fn walk(item: &toml_edit::Item, offset: usize, path: &mut String) {
        if let Some(table) = item.as_table_like() {
            for (key, value) in table.iter() {
                let key_span = table.get_key_value(key).and_then(|(k, _)| k.span());
                let holds =
                    |s: Option<std::ops::Range<usize>>| s.is_some_and(|s| s.contains(&offset));
                if holds(key_span) || holds(value.span()) || contains_deep(value, offset) {
                    if !path.is_empty() {
                        path.push('.');
                    }
                    path.push_str(key);
                    walk(value, offset, path);
                    return;
                }
            }
        } else if let Some(array) = item.as_array_of_tables() {
            for (i, table) in array.iter().enumerate() {
                if table.span().is_some_and(|s| s.contains(&offset))
                    || contains_deep_table(table, offset)
                {
                    path.push_str(&format!("[{i}]"));
                    walk_table(table, offset, path);
                    return;
                }
            }
        }
    }
    fn walk_table(table: &toml_edit::Table, offset: usize, path: &mut String) {
        let item = toml_edit::Item::Table(table.clone());
        walk(&item, offset, path);
    }
    fn contains_deep(item: &toml_edit::Item, offset: usize) -> bool {
        if item.span().is_some_and(|s| s.contains(&offset)) {
            return true;
        }
        if let Some(t) = item.as_table_like() {
            return t.iter().any(|(_, v)| contains_deep(v, offset));
        }
        if let Some(a) = item.as_array_of_tables() {
            return a.iter().any(|t| contains_deep_table(t, offset));
        }
        false
    }
    fn contains_deep_table(table: &toml_edit::Table, offset: usize) -> bool {
        table.span().is_some_and(|s| s.contains(&offset))
            || table.iter().any(|(_, v)| contains_deep(v, offset))
    }
    let mut path = String::new();
    walk(root, offset, &mut path);
    (!path.is_empty()).then_some(path)
}
