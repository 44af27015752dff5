//! A WHIP destination that was live and then lost (ICE/DTLS failed, the peer connection closed,
//! or the server went silent) is retried with a new offer, with the RTMP links' backoff: the
//! other outputs, the encoder and the recording never notice.

use super::{LinkEvent, LinkState, WhipLink, signal};
use crate::error::FailureKind;
use crate::rtmp_link::retry_in;
use gst::prelude::*;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

/// A server that sent nothing (no RTCP receiver report, no ICE check) for this long is gone:
/// receivers report at least every 7.5 s (RFC 3550's 5 s interval, randomised), browsers and
/// media servers far more often.
const SERVER_SILENCE: Duration = Duration::from_secs(15);

impl WhipLink {
    /// Failures that another offer will not fix: the token, the endpoint.
    pub(super) fn permanent(kind: FailureKind) -> bool {
        matches!(
            kind,
            FailureKind::KeyRejected | FailureKind::EndpointRejected
        )
    }

    /// The server has been silent too long while the link was live.
    pub(super) fn server_gone(&self) -> bool {
        self.state == LinkState::Live
            && self
                .shared
                .heard
                .lock()
                .ok()
                .and_then(|h| *h)
                .is_some_and(|t| t.elapsed() >= SERVER_SILENCE)
    }

    /// Drops the connection (the server is told with a DELETE in the background, if it is
    /// still there) and schedules a new offer.
    pub(super) fn lost(&mut self, reason: String) -> LinkEvent {
        self.shared.stop.store(true, Ordering::SeqCst);
        if let (Ok(mut v), Ok(mut a)) = (self.feed.video.lock(), self.feed.audio.lock()) {
            *v = None;
            *a = None;
        }
        if let Some(location) = self.location.take() {
            let token = self.endpoint.token.clone();
            // The engine thread never waits for a server that may be gone.
            let _ = std::thread::Builder::new()
                .name("kaibo-whip-delete".into())
                .spawn(move || {
                    if let Ok(client) = signal::client() {
                        signal::delete(&client, &location, token.as_ref());
                    }
                });
        }
        self.bytes_before += self.shared.bytes.load(Ordering::Relaxed);
        self.shared.connected.store(false, Ordering::SeqCst);
        if let Some(p) = self.pipeline.take() {
            let _ = p.set_state(gst::State::Null);
        }
        self.webrtc = None;
        self.attempt += 1;
        let lost_at = *self.lost_at.get_or_insert_with(Instant::now);
        let in_s = retry_in(self.attempt, lost_at);
        self.retry_at = Some(Instant::now() + Duration::from_secs_f64(in_s));
        self.state = LinkState::Waiting;
        log::warn!("{}: {reason}; new offer in {in_s:.1} s", self.label.target);
        LinkEvent::Reconnecting {
            attempt: self.attempt,
            in_s,
            reason,
        }
    }

    /// While waiting: a new connection once the retry is due.
    pub(super) fn retry_when_due(&mut self) -> Option<LinkEvent> {
        if self.retry_at.is_none_or(|t| Instant::now() < t) {
            return None;
        }
        self.retry_at = None;
        self.reconnects += 1;
        match self.connect() {
            Ok(()) => None,
            Err(e) => Some(self.lost(format!("the new WebRTC link did not start: {e}"))),
        }
    }

    /// Connected (again): the outage is over.
    pub(super) fn connected_now(&mut self) {
        self.state = LinkState::Live;
        self.ever_live = true;
        self.attempt = 0;
        self.lost_at = None;
    }
}
