//! `cargo xtask bench check`: the checklist's costs, each against a baseline measured in the
//! same run.
//!
//! - the whole checklist (test publish to a local nginx-rtmp, a still, a recording, a script,
//!   headroom, disk, traffic) against the probe alone (its 3 s test publish);
//! - lighting analysis of one 1280×720 frame (a real photograph scaled up) against a plain
//!   sum over the frame's bytes;
//! - audio analysis per second of 48 kHz speech (espeak-ng) against a plain RMS pass.

use kaibo_check::lighting::sum_pixels;
use kaibo_check::{Frame, Language, analyse_audio, analyse_frame};
use kaibo_model::OutputSpec;
use kaibo_runtime::{CheckRequest, platform_profiles, run_check, run_probe};
use kaibo_testkit::{Nginx, TempDir, require_tool};
use std::hint::black_box;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

const PHOTO: &str = "/usr/lib/python3/dist-packages/skimage/data/astronaut.png";
const ROUNDS: usize = 3;

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// Median seconds per call of `f` over `n` calls (after a warm-up call).
fn per_call(n: usize, mut f: impl FnMut()) -> f64 {
    f();
    let times: Vec<f64> = (0..n)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed().as_secs_f64()
        })
        .collect();
    median(times)
}

fn speech_48k(dir: &Path) -> std::path::PathBuf {
    let espeak = require_tool("espeak-ng", "espeak-ng");
    let sox = require_tool("sox", "sox");
    let raw = dir.join("speech.wav");
    let wav = dir.join("speech48k.wav");
    let text = "Good evening everyone, welcome to our live stream. Today I will show you three new teas from our garden, and answer your questions at the end.";
    assert!(
        Command::new(espeak)
            .arg("-w")
            .arg(&raw)
            .arg(text)
            .status()
            .expect("espeak-ng")
            .success()
    );
    assert!(
        Command::new(sox)
            .arg(&raw)
            .args(["-r", "48000"])
            .arg(&wav)
            .status()
            .expect("sox")
            .success()
    );
    wav
}

fn main() {
    let dir = TempDir::new();
    assert!(
        Path::new(PHOTO).is_file(),
        "{PHOTO} is missing: install python3-skimage"
    );
    let photo = image::open(PHOTO).expect("photo").to_rgba8();
    let frame = image::imageops::resize(&photo, 1280, 720, image::imageops::FilterType::Triangle);
    let f = Frame {
        width: 1280,
        height: 720,
        rgba: frame.as_raw(),
    };
    let lighting_s = per_call(200, || {
        black_box(analyse_frame(black_box(f)));
    });
    let sum_s = per_call(200, || {
        black_box(sum_pixels(black_box(f)));
    });

    let wav = speech_48k(dir.path());
    let mut reader = hound::WavReader::open(&wav).expect("wav");
    let rate = reader.spec().sample_rate;
    let samples: Vec<f32> = reader
        .samples::<i16>()
        .map(|s| f32::from(s.expect("sample")) / 32768.0)
        .collect();
    let seconds = samples.len() as f64 / f64::from(rate);
    let audio_s = per_call(50, || {
        black_box(analyse_audio(black_box(&samples), rate));
    }) / seconds;
    let rms_s = per_call(50, || {
        black_box(kaibo_check::audio::plain_rms(black_box(&samples)));
    }) / seconds;

    let nginx = Nginx::start();
    let url = nginx.url("live", "bench");
    let Ok(OutputSpec::Rtmp(dest)) = OutputSpec::parse_destination(&url, None) else {
        panic!("{url} is an RTMP URL");
    };
    let profile = platform_profiles()
        .expect("profiles")
        .get("wecom")
        .expect("wecom")
        .clone();
    let script = dir.path().join("script.txt");
    std::fs::write(&script, "今天给大家介绍全网最好的红茶。\n").expect("script");
    let req = CheckRequest {
        lang: Language::Zh,
        destination: Some(dest.clone()),
        whip: None,
        video: profile.video(),
        audio_kbps: profile.audio_kbps,
        profile: profile.clone(),
        download_url: None,
        hub: None,
        scene: None,
        script: Some(script),
        overlay: Default::default(),
        lighting_image: Some(PHOTO.into()),
        audio_file: Some(wav.clone()),
        listen: Duration::from_secs(3),
        record_dir: dir.path().to_path_buf(),
        planned_s: 7200,
        word_list_dirs: Vec::new(),
    };
    let (mut whole, mut probe) = (Vec::new(), Vec::new());
    for _ in 0..ROUNDS {
        let t = Instant::now();
        let report = run_check(&req, |_| {});
        whole.push(t.elapsed().as_secs_f64());
        // Every item but devices (no scene).
        assert_eq!(report.items.len(), 10, "{report:?}");
        let t = Instant::now();
        run_probe(Some(&dest), None, &profile, None, |_, _| {}).expect("probe");
        probe.push(t.elapsed().as_secs_f64());
    }
    let (whole, probe) = (median(whole), median(probe));
    println!("checklist benchmark ({ROUNDS} rounds for the whole checklist, medians)");
    println!(
        "  whole checklist with the probe: {whole:.2} s (target ≤ 8 s); the probe alone: {probe:.2} s; ratio {:.2}",
        whole / probe
    );
    println!(
        "  lighting analysis per 1280x720 frame: {:.2} ms (target ≤ 5 ms); plain sum of the frame's bytes: {:.2} ms; ratio {:.2}",
        lighting_s * 1e3,
        sum_s * 1e3,
        lighting_s / sum_s
    );
    println!(
        "  audio analysis per second of 48 kHz audio: {:.3} ms (target ≤ 2 ms); plain RMS pass: {:.3} ms; ratio {:.1}",
        audio_s * 1e3,
        rms_s * 1e3,
        audio_s / rms_s
    );
}
