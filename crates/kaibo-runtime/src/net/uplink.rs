//! The uplink probe (`kaibo probe`): the uplink measured against a platform's requirement.

use super::downlink::{DownlinkError, measure_downlink};
use super::hub_link::{HubLink, hub_uplink};
use super::probe_error::ProbeError;
use kaibo_media::probe_uplink;
use kaibo_model::probe_report::{ProbeReport, judge, recommended_video_kbps};
use kaibo_model::{Destination, PlatformProfile};
use std::time::{Duration, Instant};

/// How long the test publish runs: the uplink verdict comes within five seconds.
pub const PROBE_SECONDS: f64 = 3.0;

/// How long the downlink is measured (the first second is warm-up).
const DOWNLOAD: Duration = Duration::from_millis(2500);

/// Probes the uplink — a short test publish to `dest`, or else an upload to `hub` — and the
/// downlink — a timed download from `download_url`, or else from `hub` — and judges both for
/// `profile`.
pub fn run_probe(
    dest: Option<&Destination>,
    hub: Option<&HubLink>,
    profile: &PlatformProfile,
    download_url: Option<&str>,
    progress: impl FnMut(f64, f64),
) -> Result<ProbeReport, ProbeError> {
    let started = Instant::now();
    // Send more than the platform requires and more than the stream needs, so both can be
    // proven; what the server acknowledges is the measure.
    let stream_kbps = profile.video_kbps + profile.audio_kbps;
    let send_kbps = (profile.uplink_kbps * 3 / 2).max(stream_kbps * 5 / 4);
    let duration = Duration::from_secs_f64(PROBE_SECONDS);
    let measure = match (dest, hub) {
        (Some(dest), _) => probe_uplink(dest, send_kbps, duration, progress)?,
        (None, Some(hub)) => hub_uplink(hub, send_kbps, duration, progress)?,
        (None, None) => return Err(ProbeError::NoTarget),
    };
    let downlink_kbps = measure_down(download_url, hub, DOWNLOAD).transpose()?;
    // The worse of the two decides.
    let up = judge(measure.uplink_kbps, profile.uplink_kbps);
    let verdict = match downlink_kbps.map(|d| judge(d, profile.downlink_kbps)) {
        Some(down) => up.max(down),
        None => up,
    };
    Ok(ProbeReport {
        uplink_kbps: measure.uplink_kbps.round(),
        link_saturated: measure.saturated,
        downlink_kbps: downlink_kbps.map(f64::round),
        rtt_ms: measure.rtt_ms.map(|r| (r * 10.0).round() / 10.0),
        retransmit_pct: measure.retransmit_pct.map(|r| (r * 100.0).round() / 100.0),
        verdict,
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

/// Times the downlink for `duration`: from `download_url`, or else from the hub's download
/// test (asked for longer than it is read, so it never ends early); `None` with neither.
pub(crate) fn measure_down(
    download_url: Option<&str>,
    hub: Option<&HubLink>,
    duration: Duration,
) -> Option<Result<f64, DownlinkError>> {
    match (download_url, hub) {
        (Some(url), _) => Some(measure_downlink(url, None, duration)),
        (None, Some(hub)) => Some(measure_downlink(
            &hub.download_url(duration.as_secs() as u32 + 2),
            Some(hub.token()),
            duration,
        )),
        (None, None) => None,
    }
}
