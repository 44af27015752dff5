//! The RTMP protocol of a link: each connection is a pipeline of its own.
//!
//! ```text
//! tap: appsrc(video) ─┐
//!      appsrc(audio) ─┴→ flvmux → rtmp2sink
//! ```
//! The link is live once media is written, and then gets TCP_NODELAY. A link that drops after
//! it was live for [`CONFIRM_AFTER`] reconnects (see `link`); one that never got that far
//! fails for good: a wrong URL or a rejected key does not fix itself. The backlog for
//! adaptive bitrate is what was handed to the link and not yet acknowledged by the server.

use super::Timeline;
use super::link::{Happening, Link, LinkProtocol, LinkState, Policy, Status, Trouble};
use super::tap::Tap;
use crate::abr::LinkSignal;
use crate::error::{FailureKind, MediaError, OutputLabel, classify};
use crate::sources::make;
use gst::prelude::*;
use kaibo_model::{Destination, OutputKind};
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

/// Bytes a link must have written before it counts as publishing: more than the handshake
/// (3,073 bytes) and the connect/publish commands, so media is flowing.
const LIVE_BYTES: u64 = 8 * 1024;
/// How long a publishing connection must last before a drop counts as lost, not refused.
const CONFIRM_AFTER: Duration = Duration::from_secs(3);

/// An RTMP destination's link.
pub(crate) type RtmpLink = Link<Rtmp>;

pub(crate) struct Rtmp {
    index: usize,
    dest: Destination,
    pipeline: Option<gst::Pipeline>,
    sink: Option<gst::Element>,
    /// Bytes written by earlier connections.
    bytes_before: u64,
    /// Bytes pushed before the current connection started.
    pushed_at_connect: u64,
    /// Acknowledged connection bytes at the previous adaptive-bitrate sample, and when.
    last_sample: Option<(Instant, u64)>,
    /// The server's addresses, to find the connection's socket in the kernel's tables.
    server_ips: Vec<std::net::IpAddr>,
    /// The current connection's socket, once found (looked up once per connection).
    socket_inode: Option<u64>,
}

impl Rtmp {
    /// Adds the session side (queues and appsinks, on the tees when given) and prepares the
    /// link; nothing connects before `start`.
    pub fn attach(
        session: &gst::Pipeline,
        index: usize,
        dest: &Destination,
        tees: Option<[&gst::Element; 2]>,
    ) -> Result<RtmpLink, MediaError> {
        let tap = Tap::attach(session, index, tees, true)?;
        let label = OutputLabel {
            target: dest.redacted(),
            host_port: format!("{}:{}", dest.host, dest.effective_port()),
            is_rtmp: true,
        };
        let rtmp = Self {
            index,
            dest: dest.clone(),
            pipeline: None,
            sink: None,
            bytes_before: 0,
            pushed_at_connect: 0,
            last_sample: None,
            server_ips: resolve(dest),
            socket_inode: None,
        };
        Ok(Link::new(label, tap, rtmp))
    }

    fn connection_bytes(&self) -> u64 {
        self.sink
            .as_ref()
            .and_then(|s| s.property::<Option<gst::Structure>>("stats"))
            .and_then(|s| s.get::<u64>("out-bytes-total").ok())
            .unwrap_or(0)
    }

    fn disconnect(&mut self, tap: &Tap) {
        tap.unplug();
        self.bytes_before += self.connection_bytes();
        if let Some(p) = self.pipeline.take() {
            let _ = p.set_state(gst::State::Null);
        }
        self.sink = None;
    }
}

impl LinkProtocol for Rtmp {
    const POLICY: Policy = Policy {
        kind: OutputKind::Rtmp,
        confirm_after: CONFIRM_AFTER,
        reconnecting_until_live: true,
        eos_through_link: true,
        unrecovered_fails: true,
        failed_restart: None,
    };

    fn connect(
        &mut self,
        label: &OutputLabel,
        tap: &Tap,
        timeline: &Timeline,
    ) -> Result<(), MediaError> {
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
        pipeline.add_many([&mux, &sink])?;
        mux.link(&sink)?;
        let mut srcs = Vec::new();
        for (n, what) in ["video", "audio"].into_iter().enumerate() {
            let src = Tap::appsrc(&format!("{p}-{what}-appsrc"), tap.caps(n));
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
        tap.start(&pipeline, timeline, &srcs, "the RTMP link", &label.target)?;
        self.pipeline = Some(pipeline);
        self.sink = Some(sink);
        self.pushed_at_connect = tap.feed.pushed_bytes.load(Ordering::Relaxed);
        self.last_sample = None;
        self.socket_inode = None;
        Ok(())
    }

    /// Live once media flows (then TCP_NODELAY on its socket); errors and the end of stream
    /// from the link's bus.
    fn follow(
        &mut self,
        label: &OutputLabel,
        status: Status,
        secrets: &dyn Fn(&str) -> String,
    ) -> Option<Happening> {
        if matches!(status.state, LinkState::Connecting | LinkState::Waiting)
            && self.connection_bytes() >= LIVE_BYTES
        {
            let port = self.dest.effective_port();
            self.socket_inode = crate::tcp_queue::find_socket(port, &self.server_ips);
            if !self.socket_inode.is_some_and(crate::tcp_queue::set_nodelay) {
                log::debug!("{}: TCP_NODELAY not set", label.target);
            }
            return Some(Happening::Live);
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
                    let (kind, message) = classify(&element, &text, Some(label), status.ever_live);
                    return Some(Happening::Trouble(Trouble {
                        retry: kind != FailureKind::KeyRejected,
                        reason: secrets(&message),
                        cause: secrets(&text),
                        error: MediaError::Stream {
                            kind,
                            element,
                            message: secrets(&message),
                            detail: secrets(&format!(
                                "{text} ({})",
                                err.debug().unwrap_or_default()
                            )),
                        },
                    }));
                }
                gst::MessageView::Eos(_) => return Some(Happening::Ended),
                gst::MessageView::Warning(w) => {
                    log::warn!("{}: {}", label.target, secrets(&w.error().to_string()))
                }
                _ => {}
            }
        }
        None
    }

    fn drop_lost(&mut self, _label: &OutputLabel, tap: &Tap) {
        self.disconnect(tap);
    }

    fn close(&mut self, _label: &OutputLabel, tap: &Tap) {
        self.disconnect(tap);
    }

    fn is_open(&self) -> bool {
        self.pipeline.is_some()
    }

    fn bytes(&self) -> u64 {
        self.bytes_before + self.connection_bytes()
    }

    fn congestion(&mut self, now: Instant, live: bool, tap: &Tap) -> Option<LinkSignal> {
        if !live {
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
        let pushed = tap.feed.pushed_bytes.load(Ordering::Relaxed) - self.pushed_at_connect;
        let previous = self.last_sample.replace((now, acked));
        let (then, acked_then) = previous?;
        let dt = now.duration_since(then).as_secs_f64().max(0.001);
        Some(LinkSignal {
            // The connection's own bytes (handshake, headers) make `written` run a little ahead.
            backlog_bytes: pushed.saturating_sub(written) + unacked,
            delivered_kbps: acked.saturating_sub(acked_then) as f64 * 8.0 / 1000.0 / dt,
        })
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
