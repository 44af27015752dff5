//! Destination profiles: what each platform's ingest expects (data from `assets/platforms.toml`).

use crate::session::VideoSettings;
use crate::toml_check::{DataFileError, Path, Seg, parse_checked};
use serde::{Deserialize, Serialize};
use std::collections::HashSet;

/// The only profile-file version this build reads.
pub const PROFILE_FILE_VERSION: u32 = 1;

/// How a platform takes the stream.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum IngestProtocol {
    Rtmp,
    Rtmps,
    Whip,
}

/// Where a profile's figures come from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FigureSource {
    /// The product brief.
    Brief,
    /// The platform's published encoder guidance.
    Platform,
    /// Kaibo's own conservative default.
    Kaibo,
}

/// One platform's ingest profile.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlatformProfile {
    pub id: String,
    pub name: String,
    pub name_zh: String,
    pub protocol: IngestProtocol,
    /// The push URL's shape, with placeholders.
    pub url_form: String,
    /// Where the host finds the push URL and key.
    pub key_hint: String,
    pub width: u32,
    pub height: u32,
    pub fps: u32,
    pub video_kbps: u32,
    pub max_video_kbps: u32,
    pub keyframe_interval_s: u32,
    pub audio_kbps: u32,
    pub audio_rate: u32,
    /// The minimum uplink the platform asks for (the probe judges against it).
    pub uplink_kbps: u32,
    /// The minimum downlink the platform asks for.
    pub downlink_kbps: u32,
    pub source: FigureSource,
}

impl PlatformProfile {
    /// The video settings this profile recommends.
    pub fn video(&self) -> VideoSettings {
        VideoSettings {
            width: self.width,
            height: self.height,
            fps: self.fps,
            bitrate_kbps: self.video_kbps,
            keyframe_interval_s: self.keyframe_interval_s,
            ..VideoSettings::default()
        }
    }
}

/// Every known platform.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlatformProfiles {
    pub version: u32,
    pub platforms: Vec<PlatformProfile>,
}

impl PlatformProfiles {
    /// Parses and checks a profile file; `file` names it in errors.
    pub fn from_toml_str(text: &str, file: &str) -> Result<Self, DataFileError> {
        parse_checked(text, file, PlatformProfiles::problems)
    }

    /// A profile by id (case-insensitive).
    pub fn get(&self, id: &str) -> Option<&PlatformProfile> {
        self.platforms
            .iter()
            .find(|p| p.id.eq_ignore_ascii_case(id))
    }

    /// The ids, for messages.
    pub fn ids(&self) -> Vec<&str> {
        self.platforms.iter().map(|p| p.id.as_str()).collect()
    }

    fn problems(&self) -> Vec<(Path, String)> {
        use Seg::{Index, Key};
        let mut out = Vec::new();
        if self.version != PROFILE_FILE_VERSION {
            out.push((
                vec![Key("version")],
                format!(
                    "version {} is not supported; expected {PROFILE_FILE_VERSION}",
                    self.version
                ),
            ));
        }
        let mut ids = HashSet::new();
        for (i, p) in self.platforms.iter().enumerate() {
            let at = |k: &'static str| vec![Key("platforms"), Index(i), Key(k)];
            let id_ok = !p.id.is_empty()
                && p.id
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
            if !id_ok {
                out.push((
                    at("id"),
                    format!(
                        "\"{}\" is not an id; use lowercase letters, digits and '-'",
                        p.id
                    ),
                ));
            } else if !ids.insert(p.id.as_str()) {
                out.push((
                    at("id"),
                    format!("another platform already has the id \"{}\"", p.id),
                ));
            }
            for (key, text) in [
                ("name", &p.name),
                ("name_zh", &p.name_zh),
                ("url_form", &p.url_form),
                ("key_hint", &p.key_hint),
            ] {
                if text.trim().is_empty() {
                    out.push((at(key), "must not be empty".into()));
                }
            }
            let scheme_ok = match p.protocol {
                IngestProtocol::Rtmp => p.url_form.starts_with("rtmp://"),
                IngestProtocol::Rtmps => p.url_form.starts_with("rtmps://"),
                IngestProtocol::Whip => p.url_form.starts_with("whip+"),
            };
            if !scheme_ok {
                out.push((
                    at("url_form"),
                    format!("does not start with the {:?} scheme", p.protocol).to_lowercase(),
                ));
            }
            if let Err(why) = p.video().validate() {
                out.push((at("video_kbps"), why));
            }
            if p.max_video_kbps < p.video_kbps {
                out.push((
                    at("max_video_kbps"),
                    format!("{} is below video_kbps {}", p.max_video_kbps, p.video_kbps),
                ));
            }
            if !(1..=10).contains(&p.keyframe_interval_s) {
                out.push((at("keyframe_interval_s"), "expected 1 to 10 seconds".into()));
            }
            if !(32..=512).contains(&p.audio_kbps) {
                out.push((at("audio_kbps"), "expected 32 to 512 kbps".into()));
            }
            if ![44_100, 48_000].contains(&p.audio_rate) {
                out.push((at("audio_rate"), "expected 44100 or 48000".into()));
            }
            // The platform's minimum link; the bitrate actually used is fitted to the measured
            // uplink by the probe, so these need not carry video_kbps.
            for (key, kbps) in [
                ("uplink_kbps", p.uplink_kbps),
                ("downlink_kbps", p.downlink_kbps),
            ] {
                if !(250..=100_000).contains(&kbps) {
                    out.push((
                        at(key),
                        format!("{kbps} kbps is out of range; expected 250 to 100000"),
                    ));
                }
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ONE: &str = r#"version = 1
[[platforms]]
id = "wecom"
name = "WeCom group live"
name_zh = "企业微信群直播"
protocol = "rtmp"
url_form = "rtmp://HOST/live/KEY"
key_hint = "Copy the push URL."
width = 1280
height = 720
fps = 30
video_kbps = 2500
max_video_kbps = 4000
keyframe_interval_s = 2
audio_kbps = 128
audio_rate = 48000
uplink_kbps = 2000
downlink_kbps = 4000
source = "brief"
"#;

    #[test]
    fn a_profile_reads_and_gives_video_settings() {
        let p = PlatformProfiles::from_toml_str(ONE, "p.toml").unwrap();
        let wecom = p.get("WeCom").unwrap();
        assert_eq!((wecom.uplink_kbps, wecom.downlink_kbps), (2000, 4000));
        assert_eq!(wecom.video().bitrate_kbps, 2500);
    }

    #[test]
    fn bad_profiles_name_line_and_field() {
        let e = PlatformProfiles::from_toml_str(
            &ONE.replace("max_video_kbps = 4000", "max_video_kbps = 400"),
            "p.toml",
        )
        .unwrap_err();
        assert_eq!(e.issues[0].field, "platforms[0].max_video_kbps");
        assert_eq!(e.issues[0].line, 13);
        let e = PlatformProfiles::from_toml_str(
            &ONE.replace("uplink_kbps = 2000", "uplink_kbps = 90"),
            "p.toml",
        )
        .unwrap_err();
        assert_eq!(e.issues[0].field, "platforms[0].uplink_kbps");
        let e = PlatformProfiles::from_toml_str(
            &ONE.replace("protocol = \"rtmp\"", "protocol = \"srt\""),
            "p.toml",
        )
        .unwrap_err();
        assert!(e.to_string().contains("srt"), "{e}");
    }
}
