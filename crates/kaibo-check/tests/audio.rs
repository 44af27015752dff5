//! Sound on real speech: `espeak-ng` speaks, `sox` makes quiet, clipped, silent, noisy and
//! humming variants; each is recognised and the normal one passes.

use kaibo_check::audio::{AudioProblem, audio_problems, downmix};
use kaibo_check::{CheckStatus, Language, analyse_audio, evaluate_audio};
use kaibo_testkit::{TempDir, require_tool};
use std::path::{Path, PathBuf};
use std::process::Command;

const LINE: &str = "Good evening everyone, welcome to our live stream. Today I will show you \
three new teas from our garden, and answer your questions at the end.";

fn run(program: &Path, args: &[&str]) {
    let out = Command::new(program)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("{}: {e}", program.display()));
    assert!(
        out.status.success(),
        "{} {args:?}: {}",
        program.display(),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Speech and its variants as WAV files: (name, path, expected first problem).
fn recordings(dir: &Path) -> Vec<(&'static str, PathBuf, Option<AudioProblem>)> {
    let espeak = require_tool("espeak-ng", "espeak-ng");
    let sox = require_tool("sox", "sox");
    let p = |name: &str| dir.join(format!("{name}.wav"));
    let s = |path: &PathBuf| path.to_str().expect("utf-8 path").to_owned();
    run(&espeak, &["-w", &s(&p("speech")), LINE]);
    let speech = s(&p("speech"));
    run(&sox, &[&speech, &s(&p("quiet")), "vol", "0.01"]);
    run(&sox, &[&speech, &s(&p("clipped")), "gain", "24"]);
    run(&sox, &[&speech, &s(&p("silent")), "vol", "0"]);
    // Room noise 12 dB under the voice; mains hum (50 Hz with harmonics) from a bad cable.
    run(
        &sox,
        &[
            &speech,
            &s(&p("noise")),
            "synth",
            "whitenoise",
            "vol",
            "0.12",
        ],
    );
    run(&sox, &["-m", &speech, &s(&p("noise")), &s(&p("noisy"))]);
    run(
        &sox,
        &[
            &speech,
            &s(&p("mains")),
            "synth",
            "sine",
            "50",
            "vol",
            "0.06",
        ],
    );
    run(&sox, &["-m", &speech, &s(&p("mains")), &s(&p("hum"))]);
    vec![
        ("normal", p("speech"), None),
        ("quiet", p("quiet"), Some(AudioProblem::Quiet)),
        ("clipped", p("clipped"), Some(AudioProblem::Clipping)),
        ("silent", p("silent"), Some(AudioProblem::Silent)),
        ("noisy", p("noisy"), Some(AudioProblem::Noisy)),
        ("hum", p("hum"), Some(AudioProblem::Hum)),
    ]
}

/// Reads a WAV file as mono f32 samples and its rate.
fn read_wav(path: &Path) -> (Vec<f32>, u32) {
    let mut reader =
        hound::WavReader::open(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let spec = reader.spec();
    let samples: Vec<f32> = match spec.sample_format {
        hound::SampleFormat::Float => reader
            .samples::<f32>()
            .map(|s| s.expect("sample"))
            .collect(),
        hound::SampleFormat::Int => {
            let scale = (1i64 << (spec.bits_per_sample - 1)) as f32;
            reader
                .samples::<i32>()
                .map(|s| s.expect("sample") as f32 / scale)
                .collect()
        }
    };
    (
        downmix(&samples, usize::from(spec.channels)),
        spec.sample_rate,
    )
}

#[test]
fn speech_and_its_variants_are_classified() {
    let dir = TempDir::new();
    let mut wrong = Vec::new();
    for (name, path, expected) in recordings(dir.path()) {
        let (samples, rate) = read_wav(&path);
        let stats = analyse_audio(&samples, rate);
        let found: Vec<AudioProblem> = audio_problems(&stats).into_iter().map(|(p, _)| p).collect();
        eprintln!("{name}: {stats:?} → {found:?}");
        let right = match expected {
            None => found.is_empty(),
            Some(p) => found.first() == Some(&p),
        };
        if !right {
            wrong.push(format!("{name}: expected {expected:?}, found {found:?}"));
        }
        let item = evaluate_audio(&stats, Language::Zh);
        let want = if expected.is_none() {
            CheckStatus::Pass
        } else {
            CheckStatus::Warn
        };
        if item.status < want {
            wrong.push(format!("{name}: status {:?}", item.status));
        }
    }
    assert!(wrong.is_empty(), "{wrong:#?}");
}
