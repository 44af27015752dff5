//! The WHIP protocol of a link: each connection is a link pipeline ending in `webrtcbin` and
//! a signalling thread (`publish`); `watch` follows it.

use super::{AUDIO_PT, VIDEO_PT, webrtc};
use crate::abr::LinkSignal;
use crate::error::{FailureKind, MediaError, OutputLabel};
use crate::output::{
    Happening, Link, LinkProtocol, Policy, Status, Tap, Timeline, request_keyframe,
};
use crate::sources::make;
use gst::prelude::*;
use kaibo_model::{OutputKind, WhipEndpoint};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// What the signalling thread and the streaming threads share with the link.
#[derive(Default)]
pub(super) struct Shared {
    pub stop: AtomicBool,
    pub outcome: Mutex<Option<Result<String, (FailureKind, String)>>>,
    /// Media bytes (RTP) handed to webrtcbin while connected.
    pub bytes: AtomicU64,
    pub connected: AtomicBool,
    /// When the server last sent anything (RTCP reports, ICE checks): a server that vanished
    /// without a word is noticed by its silence.
    pub heard: Mutex<Option<Instant>>,
    /// Packets heard (for the log).
    pub heard_packets: AtomicU64,
}

pub(crate) struct Whip {
    pub(super) index: usize,
    pub(super) endpoint: WhipEndpoint,
    pub(super) pipeline: Option<gst::Pipeline>,
    pub(super) webrtc: Option<gst::Element>,
    /// The current connection's; a new one for each.
    pub(super) shared: Arc<Shared>,
    /// The session's resource on the server, once published.
    pub(super) location: Option<String>,
    pub(super) answered_at: Option<Instant>,
    /// RTP bytes of earlier connections.
    pub(super) bytes_before: u64,
}

impl Whip {
    /// Adds the session side (queues and appsinks on the H.264 and Opus tees).
    pub fn attach(
        session: &gst::Pipeline,
        index: usize,
        endpoint: &WhipEndpoint,
        vtee: &gst::Element,
        otee: &gst::Element,
    ) -> Result<Link<Self>, MediaError> {
        let tap = Tap::attach(session, index, Some([vtee, otee]), false)?;
        let label = OutputLabel {
            target: endpoint.redacted(),
            host_port: format!("{}:{}", endpoint.host, endpoint.effective_port()),
            is_rtmp: true,
        };
        let whip = Self {
            index,
            endpoint: endpoint.clone(),
            pipeline: None,
            webrtc: None,
            shared: Arc::new(Shared::default()),
            location: None,
            answered_at: None,
            bytes_before: 0,
        };
        Ok(Link::new(label, tap, whip))
    }

    /// Notes each packet from the server: a probe on every ICE source webrtcbin creates.
    fn listen_to_server(&self, webrtc: &gst::Element) {
        let Some(bin) = webrtc.downcast_ref::<gst::Bin>() else {
            return;
        };
        let shared = Arc::clone(&self.shared);
        bin.connect_deep_element_added(move |_, _, element| {
            let is_ice_source = element
                .factory()
                .is_some_and(|f| f.name().as_str() == "nicesrc");
            let Some(pad) = is_ice_source.then(|| element.static_pad("src")).flatten() else {
                return;
            };
            let shared = Arc::clone(&shared);
            pad.add_probe(
                gst::PadProbeType::BUFFER | gst::PadProbeType::BUFFER_LIST,
                move |_, _| {
                    if let Ok(mut heard) = shared.heard.lock() {
                        *heard = Some(Instant::now());
                    }
                    shared.heard_packets.fetch_add(1, Ordering::Relaxed);
                    gst::PadProbeReturn::Ok
                },
            );
        });
    }

    /// Counts the RTP bytes webrtcbin takes while the peer connection is up.
    fn count_bytes(&self, pad: &gst::Pad) {
        let shared = Arc::clone(&self.shared);
        pad.add_probe(
            gst::PadProbeType::BUFFER | gst::PadProbeType::BUFFER_LIST,
            move |_, info| {
                if shared.connected.load(Ordering::Relaxed) {
                    let n = match &info.data {
                        Some(gst::PadProbeData::Buffer(b)) => b.size(),
                        Some(gst::PadProbeData::BufferList(l)) => l.calculate_size(),
                        _ => 0,
                    };
                    shared.bytes.fetch_add(n as u64, Ordering::Relaxed);
                }
                gst::PadProbeReturn::Ok
            },
        );
    }
}

/// A viewer's picture-loss request (RTCP PLI/FIR, upstream from webrtcbin) asks the
/// session's encoder (upstream of the tap's `video_pad`) for a keyframe.
fn forward_keyframe_requests(video_src: &gst_app::AppSrc, video_pad: Option<gst::Pad>) {
    let (Some(src_pad), Some(sink_pad)) = (video_src.static_pad("src"), video_pad) else {
        return;
    };
    src_pad.add_probe(gst::PadProbeType::EVENT_UPSTREAM, move |_, info| {
        if let Some(event) = info.event()
            && gst_video::UpstreamForceKeyUnitEvent::parse(event).is_ok()
        {
            request_keyframe(&sink_pad);
        }
        gst::PadProbeReturn::Ok
    });
}

impl LinkProtocol for Whip {
    const POLICY: Policy = Policy {
        kind: OutputKind::Whip,
        // The peer connection is up only once ICE and DTLS worked: that is the server's yes.
        confirm_after: Duration::ZERO,
        reconnecting_until_live: false,
        // webrtcbin has no end of stream to pass on; the DELETE at shutdown ends the session.
        eos_through_link: false,
        unrecovered_fails: false,
        failed_restart: Some("the new WebRTC link did not start"),
    };

    /// A new link pipeline and signalling (at the start and for each reconnection).
    fn connect(
        &mut self,
        label: &OutputLabel,
        tap: &Tap,
        timeline: &Timeline,
    ) -> Result<(), MediaError> {
        self.shared = Arc::new(Shared::default());
        self.answered_at = None;
        let p = format!("out{}", self.index);
        if gst::ElementFactory::find("nicesrc").is_none() {
            // webrtcbin loads without its ICE transport and only fails once connecting.
            return Err(MediaError::MissingElement {
                factory: "nicesrc".into(),
                package: crate::error::package_of("nicesrc"),
            });
        }
        let pipeline = gst::Pipeline::with_name(&p);
        let webrtc = make("webrtcbin", &format!("{p}-webrtcbin"))?;
        webrtc.set_property_from_str("bundle-policy", "max-bundle");
        pipeline.add(&webrtc)?;
        self.listen_to_server(&webrtc);
        if self.endpoint.is_loopback() {
            webrtc::pin_loopback(&webrtc);
        }
        let video_pay = make("rtph264pay", &format!("{p}-rtph264pay"))?;
        video_pay.set_property("config-interval", -1i32);
        video_pay.set_property("pt", VIDEO_PT);
        video_pay.set_property_from_str("aggregate-mode", "zero-latency");
        let audio_pay = make("rtpopuspay", &format!("{p}-rtpopuspay"))?;
        audio_pay.set_property("pt", AUDIO_PT);
        let mut srcs = Vec::new();
        for (what, pay) in [("video", &video_pay), ("audio", &audio_pay)] {
            let src = Tap::appsrc(&format!("{p}-{what}-appsrc"), None);
            pipeline.add_many([src.upcast_ref(), pay])?;
            src.link(pay)?;
            let pad = webrtc
                .request_pad_simple("sink_%u")
                .ok_or_else(|| MediaError::Build(format!("{p}: webrtcbin gave no pad")))?;
            pay.static_pad("src")
                .ok_or_else(|| MediaError::Build("payloader without src pad".into()))?
                .link(&pad)
                .map_err(|e| MediaError::Build(format!("{p}: {e:?}")))?;
            let transceiver = pad.property::<gst_webrtc::WebRTCRTPTransceiver>("transceiver");
            transceiver.set_direction(gst_webrtc::WebRTCRTPTransceiverDirection::Sendonly);
            self.count_bytes(&pad);
            srcs.push(src);
        }
        forward_keyframe_requests(&srcs[0], tap.video_pad());
        let shared = Arc::clone(&self.shared);
        let keyframes = tap.video_pad();
        webrtc.connect_notify(Some("connection-state"), move |w, _| {
            let state = w.property::<gst_webrtc::WebRTCPeerConnectionState>("connection-state");
            let now = state == gst_webrtc::WebRTCPeerConnectionState::Connected;
            if now && !shared.connected.swap(true, Ordering::SeqCst) {
                // Start the viewer's picture at once, not at the next regular keyframe.
                if let Some(pad) = &keyframes {
                    request_keyframe(pad);
                }
            } else if !now {
                shared.connected.store(false, Ordering::SeqCst);
            }
        });
        tap.start(&pipeline, timeline, &srcs, "the WebRTC link", &label.target)?;
        self.spawn_signalling(webrtc.clone(), &label.target);
        self.pipeline = Some(pipeline);
        self.webrtc = Some(webrtc);
        Ok(())
    }

    fn follow(
        &mut self,
        label: &OutputLabel,
        status: Status,
        secrets: &dyn Fn(&str) -> String,
    ) -> Option<Happening> {
        self.watch(label, status, secrets)
    }

    fn drop_lost(&mut self, _label: &OutputLabel, tap: &Tap) {
        self.drop_connection(tap);
    }

    fn close(&mut self, label: &OutputLabel, tap: &Tap) {
        self.teardown(label, tap);
    }

    fn is_open(&self) -> bool {
        self.pipeline.is_some()
    }

    fn bytes(&self) -> u64 {
        self.bytes_before + self.shared.bytes.load(Ordering::Relaxed)
    }

    /// WHIP links are not adaptive-bitrate inputs (no feedback from WebRTC yet).
    fn congestion(&mut self, _now: Instant, _live: bool, _tap: &Tap) -> Option<LinkSignal> {
        None
    }

    fn cannot_leave(&self) -> Option<MediaError> {
        Some(MediaError::State(
            "a WHIP destination cannot leave a running session yet; stop the session".into(),
        ))
    }
}
