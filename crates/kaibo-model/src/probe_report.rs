//! Judging a measured link against what a platform asks for.

use serde::Serialize;

/// How a measured rate compares with a requirement.
/// Ordered from best to worst, so the worse of two is their `max`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    Pass,
    /// Within 10 % of the threshold, either side.
    Warn,
    Fail,
}

/// Judges `measured_kbps` against `required_kbps`: within ±10 % is a warning.
pub fn judge(measured_kbps: f64, required_kbps: u32) -> Verdict {
    let required = f64::from(required_kbps);
    if measured_kbps >= required * 1.1 {
        Verdict::Pass
    } else if measured_kbps >= required * 0.9 {
        Verdict::Warn
    } else {
        Verdict::Fail
    }
}

/// The video bitrate to use on an uplink: a quarter of it left as headroom, audio taken out,
/// never above what the platform recommends nor below 300 kbps.
pub fn recommended_video_kbps(uplink_kbps: f64, audio_kbps: u32, platform_video_kbps: u32) -> u32 {
    let fits = (uplink_kbps * 0.75 - f64::from(audio_kbps)).max(0.0) as u32;
    fits.clamp(300.min(platform_video_kbps), platform_video_kbps)
}

/// What `kaibo probe` reports.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ProbeReport {
    pub uplink_kbps: f64,
    /// The probe's queue grew or stood unsent throughout: `uplink_kbps` is the link's
    /// capacity. `false`: the link carried all that was sent, so its capacity is at least
    /// that. `null` where the kernel does not say.
    pub link_saturated: Option<bool>,
    /// Not measured without a download URL.
    pub downlink_kbps: Option<f64>,
    pub rtt_ms: Option<f64>,
    pub retransmit_pct: Option<f64>,
    pub verdict: Verdict,
    pub required_uplink_kbps: u32,
    pub required_downlink_kbps: u32,
    pub recommended_video_kbps: u32,
    pub duration_s: f64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verdicts_around_the_threshold() {
        assert_eq!(judge(1400.0, 2000), Verdict::Fail);
        assert_eq!(judge(1850.0, 2000), Verdict::Warn);
        assert_eq!(judge(2150.0, 2000), Verdict::Warn);
        assert_eq!(judge(2300.0, 2000), Verdict::Pass);
        assert_eq!(Verdict::Pass.max(Verdict::Fail), Verdict::Fail);
        assert_eq!(Verdict::Warn.max(Verdict::Pass), Verdict::Warn);
    }

    #[test]
    fn recommendation_leaves_headroom_within_platform_limits() {
        assert_eq!(recommended_video_kbps(1400.0, 128, 2500), 922);
        assert_eq!(recommended_video_kbps(8000.0, 128, 2500), 2500);
        assert_eq!(recommended_video_kbps(200.0, 128, 2500), 300);
    }
}
