//! A WHIP connection's signalling, on a thread of its own so a slow or dead server never holds
//! up the engine: OPTIONS for ICE servers and trickle support, the offer (after gathering, or
//! at once with trickle ICE), POST → answer → location, then trickle ICE PATCHes.

use super::link::Whip;
use super::{CAPS_TIMEOUT, GATHER_TIMEOUT, signal, trickle, webrtc};
use crate::error::FailureKind;
use std::sync::Arc;
use std::sync::atomic::Ordering;

impl Whip {
    /// Offer → POST → answer on a thread of its own; the outcome waits in `shared`.
    pub(super) fn spawn_signalling(&self, webrtc: gst::Element, target: &str) {
        let shared = Arc::clone(&self.shared);
        let endpoint = self.endpoint.clone();
        let target = target.to_owned();
        // The outcome (the session's location) is told as soon as the answer is set; trickle
        // ICE updates may follow on this thread.
        let run = move || -> Result<(), (FailureKind, String)> {
            let internal = |why: String| {
                (
                    FailureKind::Internal,
                    format!("could not prepare the WebRTC offer for {target}: {why}"),
                )
            };
            let client = signal::client().map_err(|e| e.describe(&target))?;
            let url = endpoint.request_url();
            let token = endpoint.token.as_ref();
            let discovery = signal::discover(&client, &url, token);
            webrtc::set_ice_servers(&webrtc, &discovery.ice_servers);
            webrtc::wait_for_caps(&webrtc, CAPS_TIMEOUT, &shared.stop).map_err(internal)?;
            let candidates = trickle::Candidates::watch(&webrtc);
            let offer = webrtc::offer(&webrtc, GATHER_TIMEOUT, discovery.trickle, &shared.stop)
                .map_err(internal)?;
            let published = signal::publish(&client, &url, token, &offer, &shared.stop)
                .map_err(|e| e.describe(&target))?;
            if shared.stop.load(Ordering::SeqCst) {
                signal::delete(&client, &published.location, token);
                return Err(signal::SignalError::Stopped.describe(&target));
            }
            if !published.ice_servers.is_empty() && discovery.ice_servers.is_empty() {
                log::info!(
                    "{target}: the server named ICE servers only with its answer; they are not used (no ICE restart)"
                );
            }
            if let Err(why) = webrtc::answer(&webrtc, &published.answer) {
                signal::delete(&client, &published.location, token);
                return Err(signal::SignalError::BadAnswer(why).describe(&target));
            }
            if let Ok(mut slot) = shared.outcome.lock() {
                *slot = Some(Ok(published.location.clone()));
            }
            if discovery.trickle || published.trickle {
                let session = trickle::Session::of(&client, &published, token, &target);
                let patches = trickle::send(
                    &session,
                    &webrtc,
                    &offer,
                    &candidates,
                    &shared.stop,
                    GATHER_TIMEOUT,
                );
                log::debug!("{target}: {patches} trickle ICE updates sent");
            }
            Ok(())
        };
        let shared = Arc::clone(&self.shared);
        let spawned = std::thread::Builder::new()
            .name(format!("kaibo-whip{}", self.index))
            .spawn(move || {
                if let Err(failure) = run()
                    && let Ok(mut slot) = shared.outcome.lock()
                {
                    *slot = Some(Err(failure));
                }
            });
        if let Err(e) = spawned
            && let Ok(mut slot) = self.shared.outcome.lock()
        {
            *slot = Some(Err((
                FailureKind::Internal,
                format!("no signalling thread: {e}"),
            )));
        }
    }
}
