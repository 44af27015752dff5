//! Reading a scene collection from TOML text, with errors that name file, line and field.

use crate::scene::{MAX_GAIN_DB, MIN_GAIN_DB, SceneCollection, SourceKind, parse_color};
use std::collections::HashSet;
use std::fmt;

/// The only scene-file version this build reads.
pub const SCENE_FILE_VERSION: u32 = 1;

/// One problem in a scene file, located.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Issue {
    pub line: usize,
    pub column: usize,
    /// Dotted path of the field, e.g. `scenes[0].sources[1].layout.opacity`.
    pub field: String,
    pub message: String,
}

/// A scene file that was refused; nothing of it was applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SceneFileError {
    pub file: String,
    pub issues: Vec<Issue>,
}

impl fmt::Display for SceneFileError {
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

impl std::error::Error for SceneFileError {}

#[derive(Clone, Debug)]
enum Seg {
    Key(&'static str),
    Index(usize),
}

type Path = Vec<Seg>;

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

impl SceneCollection {
    /// Parses and validates a scene collection; `file` names it in errors.
    pub fn from_toml_str(text: &str, file: &str) -> Result<Self, SceneFileError> {
        let fail = |issues| SceneFileError {
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
        let collection: SceneCollection = match toml::from_str(text) {
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
        let problems = collection.problems();
        if problems.is_empty() {
            return Ok(collection);
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

    /// Serialises to TOML text that [`SceneCollection::from_toml_str`] reads back.
    pub fn to_toml_string(&self) -> String {
        toml::to_string_pretty(self).unwrap_or_default()
    }

    fn problems(&self) -> Vec<(Path, String)> {
        use Seg::{Index, Key};
        let mut out: Vec<(Path, String)> = Vec::new();
        if self.version != SCENE_FILE_VERSION {
            out.push((
                vec![Key("version")],
                format!(
                    "version {} is not supported; expected {SCENE_FILE_VERSION}",
                    self.version
                ),
            ));
        }
        for (key, value) in [("width", self.canvas.width), ("height", self.canvas.height)] {
            if !(16..=8192).contains(&value) {
                out.push((
                    vec![Key("canvas"), Key(key)],
                    format!("{value} is out of range; expected 16 to 8192 pixels"),
                ));
            }
        }
        if self.scenes.is_empty() {
            out.push((
                vec![Key("scenes")],
                "no scenes; add at least one [[scenes]] table".into(),
            ));
        }
        let mut scene_names = HashSet::new();
        for (si, scene) in self.scenes.iter().enumerate() {
            let at = |rest: &[Seg]| {
                let mut p = vec![Key("scenes"), Index(si)];
                p.extend_from_slice(rest);
                p
            };
            if scene.name.trim().is_empty() {
                out.push((at(&[Key("name")]), "a scene needs a name".into()));
            } else if !scene_names.insert(scene.name.as_str()) {
                out.push((
                    at(&[Key("name")]),
                    format!("another scene is already named \"{}\"", scene.name),
                ));
            }
            let mut source_names = HashSet::new();
            for (ri, source) in scene.sources.iter().enumerate() {
                let src = |rest: &[Seg]| {
                    let mut p = at(&[Key("sources"), Index(ri)]);
                    p.extend_from_slice(rest);
                    p
                };
                if source.name.trim().is_empty() {
                    out.push((src(&[Key("name")]), "a source needs a name".into()));
                } else if !source_names.insert(source.name.as_str()) {
                    out.push((
                        src(&[Key("name")]),
                        format!(
                            "another source in this scene is already named \"{}\"",
                            source.name
                        ),
                    ));
                }
                for (key, message) in input_problems(&source.input) {
                    out.push((src(&[Key("input"), Key(key)]), message));
                }
                if let Some(layout) = &source.layout {
                    if layout.width == 0 || layout.height == 0 {
                        out.push((
                            src(&[Key("layout"), Key("width")]),
                            "width and height must be at least 1 pixel".into(),
                        ));
                    }
                    if !(0.0..=1.0).contains(&layout.opacity) {
                        out.push((
                            src(&[Key("layout"), Key("opacity")]),
                            format!(
                                "{} is out of range; expected 0.0 (invisible) to 1.0 (opaque)",
                                layout.opacity
                            ),
                        ));
                    }
                }
                let gain = source.audio.gain_db;
                if !(MIN_GAIN_DB..=MAX_GAIN_DB).contains(&gain) {
                    out.push((
                        src(&[Key("audio"), Key("gain_db")]),
                        format!("{gain} dB is out of range; expected {MIN_GAIN_DB} to {MAX_GAIN_DB} dB (use muted = true for silence)"),
                    ));
                }
            }
        }
        out
    }
}

fn input_problems(input: &SourceKind) -> Vec<(&'static str, String)> {
    let mut out = Vec::new();
    match input {
        SourceKind::Window { title, xid, .. } => match (title, xid) {
            (None, None) => out.push((
                "title",
                "give the window's title (or part of it) or its xid".into(),
            )),
            (Some(_), Some(_)) => out.push(("xid", "give either title or xid, not both".into())),
            (Some(t), None) if t.trim().is_empty() => {
                out.push(("title", "the title must not be empty".into()))
            }
            _ => {}
        },
        SourceKind::Image { path } | SourceKind::Media { path } if path.trim().is_empty() => {
            out.push(("path", "the file path must not be empty".into()));
        }
        SourceKind::Text { text, color, .. } => {
            if text.trim().is_empty() {
                out.push(("text", "the text must not be empty".into()));
            }
            if let Some(c) = color
                && parse_color(c).is_none()
            {
                out.push((
                    "color",
                    format!("\"{c}\" is not a colour; expected #RRGGBB or #RRGGBBAA"),
                ));
            }
        }
        _ => {}
    }
    out
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

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r##"
version = 1

[[scenes]]
name = "Talk"

[[scenes.sources]]
name = "Desktop"
input = { kind = "screen", display = ":99" }

[[scenes.sources]]
name = "Pattern"
input = { kind = "test" }
layout = { x = 880, y = 480, width = 384, height = 216, z = 1, opacity = 0.9 }

[[scenes.sources]]
name = "Title"
input = { kind = "text", text = "欢迎 Welcome", color = "#ffcc00" }

[[scenes]]
name = "Break"
[[scenes.sources]]
name = "Card"
input = { kind = "image", path = "card.png" }
audio = { gain_db = -6.0 }
"##;

    #[test]
    fn good_file_parses_and_round_trips() {
        let c = SceneCollection::from_toml_str(GOOD, "good.toml").unwrap();
        assert_eq!(c.scenes.len(), 2);
        assert_eq!(c.scenes[0].sources[1].layout.map(|l| l.opacity), Some(0.9));
        let again = SceneCollection::from_toml_str(&c.to_toml_string(), "again.toml").unwrap();
        assert_eq!(again, c);
    }

    fn error(text: &str) -> SceneFileError {
        SceneCollection::from_toml_str(text, "bad.toml").unwrap_err()
    }

    #[test]
    fn out_of_range_opacity_names_line_and_field() {
        let text = GOOD.replace("opacity = 0.9", "opacity = 1.5");
        let e = error(&text);
        assert_eq!(e.issues.len(), 1, "{e}");
        assert_eq!(e.issues[0].field, "scenes[0].sources[1].layout.opacity");
        assert_eq!(e.issues[0].line, 14, "{e}");
        assert!(e.to_string().starts_with("bad.toml:14:"), "{e}");
        assert!(e.to_string().contains("expected 0.0"), "{e}");
    }

    #[test]
    fn unknown_field_names_line_and_field() {
        let text = GOOD.replace("z = 1,", "zz = 1,");
        let e = error(&text);
        assert_eq!(e.issues[0].line, 14, "{e}");
        assert_eq!(e.issues[0].field, "scenes[0].sources[1].layout.zz", "{e}");
        assert!(e.issues[0].message.contains("zz"), "{e}");
    }

    #[test]
    fn wrong_type_names_field() {
        let text = GOOD.replace("gain_db = -6.0", "gain_db = \"loud\"");
        let e = error(&text);
        assert_eq!(e.issues[0].line, 25, "{e}");
        assert!(e.issues[0].field.contains("gain_db"), "{e}");
    }

    #[test]
    fn unknown_kind_is_explained() {
        let e = error(&GOOD.replace("kind = \"test\"", "kind = \"webcam\""));
        assert_eq!(e.issues[0].line, 13, "{e}");
        assert!(e.issues[0].message.contains("webcam"), "{e}");
    }

    #[test]
    fn syntax_error_gives_line() {
        let e = error("version = 1\n[[scenes]\nname = 'x'\n");
        assert_eq!(e.issues[0].line, 2, "{e}");
        assert_eq!(e.issues[0].field, "(syntax)");
    }

    #[test]
    fn semantic_problems_are_all_reported() {
        let text = GOOD
            .replace("version = 1", "version = 2")
            .replace("name = \"Break\"", "name = \"Talk\"")
            .replace("#ffcc00", "yellow");
        let e = error(&text);
        let fields: Vec<_> = e.issues.iter().map(|i| i.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "version",
                "scenes[0].sources[2].input.color",
                "scenes[1].name"
            ],
            "{e}"
        );
        assert_eq!((e.issues[0].line, e.issues[0].column), (2, 1));
        assert_eq!(e.issues[1].line, 18);
        assert_eq!(e.issues[2].line, 21);
    }

    #[test]
    fn missing_version_and_empty_file_are_errors() {
        assert!(error("").to_string().contains("version"));
        let e = error("version = 1\nscenes = []\n");
        assert_eq!(e.issues[0].field, "scenes");
    }

    #[test]
    fn window_needs_title_or_xid() {
        let e = error(
            "version = 1\n[[scenes]]\nname='a'\n[[scenes.sources]]\nname='w'\ninput={kind='window'}\n",
        );
        assert_eq!(e.issues[0].field, "scenes[0].sources[0].input.title");
        assert_eq!(e.issues[0].line, 6);
    }
}
