//! One RTMP destination in a pipeline of its own, fed from the session's encoders.
//!
//! ```text
//! session: vtee → queue → appsink ─┐ (callbacks)   link: appsrc(video) ─┐
//!          atee → queue → appsink ─┘ ───────────→        appsrc(audio) ─┴→ flvmux → rtmp2sink
//! ```
//! The link's errors stay in the link: the encoders, the recording and the other destinations
//! never see them. A link that drops after it was live reconnects with backoff (first retry
//! after 0.25 s, ×1.5 with ±10 % jitter, at most 1.2 s apart for the first 20 s of an outage
//! and at most 30 s apart after that, without limit) and resumes at a
//! keyframe it asks the encoder for. A link that never got live fails for good: a wrong URL
//! or a rejected key does not fix itself.

use crate::error::{FailureKind, MediaError, OutputLabel, classify};
use crate::sources::make;
use gst::prelude::*;
use kaibo_model::Destination;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Bytes a link must have written before it counts as publishing: more than the handshake
/// (3,073 bytes) and the connect/publish commands, so media is flowing.
const LIVE_BYTES: u64 = 8 * 1024;
/// Data queued for a link beyond this is a stalled destination: skip to the next keyframe.
const MAX_QUEUED: gst::ClockTime = gst::ClockTime::from_seconds(2);
/// How long a publishing connection must last before a drop counts as lost, not refused.
const CONFIRM_AFTER: Duration = Duration::from_secs(3);
/// Short first retries: a server back after a 5 s outage is found again within about a second.
const FIRST_RETRY: Duration = Duration::from_millis(250);
const MAX_RETRY: Duration = Duration::from_secs(30);
/// For this long after a drop, retries are at most [`SHORT_OUTAGE_RETRY`] apart.
const SHORT_OUTAGE: Duration = Duration::from_secs(20);
const SHORT_OUTAGE_RETRY: Duration = Duration::from_millis(1200);

/// State shared with the streaming threads that feed a link (RTMP here, WHIP in `whip`).
#[derive(Default)]
pub(crate) struct Feed {
    pub video: Mutex<Option<gst_app::AppSrc>>,
    pub audio: Mutex<Option<gst_app::AppSrc>>,
    /// Drop everything until the next video keyframe (after a (re)connect or a stall).
    pub await_keyframe: AtomicBool,
    /// A video frame reached the link's feeder: the encoder is running, so a (re)connect
    /// must ask it for a keyframe instead of waiting for its first.
    pub seen_video: AtomicBool,
    /// Bytes handed to the link (both streams), for the backlog.
    pub pushed_bytes: AtomicU64,
    /// Video frames skipped while connected (a stalled destination, or waiting for the
    /// keyframe after a reconnect).
    pub dropped_frames: AtomicU64,
}

/// What a link reports to the engine.
pub(crate) enum LinkEvent {
    /// The link failed for good.
    Failed(MediaError),
    /// The link dropped and will retry.
    Reconnecting {
        attempt: u32,
        in_s: f64,
        reason: String,
    },
    /// The link's end of stream reached the server.
    Finished,
}

/// Where a link is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum LinkState {
    Connecting,
    Live,
    Waiting,
    Stopped,
    Failed,
}

pub(crate) struct RtmpLink {
    pub index: usize,
    pub label: OutputLabel,
    dest: Destination,
    feed: Arc<Feed>,
    pipeline: Option<gst::Pipeline>,
    sink: Option<gst::Element>,
    pub state: LinkState,
    /// The server kept a publishing connection for [`CONFIRM_AFTER`]: it accepted the key.
    /// Only then is a drop a lost connection worth reconnecting; servers that refuse a key
    /// often accept the publish command and close the connection a moment later.
    ever_live: bool,
    connected_at: Option<Instant>,
    attempt: u32,
    retry_at: Option<Instant>,
    pub reconnects: u32,
    /// When the current outage began.
    lost_at: Option<Instant>,
    /// Why the link last dropped, for the final report when it never came back.
    pub last_error: Option<String>,
    /// Bytes written by earlier connections.
    bytes_before: u64,
    timeline: Option<(gst::Clock, gst::ClockTime)>,
    appsinks: Vec<gst_app::AppSink>,
    /// Bytes pushed before the current connection started.
    pushed_at_connect: u64,
    /// Acknowledged connection bytes at the previous adaptive-bitrate sample, and when.
    last_sample: Option<(Instant, u64)>,
    /// The server's addresses, to find the connection's socket in the kernel's tables.
    server_ips: Vec<std::net::IpAddr>,
    /// The current connection's socket, once found (looked up once per connection).
    socket_inode: Option<u64>,
}

impl RtmpLink {
    /// Adds the session side (queues and appsinks on the tees) and prepares the link.
    pub fn attach(
        session: &gst::Pipeline,
        index: usize,
        dest: &Destination,
        tees: Option<(&gst::Element, &gst::Element)>,
    ) -> Result<Self, MediaError> {
        let feed = Arc::new(Feed::default());
        feed.await_keyframe.store(true, Ordering::SeqCst);
        let mut appsinks = Vec::new();
        for what in ["video", "audio"] {
            let queue = make("queue", &format!("out{index}-{what}-queue"))?;
            let sink = make("appsink", &format!("out{index}-{what}-appsink"))?
                .downcast::<gst_app::AppSink>()
                .map_err(|_| MediaError::Build("appsink is not an AppSink".into()))?;
            sink.set_property("sync", false);
            sink.set_property("async", false);
            sink.set_property("enable-last-sample", false);
            session.add_many([&queue, sink.upcast_ref()])?;
            queue.link(&sink)?;
            if let Some((vtee, atee)) = tees {
                if what == "video" { vtee } else { atee }.link(&queue)?;
            }
            let is_video = what == "video";
            let f = Arc::clone(&feed);
            let f_eos = Arc::clone(&feed);
            sink.set_callbacks(
                gst_app::AppSinkCallbacks::builder()
                    .new_sample(move |s| {
                        if let Ok(sample) = s.pull_sample() {
                            forward(&f, is_video, sample);
                        }
                        Ok(gst::FlowSuccess::Ok)
                    })
                    .eos(move |_| {
                        let slot = if is_video { &f_eos.video } else { &f_eos.audio };
                        let src = slot.lock().ok().and_then(|g| g.clone());
                        if let Some(src) = src {
                            let _ = src.end_of_stream();
                        }
                    })
                    .build(),
            );
            appsinks.push(sink);
        }
        Ok(Self {
            index,
            label: OutputLabel {
                target: dest.redacted(),
                host_port: format!("{}:{}", dest.host, dest.effective_port()),
                is_rtmp: true,
            },
            dest: dest.clone(),
            feed,
            pipeline: None,
            sink: None,
            state: LinkState::Connecting,
            ever_live: false,
            connected_at: None,
            attempt: 0,
            retry_at: None,
            reconnects: 0,
            last_error: None,
            lost_at: None,
            bytes_before: 0,
            timeline: None,
            appsinks,
            pushed_at_connect: 0,
            last_sample: None,
            server_ips: resolve(dest),
            socket_inode: None,
        })
    }

    /// Connects, sharing the session's clock and base time so timestamps mean the same.
    pub fn start(
        &mut self,
        clock: gst::Clock,
        base_time: gst::ClockTime,
    ) -> Result<(), MediaError> {
        self.timeline = Some((clock, base_time));
        self.connect()
    }

    fn connect(&mut self) -> Result<(), MediaError> {
        let Some((clock, base_time)) = self.timeline.clone() else {
            return Err(MediaError::State(
                "the link started before the session".into(),
            ));
        };
        let p = format!("out{}", self.index);
        let pipeline = gst::Pipeline::with_name(&p);
        let mux = make("flvmux", &format!("{p}-flvmux"))?;
        mux.set_property("streamable", true);
        // Live aggregation times out on a stream without data at its deadline; a frame that
        // arrives after that (a busy machine) would come too late to be muxed in order and be
        // lost. Waiting up to 300 ms costs nothing while both streams flow: the muxer goes on
        // as soon as each stream has data.
        mux.set_property("latency", 300_000_000u64);
        let sink = rtmp_sink(&format!("{p}-rtmp2sink"), &self.dest)?;
        // Data arrives paced by the session; the link only forwards it.
        sink.set_property("sync", false);
        let caps = |sink: &gst_app::AppSink| sink.static_pad("sink").and_then(|p| p.current_caps());
        pipeline.add_many([&mux, &sink])?;
        mux.link(&sink)?;
        let mut srcs = Vec::new();
        for (what, appsink) in ["video", "audio"].into_iter().zip(&self.appsinks) {
            let src = make("appsrc", &format!("{p}-{what}-appsrc"))?
                .downcast::<gst_app::AppSrc>()
                .map_err(|_| MediaError::Build("appsrc is not an AppSrc".into()))?;
            src.set_is_live(true);
            src.set_format(gst::Format::Time);
            src.set_property("block", false);
            src.set_property("max-bytes", 0u64);
            src.set_property("max-buffers", 0u64);
            src.set_property("max-time", 0u64);
            if let Some(c) = caps(appsink) {
                src.set_caps(Some(&c));
            }
            pipeline.add(&src)?;
            let pad = mux
                .request_pad_simple(what)
                .ok_or_else(|| MediaError::Build(format!("{p}: flvmux gave no {what} pad")))?;
            src.static_pad("src")
                .ok_or_else(|| MediaError::Build("appsrc without src pad".into()))?
                .link(&pad)
                .map_err(|e| MediaError::Build(format!("{p}: {e:?}")))?;
            srcs.push(src);
        }
        pipeline.use_clock(Some(&clock));
        pipeline.set_start_time(gst::ClockTime::NONE);
        pipeline.set_base_time(base_time);
        pipeline.set_state(gst::State::Playing).map_err(|_| {
            MediaError::State(format!(
                "{}: the RTMP link did not start",
                self.label.target
            ))
        })?;
        self.feed.await_keyframe.store(true, Ordering::SeqCst);
        if let (Ok(mut v), Ok(mut a)) = (self.feed.video.lock(), self.feed.audio.lock()) {
            *v = srcs.first().cloned();
            *a = srcs.get(1).cloned();
        }
        // At the start the encoder's first frame is a keyframe; an extra one would break the
        // exact keyframe interval.
        if self.feed.seen_video.load(Ordering::Relaxed) {
            self.request_keyframe();
        }
        self.pipeline = Some(pipeline);
        self.sink = Some(sink);
        self.connected_at = Some(Instant::now());
        self.pushed_at_connect = self.feed.pushed_bytes.load(Ordering::Relaxed);
        self.last_sample = None;
        self.socket_inode = None;
        self.state = if self.ever_live {
            LinkState::Waiting
        } else {
            LinkState::Connecting
        };
        Ok(())
    }

    /// Asks the encoder for a keyframe with its headers, so the link can start at once.
    fn request_keyframe(&self) {
        if let Some(pad) = self.appsinks.first().and_then(|s| s.static_pad("sink")) {
            let event = gst_video::UpstreamForceKeyUnitEvent::builder()
                .all_headers(true)
                .build();
            pad.push_event(event);
        }
    }

    fn disconnect(&mut self) {
        if let (Ok(mut v), Ok(mut a)) = (self.feed.video.lock(), self.feed.audio.lock()) {
            *v = None;
            *a = None;
        }
        self.bytes_before += self.connection_bytes();
        if let Some(p) = self.pipeline.take() {
            let _ = p.set_state(gst::State::Null);
        }
        self.sink = None;
    }

    fn connection_bytes(&self) -> u64 {
        self.sink
            .as_ref()
            .and_then(|s| s.property::<Option<gst::Structure>>("stats"))
            .and_then(|s| s.get::<u64>("out-bytes-total").ok())
            .unwrap_or(0)
    }

    /// Bytes written to the server over every connection.
    pub fn bytes(&self) -> u64 {
        self.bytes_before + self.connection_bytes()
    }

    /// The adaptive-bitrate signals since the previous call, while the link is live.
    pub fn signal(&mut self, now: Instant) -> Option<crate::abr::LinkSignal> {
        if self.state != LinkState::Live {
            self.last_sample = None;
            return None;
        }
        // Handed to the link → written to the socket → acknowledged by the server. What was
        // handed over but not acknowledged is the backlog, wherever it waits.
        let written = self.connection_bytes();
        let port = self.dest.effective_port();
        if self.socket_inode.is_none() {
            self.socket_inode = crate::tcp_queue::find_socket(port, &self.server_ips);
        }
        let unacked = self
            .socket_inode
            .and_then(crate::tcp_queue::unacked_for)
            .unwrap_or(0);
        let acked = written.saturating_sub(unacked);
        let pushed = self.feed.pushed_bytes.load(Ordering::Relaxed) - self.pushed_at_connect;
        let previous = self.last_sample.replace((now, acked));
        let (then, acked_then) = previous?;
        let dt = now.duration_since(then).as_secs_f64().max(0.001);
        Some(crate::abr::LinkSignal {
            // The connection's own bytes (handshake, headers) make `written` run a little ahead.
            backlog_bytes: pushed.saturating_sub(written) + unacked,
            delivered_kbps: acked.saturating_sub(acked_then) as f64 * 8.0 / 1000.0 / dt,
        })
    }

    /// Video frames this destination did not get.
    pub fn dropped_frames(&self) -> u64 {
        self.feed.dropped_frames.load(Ordering::Relaxed)
    }

    /// Moves Connecting/Waiting → Live once media flows; retries when due; reports errors.
    pub fn service(&mut self, secrets: &dyn Fn(&str) -> String) -> Option<LinkEvent> {
        if matches!(self.state, LinkState::Connecting | LinkState::Waiting)
            && self.connection_bytes() >= LIVE_BYTES
        {
            self.state = LinkState::Live;
            self.attempt = 0;
            self.lost_at = None;
            let port = self.dest.effective_port();
            self.socket_inode = crate::tcp_queue::find_socket(port, &self.server_ips);
            if !self.socket_inode.is_some_and(crate::tcp_queue::set_nodelay) {
                log::debug!("{}: TCP_NODELAY not set", self.label.target);
            }
        }
        if self.state == LinkState::Live
            && self
                .connected_at
                .is_some_and(|t| t.elapsed() >= CONFIRM_AFTER)
        {
            self.ever_live = true;
        }
        if self.state == LinkState::Waiting
            && self.pipeline.is_none()
            && self.retry_at.is_some_and(|t| Instant::now() >= t)
        {
            self.retry_at = None;
            self.reconnects += 1;
            if let Err(e) = self.connect() {
                log::warn!("{}: reconnect failed to start: {e}", self.label.target);
                self.schedule_retry();
            }
        }
        let bus = self.pipeline.as_ref()?.bus()?;
        while let Some(msg) = bus.pop() {
            match msg.view() {
                gst::MessageView::Error(err) => {
                    let element = msg
                        .src()
                        .map(|s| s.path_string().to_string())
                        .unwrap_or_default();
                    let text = err.error().to_string();
                    let (kind, message) =
                        classify(&element, &text, Some(&self.label), self.ever_live);
                    self.disconnect();
                    if self.ever_live && kind != FailureKind::KeyRejected {
                        self.last_error = Some(secrets(&text));
                        let in_s = self.schedule_retry();
                        return Some(LinkEvent::Reconnecting {
                            attempt: self.attempt,
                            in_s,
                            reason: secrets(&message),
                        });
                    }
                    self.state = LinkState::Failed;
                    return Some(LinkEvent::Failed(MediaError::Stream {
                        kind,
                        element,
                        message: secrets(&message),
                        detail: secrets(&format!("{text} ({})", err.debug().unwrap_or_default())),
                    }));
                }
                gst::MessageView::Eos(_) => {
                    self.state = LinkState::Stopped;
                    return Some(LinkEvent::Finished);
                }
                gst::MessageView::Warning(w) => {
                    log::warn!("{}: {}", self.label.target, secrets(&w.error().to_string()))
                }
                _ => {}
            }
        }
        None
    }

    fn schedule_retry(&mut self) -> f64 {
        self.attempt += 1;
        let lost_at = *self.lost_at.get_or_insert_with(Instant::now);
        let in_s = retry_in(self.attempt, lost_at);
        self.retry_at = Some(Instant::now() + Duration::from_secs_f64(in_s));
        self.state = LinkState::Waiting;
        in_s
    }

    /// The session-side queues feeding this link's appsinks.
    pub fn session_queues(&self) -> Vec<gst::Element> {
        self.appsinks
            .iter()
            .filter_map(|s| s.static_pad("sink")?.peer()?.parent_element())
            .collect()
    }

    /// True while the link waits to reconnect.
    pub fn reconnecting(&self) -> bool {
        self.state == LinkState::Waiting
    }

    /// Gives up on the link (it never went live within the start timeout).
    pub fn abandon(&mut self) {
        self.disconnect();
        self.state = LinkState::Failed;
    }

    /// True when the link's end of stream reached the server (or there is nothing to end).
    pub fn finished(&self) -> bool {
        self.pipeline.is_none() || matches!(self.state, LinkState::Stopped | LinkState::Failed)
    }

    /// Tears the link down.
    pub fn shutdown(&mut self) {
        self.disconnect();
        if self.state != LinkState::Failed {
            self.state = LinkState::Stopped;
        }
    }
}

impl Drop for RtmpLink {
    fn drop(&mut self) {
        if let Some(p) = self.pipeline.take() {
            let _ = p.set_state(gst::State::Null);
        }
    }
}

/// An `rtmp2sink` for a destination: the one place the stream key is handed over.
pub(crate) fn rtmp_sink(name: &str, dest: &Destination) -> Result<gst::Element, MediaError> {
    let sink = make("rtmp2sink", name)?;
    sink.set_property_from_str("scheme", dest.protocol.scheme());
    sink.set_property("host", &dest.host);
    sink.set_property("port", i32::from(dest.effective_port()));
    sink.set_property("application", &dest.app);
    sink.set_property("stream", dest.key.expose());
    // Fail within seconds when the server does not answer, not after a long hang.
    sink.set_property("timeout", 5u32);
    Ok(sink)
}

/// The server's addresses (none when the name does not resolve: then any address matches).
pub(crate) fn resolve(dest: &Destination) -> Vec<std::net::IpAddr> {
    use std::net::ToSocketAddrs;
    (dest.host.as_str(), dest.effective_port())
        .to_socket_addrs()
        .map(|addrs| addrs.map(|a| a.ip()).collect())
        .unwrap_or_default()
}

/// A number in [0, 1) that differs between calls, for retry jitter.
/// Seconds until retry number `attempt` of an outage that began at `lost_at`: ×1.5 from a
/// quarter second with ±10 % jitter. A young outage is retried often, so a server back after a
/// few seconds gets the stream again within about a second; a long one backs off to 30 s.
pub(crate) fn retry_in(attempt: u32, lost_at: Instant) -> f64 {
    let base = FIRST_RETRY.as_secs_f64() * 1.5f64.powi(attempt.saturating_sub(1).min(20) as i32);
    let ceiling = if lost_at.elapsed() < SHORT_OUTAGE {
        SHORT_OUTAGE_RETRY
    } else {
        MAX_RETRY
    };
    base.min(ceiling.as_secs_f64()) * (0.9 + 0.2 * jitter())
}

pub(crate) fn jitter() -> f64 {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    f64::from(nanos % 1000) / 1000.0
}

/// Hands one encoded buffer to the link, GOP-safe: after a (re)connect or a stall, nothing is
/// sent until the next video keyframe.
pub(crate) fn forward(feed: &Feed, is_video: bool, sample: gst::Sample) {
    if is_video {
        feed.seen_video.store(true, Ordering::Relaxed);
    }
    let slot = if is_video { &feed.video } else { &feed.audio };
    // Disconnected: the link's state says so; these frames are not counted as dropped.
    let Some(src) = slot.lock().ok().and_then(|g| g.clone()) else {
        return;
    };
    let Some(buffer) = sample.buffer() else {
        return;
    };
    if is_video {
        let keyframe = !buffer.flags().contains(gst::BufferFlags::DELTA_UNIT);
        let stalled = src.current_level_time() > MAX_QUEUED;
        if stalled {
            feed.await_keyframe.store(true, Ordering::SeqCst);
        }
        if feed.await_keyframe.load(Ordering::SeqCst) {
            if keyframe && !stalled {
                feed.await_keyframe.store(false, Ordering::SeqCst);
            } else {
                feed.dropped_frames.fetch_add(1, Ordering::Relaxed);
                return;
            }
        }
    } else if feed.await_keyframe.load(Ordering::SeqCst) {
        return;
    }
    // The link's timeline is the session's running time: restate the timestamps in it (the
    // encoder's segment starts far from zero and does not cross to the link).
    let mut buffer = buffer.copy();
    if let Some(segment) = sample
        .segment()
        .and_then(|s| s.downcast_ref::<gst::ClockTime>())
    {
        let b = buffer.make_mut();
        let pts = b.pts().and_then(|t| segment.to_running_time(t));
        let dts = b.dts().and_then(|t| segment.to_running_time(t)).or(pts);
        b.set_pts(pts);
        b.set_dts(dts);
    }
    let caps = sample.caps().map(|c| c.to_owned());
    let mut restated = gst::Sample::builder().buffer(&buffer);
    if let Some(caps) = &caps {
        restated = restated.caps(caps);
    }
    let size = buffer.size() as u64;
    if src.push_sample(&restated.build()).is_ok() {
        feed.pushed_bytes.fetch_add(size, Ordering::Relaxed);
    }
}
