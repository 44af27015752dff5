//! This machine: encoder headroom, disk space for the recording, the scene's devices, and
//! other processes using the network.

use crate::{CheckItem, CheckStatus, Language};
use kaibo_model::Tr;
use kaibo_model::checklist::ids;

/// An encode test: how fast the chosen encoder went at the stream's settings.
#[derive(Clone, Debug, PartialEq)]
pub struct EncodeMeasure {
    pub encoder: String,
    pub width: u32,
    pub height: u32,
    pub required_fps: u32,
    pub frames: u32,
    pub elapsed_s: f64,
}

impl EncodeMeasure {
    /// Frames per second the encoder achieved flat out.
    pub fn achieved_fps(&self) -> f64 {
        f64::from(self.frames) / self.elapsed_s.max(1e-6)
    }
}

/// Achieved/required at or above this leaves room for capture, compositing and the rest.
const HEADROOM_GOOD: f64 = 1.5;
/// Below this the encoder cannot keep up at all.
const HEADROOM_BAD: f64 = 1.1;

/// Settings a host can fall back to, heaviest first.
const LIGHTER: &[(u32, u32, u32)] = &[
    (1920, 1080, 30),
    (1280, 720, 30),
    (1280, 720, 25),
    (960, 540, 30),
    (854, 480, 25),
    (640, 360, 25),
];

/// The `headroom` item.
pub fn evaluate_headroom(m: &EncodeMeasure, lang: Language) -> CheckItem {
    let fps = m.achieved_fps();
    let ratio = fps / f64::from(m.required_fps.max(1));
    let status = if ratio >= HEADROOM_GOOD {
        CheckStatus::Pass
    } else if ratio >= HEADROOM_BAD {
        CheckStatus::Warn
    } else {
        CheckStatus::Fail
    };
    let value = format!(
        "{} {}x{}: {fps:.0} fps flat out for {} fps ({ratio:.1}×)",
        m.encoder, m.width, m.height, m.required_fps
    );
    // Pixel rate the machine sustains with the good margin left.
    let budget = fps * f64::from(m.width) * f64::from(m.height) / HEADROOM_GOOD;
    let lighter = LIGHTER
        .iter()
        .find(|(w, h, f)| f64::from(*w) * f64::from(*h) * f64::from(*f) <= budget)
        .filter(|(w, h, f)| {
            u64::from(*w) * u64::from(*h) * u64::from(*f)
                < u64::from(m.width) * u64::from(m.height) * u64::from(m.required_fps)
        });
    let hint = match (status, lighter, lang) {
        (CheckStatus::Pass, _, _) => Tr(lang).t("The encoder keeps up with room to spare.", "编码性能充足。").to_owned(),
        (_, Some((w, h, f)), Language::Zh) => format!(
            "这台电脑编码余量不足：改用 {w}x{h} {f} fps，关闭其他占用 CPU 的程序，或使用硬件编码器。"
        ),
        (_, Some((w, h, f)), Language::En) => format!(
            "This computer has little encoding headroom: use {w}x{h} at {f} fps, close other CPU-heavy programs, or use a hardware encoder."
        ),
        (_, None, _) => Tr(lang).t("This computer has little encoding headroom: close other CPU-heavy programs or use a hardware encoder.", "这台电脑编码余量不足：关闭其他占用 CPU 的程序，或使用硬件编码器。").to_owned(),
    };
    CheckItem::new(ids::HEADROOM, status, value, hint)
}

/// The `disk` item: `free_bytes` where the recording goes against the stream's bitrate
/// (`total_kbps`, video and audio) for `duration_s`.
pub fn evaluate_disk(
    free_bytes: u64,
    folder: &str,
    total_kbps: u32,
    duration_s: u32,
    lang: Language,
) -> CheckItem {
    let needed = u64::from(total_kbps) * 1000 / 8 * u64::from(duration_s);
    // A margin for the container and bitrate peaks.
    let needed = needed + needed / 10;
    let status = if free_bytes >= needed.saturating_mul(2) {
        CheckStatus::Pass
    } else if free_bytes >= needed {
        CheckStatus::Warn
    } else {
        CheckStatus::Fail
    };
    let gb = |b: u64| b as f64 / 1e9;
    let value = format!(
        "{:.1} GB free in {folder}; {:.1} GB needed for {} min at {total_kbps} kbps",
        gb(free_bytes),
        gb(needed),
        duration_s / 60
    );
    let hint = match (status, lang) {
        (CheckStatus::Pass, _) => Tr(lang)
            .t("There is enough space for the recording.", "录制空间充足。")
            .to_owned(),
        (_, Language::Zh) => format!(
            "录制空间不足：清理磁盘，或把录制目录改到至少有 {:.1} GB 空闲的磁盘。",
            gb(needed.saturating_mul(2))
        ),
        (_, Language::En) => format!(
            "Not enough space for the recording: free some up, or record to a disk with at least {:.1} GB free.",
            gb(needed.saturating_mul(2))
        ),
    };
    CheckItem::new(ids::DISK, status, value, hint)
}

/// A process's network use over the sample.
#[derive(Clone, Debug, PartialEq)]
pub struct ProcessTraffic {
    pub pid: u32,
    pub name: String,
    /// Sent plus received.
    pub kbps: f64,
}

/// The `bandwidth_hogs` item: other processes' traffic against the stream's bitrate.
pub fn evaluate_hogs(processes: &[ProcessTraffic], stream_kbps: u32, lang: Language) -> CheckItem {
    let mut top: Vec<&ProcessTraffic> = processes.iter().filter(|p| p.kbps >= 50.0).collect();
    top.sort_by(|a, b| b.kbps.total_cmp(&a.kbps));
    top.truncate(3);
    let heaviest = top.first().map_or(0.0, |p| p.kbps);
    let stream = f64::from(stream_kbps.max(1));
    let status = if heaviest >= stream {
        CheckStatus::Fail
    } else if heaviest >= stream / 4.0 {
        CheckStatus::Warn
    } else {
        CheckStatus::Pass
    };
    let names: Vec<String> = top
        .iter()
        .map(|p| format!("{} (pid {}) {:.0} kbps", p.name, p.pid, p.kbps))
        .collect();
    let value = if names.is_empty() {
        "no other process uses the network noticeably".to_owned()
    } else {
        names.join(", ")
    };
    let hint = match (status, top.first(), lang) {
        (CheckStatus::Pass, _, _) | (_, None, _) => Tr(lang)
            .t(
                "No other program is using much of the network.",
                "没有其他程序大量占用网络。",
            )
            .to_owned(),
        (_, Some(p), Language::Zh) => format!(
            "{} 正在大量占用网络（{:.0} kbps）：开播前暂停下载、同步盘和视频播放。",
            p.name, p.kbps
        ),
        (_, Some(p), Language::En) => format!(
            "{} is using the network heavily ({:.0} kbps): pause downloads, cloud sync and video before going live.",
            p.name, p.kbps
        ),
    };
    CheckItem::new(ids::BANDWIDTH_HOGS, status, value, hint)
}

/// One scene source and whether it opened.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SourceCheck {
    pub name: String,
    /// The source kind (`camera`, `mic`, `window`, `media`…).
    pub kind: String,
    /// None: present and opened. Some: what went wrong, in a sentence that says what to do.
    pub problem: Option<String>,
}

/// The `devices` item.
pub fn evaluate_devices(sources: &[SourceCheck], lang: Language) -> CheckItem {
    let failed: Vec<&SourceCheck> = sources.iter().filter(|s| s.problem.is_some()).collect();
    let status = if failed.is_empty() {
        CheckStatus::Pass
    } else {
        CheckStatus::Fail
    };
    let value = format!(
        "{} of {} source(s) open",
        sources.len() - failed.len(),
        sources.len()
    );
    let details = failed
        .iter()
        .map(|s| {
            format!(
                "{} ({}): {}",
                s.name,
                s.kind,
                s.problem.as_deref().unwrap_or_default()
            )
        })
        .collect();
    let hint = match (failed.first(), lang) {
        (None, _) if sources.is_empty() => Tr(lang)
            .t(
                "No sources to check: give the scene file with --scenes.",
                "没有要检查的来源：用 --scenes 指定场景文件。",
            )
            .to_owned(),
        (None, _) => Tr(lang)
            .t(
                "Every source of the scene opens.",
                "场景中的所有来源都能打开。",
            )
            .to_owned(),
        (Some(s), Language::Zh) => format!(
            "“{}”打不开：连接设备、打开窗口或修正文件路径后重试（kaibo devices 列出可用设备）。",
            s.name
        ),
        (Some(s), Language::En) => format!(
            "\"{}\" does not open: connect the device, open the window or fix the file path, then check again (`kaibo devices` lists what is available).",
            s.name
        ),
    };
    CheckItem::new(ids::DEVICES, status, value, hint).with_details(details)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_slow_encoder_gets_a_lighter_setting() {
        let m = EncodeMeasure {
            encoder: "x264enc".into(),
            width: 1920,
            height: 1080,
            required_fps: 30,
            frames: 60,
            elapsed_s: 2.0,
        };
        let item = evaluate_headroom(&m, Language::En);
        assert_eq!(item.status, CheckStatus::Fail);
        assert!(item.hint.contains("1280x720 at 30 fps"), "{}", item.hint);
        let fast = EncodeMeasure { frames: 240, ..m };
        assert_eq!(
            evaluate_headroom(&fast, Language::En).status,
            CheckStatus::Pass
        );
    }

    #[test]
    fn disk_space_is_judged_for_the_planned_duration() {
        // 2628 kbps for 2 h ≈ 2.37 GB, 2.6 GB with the margin.
        let gb = 1_000_000_000;
        assert_eq!(
            evaluate_disk(100 * gb, "/v", 2628, 7200, Language::En).status,
            CheckStatus::Pass
        );
        assert_eq!(
            evaluate_disk(3 * gb, "/v", 2628, 7200, Language::En).status,
            CheckStatus::Warn
        );
        assert_eq!(
            evaluate_disk(gb, "/v", 2628, 7200, Language::Zh).status,
            CheckStatus::Fail
        );
    }

    #[test]
    fn hogs_are_named_heaviest_first() {
        let p = |pid, name: &str, kbps| ProcessTraffic {
            pid,
            name: name.into(),
            kbps,
        };
        let item = evaluate_hogs(
            &[p(1, "curl", 900.0), p(2, "baidunetdisk", 5000.0)],
            2628,
            Language::En,
        );
        assert_eq!(item.status, CheckStatus::Fail);
        assert!(
            item.value.starts_with("baidunetdisk (pid 2)"),
            "{}",
            item.value
        );
        assert_eq!(
            evaluate_hogs(&[p(3, "ssh", 10.0)], 2628, Language::En).status,
            CheckStatus::Pass
        );
    }

    #[test]
    fn a_source_that_does_not_open_fails_with_its_name() {
        let ok = SourceCheck {
            name: "Cam".into(),
            kind: "camera".into(),
            problem: None,
        };
        let bad = SourceCheck {
            name: "PPT".into(),
            kind: "window".into(),
            problem: Some("no window".into()),
        };
        let item = evaluate_devices(&[ok, bad], Language::En);
        assert_eq!(item.status, CheckStatus::Fail);
        assert_eq!(item.details, vec!["PPT (window): no window".to_owned()]);
    }
}
