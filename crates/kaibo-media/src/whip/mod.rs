//! One WHIP (WebRTC) destination in a pipeline of its own, fed from the session's encoders.
//!
//! ```text
//! session: vtee → queue → appsink ─┐        link: appsrc(H.264) → rtph264pay ─┐
//!          otee → queue → appsink ─┘ ─────→       appsrc(Opus)  → rtpopuspay ─┴→ webrtcbin
//! ```
//! The H.264 is the session's one encode (packetization-mode 1, the stream's own
//! profile-level-id, from `rtph264pay`); Opus is encoded once in the session for every WHIP
//! output. Signalling runs on a thread of its own (`signal`), so a slow or dead server never
//! holds up the engine; the link's errors stay in the link. With an endpoint that takes trickle
//! ICE the offer goes out at once and the candidates follow (`trickle`). A link that fails is
//! retried with a new offer once it was live (`reconnect.rs`).

mod check;
mod reconnect;
mod signal;
mod trickle;
mod webrtc;

pub use check::check_whip;

use crate::error::{FailureKind, MediaError, OutputLabel};
use crate::rtmp_link::{Feed, LinkEvent, LinkState, forward};
use crate::sources::make;
use gst::prelude::*;
use kaibo_model::WhipEndpoint;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How long the session may take to hand the link its first encoded media.
const CAPS_TIMEOUT: Duration = Duration::from_secs(5);
/// How long ICE gathering may take before the offer goes out with what was found.
const GATHER_TIMEOUT: Duration = Duration::from_secs(5);
/// How long ICE and DTLS may take after the answer (under the session's 10 s start timeout,
/// so the host hears the WebRTC cause rather than a generic one).
const CONNECT_TIMEOUT: Duration = Duration::from_secs(6);
const VIDEO_PT: u32 = 96;
const AUDIO_PT: u32 = 111;

/// What the signalling thread shares with the link.
#[derive(Default)]
struct Shared {
    stop: AtomicBool,
    outcome: Mutex<Option<Result<String, (FailureKind, String)>>>,
    /// Media bytes (RTP) handed to webrtcbin while connected.
    bytes: AtomicU64,
    connected: AtomicBool,
    /// When the server last sent anything (RTCP reports, ICE checks): a server that vanished
    /// without a word is noticed by its silence.
    heard: Mutex<Option<Instant>>,
    /// Packets heard (for the log).
    heard_packets: AtomicU64,
}

pub(crate) struct WhipLink {
    pub index: usize,
    pub label: OutputLabel,
    endpoint: WhipEndpoint,
    feed: Arc<Feed>,
    appsinks: Vec<gst_app::AppSink>,
    pipeline: Option<gst::Pipeline>,
    webrtc: Option<gst::Element>,
    pub state: LinkState,
    shared: Arc<Shared>,
    /// The session's resource on the server, once published.
    location: Option<String>,
    answered_at: Option<Instant>,
    /// The session's end of stream reached the link.
    eos: Arc<AtomicBool>,
    /// The session's clock and base time, for a reconnection.
    timeline: Option<(gst::Clock, gst::ClockTime)>,
    /// The link was connected once: a later loss is retried, not final.
    ever_live: bool,
    attempt: u32,
    retry_at: Option<Instant>,
    lost_at: Option<Instant>,
    pub reconnects: u32,
    /// RTP bytes of earlier connections.
    bytes_before: u64,
}

impl WhipLink {
    /// Adds the session side (queues and appsinks on the H.264 and Opus tees).
    pub fn attach(
        session: &gst::Pipeline,
        index: usize,
        endpoint: &WhipEndpoint,
        vtee: &gst::Element,
        otee: &gst::Element,
    ) -> Result<Self, MediaError> {
        let feed = Arc::new(Feed::default());
        feed.await_keyframe.store(true, Ordering::SeqCst);
        let eos = Arc::new(AtomicBool::new(false));
        let mut appsinks = Vec::new();
        for (what, tee) in [("video", vtee), ("audio", otee)] {
            let queue = make("queue", &format!("out{index}-{what}-queue"))?;
            let sink = gst_app::AppSink::builder()
                .name(format!("out{index}-{what}-appsink"))
                .sync(false)
                .build();
            sink.set_property("async", false);
            sink.set_property("enable-last-sample", false);
            session.add_many([&queue, sink.upcast_ref()])?;
            gst::Element::link_many([tee, &queue, sink.upcast_ref()])?;
            let is_video = what == "video";
            let (f, e) = (Arc::clone(&feed), Arc::clone(&eos));
            sink.set_callbacks(
                gst_app::AppSinkCallbacks::builder()
                    .new_sample(move |s| {
                        if let Ok(sample) = s.pull_sample() {
                            forward(&f, is_video, sample);
                        }
                        Ok(gst::FlowSuccess::Ok)
                    })
                    .eos(move |_| {
                        if is_video {
                            e.store(true, Ordering::SeqCst);
                        }
                    })
                    .build(),
            );
            appsinks.push(sink);
        }
        Ok(Self {
            index,
            label: OutputLabel {
                target: endpoint.redacted(),
                host_port: format!("{}:{}", endpoint.host, endpoint.effective_port()),
                is_rtmp: true,
            },
            endpoint: endpoint.clone(),
            feed,
            appsinks,
            pipeline: None,
            webrtc: None,
            state: LinkState::Connecting,
            shared: Arc::new(Shared::default()),
            location: None,
            answered_at: None,
            eos,
            timeline: None,
            ever_live: false,
            attempt: 0,
            retry_at: None,
            lost_at: None,
            reconnects: 0,
            bytes_before: 0,
        })
    }

    /// Builds the link on the session's clock and base time and starts signalling.
    pub fn start(
        &mut self,
        clock: gst::Clock,
        base_time: gst::ClockTime,
    ) -> Result<(), MediaError> {
        self.timeline = Some((clock, base_time));
        self.connect()
    }

    /// A new link pipeline and signalling (at the start and for each reconnection).
    fn connect(&mut self) -> Result<(), MediaError> {
        let Some((clock, base_time)) = self.timeline.clone() else {
            return Err(MediaError::State(
                "the link started before the session".into(),
            ));
        };
        self.shared = Arc::new(Shared::default());
        self.answered_at = None;
        self.state = LinkState::Connecting;
        // Each connection starts its picture at a keyframe.
        self.feed.await_keyframe.store(true, Ordering::SeqCst);
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
            let src = gst_app::AppSrc::builder()
                .name(format!("{p}-{what}-appsrc"))
                .is_live(true)
                .format(gst::Format::Time)
                .block(false)
                .max_bytes(0)
                .max_buffers(0)
                .max_time(gst::ClockTime::ZERO)
                .build();
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
        self.forward_keyframe_requests(&srcs[0]);
        let shared = Arc::clone(&self.shared);
        let keyframes = self.appsinks[0].static_pad("sink");
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
        pipeline.use_clock(Some(&clock));
        pipeline.set_start_time(gst::ClockTime::NONE);
        pipeline.set_base_time(base_time);
        pipeline.set_state(gst::State::Playing).map_err(|_| {
            MediaError::State(format!(
                "{}: the WebRTC link did not start",
                self.label.target
            ))
        })?;
        if let (Ok(mut v), Ok(mut a)) = (self.feed.video.lock(), self.feed.audio.lock()) {
            *v = srcs.first().cloned();
            *a = srcs.get(1).cloned();
        }
        if self.feed.seen_video.load(Ordering::Relaxed)
            && let Some(pad) = self.appsinks[0].static_pad("sink")
        {
            request_keyframe(&pad);
        }
        self.spawn_signalling(webrtc.clone());
        self.pipeline = Some(pipeline);
        self.webrtc = Some(webrtc);
        Ok(())
    }

    /// Offer → POST → answer on a thread of its own; the outcome waits in `shared`.
    fn spawn_signalling(&self, webrtc: gst::Element) {
        let shared = Arc::clone(&self.shared);
        let endpoint = self.endpoint.clone();
        let target = self.label.target.clone();
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

    /// A viewer's picture-loss request (RTCP PLI/FIR, upstream from webrtcbin) asks the
    /// session's encoder for a keyframe.
    fn forward_keyframe_requests(&self, video_src: &gst_app::AppSrc) {
        let (Some(src_pad), Some(sink_pad)) = (
            video_src.static_pad("src"),
            self.appsinks[0].static_pad("sink"),
        ) else {
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

    /// RTP bytes sent to the server.
    pub fn bytes(&self) -> u64 {
        self.bytes_before + self.shared.bytes.load(Ordering::Relaxed)
    }

    /// Video frames this destination did not get.
    pub fn dropped_frames(&self) -> u64 {
        self.feed.dropped_frames.load(Ordering::Relaxed)
    }

    /// Follows signalling and the peer connection; reports a failure once.
    pub fn service(&mut self, secrets: &dyn Fn(&str) -> String) -> Option<LinkEvent> {
        if matches!(self.state, LinkState::Failed | LinkState::Stopped) {
            return None;
        }
        if self.state == LinkState::Waiting {
            return self.retry_when_due();
        }
        let outcome = self.shared.outcome.lock().ok().and_then(|mut o| o.take());
        match outcome {
            Some(Ok(location)) => {
                self.location = Some(location);
                self.answered_at = Some(Instant::now());
            }
            Some(Err((kind, message))) if self.ever_live && !Self::permanent(kind) => {
                return Some(self.lost(secrets(&message)));
            }
            Some(Err((kind, message))) => return Some(self.fail(kind, secrets(&message))),
            None => {}
        }
        let webrtc = self.webrtc.clone()?;
        let state = webrtc.property::<gst_webrtc::WebRTCPeerConnectionState>("connection-state");
        use gst_webrtc::WebRTCPeerConnectionState as Pc;
        match state {
            Pc::Connected if self.answered_at.is_some() && self.state != LinkState::Live => {
                self.connected_now();
            }
            Pc::Failed | Pc::Closed if self.answered_at.is_some() => {
                return Some(self.ice_failed(secrets));
            }
            Pc::Disconnected if self.state == LinkState::Live => {
                return Some(self.ice_failed(secrets));
            }
            _ if self.state == LinkState::Connecting
                && self
                    .answered_at
                    .is_some_and(|t| t.elapsed() >= CONNECT_TIMEOUT) =>
            {
                return Some(self.ice_failed(secrets));
            }
            _ => {}
        }
        if self.server_gone() {
            let reason = format!(
                "the WHIP server {} stopped answering (nothing heard for 15 s)",
                self.label.target
            );
            return Some(self.lost(secrets(&reason)));
        }
        let bus = self.pipeline.as_ref()?.bus()?;
        while let Some(msg) = bus.pop() {
            match msg.view() {
                gst::MessageView::Error(err) => {
                    let text = secrets(&err.error().to_string());
                    let lower = text.to_ascii_lowercase();
                    if lower.contains("dtls") || lower.contains("ice") || lower.contains("nice") {
                        return Some(self.ice_failed(secrets));
                    }
                    let message = format!("streaming to {} failed: {text}", self.label.target);
                    return Some(self.fail(FailureKind::Internal, message));
                }
                gst::MessageView::Warning(w) => {
                    log::warn!("{}: {}", self.label.target, secrets(&w.error().to_string()))
                }
                _ => {}
            }
        }
        None
    }

    fn ice_failed(&mut self, secrets: &dyn Fn(&str) -> String) -> LinkEvent {
        if self.ever_live {
            let reason = format!("the WebRTC connection to {} was lost", self.label.target);
            return self.lost(secrets(&reason));
        }
        let (kind, message) = if self.state == LinkState::Live {
            (
                FailureKind::ConnectionLost,
                format!(
                    "the WebRTC connection to {} was lost while live. Check the network, then go live again",
                    self.label.target
                ),
            )
        } else {
            (
                FailureKind::IceFailed,
                ice_failed_message(&self.label.target),
            )
        };
        self.fail(kind, secrets(&message))
    }

    fn fail(&mut self, kind: FailureKind, message: String) -> LinkEvent {
        self.teardown();
        self.state = LinkState::Failed;
        LinkEvent::Failed(MediaError::Stream {
            kind,
            element: format!("out{}-webrtcbin", self.index),
            message: message.clone(),
            detail: message,
        })
    }

    /// Gives up on the link (it never went live within the start timeout).
    pub fn abandon(&mut self) {
        self.teardown();
        self.state = LinkState::Failed;
    }

    /// True once the session's end of stream reached the link (or there is nothing to end).
    pub fn finished(&self) -> bool {
        self.pipeline.is_none()
            || self.eos.load(Ordering::SeqCst)
            || matches!(self.state, LinkState::Stopped | LinkState::Failed)
    }

    /// Ends the session on the server (DELETE) and tears the link down.
    pub fn shutdown(&mut self) {
        self.teardown();
        if self.state != LinkState::Failed {
            self.state = LinkState::Stopped;
        }
    }

    fn teardown(&mut self) {
        self.shared.stop.store(true, Ordering::SeqCst);
        if let (Ok(mut v), Ok(mut a)) = (self.feed.video.lock(), self.feed.audio.lock()) {
            *v = None;
            *a = None;
        }
        if let Some(location) = self.location.take() {
            let deleted = signal::client()
                .is_ok_and(|c| signal::delete(&c, &location, self.endpoint.token.as_ref()));
            if !deleted {
                log::warn!(
                    "{}: the server did not confirm the end of the session (DELETE)",
                    self.label.target
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

impl Drop for WhipLink {
    fn drop(&mut self) {
        self.teardown();
    }
}

/// The host's sentence when the server answered but no media path opened.
fn ice_failed_message(target: &str) -> String {
    format!(
        "the WHIP server {target} accepted the stream but no WebRTC media path opened (ICE/DTLS failed). Likely cause: UDP is blocked by a firewall, or the network needs a TURN relay; allow UDP or ask the platform for a TURN server"
    )
}

/// Asks the encoder (upstream of an appsink's pad) for a keyframe with its headers.
fn request_keyframe(pad: &gst::Pad) {
    let event = gst_video::UpstreamForceKeyUnitEvent::builder()
        .all_headers(true)
        .build();
    pad.push_event(event);
}
