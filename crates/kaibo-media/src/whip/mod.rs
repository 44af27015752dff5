//! WHIP (WebRTC-HTTP ingestion): the link protocol of a WHIP destination, its signalling, and
//! the checklist's test of an endpoint.
//!
//! ```text
//! tap: appsrc(H.264) → rtph264pay ─┐
//!      appsrc(Opus)  → rtpopuspay ─┴→ webrtcbin      (one link pipeline per connection)
//! ```
//! The H.264 is the session's one encode (packetization-mode 1, the stream's own
//! profile-level-id, from `rtph264pay`); Opus is encoded once in the session for every WHIP
//! output. Signalling runs on a thread of its own (`publish`, over `signal`), so a slow or dead
//! server never holds up the engine. With an endpoint that takes trickle ICE the offer goes
//! out at once and the candidates follow (`trickle`). The link is live when the peer
//! connection is; `watch` notices a loss (ICE/DTLS failed, the peer connection closed, or the
//! server went silent), after which the shared link lifecycle sends a new offer with backoff.

mod checklist_publish;
mod link;
mod publish;
mod signal;
mod trickle;
mod watch;
mod webrtc;

pub use checklist_publish::check_whip;
pub(crate) use link::Whip;

use std::time::Duration;

/// How long the session may take to hand the link its first encoded media.
const CAPS_TIMEOUT: Duration = Duration::from_secs(5);
/// How long ICE gathering may take before the offer goes out with what was found.
const GATHER_TIMEOUT: Duration = Duration::from_secs(5);
/// How long ICE and DTLS may take after the answer (under the session's 10 s start timeout,
/// so the host hears the WebRTC cause rather than a generic one).
const CONNECT_TIMEOUT: Duration = Duration::from_secs(6);
const VIDEO_PT: u32 = 96;
const AUDIO_PT: u32 = 111;

/// The host's sentence when the server answered but no media path opened.
fn ice_failed_message(target: &str) -> String {
    format!(
        "the WHIP server {target} accepted the stream but no WebRTC media path opened (ICE/DTLS failed). Likely cause: UDP is blocked by a firewall, or the network needs a TURN relay; allow UDP or ask the platform for a TURN server"
    )
}
