//! The desktop app's settings: what a host chose once and expects to find again.
//!
//! The stream key is not here: it lives in the OS keyring (or an encrypted file), never in a
//! plain settings file.

use crate::session::VideoSettings;
use serde::{Deserialize, Serialize};
use std::path::PathBuf;

/// The languages of the interface.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Language {
    /// Simplified Chinese.
    Zh,
    En,
}

impl Language {
    /// The language a POSIX locale value (`LC_ALL`, `LC_MESSAGES`, `LANG`) asks for:
    /// Chinese for `zh*`, English otherwise.
    pub fn from_locale(value: &str) -> Self {
        if value.to_ascii_lowercase().starts_with("zh") {
            Language::Zh
        } else {
            Language::En
        }
    }
}

/// How scene switches look by default.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TransitionKind {
    Cut,
    Fade,
}

/// Everything the app's settings panel holds (`settings.toml`, `version = 1`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AppSettings {
    pub version: u32,
    /// None: follow the system locale.
    pub language: Option<Language>,
    /// The push server without the key, e.g. `rtmp://push.example.com/live`.
    pub server_url: String,
    /// Platform profile id (`kaibo profiles`), for defaults and the probe's thresholds.
    pub profile: Option<String>,
    pub video: VideoSettings,
    /// Where recordings go; None: the XDG videos folder.
    pub recording_folder: Option<PathBuf>,
    pub transition: TransitionKind,
    pub fade_ms: u32,
    /// The show script (UTF-8 text) the checklist scans for prohibited and regulated terms.
    pub script: Option<PathBuf>,
}

impl Default for AppSettings {
    fn default() -> Self {
        Self {
            version: 1,
            language: None,
            server_url: String::new(),
            profile: None,
            video: VideoSettings::default(),
            recording_folder: None,
            transition: TransitionKind::Fade,
            fade_ms: crate::Transition::DEFAULT_FADE_MS,
            script: None,
        }
    }
}

impl AppSettings {
    /// The transition a switch uses.
    pub fn transition(&self) -> crate::Transition {
        match self.transition {
            TransitionKind::Cut => crate::Transition::Cut,
            TransitionKind::Fade => crate::Transition::Fade { ms: self.fade_ms },
        }
    }

    /// Reads `settings.toml`; `file` names it in errors.
    pub fn from_toml_str(text: &str, file: &str) -> Result<Self, crate::DataFileError> {
        use crate::toml_check::Seg::Key;
        crate::toml_check::parse_checked(text, file, |s: &AppSettings| {
            let mut out = Vec::new();
            if s.version != 1 {
                out.push((
                    vec![Key("version")],
                    format!("version {} is not supported; expected 1", s.version),
                ));
            }
            if let Err(e) = s.video.validate() {
                out.push((vec![Key("video")], e));
            }
            if s.fade_ms > 5000 {
                out.push((
                    vec![Key("fade_ms")],
                    format!("{} ms is too long; use 0 to 5000", s.fade_ms),
                ));
            }
            out
        })
    }

    /// Writes `settings.toml`.
    pub fn to_toml_string(&self) -> String {
        toml::to_string_pretty(self).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locale_picks_the_language() {
        assert_eq!(Language::from_locale("zh_CN.UTF-8"), Language::Zh);
        assert_eq!(Language::from_locale("en_US.UTF-8"), Language::En);
        assert_eq!(Language::from_locale("C"), Language::En);
    }

    #[test]
    fn settings_round_trip_and_bad_values_point_at_the_field() {
        let s = AppSettings {
            language: Some(Language::Zh),
            server_url: "rtmp://example.com/live".into(),
            ..Default::default()
        };
        let text = s.to_toml_string();
        assert_eq!(
            AppSettings::from_toml_str(&text, "settings.toml").unwrap(),
            s
        );
        let bad = text.replace("fade_ms = 300", "fade_ms = 99999");
        let err = AppSettings::from_toml_str(&bad, "settings.toml")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("settings.toml:") && err.contains("fade_ms"),
            "{err}"
        );
    }
}
