//! Scene collection files: TOML, `version = 1`, checked as a whole.

use crate::scene::{MAX_GAIN_DB, MIN_GAIN_DB, SceneCollection, SourceKind, parse_color};
use crate::toml_check::{DataFileError, Path, Seg, parse_checked};
use std::collections::HashSet;

/// The only scene-file version this build reads.
pub const SCENE_FILE_VERSION: u32 = 1;

impl SceneCollection {
    /// Parses and validates a scene collection; `file` names it in errors.
    pub fn from_toml_str(text: &str, file: &str) -> Result<Self, DataFileError> {
        parse_checked(text, file, SceneCollection::problems)
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

    fn error(text: &str) -> DataFileError {
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
