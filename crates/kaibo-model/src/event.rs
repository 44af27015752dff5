//! The vocabulary between a face (CLI, GUI) and the runtime: commands in, events out.

use crate::stats::{SessionState, StatsSnapshot, Summary};
use serde::Serialize;

/// What kind of failure ended a session, as far as a host is concerned.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FailureKind {
    /// Nothing listens at the destination's host and port.
    ConnectionRefused,
    /// The destination's host name does not resolve.
    HostNotFound,
    /// The destination did not answer in time.
    Timeout,
    /// The server accepted the connection but refused to publish with this key.
    KeyRejected,
    /// The connection to the destination broke while live.
    ConnectionLost,
    /// A WebRTC ingest refused the request itself: wrong endpoint, or an offer it cannot take.
    EndpointRejected,
    /// WebRTC connectivity (ICE or DTLS) failed after signalling succeeded.
    IceFailed,
    /// A capture device or display is missing or busy.
    DeviceMissing,
    /// An input file is missing or not readable as media.
    FileInvalid,
    /// A recording could not be written.
    RecordingFailed,
    /// The request itself was not usable (settings, scene).
    Invalid,
    /// A GStreamer element is not installed.
    MissingComponent,
    /// Anything else inside the pipeline.
    Internal,
}

/// Why a session ended early: one sentence for the host, secrets removed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Failure {
    pub kind: FailureKind,
    pub message: String,
}

/// How the picture goes from one scene to the next.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum Transition {
    /// The next frame shows the new scene.
    Cut,
    /// The new scene fades in over the old one.
    Fade { ms: u32 },
}

impl Transition {
    /// The fade hosts expect when they do not choose one.
    pub const DEFAULT_FADE_MS: u32 = 300;
}

/// What a face asks of a running session.
#[derive(Clone, Debug, PartialEq)]
pub enum Command {
    /// End the session cleanly (EOS to every output).
    Stop,
    /// Show another scene of the plan (by index).
    SwitchScene {
        index: usize,
        transition: Transition,
    },
    /// Start another output while the session runs (it must already encode).
    AddOutput(crate::OutputSpec),
    /// End one output (by its target as in the stats) while the others go on.
    RemoveOutput { target: String },
    /// Show these interaction panels on the program (an empty state clears them).
    SetOverlay(crate::OverlayState),
    /// Change the gain or mute of a sound source ([`crate::SourceKind::key`]).
    SetAudio {
        source: String,
        gain_db: f64,
        muted: bool,
    },
    /// Deliver the preview pictures in this format from now on (the window's preview area
    /// changed size, or its way of showing them).
    SetPreviewFormat(crate::PreviewFormat),
}

/// What a running session reports.
#[derive(Clone, Debug, PartialEq)]
pub enum Event {
    State(SessionState),
    Stats(StatsSnapshot),
    /// One output failed for good; the others go on.
    OutputFailed {
        target: String,
        failure: Failure,
    },
    /// A destination dropped; it is retried in `in_s` seconds.
    Reconnecting {
        target: String,
        attempt: u32,
        in_s: f64,
        reason: String,
    },
    /// A command could not be carried out; the session goes on.
    Notice(String),
    /// The session is over; `failure` says why when it did not run as asked.
    Ended {
        summary: Summary,
        failure: Option<Failure>,
    },
}
