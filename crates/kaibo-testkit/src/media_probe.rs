//! Media inspection with ffprobe and ffmpeg.

use std::collections::BTreeMap;
use std::process::{Command, Output};

/// The first video stream ffprobe reports.
#[derive(Debug, Clone, PartialEq)]
pub struct VideoStream {
    /// Codec name, e.g. `h264`.
    pub codec: String,
    /// Codec profile, e.g. `High` (empty if unknown).
    pub profile: String,
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// Frames per second from `avg_frame_rate`, else `r_frame_rate` (0 if unknown).
    pub fps: f64,
    /// Pixel format, e.g. `yuv420p`.
    pub pix_fmt: String,
}

/// The first audio stream ffprobe reports.
#[derive(Debug, Clone, PartialEq)]
pub struct AudioStream {
    /// Codec name, e.g. `aac`.
    pub codec: String,
    /// Codec profile, e.g. `LC` (empty if unknown).
    pub profile: String,
    /// Sample rate in Hz.
    pub sample_rate: u32,
    /// Number of channels.
    pub channels: u32,
}

/// What ffprobe says about a file or URL.
#[derive(Debug, Clone, PartialEq)]
pub struct Probe {
    /// First video stream, if any.
    pub video: Option<VideoStream>,
    /// First audio stream, if any.
    pub audio: Option<AudioStream>,
    /// Container duration in seconds, if the format header has one.
    pub duration_s: Option<f64>,
    /// ffprobe's raw `flat` output, for assertion messages.
    pub raw: String,
    fields: BTreeMap<String, String>,
}

impl Probe {
    /// Parses ffprobe output produced with `-show_format -show_streams -of flat=s=_`.
    pub fn parse(raw: &str) -> Probe {
        let mut fields = BTreeMap::new();
        let mut streams: BTreeMap<usize, BTreeMap<String, String>> = BTreeMap::new();
        for line in raw.lines() {
            let Some((key, value)) = line.split_once('=') else {
                continue;
            };
            let value = unquote(value);
            if let Some(rest) = key.strip_prefix("streams_stream_")
                && let Some((index, name)) = rest.split_once('_')
                && let Ok(index) = index.parse::<usize>()
            {
                streams
                    .entry(index)
                    .or_default()
                    .insert(name.to_string(), value.clone());
            }
            fields.insert(key.to_string(), value);
        }
        let of_type = |kind: &str| {
            streams
                .values()
                .find(|s| s.get("codec_type").map(String::as_str) == Some(kind))
        };
        let text = |s: &BTreeMap<String, String>, k: &str| {
            s.get(k)
                .filter(|v| *v != "N/A")
                .cloned()
                .unwrap_or_default()
        };
        let num = |s: &BTreeMap<String, String>, k: &str| {
            s.get(k).and_then(|v| v.parse::<u32>().ok()).unwrap_or(0)
        };
        let video = of_type("video").map(|s| VideoStream {
            codec: text(s, "codec_name"),
            profile: text(s, "profile"),
            width: num(s, "width"),
            height: num(s, "height"),
            fps: ["avg_frame_rate", "r_frame_rate"]
                .iter()
                .find_map(|k| s.get(*k).and_then(|v| parse_rate(v)))
                .unwrap_or(0.0),
            pix_fmt: text(s, "pix_fmt"),
        });
        let audio = of_type("audio").map(|s| AudioStream {
            codec: text(s, "codec_name"),
            profile: text(s, "profile"),
            sample_rate: num(s, "sample_rate"),
            channels: num(s, "channels"),
        });
        let duration_s = fields
            .get("format_duration")
            .and_then(|v| v.parse::<f64>().ok());
        Probe {
            video,
            audio,
            duration_s,
            raw: raw.to_string(),
            fields,
        }
    }

    /// A raw flat field such as `format_bit_rate` or `streams_stream_0_level`.
    pub fn field(&self, key: &str) -> Option<&str> {
        self.fields.get(key).map(String::as_str)
    }
}

fn unquote(value: &str) -> String {
    let Some(inner) = value.strip_prefix('"').and_then(|v| v.strip_suffix('"')) else {
        return value.to_string();
    };
    let mut out = String::with_capacity(inner.len());
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            match chars.next() {
                Some('n') => out.push('\n'),
                Some('r') => out.push('\r'),
                Some('t') => out.push('\t'),
                Some(other) => out.push(other),
                None => out.push('\\'),
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// Parses a rate like `30/1` or `29.97`; `0/0` and zero are None.
fn parse_rate(value: &str) -> Option<f64> {
    let rate = match value.split_once('/') {
        Some((n, d)) => {
            let d: f64 = d.trim().parse().ok()?;
            if d == 0.0 {
                return None;
            }
            n.trim().parse::<f64>().ok()? / d
        }
        None => value.trim().parse().ok()?,
    };
    (rate > 0.0 && rate.is_finite()).then_some(rate)
}

fn run(program: &str, package: &str, args: &[&str]) -> Output {
    let tool = crate::require_tool(program, package);
    let output = Command::new(&tool)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", tool.display()));
    if !output.status.success() {
        panic!(
            "{program} {} failed ({}): {}",
            args.join(" "),
            output.status,
            String::from_utf8_lossy(&output.stderr)
        );
    }
    output
}

/// Runs ffprobe on a file or URL; panics with ffprobe's stderr on failure.
pub fn ffprobe(path_or_url: &str) -> Probe {
    let out = run(
        "ffprobe",
        "ffmpeg",
        &[
            "-v",
            "error",
            "-show_format",
            "-show_streams",
            "-of",
            "flat=s=_",
            path_or_url,
        ],
    );
    Probe::parse(&String::from_utf8_lossy(&out.stdout))
}

/// Presentation times (seconds) of the first video stream's packets, sorted.
pub fn video_packet_times(path: &str) -> Vec<f64> {
    let out = run(
        "ffprobe",
        "ffmpeg",
        &[
            "-v",
            "error",
            "-select_streams",
            "v:0",
            "-show_entries",
            "packet=pts_time",
            "-of",
            "csv=p=0",
            path,
        ],
    );
    parse_packet_times(&String::from_utf8_lossy(&out.stdout))
}

/// Presentation times (seconds) of the first video stream's keyframes, in file order.
pub fn keyframe_times(path: &str) -> Vec<f64> {
    let out = run(
        "ffprobe",
        "ffmpeg",
        &[
            "-v",
            "error",
            "-select_streams",
            "v:0",
            "-show_entries",
            "packet=pts_time,flags",
            "-of",
            "csv=p=0",
            path,
        ],
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| l.split_once(','))
        .filter(|(_, flags)| flags.starts_with('K'))
        .filter_map(|(t, _)| t.parse().ok())
        .collect()
}

fn parse_packet_times(text: &str) -> Vec<f64> {
    let mut times: Vec<f64> = text
        .lines()
        .filter_map(|l| l.split(',').next()?.trim().parse::<f64>().ok())
        .filter(|t| t.is_finite())
        .collect();
    times.sort_by(f64::total_cmp);
    times
}

/// Seconds between the first and last video packet (for files without a duration header).
pub fn decoded_duration_s(path: &str) -> f64 {
    let times = video_packet_times(path);
    match (times.first(), times.last()) {
        (Some(first), Some(last)) => last - first,
        _ => 0.0,
    }
}

/// One decoded frame at `at_s` seconds, as packed RGB24 rows.
pub fn frame_rgb(path: &std::path::Path, at_s: f64) -> Vec<u8> {
    crate::require_tool("ffmpeg", "ffmpeg");
    let out = Command::new("ffmpeg")
        .args([
            "-hide_banner",
            "-loglevel",
            "error",
            "-ss",
            &at_s.to_string(),
            "-i",
        ])
        .arg(path)
        .args(["-frames:v", "1", "-f", "rawvideo", "-pix_fmt", "rgb24", "-"])
        .output()
        .expect("ffmpeg runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// MD5 of every decoded frame of the first video stream, in order.
pub fn frame_md5s(path: &str) -> Vec<String> {
    let out = run(
        "ffmpeg",
        "ffmpeg",
        &[
            "-v", "error", "-i", path, "-map", "0:v:0", "-f", "framemd5", "-",
        ],
    );
    parse_framemd5(&String::from_utf8_lossy(&out.stdout))
}

/// Every decoded frame of the first video stream scaled to `width`×`height`, as RGB bytes:
/// enough to tell which scene a frame shows.
pub fn tiny_frames(path: &str, width: u32, height: u32) -> Vec<Vec<u8>> {
    let scale = format!("scale={width}:{height}");
    let out = run(
        "ffmpeg",
        "ffmpeg",
        &[
            "-v", "error", "-i", path, "-map", "0:v:0", "-vf", &scale, "-f", "rawvideo",
            "-pix_fmt", "rgb24", "-",
        ],
    );
    out.stdout
        .chunks_exact((width * height * 3) as usize)
        .map(<[u8]>::to_vec)
        .collect()
}

fn parse_framemd5(text: &str) -> Vec<String> {
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .filter_map(|l| l.rsplit(',').next().map(|h| h.trim().to_string()))
        .filter(|h| !h.is_empty())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const FLAT: &str = r#"streams_stream_0_index=0
streams_stream_0_codec_name="h264"
streams_stream_0_profile="High"
streams_stream_0_codec_type="video"
streams_stream_0_width=320
streams_stream_0_height=240
streams_stream_0_pix_fmt="yuv420p"
streams_stream_0_r_frame_rate="30/1"
streams_stream_0_avg_frame_rate="0/0"
streams_stream_0_tags_title="a \"quoted\" title"
streams_stream_1_index=1
streams_stream_1_codec_name="aac"
streams_stream_1_profile="LC"
streams_stream_1_codec_type="audio"
streams_stream_1_sample_rate="48000"
streams_stream_1_channels=2
format_format_name="flv"
format_duration="2.966000"
"#;

    #[test]
    fn parses_flat_output() {
        let p = Probe::parse(FLAT);
        let v = p.video.as_ref().expect("video stream");
        assert_eq!(
            (v.codec.as_str(), v.profile.as_str(), v.width, v.height),
            ("h264", "High", 320, 240)
        );
        assert_eq!(v.pix_fmt, "yuv420p");
        assert!((v.fps - 30.0).abs() < 1e-9);
        let a = p.audio.as_ref().expect("audio stream");
        assert_eq!(
            (
                a.codec.as_str(),
                a.profile.as_str(),
                a.sample_rate,
                a.channels
            ),
            ("aac", "LC", 48000, 2)
        );
        assert_eq!(p.duration_s, Some(2.966));
        assert_eq!(p.field("format_format_name"), Some("flv"));
        assert_eq!(
            p.field("streams_stream_0_tags_title"),
            Some("a \"quoted\" title")
        );
        let none = Probe::parse("format_duration=\"N/A\"\n");
        assert_eq!(
            (none.video, none.audio, none.duration_s),
            (None, None, None)
        );
    }

    #[test]
    fn parses_rates_times_and_hashes() {
        assert!((parse_rate("1000/33").expect("rate") - 30.303).abs() < 1e-3);
        assert_eq!(parse_rate("0/0"), None);
        assert_eq!(parse_rate("25"), Some(25.0));
        assert_eq!(
            parse_packet_times("0.066000\nN/A\n0.000000,\n0.033000\n"),
            vec![0.0, 0.033, 0.066]
        );
        let md5 = "#format: frame checksums\n#stream#, dts, pts, duration, size, hash\n0, 0, 0, 1, 115200, d848\n0, 1, 1, 1, 115200, 40c8\n";
        assert_eq!(parse_framemd5(md5), vec!["d848", "40c8"]);
    }
}
