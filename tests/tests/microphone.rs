//! A microphone through a real PulseAudio server: what is played into it is in the stream,
//! and silence stays silence.

mod common;

use kaibo_testkit::{Pulse, TempDir, require_tool};
use std::path::Path;
use std::process::Command;

/// The mean loudness of a file's audio, from ffmpeg's volumedetect, in dBFS.
fn mean_volume_db(path: &Path) -> f64 {
    require_tool("ffmpeg", "ffmpeg");
    let out = Command::new("ffmpeg")
        .args(["-hide_banner", "-nostats", "-i"])
        .arg(path)
        .args(["-map", "0:a:0", "-af", "volumedetect", "-f", "null", "-"])
        .output()
        .expect("ffmpeg runs");
    let text = String::from_utf8_lossy(&out.stderr);
    text.split("mean_volume:")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("no mean_volume in:\n{text}"))
}

fn record_mic(pulse: &Pulse, dir: &TempDir, name: &str) -> std::path::PathBuf {
    let record = dir.path().join(name);
    let source = format!("mic:{}.monitor", Pulse::SINK);
    let out = pulse
        .command(common::kaibo_bin_str())
        .args([
            "live",
            "--source",
            "text:Mic 麦克风",
            "--source",
            &source,
            "--record",
        ])
        .arg(&record)
        .args(["--duration", "4", "--log-file"])
        .arg(dir.path().join("k.log"))
        .output()
        .expect("kaibo runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    record
}

#[test]
fn the_microphone_is_heard_and_silence_is_silent() {
    let pulse = Pulse::start();
    let dir = TempDir::new();
    let mut tone = pulse.play_tone(1000, 8);
    let loud = record_mic(&pulse, &dir, "tone.mkv");
    let _ = tone.kill();
    let _ = tone.wait();
    let quiet = record_mic(&pulse, &dir, "silence.mkv");
    let (loud_db, quiet_db) = (mean_volume_db(&loud), mean_volume_db(&quiet));
    assert!(
        loud_db > -30.0,
        "the tone played into the microphone is at {loud_db} dB"
    );
    assert!(quiet_db < -60.0, "silence came out at {quiet_db} dB");
}
