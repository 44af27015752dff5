//! Proving an uplink by sending: a short test publish to the destination at more than the
//! platform requires, measured by what the server acknowledges (the kernel's TCP state), not by
//! what we managed to write.
//!
//! ```text
//! videotestsrc (snow) → x264enc (CBR with filler at the probe rate) → flvmux → rtmp2sink
//! ```

use crate::error::{MediaError, OutputLabel, classify};
use crate::rtmp_link::{resolve, rtmp_sink};
use crate::sources::{capsfilter, make};
use crate::tcp_queue::unacked_bytes;
use gst::prelude::*;
use kaibo_model::Destination;
use kaibo_model::secret::scrub_all;
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

/// What the uplink probe measured.
#[derive(Clone, Debug, PartialEq)]
pub struct UplinkMeasure {
    /// Acknowledged rate after the warm-up.
    pub uplink_kbps: f64,
    /// Median TCP connect time to the server (one round trip).
    pub rtt_ms: Option<f64>,
    /// Retransmitted share of the segments sent meanwhile (this network namespace).
    pub retransmit_pct: Option<f64>,
}

/// Sends a test stream at `send_kbps` to `dest` for `duration`, reporting progress
/// (0..1, current acknowledged kbps) about four times a second.
pub fn probe_uplink(
    dest: &Destination,
    send_kbps: u32,
    duration: Duration,
    mut progress: impl FnMut(f64, f64),
) -> Result<UplinkMeasure, MediaError> {
    crate::init()?;
    let ips = resolve(dest);
    let rtt_ms = connect_rtt_ms(&ips, dest.effective_port());
    let pipeline = gst::Pipeline::with_name("probe");
    let src = make("videotestsrc", "probe-videotestsrc")?;
    src.set_property("is-live", true);
    src.set_property_from_str("pattern", "snow");
    let caps = capsfilter(
        "probe-caps",
        &gst::Caps::builder("video/x-raw")
            .field("format", "I420")
            .field("width", 640i32)
            .field("height", 360i32)
            .field("framerate", gst::Fraction::new(30, 1))
            .build(),
    )?;
    let enc = make("x264enc", "probe-x264enc")?;
    enc.set_property("bitrate", send_kbps);
    enc.set_property_from_str("speed-preset", "ultrafast");
    enc.set_property_from_str("tune", "zerolatency");
    enc.set_property_from_str("pass", "cbr");
    enc.set_property("key-int-max", 30u32);
    // Filler keeps the rate up even where the picture would need fewer bits.
    enc.set_property("option-string", "nal-hrd=cbr:filler=1");
    let parse = make("h264parse", "probe-h264parse")?;
    let mux = make("flvmux", "probe-flvmux")?;
    mux.set_property("streamable", true);
    let sink = rtmp_sink("probe-rtmp2sink", dest)?;
    let chain = [&src, &caps, &enc, &parse, &mux, &sink];
    pipeline.add_many(chain)?;
    gst::Element::link_many(chain)?;
    let secrets = [&dest.key];
    let label = OutputLabel {
        target: dest.redacted(),
        host_port: format!("{}:{}", dest.host, dest.effective_port()),
        is_rtmp: true,
    };
    let retrans_before = tcp_segments();
    pipeline
        .set_state(gst::State::Playing)
        .map_err(|_| MediaError::State("the probe pipeline did not start".into()))?;
    let bus = pipeline
        .bus()
        .ok_or_else(|| MediaError::Build("no bus".into()))?;
    let started = Instant::now();
    // The first second fills buffers and ramps TCP up; measure after it.
    let warmup = Duration::from_millis(1000).min(duration / 3);
    let mut mark: Option<(Instant, u64)> = None;
    let mut last: (Instant, u64) = (started, 0);
    let mut result = Ok(());
    while started.elapsed() < duration {
        if let Some(msg) = bus.timed_pop(gst::ClockTime::from_mseconds(250))
            && let gst::MessageView::Error(err) = msg.view()
        {
            let element = msg
                .src()
                .map(|s| s.path_string().to_string())
                .unwrap_or_default();
            let text = err.error().to_string();
            let (kind, message) = classify(&element, &text, Some(&label), false);
            result = Err(MediaError::Stream {
                kind,
                element,
                message: scrub_all(&message, secrets),
                detail: scrub_all(&text, secrets),
            });
            break;
        }
        if last.0.elapsed() < Duration::from_millis(200) {
            continue;
        }
        let written = sink
            .property::<Option<gst::Structure>>("stats")
            .and_then(|s| s.get::<u64>("out-bytes-total").ok())
            .unwrap_or(0);
        let acked = written.saturating_sub(unacked_bytes(dest.effective_port(), &ips).unwrap_or(0));
        let now = Instant::now();
        if mark.is_none() && started.elapsed() >= warmup && acked > 0 {
            mark = Some((now, acked));
        }
        let rate = (acked.saturating_sub(last.1)) as f64 * 8.0
            / 1000.0
            / now.duration_since(last.0).as_secs_f64().max(0.001);
        last = (now, acked);
        progress(
            (started.elapsed().as_secs_f64() / duration.as_secs_f64()).min(1.0),
            rate,
        );
    }
    let _ = pipeline.set_state(gst::State::Null);
    result?;
    let (t0, a0) = mark.ok_or_else(|| MediaError::Stream {
        kind: kaibo_model::FailureKind::Timeout,
        element: String::new(),
        message: format!(
            "{} accepted no data during the probe. Check the push URL, your network and firewall",
            dest.redacted()
        ),
        detail: String::new(),
    })?;
    let uplink_kbps = last.1.saturating_sub(a0) as f64 * 8.0
        / 1000.0
        / last.0.duration_since(t0).as_secs_f64().max(0.001);
    let retransmit_pct = match (retrans_before, tcp_segments()) {
        (Some((out0, re0)), Some((out1, re1))) if out1 > out0 => {
            Some((re1 - re0) as f64 * 100.0 / (out1 - out0) as f64)
        }
        _ => None,
    };
    Ok(UplinkMeasure {
        uplink_kbps,
        rtt_ms,
        retransmit_pct,
    })
}

/// Median of three TCP connect times to the server: about one round trip each.
fn connect_rtt_ms(ips: &[std::net::IpAddr], port: u16) -> Option<f64> {
    let addr = SocketAddr::new(*ips.first()?, port);
    let mut times: Vec<f64> = (0..3)
        .filter_map(|_| {
            let t = Instant::now();
            TcpStream::connect_timeout(&addr, Duration::from_secs(2)).ok()?;
            Some(t.elapsed().as_secs_f64() * 1000.0)
        })
        .collect();
    times.sort_by(f64::total_cmp);
    times.get(times.len() / 2).copied()
}

/// (OutSegs, RetransSegs) of this network namespace, from `/proc/net/snmp`.
fn tcp_segments() -> Option<(u64, u64)> {
    let text = std::fs::read_to_string("/proc/net/snmp").ok()?;
    let mut tcp = text.lines().filter(|l| l.starts_with("Tcp:"));
    let names: Vec<&str> = tcp.next()?.split_whitespace().collect();
    let values: Vec<&str> = tcp.next()?.split_whitespace().collect();
    let get = |name: &str| -> Option<u64> {
        values
            .get(names.iter().position(|n| *n == name)?)?
            .parse()
            .ok()
    };
    Some((get("OutSegs")?, get("RetransSegs")?))
}
