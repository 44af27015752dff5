//! The webrtcbin side of a WHIP link: ICE servers, the offer, the answer.

use super::signal::IceServer;
use gst::prelude::*;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// Why webrtcbin could not produce an offer or take the answer.
pub(crate) type Failed = String;

/// Pins ICE to 127.0.0.1: ICE agents skip loopback addresses, so a server on this machine's
/// loopback is otherwise unreachable.
pub(crate) fn pin_loopback(webrtc: &gst::Element) {
    let agent = webrtc.property::<gst_webrtc::WebRTCICE>("ice-agent");
    if !agent.emit_by_name::<bool>("add-local-ip-address", &[&"127.0.0.1"]) {
        log::warn!("the ICE agent did not take 127.0.0.1 as a local address");
    }
}

/// Sets STUN and TURN servers (before the offer, so gathering uses them).
pub(crate) fn set_ice_servers(webrtc: &gst::Element, servers: &[IceServer]) {
    for server in servers {
        let (scheme, rest) = server.url.split_once(':').unwrap_or(("", ""));
        let rest = rest.trim_start_matches("//");
        match scheme {
            "stun" | "stuns" => {
                let host = rest.split('?').next().unwrap_or(rest);
                webrtc.set_property("stun-server", format!("stun://{host}"));
            }
            "turn" | "turns" => {
                let (host, query) = rest.split_once('?').unwrap_or((rest, ""));
                let user = server.username.as_deref().unwrap_or("");
                let pass = server.credential.as_ref().map(|c| c.expose()).unwrap_or("");
                let query = if query.is_empty() {
                    String::new()
                } else {
                    format!("?{query}")
                };
                let uri = format!("{scheme}://{}:{}@{host}{query}", escape(user), escape(pass));
                if !webrtc.emit_by_name::<bool>("add-turn-server", &[&uri]) {
                    log::warn!("a TURN server from the WHIP endpoint was not usable");
                }
            }
            _ => {}
        }
    }
}

/// Percent-escapes what would break a `user:pass@host` URI.
fn escape(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            ':' | '@' | '/' | '%' | '?' | '#' => format!("%{:02X}", c as u32),
            c => c.to_string(),
        })
        .collect()
}

/// Waits until every sink pad of webrtcbin has caps (the offer describes them).
pub(crate) fn wait_for_caps(
    webrtc: &gst::Element,
    timeout: Duration,
    stop: &AtomicBool,
) -> Result<(), Failed> {
    let deadline = Instant::now() + timeout;
    loop {
        let pads = webrtc.sink_pads();
        if !pads.is_empty() && pads.iter().all(|p| p.current_caps().is_some()) {
            return Ok(());
        }
        if stop.load(Ordering::SeqCst) {
            return Err("stopped".into());
        }
        if Instant::now() >= deadline {
            return Err("no encoded video or audio reached the WebRTC link".into());
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Waits for a promise; a reply without a structure (set-*-description) is a success.
fn reply(promise: &gst::Promise, what: &str) -> Result<Option<gst::Structure>, Failed> {
    if promise.wait() != gst::PromiseResult::Replied {
        return Err(format!("webrtcbin gave no {what}"));
    }
    let Some(reply) = promise.get_reply() else {
        return Ok(None);
    };
    if let Ok(err) = reply.get::<gst::glib::Error>("error") {
        return Err(format!("{what}: {err}"));
    }
    Ok(Some(reply.to_owned()))
}

/// Creates the offer, sets it as local description and, unless the candidates will trickle,
/// waits (at most `gather`) for ICE gathering to complete; returns the SDP with every
/// candidate gathered by then.
pub(crate) fn offer(
    webrtc: &gst::Element,
    gather: Duration,
    trickle: bool,
    stop: &AtomicBool,
) -> Result<String, Failed> {
    let promise = gst::Promise::new();
    webrtc.emit_by_name::<()>("create-offer", &[&None::<gst::Structure>, &promise]);
    let offer = reply(&promise, "offer")?
        .ok_or("webrtcbin gave an empty offer")?
        .get::<gst_webrtc::WebRTCSessionDescription>("offer")
        .map_err(|e| format!("offer: {e}"))?;
    let promise = gst::Promise::new();
    webrtc.emit_by_name::<()>("set-local-description", &[&offer, &promise]);
    reply(&promise, "local description")?;
    let deadline = Instant::now() + if trickle { Duration::ZERO } else { gather };
    while webrtc.property::<gst_webrtc::WebRTCICEGatheringState>("ice-gathering-state")
        != gst_webrtc::WebRTCICEGatheringState::Complete
        && Instant::now() < deadline
    {
        if stop.load(Ordering::SeqCst) {
            return Err("stopped".into());
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let local = webrtc
        .property::<Option<gst_webrtc::WebRTCSessionDescription>>("local-description")
        .ok_or("webrtcbin lost its local description")?;
    let sdp = local.sdp().as_text().map_err(|e| e.to_string())?;
    if !trickle && !sdp.contains("a=candidate") {
        return Err("ICE found no local address to offer".into());
    }
    Ok(sdp)
}

/// Sets the server's answer as remote description.
pub(crate) fn answer(webrtc: &gst::Element, sdp: &str) -> Result<(), Failed> {
    let message = gst_sdp::SDPMessage::parse_buffer(sdp.as_bytes())
        .map_err(|_| "the answer is not valid SDP".to_owned())?;
    let answer =
        gst_webrtc::WebRTCSessionDescription::new(gst_webrtc::WebRTCSDPType::Answer, message);
    let promise = gst::Promise::new();
    webrtc.emit_by_name::<()>("set-remote-description", &[&answer, &promise]);
    reply(&promise, "remote description").map(|_| ())
}
