//! Proving an uplink by sending: a short test publish to the destination at more than the
//! platform requires, measured by what the server acknowledges (the kernel's TCP state), not by
//! what we managed to write.
//!
//! ```text
//! videotestsrc (snow) → x264enc (CBR with filler at the probe rate) → flvmux → rtmp2sink
//! ```

use crate::error::{MediaError, OutputLabel, classify};
use crate::output::{resolve, rtmp_sink};
use crate::sources::{capsfilter, make};
use crate::tcp_queue::{TcpSocket, TcpStats, find_socket, unacked_bytes};
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
    /// Whether the link held the probe back while measured (its queue grew, or a backlog
    /// stood unsent throughout): the link took less than was sent, so the rate is its
    /// capacity. `false`: it carried everything, so its capacity is at least the rate.
    /// `None` without the kernel's counters.
    pub saturated: Option<bool>,
    /// The connection's smallest round trip (TCP_INFO): the path without the queue the probe
    /// itself builds; else the median TCP connect time.
    pub rtt_ms: Option<f64>,
    /// Retransmitted share of the bytes the probe's connection sent (TCP_INFO); else of the
    /// segments this network namespace sent meanwhile.
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
    // The first second fills buffers and ramps TCP up; measure after it.
    let mut meter = AckMeter::new(duration);
    let mut socket: Option<TcpSocket> = None;
    let mut result = Ok(());
    while !meter.done() {
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
        if !meter.due() {
            continue;
        }
        // What the server acknowledged: the kernel's own count, read in one call. Without
        // TCP_INFO, what rtmp2sink wrote minus what waits unacknowledged — two reads, between
        // which a write can land; never mixed with the kernel's count in one measurement.
        socket = socket.or_else(|| TcpSocket::of(find_socket(dest.effective_port(), &ips)?));
        let rate = match &socket {
            Some(socket) => meter.read(|| socket.stats().filter(|s| s.bytes_acked > 0)),
            None if meter.counted_by_kernel() => None,
            None => {
                let written = sink
                    .property::<Option<gst::Structure>>("stats")
                    .and_then(|s| s.get::<u64>("out-bytes-total").ok())
                    .unwrap_or(0);
                Some(meter.sample(
                    written.saturating_sub(unacked_bytes(dest.effective_port(), &ips).unwrap_or(0)),
                ))
            }
        };
        let Some(rate) = rate else { continue };
        progress(meter.fraction(), rate);
    }
    // What still waits in the socket would take seconds to drain on a narrow link, and the
    // stream may follow at once: the connection is reset, not closed politely.
    if let Some(s) = &socket {
        s.discard_on_close();
    }
    let _ = pipeline.set_state(gst::State::Null);
    // Our duplicate kept the connection open after rtmp2sink closed its own.
    drop(socket);
    result?;
    let uplink_kbps = meter.uplink_kbps().ok_or_else(|| MediaError::Stream {
        kind: kaibo_model::FailureKind::Timeout,
        element: String::new(),
        message: format!(
            "{} accepted no data during the probe. Check the push URL, your network and firewall",
            dest.redacted()
        ),
        detail: String::new(),
    })?;
    let retransmit_pct =
        meter
            .retransmit_pct()
            .or_else(|| match (retrans_before, tcp_segments()) {
                (Some((out0, re0)), Some((out1, re1))) if out1 > out0 => {
                    Some((re1 - re0) as f64 * 100.0 / (out1 - out0) as f64)
                }
                _ => None,
            });
    Ok(UplinkMeasure {
        uplink_kbps,
        saturated: meter.saturated(),
        // Three TCP connects only where the kernel gave no round trip of the probe's own.
        rtt_ms: meter
            .min_rtt_ms()
            .or_else(|| connect_rtt_ms(&ips, dest.effective_port())),
        retransmit_pct,
    })
}

/// The acknowledged rate of a probe's connection, sampled about five times a second: the rate
/// after a warm-up (TCP's ramp, buffers filling), with the retransmissions and the smallest
/// round trip of the same connection when the kernel's counters ([`TcpStats`]) are at hand.
#[derive(Debug)]
pub struct AckMeter {
    started: Instant,
    duration: Duration,
    warmup: Duration,
    mark: Option<(Instant, u64)>,
    last: (Instant, u64),
    first: Option<TcpStats>,
    latest: Option<TcpStats>,
    /// The counters when the measured window began.
    at_mark: Option<TcpStats>,
    /// KAIBO_DEBUG_PROBE is set: each sample goes to stderr.
    debug: bool,
}

impl AckMeter {
    /// A meter for a probe of `duration`; the first second (a third of a short probe) is
    /// warm-up.
    pub fn new(duration: Duration) -> Self {
        let started = Instant::now();
        Self {
            started,
            duration,
            warmup: Duration::from_millis(1000).min(duration / 3),
            mark: None,
            last: (started, 0),
            first: None,
            latest: None,
            at_mark: None,
            debug: std::env::var_os("KAIBO_DEBUG_PROBE").is_some(),
        }
    }

    /// The probe's time is up.
    pub fn done(&self) -> bool {
        self.started.elapsed() >= self.duration
    }

    /// 200 ms or more since the last sample.
    pub fn due(&self) -> bool {
        self.last.0.elapsed() >= Duration::from_millis(200)
    }

    /// How far the probe is, 0..1.
    pub fn fraction(&self) -> f64 {
        (self.started.elapsed().as_secs_f64() / self.duration.as_secs_f64()).min(1.0)
    }

    /// Reads the connection's counters through `read`, timed on both sides: a read the thread
    /// was held up in (over 20 ms) is not counted, since its count and its time would not
    /// match. The rate since the previous sample, kbit/s.
    pub fn read(&mut self, read: impl FnOnce() -> Option<TcpStats>) -> Option<f64> {
        let before = Instant::now();
        let stats = read()?;
        let now = Instant::now();
        if now - before > Duration::from_millis(20) {
            return None;
        }
        self.first.get_or_insert(stats);
        self.latest = Some(stats);
        let rate = self.sample_at(now, stats.delivered_bytes());
        if self.at_mark.is_none() && self.mark.is_some() {
            self.at_mark = Some(stats);
        }
        Some(rate)
    }

    /// The counts so far came from the kernel ([`AckMeter::read`]); another source would not
    /// add up with them.
    pub fn counted_by_kernel(&self) -> bool {
        self.latest.is_some()
    }

    /// Records the bytes acknowledged so far; the rate since the previous sample, kbit/s.
    pub fn sample(&mut self, acked: u64) -> f64 {
        self.sample_at(Instant::now(), acked)
    }

    fn sample_at(&mut self, now: Instant, acked: u64) -> f64 {
        if self.debug {
            eprintln!(
                "probe sample t={:.3} s acked={acked} kernel={}",
                (now - self.started).as_secs_f64(),
                self.latest.is_some()
            );
        }
        if self.mark.is_none() && now - self.started >= self.warmup && acked > 0 {
            self.mark = Some((now, acked));
        }
        let rate = kbps(acked.saturating_sub(self.last.1), now - self.last.0);
        self.last = (now, acked);
        rate
    }

    /// The delivered rate from the end of the warm-up to the last sample; `None` when less
    /// than half the time after the warm-up was sampled.
    pub fn uplink_kbps(&self) -> Option<f64> {
        let (t0, a0) = self.mark?;
        // Fewer than half the planned seconds after the warm-up say too little (a probe that
        // broke off early).
        if self.last.0 - t0 < (self.duration - self.warmup) / 2 {
            return None;
        }
        Some(kbps(self.last.1.saturating_sub(a0), self.last.0 - t0))
    }

    /// Retransmitted share of the bytes the connection sent while sampled.
    pub fn retransmit_pct(&self) -> Option<f64> {
        let (a, b) = self.first.zip(self.latest)?;
        let sent = b.bytes_sent.checked_sub(a.bytes_sent).filter(|s| *s > 0)?;
        Some(b.bytes_retrans.saturating_sub(a.bytes_retrans) as f64 * 100.0 / sent as f64)
    }

    /// Whether the link held the probe back over the window (see
    /// [`UplinkMeasure::saturated`]): the queue grew by more than a tenth of a second of the
    /// measured rate, or as much stood unsent at both ends of the window. A send buffer that
    /// filled during the warm-up cannot grow any more; its standing backlog says the same.
    pub fn saturated(&self) -> Option<bool> {
        let (start, end) = self.at_mark.zip(self.latest)?;
        let tenth_s = self.uplink_kbps()? * 1000.0 / 8.0 * 0.1;
        let growth = end.queued_bytes() as f64 - start.queued_bytes() as f64;
        let standing = f64::from(start.notsent_bytes.min(end.notsent_bytes));
        Some(growth > tenth_s || standing > tenth_s)
    }

    /// The connection's smallest round trip, ms.
    pub fn min_rtt_ms(&self) -> Option<f64> {
        self.latest
            .filter(|s| s.min_rtt_us > 0)
            .map(|s| f64::from(s.min_rtt_us) / 1000.0)
    }
}

fn kbps(bytes: u64, over: Duration) -> f64 {
    bytes as f64 * 8.0 / 1000.0 / over.as_secs_f64().max(0.001)
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

#[cfg(test)]
mod tests {
    use super::*;

    /// Three reads 15 ms apart over a 30 ms probe (10 ms warm-up): the window runs from the
    /// second read to the third; 10,000 bytes delivered between reads (about 5.3 Mbit/s,
    /// so a tenth of a second is about 67 kB).
    fn meter_over(notsent: [u32; 3]) -> AckMeter {
        let mut meter = AckMeter::new(Duration::from_millis(30));
        for (i, unsent) in notsent.into_iter().enumerate() {
            if i > 0 {
                std::thread::sleep(Duration::from_millis(15));
            }
            let stats = TcpStats {
                bytes_acked: 10_000 * i as u64,
                notsent_bytes: unsent,
                mss: 1448,
                ..TcpStats::default()
            };
            assert!(
                meter.read(|| Some(stats)).is_some(),
                "read {i} was not counted"
            );
        }
        meter
    }

    #[test]
    fn a_growing_queue_is_a_saturated_link() {
        assert_eq!(meter_over([0, 0, 200_000]).saturated(), Some(true));
    }

    #[test]
    fn a_backlog_standing_through_the_window_is_a_saturated_link() {
        // A full send buffer: no growth, but never emptied.
        assert_eq!(
            meter_over([200_000, 200_000, 200_000]).saturated(),
            Some(true)
        );
    }

    #[test]
    fn a_link_that_keeps_up_is_not_saturated() {
        // A frame written just before a read is a small, passing backlog.
        assert_eq!(meter_over([0, 14_000, 0]).saturated(), Some(false));
        assert_eq!(meter_over([0, 0, 14_000]).saturated(), Some(false));
    }
}
