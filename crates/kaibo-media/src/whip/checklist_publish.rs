//! The checklist's test of a WHIP destination: a real session with a tiny stream, proving the
//! endpoint, the token and a WebRTC media path (ICE + DTLS), then ended with DELETE.
//!
//! ```text
//! videotestsrc 320×180 → x264enc → rtph264pay ─┐
//! audiotestsrc (silence) → opusenc → rtpopuspay ┴→ webrtcbin   (signalling as a WHIP link)
//! ```

use super::{AUDIO_PT, VIDEO_PT, ice_failed_message, signal, trickle, webrtc};
use crate::error::{FailureKind, MediaError};
use crate::sources::make;
use gst::prelude::*;
use kaibo_model::WhipEndpoint;
use std::sync::atomic::AtomicBool;
use std::time::{Duration, Instant};

/// Publishes to `endpoint` until the WebRTC connection is up (at most `timeout` after the
/// answer), then ends the session. The error says what failed, in the host's words.
pub fn check_whip(endpoint: &WhipEndpoint, timeout: Duration) -> Result<(), MediaError> {
    crate::init()?;
    let target = endpoint.redacted();
    let fail = |(kind, message): (FailureKind, String)| MediaError::Stream {
        kind,
        element: "whip-check".into(),
        detail: message.clone(),
        message,
    };
    let pipeline = build()?;
    let webrtc = pipeline
        .by_name("whip-check-webrtcbin")
        .ok_or_else(|| MediaError::Build("no webrtcbin".into()))?;
    if endpoint.is_loopback() {
        webrtc::pin_loopback(&webrtc);
    }
    let stop = AtomicBool::new(false);
    let client = signal::client().map_err(|e| fail(e.describe(&target)))?;
    let url = endpoint.request_url();
    let token = endpoint.token.as_ref();
    let discovery = signal::discover(&client, &url, token);
    webrtc::set_ice_servers(&webrtc, &discovery.ice_servers);
    pipeline
        .set_state(gst::State::Playing)
        .map_err(|_| MediaError::State("the WHIP test stream did not start".into()))?;
    let internal = |why: String| {
        fail((
            FailureKind::Internal,
            format!("could not prepare a WebRTC offer for {target}: {why}"),
        ))
    };
    let result = (|| {
        webrtc::wait_for_caps(&webrtc, Duration::from_secs(5), &stop).map_err(internal)?;
        let candidates = trickle::Candidates::watch(&webrtc);
        let offer = webrtc::offer(&webrtc, Duration::from_secs(5), discovery.trickle, &stop)
            .map_err(internal)?;
        let published = signal::publish(&client, &url, token, &offer, &stop)
            .map_err(|e| fail(e.describe(&target)))?;
        let outcome = (|| {
            webrtc::answer(&webrtc, &published.answer)
                .map_err(|why| fail(signal::SignalError::BadAnswer(why).describe(&target)))?;
            if discovery.trickle || published.trickle {
                let session = trickle::Session::of(&client, &published, token, &target);
                trickle::send(&session, &webrtc, &offer, &candidates, &stop, timeout);
            }
            connected(&webrtc, timeout)
                .then_some(())
                .ok_or_else(|| fail((FailureKind::IceFailed, ice_failed_message(&target))))
        })();
        if !signal::delete(&client, &published.location, token) {
            log::warn!("{target}: the server did not confirm the end of the test session");
        }
        outcome
    })();
    let _ = pipeline.set_state(gst::State::Null);
    result
}

/// Waits for the peer connection; false when it failed or `timeout` passed.
fn connected(webrtc: &gst::Element, timeout: Duration) -> bool {
    use gst_webrtc::WebRTCPeerConnectionState as Pc;
    let deadline = Instant::now() + timeout;
    while Instant::now() < deadline {
        match webrtc.property::<Pc>("connection-state") {
            Pc::Connected => return true,
            Pc::Failed | Pc::Closed => return false,
            _ => std::thread::sleep(Duration::from_millis(20)),
        }
    }
    false
}

fn build() -> Result<gst::Pipeline, MediaError> {
    let pipeline = gst::Pipeline::with_name("whip-check");
    let webrtc = make("webrtcbin", "whip-check-webrtcbin")?;
    webrtc.set_property_from_str("bundle-policy", "max-bundle");
    pipeline.add(&webrtc)?;
    let video = gst::parse::bin_from_description(
        "videotestsrc is-live=true pattern=ball ! video/x-raw,width=320,height=180,framerate=30/1 \
         ! x264enc tune=zerolatency speed-preset=ultrafast key-int-max=30 \
         ! video/x-h264,profile=constrained-baseline ! rtph264pay name=pay config-interval=-1",
        true,
    )
    .map_err(test_stream)?;
    let audio = gst::parse::bin_from_description(
        "audiotestsrc is-live=true wave=silence ! audioconvert ! audioresample ! opusenc \
         ! rtpopuspay name=pay",
        true,
    )
    .map_err(test_stream)?;
    for (bin, pt) in [(video, VIDEO_PT), (audio, AUDIO_PT)] {
        if let Some(pay) = bin.by_name("pay") {
            pay.set_property("pt", pt);
        }
        pipeline.add(&bin)?;
        let pad = webrtc
            .request_pad_simple("sink_%u")
            .ok_or_else(|| MediaError::Build("webrtcbin gave no pad".into()))?;
        bin.static_pad("src")
            .ok_or_else(|| MediaError::Build("test stream without src pad".into()))?
            .link(&pad)
            .map_err(|e| MediaError::Build(format!("whip check: {e:?}")))?;
        pad.property::<gst_webrtc::WebRTCRTPTransceiver>("transceiver")
            .set_direction(gst_webrtc::WebRTCRTPTransceiverDirection::Sendonly);
    }
    Ok(pipeline)
}

fn test_stream(e: gst::glib::Error) -> MediaError {
    MediaError::Build(format!("the WHIP test stream could not be built: {e}"))
}
