//! A destination's link: the lifecycle every protocol shares, around the protocol's own part.
//!
//! ```text
//! start → Connecting ──(media reaches the server)──→ Live
//! trouble ──→ Waiting (retry with backoff) when the link was confirmed live and another
//!             connection may help; otherwise ──→ Failed
//! Waiting ──(retry due: a new link pipeline)──→ Connecting (or Waiting until live: RTMP)
//! the end of stream through, or shutdown ──→ Stopped
//! ```
//! [`Link`] owns the state, the retries with backoff, the counts and the session-side
//! [`Tap`]; a [`LinkProtocol`] (RTMP in `rtmp`, WHIP in `crate::whip`) builds the link
//! pipeline for each connection, tells what happened to it, and drops it. A link's errors
//! never reach the session pipeline.

use super::tap::Tap;
use super::{Output, Timeline};
use crate::abr::LinkSignal;
use crate::engine_event::EngineEvent;
use crate::error::{FailureKind, MediaError, OutputLabel};
use kaibo_model::{OutputKind, OutputState};
use std::time::{Duration, Instant};

#[cfg(test)]
mod tests;

/// Short first retries: a server back after a 5 s outage is found again within about a second.
const FIRST_RETRY: Duration = Duration::from_millis(250);
const MAX_RETRY: Duration = Duration::from_secs(30);
/// For this long after a drop, retries are at most [`SHORT_OUTAGE_RETRY`] apart.
const SHORT_OUTAGE: Duration = Duration::from_secs(20);
const SHORT_OUTAGE_RETRY: Duration = Duration::from_millis(1200);

/// Where a link is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum LinkState {
    Connecting,
    Live,
    /// Lost after it was live: waiting to retry (or, for some protocols, retrying).
    Waiting,
    Stopped,
    Failed,
}

/// How a protocol's lifecycle differs from the others'. Each field keeps what that protocol
/// did before the links shared one lifecycle.
pub(crate) struct Policy {
    pub kind: OutputKind,
    /// How long a connection must have lasted, live, before losing it counts as lost (and is
    /// retried) rather than refused.
    pub confirm_after: Duration,
    /// A new connection after a loss reads as Reconnecting until it is live (else Connecting).
    pub reconnecting_until_live: bool,
    /// The session's end of stream goes through the link pipeline, which reports when it
    /// reached the server; otherwise the link is done once the tap saw it.
    pub eos_through_link: bool,
    /// A link still waiting to reconnect when the session stops is reported as failed.
    pub unrecovered_fails: bool,
    /// When a new connection after a loss cannot even be built: the host is told, with this
    /// sentence before the error, and the retry is scheduled again; `None` retries quietly.
    pub failed_restart: Option<&'static str>,
}

/// What a link's protocol tells its lifecycle.
pub(crate) enum Happening {
    /// Media reaches the server: the connection works.
    Live,
    /// Something went wrong with the connection.
    Trouble(Trouble),
    /// The end of stream reached the server.
    Ended,
}

/// A connection in trouble: retried when the link was confirmed live and `retry` says another
/// connection may help, else the link fails with `error`.
pub(crate) struct Trouble {
    pub error: MediaError,
    pub retry: bool,
    /// What the host is told while the link retries.
    pub reason: String,
    /// The underlying cause, for the final report when the link never comes back.
    pub cause: String,
}

/// What a protocol reads of its link.
#[derive(Clone, Copy)]
pub(crate) struct Status {
    pub state: LinkState,
    /// The link was confirmed live once (see [`Policy::confirm_after`]).
    pub ever_live: bool,
}

/// The parts of a link that differ by protocol.
pub(crate) trait LinkProtocol: Send + Sync {
    const POLICY: Policy;

    /// Builds and starts a link pipeline on the session's timeline and plugs it into `tap`.
    fn connect(
        &mut self,
        label: &OutputLabel,
        tap: &Tap,
        timeline: &Timeline,
    ) -> Result<(), MediaError>;

    /// What happened to the connection since the last call, one thing at a time.
    fn follow(
        &mut self,
        label: &OutputLabel,
        status: Status,
        secrets: &dyn Fn(&str) -> String,
    ) -> Option<Happening>;

    /// Drops a lost connection; the server may be gone, so nothing waits for it.
    fn drop_lost(&mut self, label: &OutputLabel, tap: &Tap);

    /// Tears the connection down for good (stop, failure, giving up).
    fn close(&mut self, label: &OutputLabel, tap: &Tap);

    /// A link pipeline exists.
    fn is_open(&self) -> bool;

    /// Bytes sent to the server over every connection.
    fn bytes(&self) -> u64;

    /// The adaptive-bitrate signals since the previous call, while `live`.
    fn congestion(&mut self, _now: Instant, _live: bool, _tap: &Tap) -> Option<LinkSignal> {
        None
    }

    /// Why the link cannot leave a running session, when it cannot.
    fn cannot_leave(&self) -> Option<MediaError> {
        None
    }
}

/// A destination fed from the session's encoders through a pipeline of its own.
pub(crate) struct Link<P: LinkProtocol> {
    label: OutputLabel,
    tap: Tap,
    protocol: P,
    state: LinkState,
    timeline: Option<Timeline>,
    connected_at: Option<Instant>,
    ever_live: bool,
    attempt: u32,
    retry_at: Option<Instant>,
    /// When the current outage began.
    lost_at: Option<Instant>,
    reconnects: u32,
    /// Why the link last dropped, for the final report when it never came back.
    last_error: Option<String>,
}

impl<P: LinkProtocol> Link<P> {
    pub fn new(label: OutputLabel, tap: Tap, protocol: P) -> Self {
        Self {
            label,
            tap,
            protocol,
            state: LinkState::Connecting,
            timeline: None,
            connected_at: None,
            ever_live: false,
            attempt: 0,
            retry_at: None,
            lost_at: None,
            reconnects: 0,
            last_error: None,
        }
    }

    fn connect(&mut self) -> Result<(), MediaError> {
        let Some(timeline) = self.timeline.clone() else {
            return Err(MediaError::State(
                "the link started before the session".into(),
            ));
        };
        self.protocol.connect(&self.label, &self.tap, &timeline)?;
        self.connected_at = Some(Instant::now());
        self.state = if self.ever_live && P::POLICY.reconnecting_until_live {
            LinkState::Waiting
        } else {
            LinkState::Connecting
        };
        Ok(())
    }

    /// While a retry is pending: a new connection once it is due.
    fn retry_when_due(&mut self) -> Option<EngineEvent> {
        if self.retry_at.is_none_or(|t| Instant::now() < t) {
            return None;
        }
        self.retry_at = None;
        self.reconnects += 1;
        let error = self.connect().err()?;
        match P::POLICY.failed_restart {
            Some(what) => Some(self.lost(format!("{what}: {error}"), error.to_string())),
            None => {
                log::warn!("{}: reconnect failed to start: {error}", self.label.target);
                self.schedule_retry();
                None
            }
        }
    }

    /// Media flows (again): the outage is over.
    fn went_live(&mut self) {
        self.state = LinkState::Live;
        self.attempt = 0;
        self.lost_at = None;
    }

    /// A connection that stayed live long enough proves the server accepts the stream: only
    /// then is a drop a lost connection worth reconnecting (servers that refuse a key often
    /// accept the publish command and close the connection a moment later).
    fn confirm(&mut self) {
        if self.state == LinkState::Live
            && self
                .connected_at
                .is_some_and(|t| t.elapsed() >= P::POLICY.confirm_after)
        {
            self.ever_live = true;
        }
    }

    fn trouble(&mut self, trouble: Trouble) -> EngineEvent {
        if self.ever_live && trouble.retry {
            return self.lost(trouble.reason, trouble.cause);
        }
        self.protocol.close(&self.label, &self.tap);
        self.state = LinkState::Failed;
        EngineEvent::OutputFailed {
            target: self.label.target.clone(),
            error: trouble.error,
        }
    }

    /// Drops the connection and schedules the next.
    fn lost(&mut self, reason: String, cause: String) -> EngineEvent {
        self.protocol.drop_lost(&self.label, &self.tap);
        self.last_error = Some(cause);
        let in_s = self.schedule_retry();
        log::warn!(
            "{}: {reason}; next attempt in {in_s:.1} s",
            self.label.target
        );
        EngineEvent::Reconnecting {
            target: self.label.target.clone(),
            attempt: self.attempt,
            in_s,
            reason,
        }
    }

    fn schedule_retry(&mut self) -> f64 {
        self.attempt += 1;
        let lost_at = *self.lost_at.get_or_insert_with(Instant::now);
        let in_s = retry_in(self.attempt, lost_at);
        self.retry_at = Some(Instant::now() + Duration::from_secs_f64(in_s));
        self.state = LinkState::Waiting;
        in_s
    }
}

impl<P: LinkProtocol> Output for Link<P> {
    fn label(&self) -> &OutputLabel {
        &self.label
    }

    fn kind(&self) -> OutputKind {
        P::POLICY.kind
    }

    /// Connects, sharing the session's clock and base time so timestamps mean the same.
    fn start(&mut self, timeline: &Timeline) -> Result<(), MediaError> {
        self.timeline = Some(timeline.clone());
        self.connect()
    }

    /// Retries when due; otherwise follows the connection: live, lost, failed, ended.
    fn service(&mut self, secrets: &dyn Fn(&str) -> String) -> Option<EngineEvent> {
        if self.state == LinkState::Waiting && self.retry_at.is_some() {
            return self.retry_when_due();
        }
        loop {
            self.confirm();
            let status = Status {
                state: self.state,
                ever_live: self.ever_live,
            };
            match self.protocol.follow(&self.label, status, secrets)? {
                Happening::Live => self.went_live(),
                Happening::Trouble(trouble) => return Some(self.trouble(trouble)),
                Happening::Ended => {
                    self.state = LinkState::Stopped;
                    return None;
                }
            }
        }
    }

    fn state(&self) -> OutputState {
        match self.state {
            LinkState::Connecting => OutputState::Connecting,
            LinkState::Live => OutputState::Live,
            LinkState::Waiting => OutputState::Reconnecting,
            LinkState::Stopped => OutputState::Stopped,
            LinkState::Failed => OutputState::Failed,
        }
    }

    fn bytes(&self) -> u64 {
        self.protocol.bytes()
    }

    fn reconnects(&self) -> u32 {
        self.reconnects
    }

    fn dropped_frames(&self) -> u64 {
        self.tap.dropped_frames()
    }

    fn congestion(&mut self, now: Instant) -> Option<LinkSignal> {
        let live = self.state == LinkState::Live;
        self.protocol.congestion(now, live, &self.tap)
    }

    fn tee_queues(&self) -> Vec<gst::Element> {
        self.tap.session_queues()
    }

    fn leave(&self) -> Result<Vec<gst::Element>, MediaError> {
        match self.protocol.cannot_leave() {
            Some(error) => Err(error),
            None => Ok(self.tap.session_queues()),
        }
    }

    /// True when the end of stream is through (or there is nothing to end).
    fn ended(&self) -> bool {
        !self.protocol.is_open()
            || (!P::POLICY.eos_through_link && self.tap.ended())
            || matches!(self.state, LinkState::Stopped | LinkState::Failed)
    }

    fn give_up(&mut self, waited: Duration) -> String {
        self.protocol.close(&self.label, &self.tap);
        self.state = LinkState::Failed;
        format!(
            "could not start publishing to {} within {} s: the server did not accept the stream. Check the push URL, your network and firewall",
            self.label.target,
            waited.as_secs()
        )
    }

    fn shutdown(&mut self) {
        self.protocol.close(&self.label, &self.tap);
        if self.state != LinkState::Failed {
            self.state = LinkState::Stopped;
        }
    }

    fn unrecovered(&self) -> Option<MediaError> {
        if !P::POLICY.unrecovered_fails || self.state != LinkState::Waiting {
            return None;
        }
        Some(MediaError::Stream {
            kind: FailureKind::ConnectionLost,
            element: String::new(),
            message: format!(
                "the connection to {} was lost ({}) and did not come back after {} reconnect attempts. Check the network and the server, then go live again",
                self.label.target,
                self.last_error.as_deref().unwrap_or("no reason given"),
                self.reconnects
            ),
            detail: String::new(),
        })
    }

    fn is_link(&self) -> bool {
        true
    }
}

impl<P: LinkProtocol> Drop for Link<P> {
    fn drop(&mut self) {
        self.protocol.close(&self.label, &self.tap);
    }
}

/// Seconds until retry number `attempt` of an outage that began at `lost_at`: ×1.5 from a
/// quarter second with ±10 % jitter. A young outage is retried often, so a server back after a
/// few seconds gets the stream again within about a second; a long one backs off to 30 s.
fn retry_in(attempt: u32, lost_at: Instant) -> f64 {
    let base = FIRST_RETRY.as_secs_f64() * 1.5f64.powi(attempt.saturating_sub(1).min(20) as i32);
    let ceiling = if lost_at.elapsed() < SHORT_OUTAGE {
        SHORT_OUTAGE_RETRY
    } else {
        MAX_RETRY
    };
    base.min(ceiling.as_secs_f64()) * (0.9 + 0.2 * jitter())
}

/// A number in [0, 1) that differs between calls, for retry jitter.
fn jitter() -> f64 {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    f64::from(nanos % 1000) / 1000.0
}
