//! Human-readable text: the once-a-second progress line and the device table.

use kaibo_model::devices::DeviceList;
use kaibo_model::probe_report::{ProbeReport, Verdict};
use kaibo_model::{PlatformProfiles, StatsSnapshot};
use std::fmt::Write;

/// `live 00:01:05 30.0 fps 2496 kbps (target 2500) dropped 0 (0.00%)`.
pub fn line(s: &StatsSnapshot) -> String {
    let t = s.elapsed_s as u64;
    let total = s.frames_encoded + s.frames_dropped;
    let pct = if total == 0 {
        0.0
    } else {
        s.frames_dropped as f64 * 100.0 / total as f64
    };
    let queue = if s.queue_s >= 0.05 {
        format!(", queue {:.2} s", s.queue_s)
    } else {
        String::new()
    };
    let target = match s.target_kbps {
        Some(k) => format!(" (target {k}{queue})"),
        None if !queue.is_empty() => format!(" ({})", queue.trim_start_matches(", ")),
        None => String::new(),
    };
    format!(
        "{:<8} {:02}:{:02}:{:02}  {:>5.1} fps  {:>5.0} kbps{target}  dropped {} ({:.2}%)",
        s.state.word(),
        t / 3600,
        t / 60 % 60,
        t % 60,
        s.fps,
        s.video_kbps,
        s.frames_dropped,
        pct
    )
}

/// A plain-text listing of every device.
pub fn device_table(list: &DeviceList) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "Cameras 摄像头:");
    if list.cameras.is_empty() {
        let _ = writeln!(out, "  (none)");
    }
    for c in &list.cameras {
        let _ = writeln!(out, "  camera:{}  {}", c.device, c.name);
    }
    let _ = writeln!(out, "Microphones 麦克风:");
    if list.microphones.is_empty() {
        let _ = writeln!(out, "  (none)");
    }
    for m in &list.microphones {
        let _ = writeln!(
            out,
            "  mic:{}  {}{}",
            m.id,
            m.name,
            if m.is_default { "  (default)" } else { "" }
        );
    }
    let _ = writeln!(out, "Screens 屏幕:");
    for s in &list.screens {
        let _ = writeln!(
            out,
            "  screen:{}  {} {}x{}+{}+{}",
            s.display, s.name, s.width, s.height, s.x, s.y
        );
    }
    let _ = writeln!(out, "Windows 窗口:");
    for w in &list.windows {
        let _ = writeln!(
            out,
            "  window:0x{:x}  {}  ({}x{})",
            w.xid, w.title, w.width, w.height
        );
    }
    for p in &list.problems {
        let _ = writeln!(out, "note: {p}");
    }
    out
}

/// A plain-text listing of the platform profiles (names last: CJK text is double width).
pub fn profile_table(profiles: &PlatformProfiles) -> String {
    let mut out = format!(
        "{:<16} {:>9} {:>4} {:>10} {:>8} {:>9}  platform 平台\n",
        "profile", "size", "fps", "video kbps", "up kbps", "down kbps"
    );
    for p in &profiles.platforms {
        let size = format!("{}x{}", p.width, p.height);
        let _ = writeln!(
            out,
            "{:<16} {:>9} {:>4} {:>10} {:>8} {:>9}  {} {}",
            p.id, size, p.fps, p.video_kbps, p.uplink_kbps, p.downlink_kbps, p.name, p.name_zh
        );
    }
    out
}

/// `probing [##########··········] 2.41 Mbit/s`.
pub fn probe_bar(fraction: f64, kbps: f64) -> String {
    let filled = (fraction.clamp(0.0, 1.0) * 20.0).round() as usize;
    format!(
        "probing [{}{}] {:>6.2} Mbit/s",
        "#".repeat(filled),
        "·".repeat(20 - filled),
        kbps / 1000.0
    )
}

/// The probe's verdict in plain words, English and Chinese.
pub fn probe_report(r: &ProbeReport, platform: &str) -> String {
    let (word, zh) = match r.verdict {
        Verdict::Pass => ("PASS", "通过"),
        Verdict::Warn => ("WARN", "勉强"),
        Verdict::Fail => ("FAIL", "不足"),
    };
    // A link that carried everything the probe sent is at least that fast.
    let at_least = if r.link_saturated == Some(false) {
        "at least "
    } else {
        ""
    };
    let mut out = format!(
        "uplink {at_least}{:.2} Mbit/s, {platform} needs {:.1} Mbit/s: {word} {zh}\n",
        r.uplink_kbps / 1000.0,
        f64::from(r.required_uplink_kbps) / 1000.0
    );
    if let Some(rtt) = r.rtt_ms {
        let _ = writeln!(out, "round trip {rtt:.1} ms");
    }
    if let Some(re) = r.retransmit_pct {
        let _ = writeln!(out, "retransmitted {re:.2} %");
    }
    let _ = writeln!(
        out,
        "recommended video bitrate {} kbps (建议视频码率)",
        r.recommended_video_kbps
    );
    if r.verdict == Verdict::Fail {
        let _ = writeln!(
            out,
            "fix: use a wired connection, close uploads and cloud sync, or lower the resolution; 请改用有线网络并关闭占用上行带宽的程序"
        );
    }
    match r.downlink_kbps {
        Some(d) => {
            let _ = writeln!(
                out,
                "downlink {:.2} Mbit/s, {platform} needs {:.1} Mbit/s",
                d / 1000.0,
                f64::from(r.required_downlink_kbps) / 1000.0
            );
        }
        None => {
            let _ = writeln!(out, "downlink not measured (give --download-url)");
        }
    }
    out
}
