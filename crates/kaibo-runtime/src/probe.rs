//! `kaibo probe`: the uplink measured against a platform's requirement.

use kaibo_media::{MediaError, probe_uplink};
use kaibo_model::probe::{ProbeReport, judge, recommended_video_kbps};
use kaibo_model::{Destination, PlatformProfile};
use std::time::{Duration, Instant};

/// How long the test publish runs: the verdict comes within five seconds.
pub const PROBE_SECONDS: f64 = 4.0;

/// Probes the uplink to `dest` (a short test publish to it) and judges it for `profile`.
pub fn run_probe(
    dest: &Destination,
    profile: &PlatformProfile,
    progress: impl FnMut(f64, f64),
) -> Result<ProbeReport, MediaError> {
    let started = Instant::now();
    // Send more than the platform requires and more than the stream needs, so both can be
    // proven; what the server acknowledges is the measure.
    let stream_kbps = profile.video_kbps + profile.audio_kbps;
    let send_kbps = (profile.uplink_kbps * 3 / 2).max(stream_kbps * 5 / 4);
    let measure = probe_uplink(
        dest,
        send_kbps,
        Duration::from_secs_f64(PROBE_SECONDS),
        progress,
    )?;
    Ok(ProbeReport {
        uplink_kbps: measure.uplink_kbps.round(),
        downlink_kbps: None,
        rtt_ms: measure.rtt_ms.map(|r| (r * 10.0).round() / 10.0),
        retransmit_pct: measure.retransmit_pct.map(|r| (r * 100.0).round() / 100.0),
        verdict: judge(measure.uplink_kbps, profile.uplink_kbps),
        required_uplink_kbps: profile.uplink_kbps,
        required_downlink_kbps: profile.downlink_kbps,
        recommended_video_kbps: recommended_video_kbps(
            measure.uplink_kbps,
            profile.audio_kbps,
            profile.video_kbps,
        ),
        duration_s: (started.elapsed().as_secs_f64() * 100.0).round() / 100.0,
    })
}
