//! Sound from a few seconds of the microphone while the host speaks: level, peaks, clipping,
//! noise floor and signal-to-noise, silence, and mains hum (50/60 Hz and harmonics).

use crate::{CheckItem, CheckStatus, Language, one_decimal};
use kaibo_model::Tr;
use kaibo_model::checklist::ids;
use serde::Serialize;

/// Floor for levels of digital silence, in dBFS.
pub const FLOOR_DBFS: f64 = -100.0;
/// Window for speech and noise levels.
const WINDOW_S: f64 = 0.05;
/// A sample at or above this magnitude is clipped.
const CLIP_LEVEL: f32 = 0.995;

/// What a recording measured.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct AudioStats {
    pub duration_s: f64,
    pub rms_dbfs: f64,
    pub peak_dbfs: f64,
    /// Share of samples at full scale, in percent.
    pub clipped_pct: f64,
    /// Loud windows' level (90th percentile of 50 ms windows): the voice.
    pub speech_dbfs: f64,
    /// Quiet windows' level (10th percentile): the room and the microphone's own noise.
    pub noise_floor_dbfs: f64,
    pub snr_db: f64,
    /// Mains frequency whose hum is strongest, and its level (fundamental plus two harmonics).
    pub hum_hz: u32,
    pub hum_dbfs: f64,
    /// The mains lines' share of all the sound's power, in percent.
    pub hum_share_pct: f64,
}

/// Something wrong with the sound, most serious first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AudioProblem {
    Silent,
    Clipping,
    Quiet,
    Hum,
    Noisy,
    Loud,
}

fn db(power: f64) -> f64 {
    if power > 0.0 {
        (10.0 * power.log10()).max(FLOOR_DBFS)
    } else {
        FLOOR_DBFS
    }
}

/// Mixes interleaved samples down to one channel.
pub fn downmix(interleaved: &[f32], channels: usize) -> Vec<f32> {
    if channels <= 1 {
        return interleaved.to_vec();
    }
    interleaved
        .chunks_exact(channels)
        .map(|f| f.iter().sum::<f32>() / channels as f32)
        .collect()
}

/// Measures mono samples (full scale ±1.0) at `rate` Hz.
pub fn analyse_audio(samples: &[f32], rate: u32) -> AudioStats {
    let n = samples.len().max(1);
    let (mut sum_sq, mut peak, mut clipped) = (0f64, 0f32, 0usize);
    for &s in samples {
        let a = s.abs();
        sum_sq += f64::from(s) * f64::from(s);
        peak = peak.max(a);
        clipped += usize::from(a >= CLIP_LEVEL);
    }
    let window = ((f64::from(rate) * WINDOW_S) as usize).max(1);
    let mut levels: Vec<f64> = samples
        .chunks(window)
        .filter(|c| c.len() == window)
        .map(|c| c.iter().map(|&s| f64::from(s) * f64::from(s)).sum::<f64>() / window as f64)
        .collect();
    levels.sort_by(f64::total_cmp);
    let pick = |q: f64| -> f64 {
        levels
            .get(((levels.len().saturating_sub(1)) as f64 * q).round() as usize)
            .copied()
            .unwrap_or(0.0)
    };
    let speech = db(pick(0.9));
    let noise = db(pick(0.1));
    let [p50, p60] = mains_power(samples, rate);
    let (hum_hz, hum_power) = if p60 > p50 { (60, p60) } else { (50, p50) };
    let mean_sq = sum_sq / n as f64;
    AudioStats {
        duration_s: samples.len() as f64 / f64::from(rate.max(1)),
        rms_dbfs: one_decimal(db(mean_sq)),
        peak_dbfs: one_decimal(db(f64::from(peak) * f64::from(peak))),
        clipped_pct: clipped as f64 * 100.0 / n as f64,
        speech_dbfs: one_decimal(speech),
        noise_floor_dbfs: one_decimal(noise),
        snr_db: one_decimal(speech - noise),
        hum_hz,
        hum_dbfs: one_decimal(db(hum_power)),
        hum_share_pct: one_decimal(if mean_sq > 0.0 {
            hum_power * 100.0 / mean_sq
        } else {
            0.0
        }),
    }
}

/// Mean-square power at 50, 100, 150 Hz and at 60, 120, 180 Hz (Hann-windowed Goertzel
/// filters over the whole recording, so the bands are a fraction of a hertz wide and speech
/// hardly reaches them). All six run in one pass over the samples.
fn mains_power(samples: &[f32], rate: u32) -> [f64; 2] {
    const FREQS: [f64; 6] = [50.0, 100.0, 150.0, 60.0, 120.0, 180.0];
    let n = samples.len();
    if n < 16 || rate == 0 {
        return [0.0; 2];
    }
    let coeff = FREQS.map(|f| 2.0 * (std::f64::consts::TAU * f / f64::from(rate)).cos());
    let (mut s1, mut s2) = ([0f64; 6], [0f64; 6]);
    // The window's cosine by rotation (no cos() per sample), renormalised now and then.
    let step = std::f64::consts::TAU / (n - 1) as f64;
    let (dc, ds) = (step.cos(), step.sin());
    let (mut c, mut sn) = (1f64, 0f64);
    for (i, &x) in samples.iter().enumerate() {
        let v = f64::from(x) * (0.5 - 0.5 * c);
        for k in 0..6 {
            let s0 = v + coeff[k] * s1[k] - s2[k];
            s2[k] = s1[k];
            s1[k] = s0;
        }
        (c, sn) = (c * dc - sn * ds, sn * dc + c * ds);
        if i % 4096 == 4095 {
            let norm = c.hypot(sn);
            (c, sn) = (c / norm, sn / norm);
        }
    }
    // The Hann window's coherent gain is 0.5: a sine of amplitude A gives |X| = A·N/4,
    // and its mean square is A²/2.
    let power = |k: usize| {
        let mag_sq = s1[k] * s1[k] + s2[k] * s2[k] - coeff[k] * s1[k] * s2[k];
        let amplitude = 4.0 * mag_sq.max(0.0).sqrt() / n as f64;
        amplitude * amplitude / 2.0
    };
    [
        power(0) + power(1) + power(2),
        power(3) + power(4) + power(5),
    ]
}

/// The problems in `stats`, most serious first, each with how bad it is.
pub fn audio_problems(stats: &AudioStats) -> Vec<(AudioProblem, CheckStatus)> {
    use AudioProblem::*;
    use CheckStatus::{Fail, Warn};
    if stats.peak_dbfs < -50.0 {
        return vec![(Silent, Fail)];
    }
    let mut out = Vec::new();
    if stats.clipped_pct > 0.1 {
        out.push((Clipping, Fail));
    } else if stats.clipped_pct > 0.01 {
        out.push((Clipping, Warn));
    }
    if stats.speech_dbfs < -40.0 {
        out.push((Quiet, Fail));
    } else if stats.speech_dbfs < -30.0 {
        out.push((Quiet, Warn));
    } else if stats.speech_dbfs > -6.0 && out.is_empty() {
        out.push((Loud, Warn));
    }
    // Hum: the mains lines stand out of the noise floor, or carry a visible share of all sound.
    // (Speech itself leaks to about −55 dBFS into the narrow mains bands: not a hum.)
    let hum = stats.hum_dbfs > stats.noise_floor_dbfs + 6.0 && stats.hum_dbfs > -50.0
        || stats.hum_share_pct > 1.0;
    if hum {
        out.push((Hum, Warn));
    }
    if stats.snr_db < 12.0 {
        out.push((Noisy, Fail));
    } else if stats.snr_db < 20.0 && !hum {
        out.push((Noisy, Warn));
    }
    out
}

/// The checklist item for a recording's measurements.
pub fn evaluate_audio(stats: &AudioStats, lang: Language) -> CheckItem {
    let problems = audio_problems(stats);
    let status = problems
        .iter()
        .map(|(_, s)| *s)
        .max()
        .unwrap_or(CheckStatus::Pass);
    let value = format!(
        "RMS {:.1} dBFS, peak {:.1} dBFS, clipped {:.2}%, voice {:.1} dBFS, noise floor {:.1} dBFS, SNR {:.1} dB, {} Hz hum {:.1} dBFS",
        stats.rms_dbfs,
        stats.peak_dbfs,
        stats.clipped_pct,
        stats.speech_dbfs,
        stats.noise_floor_dbfs,
        stats.snr_db,
        stats.hum_hz,
        stats.hum_dbfs
    );
    let hints: Vec<String> = problems
        .iter()
        .map(|(p, _)| problem_hint(*p, stats, lang))
        .collect();
    let hint = match hints.first() {
        Some(h) => h.clone(),
        None => Tr(lang)
            .t(
                "The sound is clear and at a good level.",
                "声音清晰，音量合适。",
            )
            .to_owned(),
    };
    CheckItem::new(ids::AUDIO, status, value, hint)
        .with_details(hints.into_iter().skip(1).collect())
}

fn problem_hint(problem: AudioProblem, stats: &AudioStats, lang: Language) -> String {
    match problem {
        AudioProblem::Silent => Tr(lang).t("No sound: check that the microphone is plugged in and not muted and that it is the system's input, then speak while the check listens.", "没有声音：检查麦克风是否插好、是否静音、系统输入设备是否选对，然后说几句话再测。").to_owned(),
        AudioProblem::Clipping => Tr(lang).t("The sound clips (distorts): lower the microphone gain or move a little further from it.", "声音削波（爆音）：调低麦克风增益，或离麦克风远一点。").to_owned(),
        AudioProblem::Quiet => Tr(lang).t("The voice is too quiet: move closer to the microphone (a hand's width) or raise its gain.", "声音太小：靠近麦克风（一拳左右），或调高麦克风增益。").to_owned(),
        AudioProblem::Loud => Tr(lang).t("The voice is very loud, close to clipping: lower the microphone gain a little.", "声音偏大，接近削波：稍微调低麦克风增益。").to_owned(),
        AudioProblem::Hum => match lang {
            Language::Zh => format!(
                "有 {} Hz 电流声：麦克风线远离电源线和充电器，换个插座或使用 USB 麦克风。",
                stats.hum_hz
            ),
            Language::En => format!(
                "There is a {} Hz mains hum: keep the microphone cable away from power cables and chargers, use another socket or a USB microphone.",
                stats.hum_hz
            ),
        },
        AudioProblem::Noisy => Tr(lang).t("The background is noisy: turn off fans and air conditioning, close doors and windows, or speak closer to the microphone.", "背景噪声大：关掉风扇、空调等噪声源，关好门窗，或靠近麦克风说话。").to_owned(),
    }
}

/// A plain RMS pass over the samples: the baseline the benchmark compares with.
pub fn plain_rms(samples: &[f32]) -> f64 {
    let sum: f64 = samples.iter().map(|&s| f64::from(s) * f64::from(s)).sum();
    (sum / samples.len().max(1) as f64).sqrt()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sine(freq: f64, amp: f32, rate: u32, seconds: f64) -> Vec<f32> {
        (0..(f64::from(rate) * seconds) as usize)
            .map(|i| amp * (std::f64::consts::TAU * freq * i as f64 / f64::from(rate)).sin() as f32)
            .collect()
    }

    #[test]
    fn a_full_scale_sine_measures_minus_three_dbfs_rms() {
        let s = analyse_audio(&sine(1000.0, 0.5, 48_000, 1.0), 48_000);
        assert!((s.rms_dbfs + 9.0).abs() < 0.2, "{s:?}");
        assert!((s.peak_dbfs + 6.0).abs() < 0.2, "{s:?}");
        assert!(s.hum_dbfs < -60.0, "{s:?}");
    }

    #[test]
    fn a_pure_mains_tone_is_measured_at_its_level() {
        let s = analyse_audio(&sine(60.0, 0.1, 48_000, 2.0), 48_000);
        assert_eq!(s.hum_hz, 60);
        assert!((s.hum_dbfs - s.rms_dbfs).abs() < 0.5, "{s:?}");
    }

    #[test]
    fn digital_silence_is_silent() {
        let s = analyse_audio(&vec![0.0; 48_000], 48_000);
        assert_eq!(
            audio_problems(&s),
            vec![(AudioProblem::Silent, CheckStatus::Fail)]
        );
        assert_eq!(s.rms_dbfs, FLOOR_DBFS);
    }
}
