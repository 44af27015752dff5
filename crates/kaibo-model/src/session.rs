//! What one live session is asked to do: picture settings, the scene, and the outputs.

use crate::destination::Destination;
use crate::scene::{Canvas, Scene};
use crate::whip::WhipEndpoint;
use std::path::PathBuf;

/// Which H.264 encoder to use.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum EncoderChoice {
    /// The best one available: a hardware encoder if present, else x264, else OpenH264.
    #[default]
    Auto,
    X264,
    OpenH264,
}

impl std::str::FromStr for EncoderChoice {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "auto" => Ok(Self::Auto),
            "x264" => Ok(Self::X264),
            "openh264" => Ok(Self::OpenH264),
            other => Err(format!(
                "unknown encoder \"{other}\"; expected auto, x264 or openh264"
            )),
        }
    }
}

/// Output picture and encoder settings.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct VideoSettings {
    pub width: u32,
    pub height: u32,
    pub fps: u32,
    pub bitrate_kbps: u32,
    pub keyframe_interval_s: u32,
    pub encoder: EncoderChoice,
}

impl Default for VideoSettings {
    fn default() -> Self {
        Self {
            width: 1280,
            height: 720,
            fps: 30,
            bitrate_kbps: 2500,
            keyframe_interval_s: 2,
            encoder: EncoderChoice::Auto,
        }
    }
}

impl VideoSettings {
    /// Checks the ranges a broadcaster can encode; says what to change otherwise.
    pub fn validate(&self) -> Result<(), String> {
        if !self.width.is_multiple_of(2)
            || !self.height.is_multiple_of(2)
            || !(160..=4096).contains(&self.width)
            || !(90..=4096).contains(&self.height)
        {
            return Err(format!(
                "resolution {}x{} is not usable; use even sizes between 160x90 and 4096x4096, e.g. 1280x720",
                self.width, self.height
            ));
        }
        if !(1..=60).contains(&self.fps) {
            return Err(format!(
                "{} fps is out of range; use 1 to 60, e.g. 30",
                self.fps
            ));
        }
        if !(100..=50_000).contains(&self.bitrate_kbps) {
            return Err(format!(
                "{} kbps is out of range; use 100 to 50000, e.g. 2500",
                self.bitrate_kbps
            ));
        }
        Ok(())
    }
}

/// Parses `WxH`, e.g. `1280x720`.
pub fn parse_resolution(text: &str) -> Result<(u32, u32), String> {
    let (w, h) = text.split_once(['x', 'X', '*']).ok_or_else(|| {
        format!("\"{text}\" is not a resolution; write WIDTHxHEIGHT, e.g. 1280x720")
    })?;
    let num = |v: &str| {
        v.trim().parse::<u32>().map_err(|_| {
            format!("\"{text}\" is not a resolution; write WIDTHxHEIGHT, e.g. 1280x720")
        })
    };
    Ok((num(w)?, num(h)?))
}

/// One place the encoded stream goes.
#[derive(Clone, Debug, PartialEq)]
pub enum OutputSpec {
    Rtmp(Destination),
    /// A WebRTC ingest (WHIP): one encode's H.264 plus Opus, signalled over HTTP.
    Whip(WhipEndpoint),
    /// A local, crash-safe recording (Matroska).
    Record(PathBuf),
}

impl OutputSpec {
    /// Parses a `--to` URL: `rtmp(s)://…/KEY`, or `whip+http(s)://…` with `whip_token`.
    pub fn parse_destination(
        url: &str,
        whip_token: Option<&str>,
    ) -> Result<Self, crate::DestinationError> {
        if url
            .trim()
            .get(..5)
            .is_some_and(|s| s.eq_ignore_ascii_case("whip+"))
        {
            WhipEndpoint::parse(url, whip_token).map(OutputSpec::Whip)
        } else {
            Destination::parse(url).map(OutputSpec::Rtmp)
        }
    }

    /// Where the output goes, secrets masked.
    pub fn target(&self) -> String {
        match self {
            OutputSpec::Rtmp(d) => d.redacted(),
            OutputSpec::Whip(w) => w.redacted(),
            OutputSpec::Record(p) => p.display().to_string(),
        }
    }
}

/// Everything a live session needs, checked.
#[derive(Clone, Debug, PartialEq)]
pub struct SessionPlan {
    /// The canvas the scene's layouts are written against.
    pub canvas: Canvas,
    /// Every scene the session can switch to while it runs.
    pub scenes: Vec<Scene>,
    /// The scene shown first.
    pub active: usize,
    pub video: VideoSettings,
    pub audio_bitrate_kbps: u32,
    pub outputs: Vec<OutputSpec>,
    /// Stop by itself after this long.
    pub duration_s: Option<f64>,
    /// Fit the video bitrate to what the destinations deliver (on unless fixed).
    pub adaptive: bool,
    /// Deliver scaled pictures of the program, in this format, and sound levels (the desktop
    /// app's preview). With a preview a plan may have no output yet.
    pub preview: Option<crate::PreviewFormat>,
}

impl SessionPlan {
    /// Checks the plan as a whole.
    pub fn validate(&self) -> Result<(), String> {
        self.video.validate()?;
        if self.outputs.is_empty() && self.preview.is_none() {
            return Err(
                "nothing to do: give at least one --to destination or --record path".into(),
            );
        }
        let Some(scene) = self.scenes.get(self.active) else {
            return Err(format!(
                "scene {} does not exist: the plan has {} scenes",
                self.active + 1,
                self.scenes.len()
            ));
        };
        if self.preview.is_none() && !scene.sources.iter().any(|s| s.input.has_video()) {
            return Err(format!(
                "scene \"{}\" has no picture source; add a screen, window, camera, image, media, text or test source",
                scene.name
            ));
        }
        if let Some(d) = self.duration_s
            && !(d > 0.0 && d.is_finite())
        {
            return Err(format!("duration {d} is not a positive number of seconds"));
        }
        Ok(())
    }

    /// The scene shown first (a validated plan has one).
    pub fn scene(&self) -> &Scene {
        &self.scenes[self.active.min(self.scenes.len().saturating_sub(1))]
    }

    /// Every secret in the plan, for scrubbing text that might contain one.
    pub fn secrets(&self) -> Vec<&crate::Secret> {
        self.outputs
            .iter()
            .flat_map(|o| -> Vec<&crate::Secret> {
                match o {
                    OutputSpec::Rtmp(d) => vec![&d.key],
                    OutputSpec::Whip(w) => w.secrets().collect(),
                    OutputSpec::Record(_) => Vec::new(),
                }
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolution_parses_and_validates() {
        assert_eq!(parse_resolution("1920x1080"), Ok((1920, 1080)));
        assert!(parse_resolution("big").is_err());
        let odd = VideoSettings {
            width: 1281,
            ..Default::default()
        };
        assert!(odd.validate().unwrap_err().contains("even"));
        assert!(VideoSettings::default().validate().is_ok());
    }
}
