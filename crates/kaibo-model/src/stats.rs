//! Live statistics and the final summary of a session.

use serde::Serialize;

/// Where a session is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SessionState {
    Idle,
    Starting,
    Live,
    Reconnecting,
    Stopping,
    Stopped,
    Failed,
}

impl SessionState {
    /// A short lowercase word for progress lines.
    pub fn word(self) -> &'static str {
        match self {
            SessionState::Idle => "idle",
            SessionState::Starting => "starting",
            SessionState::Live => "live",
            SessionState::Reconnecting => "reconnecting",
            SessionState::Stopping => "stopping",
            SessionState::Stopped => "stopped",
            SessionState::Failed => "failed",
        }
    }
}

/// The kind of an output.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum OutputKind {
    Rtmp,
    Whip,
    Record,
}

/// Where an output is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum OutputState {
    Connecting,
    Live,
    Reconnecting,
    Stopped,
    Failed,
}

/// One output's figures. `target` never holds a secret.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct OutputStats {
    pub kind: OutputKind,
    pub target: String,
    pub state: OutputState,
    pub bytes_sent: u64,
    /// Rate over the last interval (in the summary: over the session), all streams included.
    pub kbps: f64,
    pub reconnects: u32,
}

/// A snapshot of a running session, published about once a second.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct StatsSnapshot {
    pub state: SessionState,
    pub elapsed_s: f64,
    /// Frames encoded per second over the last interval (composed, in a preview-only session).
    pub fps: f64,
    /// Encoded video bitrate over the last interval.
    pub video_kbps: f64,
    pub frames_encoded: u64,
    pub frames_dropped: u64,
    pub reconnects: u32,
    /// The video bitrate adaptive bitrate aims at (None when it is off).
    pub target_kbps: Option<u32>,
    /// 0 (nothing queued for any destination) to 1 (two seconds or more queued).
    pub congestion: f64,
    /// The worst destination's backlog, in seconds of stream: latency the link adds.
    pub queue_s: f64,
    pub outputs: Vec<OutputStats>,
}

/// The final account of a session (`kaibo live --json`).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Summary {
    pub duration_s: f64,
    pub frames_encoded: u64,
    pub frames_dropped: u64,
    pub avg_video_kbps: f64,
    pub reconnects: u32,
    pub outputs: Vec<OutputStats>,
}
