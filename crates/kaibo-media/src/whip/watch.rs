//! What happens to a WHIP connection: the signalling's outcome, the peer connection's state,
//! the server's silence and the link's bus, told to the link lifecycle; and dropping a
//! connection. A loss after the link was live (ICE/DTLS failed, the peer connection closed,
//! or the server went silent) is retried with a new offer; token and endpoint refusals stay
//! final.

use super::link::Whip;
use super::{CONNECT_TIMEOUT, ice_failed_message, signal};
use crate::error::{FailureKind, MediaError, OutputLabel};
use crate::output::{Happening, LinkState, Status, Tap, Trouble};
use gst::prelude::*;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

/// A server that sent nothing (no RTCP receiver report, no ICE check) for this long is gone:
/// receivers report at least every 7.5 s (RFC 3550's 5 s interval, randomised), browsers and
/// media servers far more often.
const SERVER_SILENCE: Duration = Duration::from_secs(15);

impl Whip {
    /// Follows signalling and the peer connection.
    pub(super) fn watch(
        &mut self,
        label: &OutputLabel,
        status: Status,
        secrets: &dyn Fn(&str) -> String,
    ) -> Option<Happening> {
        if !matches!(status.state, LinkState::Connecting | LinkState::Live) {
            return None;
        }
        let outcome = self.shared.outcome.lock().ok().and_then(|mut o| o.take());
        match outcome {
            Some(Ok(location)) => {
                self.location = Some(location);
                self.answered_at = Some(Instant::now());
            }
            Some(Err((kind, message))) => {
                let message = secrets(&message);
                return Some(self.trouble(!permanent(kind), kind, message.clone(), message));
            }
            None => {}
        }
        let webrtc = self.webrtc.clone()?;
        let state = webrtc.property::<gst_webrtc::WebRTCPeerConnectionState>("connection-state");
        let live = status.state == LinkState::Live;
        use gst_webrtc::WebRTCPeerConnectionState as Pc;
        match state {
            Pc::Connected if self.answered_at.is_some() && !live => return Some(Happening::Live),
            Pc::Failed | Pc::Closed if self.answered_at.is_some() => {
                return Some(self.ice_failed(label, secrets));
            }
            Pc::Disconnected if live => return Some(self.ice_failed(label, secrets)),
            _ if status.state == LinkState::Connecting
                && self
                    .answered_at
                    .is_some_and(|t| t.elapsed() >= CONNECT_TIMEOUT) =>
            {
                return Some(self.ice_failed(label, secrets));
            }
            _ => {}
        }
        if live && self.server_gone() {
            let reason = format!(
                "the WHIP server {} stopped answering (nothing heard for 15 s)",
                label.target
            );
            let reason = secrets(&reason);
            let trouble = self.trouble(true, FailureKind::ConnectionLost, reason.clone(), reason);
            return Some(trouble);
        }
        let bus = self.pipeline.as_ref()?.bus()?;
        while let Some(msg) = bus.pop() {
            match msg.view() {
                gst::MessageView::Error(err) => {
                    let text = secrets(&err.error().to_string());
                    let lower = text.to_ascii_lowercase();
                    if lower.contains("dtls") || lower.contains("ice") || lower.contains("nice") {
                        return Some(self.ice_failed(label, secrets));
                    }
                    let message = format!("streaming to {} failed: {text}", label.target);
                    return Some(self.trouble(
                        false,
                        FailureKind::Internal,
                        message.clone(),
                        message,
                    ));
                }
                gst::MessageView::Warning(w) => {
                    log::warn!("{}: {}", label.target, secrets(&w.error().to_string()))
                }
                _ => {}
            }
        }
        None
    }

    /// Trouble for the link: a new offer follows when the link was live and `retry` (the host
    /// is told `reason`); otherwise the link fails with `message`.
    fn trouble(
        &self,
        retry: bool,
        kind: FailureKind,
        reason: String,
        message: String,
    ) -> Happening {
        Happening::Trouble(Trouble {
            retry,
            cause: reason.clone(),
            reason,
            error: MediaError::Stream {
                kind,
                element: format!("out{}-webrtcbin", self.index),
                message: message.clone(),
                detail: message,
            },
        })
    }

    /// No media path, or it went away: a lost connection once the link was live.
    fn ice_failed(&self, label: &OutputLabel, secrets: &dyn Fn(&str) -> String) -> Happening {
        let reason = format!("the WebRTC connection to {} was lost", label.target);
        let message = ice_failed_message(&label.target);
        self.trouble(
            true,
            FailureKind::IceFailed,
            secrets(&reason),
            secrets(&message),
        )
    }

    /// The server has been silent too long.
    fn server_gone(&self) -> bool {
        self.shared
            .heard
            .lock()
            .ok()
            .and_then(|h| *h)
            .is_some_and(|t| t.elapsed() >= SERVER_SILENCE)
    }

    /// Drops a lost connection: the server is told with a DELETE in the background, if it is
    /// still there.
    pub(super) fn drop_connection(&mut self, tap: &Tap) {
        self.shared.stop.store(true, Ordering::SeqCst);
        tap.unplug();
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
    }

    /// Ends the session on the server (DELETE) and tears the connection down.
    pub(super) fn teardown(&mut self, label: &OutputLabel, tap: &Tap) {
        self.shared.stop.store(true, Ordering::SeqCst);
        tap.unplug();
        if let Some(location) = self.location.take() {
            let deleted = signal::client()
                .is_ok_and(|c| signal::delete(&c, &location, self.endpoint.token.as_ref()));
            if !deleted {
                log::warn!(
                    "{}: the server did not confirm the end of the session (DELETE)",
                    label.target
                );
            }
        }
        self.shared.connected.store(false, Ordering::SeqCst);
        if let Some(p) = self.pipeline.take() {
            let _ = p.set_state(gst::State::Null);
        }
        self.webrtc = None;
    }
}

/// Failures that another offer will not fix: the token, the endpoint.
fn permanent(kind: FailureKind) -> bool {
    matches!(
        kind,
        FailureKind::KeyRejected | FailureKind::EndpointRejected
    )
}
