//! A WHIP ingest for tests: answers offers with webrtcbin, decodes what arrives and counts it.
//!
//! Endpoints (on 127.0.0.1): `POST /whip` (Bearer token checked) → `201` + answer +
//! `Location: /whip/session/N`; `DELETE /whip/session/N` ends it and is counted;
//! `POST /whip/redirect` → `307` to `/whip`; `POST /whip/busy` → `503 Retry-After: 1` once,
//! then `307` to `/whip`; `POST /whip/blackhole` answers, then drops the peer (ICE fails on
//! the sender's side). `POST /whip/trickle` is `/whip` for a client that trickles ICE:
//! `OPTIONS /whip/trickle` and its `201` carry `Accept-Patch: application/trickle-ice-sdpfrag`
//! and an `ETag`, and `PATCH /whip/session/N` (with `If-Match`) adds the candidates of the
//! fragment; the other sessions answer PATCH with 405. `OPTIONS` and `201` also carry the
//! `Link` header set with [`WhipIngest::set_link`] (STUN/TURN servers). On 127.0.0.1 ICE is
//! pinned to loopback (ICE agents skip it otherwise); [`WhipIngest::start_on`] serves on
//! another address of this machine, where ICE gathers as anywhere else.

use crate::clock::{Meter, qr_reader};
use crate::http::{Request, Response, read_request, write_response};
use gst::prelude::*;
use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// What the ingest saw.
#[derive(Default)]
struct State {
    token: Option<String>,
    /// Read a QR clock from the decoded pictures (latency benchmark).
    measure: Option<(i32, i32)>,
    meter: Meter,
    video_frames: AtomicU64,
    audio_buffers: AtomicU64,
    offers: AtomicU64,
    refused: AtomicU64,
    deletes: AtomicU64,
    busy_sent: AtomicBool,
    next_id: AtomicU32,
    sessions: Mutex<HashMap<u32, gst::Pipeline>>,
    /// The RTP caps of the video that arrived.
    video_caps: Mutex<Option<String>>,
    /// The last offer answered.
    offer: Mutex<Option<String>>,
    /// Sessions that take trickle ICE.
    trickle_sessions: Mutex<std::collections::HashSet<u32>>,
    /// PATCHes taken, candidates they added, `a=end-of-candidates` seen.
    patches: AtomicU64,
    trickled: AtomicU64,
    ends: AtomicU64,
    /// The candidate lines PATCHes carried.
    trickled_lines: Mutex<Vec<String>>,
    /// `Link` header value for OPTIONS and 201.
    link: Mutex<Option<String>>,
    /// Pin ICE to 127.0.0.1 (serving on loopback).
    loopback: bool,
    errors: Mutex<Vec<String>>,
}

/// A running WHIP ingest; stops on drop.
pub struct WhipIngest {
    ip: IpAddr,
    port: u16,
    state: Arc<State>,
    stop: Arc<AtomicBool>,
}

impl WhipIngest {
    /// Starts on a free port of 127.0.0.1. `token`: the Bearer token it accepts (None: any).
    pub fn start(token: Option<&str>) -> Result<Self, String> {
        Self::start_with(token, None)
    }

    /// Like [`WhipIngest::start`], reading a QR clock from a `width`×`height` picture.
    pub fn start_with(token: Option<&str>, measure: Option<(i32, i32)>) -> Result<Self, String> {
        Self::serve_on(IpAddr::V4(Ipv4Addr::LOCALHOST), token, measure)
    }

    /// Like [`WhipIngest::start`] on `ip`, one of this machine's addresses.
    pub fn start_on(ip: IpAddr, token: Option<&str>) -> Result<Self, String> {
        Self::serve_on(ip, token, None)
    }

    fn serve_on(
        ip: IpAddr,
        token: Option<&str>,
        measure: Option<(i32, i32)>,
    ) -> Result<Self, String> {
        gst::init().map_err(|e| format!("GStreamer could not start: {e}"))?;
        for (factory, package) in [
            ("webrtcbin", "gstreamer1.0-plugins-bad"),
            ("nicesrc", "gstreamer1.0-nice"),
            ("avdec_h264", "gstreamer1.0-libav"),
            ("opusdec", "gstreamer1.0-plugins-base"),
            ("rtph264depay", "gstreamer1.0-plugins-good"),
        ] {
            if gst::ElementFactory::find(factory).is_none() {
                return Err(format!(
                    "the GStreamer element {factory} is missing: apt-get install {package} (or run `cargo xtask install`)"
                ));
            }
        }
        let listener = TcpListener::bind((ip, 0)).map_err(|e| e.to_string())?;
        let port = listener.local_addr().map_err(|e| e.to_string())?.port();
        let state = Arc::new(State {
            token: token.map(str::to_owned),
            measure,
            loopback: ip.is_loopback(),
            ..State::default()
        });
        let stop = Arc::new(AtomicBool::new(false));
        let (s, st) = (Arc::clone(&state), Arc::clone(&stop));
        std::thread::Builder::new()
            .name("whip-ingest".into())
            .spawn(move || {
                for stream in listener.incoming() {
                    if st.load(Ordering::SeqCst) {
                        break;
                    }
                    if let Ok(stream) = stream {
                        let s = Arc::clone(&s);
                        std::thread::spawn(move || serve(&s, &stream));
                    }
                }
            })
            .map_err(|e| e.to_string())?;
        Ok(Self {
            ip,
            port,
            state,
            stop,
        })
    }

    /// The destination to give `kaibo live --to`, for `path` (`/whip`, `/whip/redirect`…).
    pub fn url(&self, path: &str) -> String {
        format!("whip+http://{}:{}{path}", self.ip, self.port)
    }

    /// The `Link` header (ICE servers) OPTIONS and 201 answers carry from now on.
    pub fn set_link(&self, value: &str) {
        if let Ok(mut link) = self.state.link.lock() {
            *link = Some(value.to_owned());
        }
    }

    /// The candidate lines trickle PATCHes carried.
    pub fn trickled_candidates(&self) -> Vec<String> {
        self.state
            .trickled_lines
            .lock()
            .map(|l| l.clone())
            .unwrap_or_default()
    }

    pub fn video_frames(&self) -> u64 {
        self.state.video_frames.load(Ordering::SeqCst)
    }

    pub fn audio_buffers(&self) -> u64 {
        self.state.audio_buffers.load(Ordering::SeqCst)
    }

    /// Offers answered with 201.
    pub fn offers(&self) -> u64 {
        self.state.offers.load(Ordering::SeqCst)
    }

    /// Requests refused for a missing or wrong token.
    pub fn refused(&self) -> u64 {
        self.state.refused.load(Ordering::SeqCst)
    }

    /// Sessions ended by DELETE.
    pub fn deletes(&self) -> u64 {
        self.state.deletes.load(Ordering::SeqCst)
    }

    /// Ends every session at once without the client asking (the server went away).
    pub fn drop_sessions(&self) {
        if let Ok(mut sessions) = self.state.sessions.lock() {
            for (_, p) in sessions.drain() {
                let _ = p.set_state(gst::State::Null);
            }
        }
    }

    /// Trickle ICE PATCHes taken, the candidates they carried, and whether one said
    /// `a=end-of-candidates`.
    pub fn trickle(&self) -> (u64, u64, bool) {
        (
            self.state.patches.load(Ordering::SeqCst),
            self.state.trickled.load(Ordering::SeqCst),
            self.state.ends.load(Ordering::SeqCst) > 0,
        )
    }

    /// The RTP caps of the video received, once some arrived.
    pub fn video_caps(&self) -> Option<String> {
        self.state.video_caps.lock().ok()?.clone()
    }

    /// The last offer answered with 201 (its SDP).
    pub fn last_offer(&self) -> Option<String> {
        self.state.offer.lock().ok()?.clone()
    }

    /// What went wrong inside the ingest (for test failure messages).
    pub fn errors(&self) -> Vec<String> {
        self.state
            .errors
            .lock()
            .map(|e| e.clone())
            .unwrap_or_default()
    }

    /// The latency meter (with `start_with(…, Some(size))`).
    pub fn meter(&self) -> Meter {
        self.state.meter.clone()
    }
}

impl Drop for WhipIngest {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect((self.ip, self.port));
        if let Ok(mut sessions) = self.state.sessions.lock() {
            for (_, p) in sessions.drain() {
                let _ = p.set_state(gst::State::Null);
            }
        }
    }
}

fn serve(state: &Arc<State>, stream: &TcpStream) {
    let Some(request) = read_request(stream) else {
        return;
    };
    let response = answer(state, &request);
    write_response(stream, &response);
}

fn answer(state: &Arc<State>, req: &Request) -> Response {
    let authorised = match &state.token {
        None => true,
        Some(t) => req.header("authorization") == Some(&format!("Bearer {t}")),
    };
    if !authorised {
        state.refused.fetch_add(1, Ordering::SeqCst);
        return Response::new(401).header("WWW-Authenticate", "Bearer");
    }
    match (req.method.as_str(), req.path.as_str()) {
        ("OPTIONS", "/whip/trickle") => with_link(state, Response::new(204))
            .header("Accept-Patch", "application/trickle-ice-sdpfrag"),
        ("OPTIONS", _) => with_link(state, Response::new(204)),
        ("PATCH", path) if path.starts_with("/whip/session/") => {
            let id = path["/whip/session/".len()..].parse::<u32>().unwrap_or(0);
            patch(state, id, req)
        }
        ("POST", "/whip/redirect") => Response::new(307).header("Location", "/whip"),
        ("POST", "/whip/busy") if !state.busy_sent.swap(true, Ordering::SeqCst) => {
            Response::new(503).header("Retry-After", "1")
        }
        ("POST", "/whip/busy") => Response::new(307).header("Location", "/whip"),
        ("POST", "/whip" | "/whip/blackhole" | "/whip/trickle") => {
            if req.header("content-type") != Some("application/sdp") {
                return Response::new(415);
            }
            match session(state, &req.body) {
                Ok((id, sdp)) => {
                    state.offers.fetch_add(1, Ordering::SeqCst);
                    if req.path == "/whip/blackhole" {
                        // Answer, then vanish: the sender's ICE checks find nobody.
                        let gone = state.sessions.lock().ok().and_then(|mut s| s.remove(&id));
                        if let Some(p) = gone {
                            let _ = p.set_state(gst::State::Null);
                        }
                    }
                    if let Ok(mut o) = state.offer.lock() {
                        *o = Some(req.body.clone());
                    }
                    let created = with_link(state, Response::new(201))
                        .header("Content-Type", "application/sdp")
                        .header("Location", format!("/whip/session/{id}"));
                    if req.path == "/whip/trickle" {
                        if let Ok(mut t) = state.trickle_sessions.lock() {
                            t.insert(id);
                        }
                        created
                            .header("ETag", format!("\"s{id}\""))
                            .header("Accept-Patch", "application/trickle-ice-sdpfrag")
                            .body(sdp)
                    } else {
                        created.body(sdp)
                    }
                }
                Err(e) => {
                    if let Ok(mut errors) = state.errors.lock() {
                        errors.push(e.clone());
                    }
                    Response::new(400).body(e)
                }
            }
        }
        ("DELETE", path) if path.starts_with("/whip/session/") => {
            let id = path["/whip/session/".len()..].parse::<u32>().ok();
            let pipeline = id.and_then(|id| state.sessions.lock().ok()?.remove(&id));
            match pipeline {
                Some(p) => {
                    state.deletes.fetch_add(1, Ordering::SeqCst);
                    let _ = p.set_state(gst::State::Null);
                    Response::new(200)
                }
                None => Response::new(404),
            }
        }
        ("POST" | "DELETE", _) => Response::new(404),
        _ => Response::new(405),
    }
}

/// Adds a trickle ICE fragment's candidates to session `id`.
fn patch(state: &Arc<State>, id: u32, req: &Request) -> Response {
    let trickles = state.trickle_sessions.lock().is_ok_and(|t| t.contains(&id));
    if !trickles {
        return Response::new(405).header("Allow", "DELETE");
    }
    if req.header("content-type") != Some("application/trickle-ice-sdpfrag") {
        return Response::new(415);
    }
    let etag = format!("\"s{id}\"");
    if !matches!(req.header("if-match"), Some(t) if t == etag || t == "*") {
        return Response::new(412);
    }
    let webrtc = state
        .sessions
        .lock()
        .ok()
        .and_then(|s| s.get(&id)?.by_name("webrtc"));
    let Some(webrtc) = webrtc else {
        return Response::new(404);
    };
    let mut mline = None::<u32>;
    for line in req.body.lines().map(str::trim_end) {
        if line.starts_with("m=") {
            mline = Some(mline.map_or(0, |m| m + 1));
        } else if let Some(candidate) = line.strip_prefix("a=")
            && candidate.starts_with("candidate:")
        {
            webrtc.emit_by_name::<()>("add-ice-candidate", &[&mline.unwrap_or(0), &candidate]);
            state.trickled.fetch_add(1, Ordering::SeqCst);
            if let Ok(mut lines) = state.trickled_lines.lock() {
                lines.push(candidate.to_owned());
            }
        } else if line == "a=end-of-candidates" {
            state.ends.fetch_add(1, Ordering::SeqCst);
        }
    }
    state.patches.fetch_add(1, Ordering::SeqCst);
    Response::new(204)
}

/// Adds the `Link` header set for the test, if any.
fn with_link(state: &State, response: Response) -> Response {
    match state.link.lock().ok().and_then(|l| l.clone()) {
        Some(link) => response.header("Link", link),
        None => response,
    }
}

fn make(factory: &str) -> Result<gst::Element, String> {
    gst::ElementFactory::make(factory)
        .build()
        .map_err(|_| format!("the GStreamer element {factory} is missing"))
}

/// Waits for a promise; a reply without a structure (set-*-description) is a success.
fn reply(promise: &gst::Promise, what: &str) -> Result<Option<gst::Structure>, String> {
    if promise.wait() != gst::PromiseResult::Replied {
        return Err(format!("no {what}"));
    }
    let Some(reply) = promise.get_reply() else {
        return Ok(None);
    };
    if let Ok(err) = reply.get::<gst::glib::Error>("error") {
        return Err(format!("{what}: {err}"));
    }
    Ok(Some(reply.to_owned()))
}

/// Builds the answering peer for an offer; returns its id and the answer SDP.
fn session(state: &Arc<State>, offer: &str) -> Result<(u32, String), String> {
    let pipeline = gst::Pipeline::new();
    let webrtc = make("webrtcbin")?;
    webrtc.set_property("name", "webrtc");
    // Loopback: no reordering to wait for; decode as soon as packets arrive.
    webrtc.set_property("latency", 0u32);
    webrtc.set_property_from_str("bundle-policy", "max-bundle");
    pipeline.add(&webrtc).map_err(|e| e.to_string())?;
    if state.loopback {
        let agent = webrtc.property::<gst_webrtc::WebRTCICE>("ice-agent");
        agent.emit_by_name::<bool>("add-local-ip-address", &[&"127.0.0.1"]);
    }
    if state.measure.is_some() {
        state.meter.watch(&pipeline);
    }
    let s = Arc::clone(state);
    let weak = pipeline.downgrade();
    webrtc.connect_pad_added(move |_, pad| {
        if pad.direction() != gst::PadDirection::Src {
            return;
        }
        if let Some(pipeline) = weak.upgrade()
            && let Err(e) = decode_branch(&s, &pipeline, pad)
            && let Ok(mut errors) = s.errors.lock()
        {
            errors.push(e);
        }
    });
    pipeline
        .set_state(gst::State::Playing)
        .map_err(|e| e.to_string())?;
    let sdp = gst_sdp::SDPMessage::parse_buffer(offer.as_bytes()).map_err(|e| e.to_string())?;
    let offer = gst_webrtc::WebRTCSessionDescription::new(gst_webrtc::WebRTCSDPType::Offer, sdp);
    let promise = gst::Promise::new();
    webrtc.emit_by_name::<()>("set-remote-description", &[&offer, &promise]);
    reply(&promise, "remote description")?;
    let promise = gst::Promise::new();
    webrtc.emit_by_name::<()>("create-answer", &[&None::<gst::Structure>, &promise]);
    let answer = reply(&promise, "answer")?
        .ok_or("empty answer")?
        .get::<gst_webrtc::WebRTCSessionDescription>("answer")
        .map_err(|e| e.to_string())?;
    let promise = gst::Promise::new();
    webrtc.emit_by_name::<()>("set-local-description", &[&answer, &promise]);
    reply(&promise, "local description")?;
    let deadline = Instant::now() + Duration::from_secs(5);
    while webrtc.property::<gst_webrtc::WebRTCICEGatheringState>("ice-gathering-state")
        != gst_webrtc::WebRTCICEGatheringState::Complete
        && Instant::now() < deadline
    {
        std::thread::sleep(Duration::from_millis(10));
    }
    let local = webrtc
        .property::<Option<gst_webrtc::WebRTCSessionDescription>>("local-description")
        .ok_or("no local description")?;
    let text = local.sdp().as_text().map_err(|e| e.to_string())?;
    let id = state.next_id.fetch_add(1, Ordering::SeqCst) + 1;
    if let Ok(mut sessions) = state.sessions.lock() {
        sessions.insert(id, pipeline);
    }
    Ok((id, text))
}

/// depay → decode → count (and read the QR clock) for one received stream.
fn decode_branch(
    state: &Arc<State>,
    pipeline: &gst::Pipeline,
    pad: &gst::Pad,
) -> Result<(), String> {
    let caps = pad.current_caps().ok_or("a stream without caps")?;
    let s = caps.structure(0).ok_or("empty caps")?;
    let video = s.get::<&str>("media") == Ok("video");
    let mut elements = if video {
        if let Ok(mut c) = state.video_caps.lock() {
            *c = Some(caps.to_string());
        }
        vec![
            make("rtph264depay")?,
            make("h264parse")?,
            make("avdec_h264")?,
        ]
    } else {
        vec![make("rtpopusdepay")?, make("opusdec")?]
    };
    if let (true, Some((w, h))) = (video, state.measure) {
        elements.extend(qr_reader("qr", w, h)?);
    }
    let sink = make("fakesink")?;
    sink.set_property("sync", false);
    sink.set_property("async", false);
    let s = Arc::clone(state);
    if let Some(sink_pad) = sink.static_pad("sink") {
        sink_pad.add_probe(gst::PadProbeType::BUFFER, move |_, _| {
            let counter = if video {
                &s.video_frames
            } else {
                &s.audio_buffers
            };
            counter.fetch_add(1, Ordering::SeqCst);
            gst::PadProbeReturn::Ok
        });
    }
    elements.push(sink);
    pipeline.add_many(&elements).map_err(|e| e.to_string())?;
    gst::Element::link_many(&elements).map_err(|e| e.to_string())?;
    for e in &elements {
        e.sync_state_with_parent().map_err(|e| e.to_string())?;
    }
    let head = elements[0].static_pad("sink").ok_or("no sink pad")?;
    pad.link(&head).map_err(|e| format!("{e:?}"))?;
    Ok(())
}
