//! Scene collections: scenes made of sources with layout and audio settings.

use crate::layout::{DefaultLayout, Layout};
use serde::{Deserialize, Serialize};

/// The reference canvas that layouts are written against.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Canvas {
    pub width: u32,
    pub height: u32,
}

impl Default for Canvas {
    fn default() -> Self {
        Self {
            width: 1280,
            height: 720,
        }
    }
}

/// A versioned set of scenes (`version = 1`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SceneCollection {
    pub version: u32,
    #[serde(default)]
    pub canvas: Canvas,
    pub scenes: Vec<Scene>,
}

/// One scene: what the audience sees and hears at a time.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scene {
    pub name: String,
    #[serde(default)]
    pub sources: Vec<SceneSource>,
}

/// A source placed in a scene.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SceneSource {
    pub name: String,
    pub input: SourceKind,
    /// Omitted: the default arrangement ([`DefaultLayout`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub layout: Option<Layout>,
    #[serde(default)]
    pub audio: Audio,
}

/// Gain and mute of a source's sound.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Audio {
    pub gain_db: f64,
    pub muted: bool,
}

impl Default for Audio {
    fn default() -> Self {
        Self {
            gain_db: 0.0,
            muted: false,
        }
    }
}

impl SourceKind {
    /// Identifies one capture across scenes: the same camera in two scenes is opened once.
    pub fn key(&self) -> String {
        format!("{self:?}")
    }
}

/// Highest gain a source accepts, in dB.
pub const MAX_GAIN_DB: f64 = 24.0;
/// Lowest gain a source accepts, in dB (quieter: mute it).
pub const MIN_GAIN_DB: f64 = -60.0;

/// What a source captures or shows.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase", deny_unknown_fields)]
pub enum SourceKind {
    /// A moving test pattern with a tone.
    Test,
    /// A whole X display (`:0` when omitted: the `DISPLAY` of the session).
    Screen {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        display: Option<String>,
    },
    /// One window, by a substring of its title or by its X window id.
    Window {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        title: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        xid: Option<u64>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        display: Option<String>,
    },
    /// A camera (the first one when omitted).
    Camera {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        device: Option<String>,
    },
    /// A microphone (the default input when omitted).
    Mic {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        device: Option<String>,
    },
    /// A still image file.
    Image { path: String },
    /// A video or audio clip, looped.
    Media { path: String },
    /// A line of text (CJK included).
    Text {
        text: String,
        /// Pango font description, e.g. "Noto Sans CJK SC Bold 32".
        #[serde(default, skip_serializing_if = "Option::is_none")]
        font: Option<String>,
        /// `#RRGGBB` or `#RRGGBBAA`.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        color: Option<String>,
    },
}

impl SourceKind {
    /// True when the source has a picture.
    pub fn has_video(&self) -> bool {
        !matches!(self, SourceKind::Mic { .. })
    }

    /// True when the source has sound.
    pub fn has_audio(&self) -> bool {
        matches!(
            self,
            SourceKind::Test | SourceKind::Mic { .. } | SourceKind::Media { .. }
        )
    }

    /// The short kind name used in specs and files.
    pub fn kind_name(&self) -> &'static str {
        match self {
            SourceKind::Test => "test",
            SourceKind::Screen { .. } => "screen",
            SourceKind::Window { .. } => "window",
            SourceKind::Camera { .. } => "camera",
            SourceKind::Mic { .. } => "mic",
            SourceKind::Image { .. } => "image",
            SourceKind::Media { .. } => "media",
            SourceKind::Text { .. } => "text",
        }
    }
}

impl Scene {
    /// A scene of the given sources, named after their kinds, in default layout.
    pub fn from_inputs(name: &str, inputs: Vec<SourceKind>) -> Self {
        let sources = inputs
            .into_iter()
            .enumerate()
            .map(|(i, input)| SceneSource {
                name: format!("{} {}", input.kind_name(), i + 1),
                input,
                layout: None,
                audio: Audio::default(),
            })
            .collect();
        Self {
            name: name.to_owned(),
            sources,
        }
    }

    /// The layout of each source on `canvas`: its own, or the default arrangement.
    /// Sources without a picture get `None`.
    pub fn resolved_layouts(&self, canvas: Canvas) -> Vec<Option<Layout>> {
        let mut defaults = DefaultLayout::new(canvas.width, canvas.height);
        self.sources
            .iter()
            .map(|s| {
                if !s.input.has_video() {
                    return None;
                }
                let default = match s.input {
                    SourceKind::Text { .. } => defaults.next_text(),
                    _ => defaults.next_picture(),
                };
                Some(s.layout.unwrap_or(default))
            })
            .collect()
    }
}

impl SceneCollection {
    /// Finds a scene by name (exact, then case-insensitive).
    pub fn scene(&self, name: &str) -> Option<&Scene> {
        self.scenes.iter().find(|s| s.name == name).or_else(|| {
            self.scenes
                .iter()
                .find(|s| s.name.eq_ignore_ascii_case(name))
        })
    }
}

/// Parses `#RRGGBB` or `#RRGGBBAA` into 0xAARRGGBB.
pub fn parse_color(text: &str) -> Option<u32> {
    let hex = text.strip_prefix('#')?;
    if !hex.chars().all(|c| c.is_ascii_hexdigit()) {
        return None;
    }
    let v = u32::from_str_radix(hex, 16).ok()?;
    match hex.len() {
        6 => Some(0xFF00_0000 | v),
        8 => Some(v.rotate_right(8)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colors_parse_to_argb() {
        assert_eq!(parse_color("#ffffff"), Some(0xFFFF_FFFF));
        assert_eq!(parse_color("#11223380"), Some(0x8011_2233));
        assert_eq!(parse_color("red"), None);
        assert_eq!(parse_color("#12345"), None);
    }

    #[test]
    fn quick_scene_lays_out_pictures_and_text() {
        let scene = Scene::from_inputs(
            "Quick",
            vec![
                SourceKind::Screen { display: None },
                SourceKind::Mic { device: None },
                SourceKind::Test,
                SourceKind::Text {
                    text: "开播".into(),
                    font: None,
                    color: None,
                },
            ],
        );
        let l = scene.resolved_layouts(Canvas::default());
        assert_eq!(l[0], Some(Layout::fill(1280, 720)));
        assert_eq!(l[1], None);
        assert_eq!(l[2].map(|l| l.width), Some(384));
        assert_eq!(l[3].map(|l| l.y), Some(32));
        assert_eq!(scene.sources[3].name, "text 4");
    }
}
