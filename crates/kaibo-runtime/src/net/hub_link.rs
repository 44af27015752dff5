//! The link test against a Kaibo hub (`kaibo probe --hub`): the uplink by an upload paced at
//! the probe rate, measured by what the hub's side acknowledged (the kernel's counters of our
//! own connection, as for the RTMP test publish); the downlink by the hub's timed download.

use super::probe_error::ProbeError;
use kaibo_media::{AckMeter, TcpSocket, UplinkMeasure, sockets_to, tcp_stats};
use kaibo_model::Secret;
use std::io::Read;
use std::net::{IpAddr, ToSocketAddrs};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// A hub to test the link against: its address and the host token `kaibo hub` printed.
#[derive(Clone, Debug)]
pub struct HubLink {
    base: String,
    token: Secret,
}

impl HubLink {
    /// `base` is the hub's http:// or https:// address (e.g. https://live.example.com).
    pub fn new(base: &str, token: Secret) -> Result<Self, ProbeError> {
        let base = base.trim().trim_end_matches('/');
        let parsed = reqwest::Url::parse(base).map_err(|e| {
            ProbeError::Hub(format!(
                "\"{}\" is not a hub address ({e}); give it as https://HOST[:PORT]",
                base.chars().take(60).collect::<String>()
            ))
        })?;
        if !matches!(parsed.scheme(), "http" | "https") || parsed.host_str().is_none() {
            return Err(ProbeError::Hub(format!(
                "\"{}\" is not a hub address; give it as https://HOST[:PORT]",
                base.chars().take(60).collect::<String>()
            )));
        }
        Ok(Self {
            base: base.to_owned(),
            token,
        })
    }

    /// The hub's download test, `seconds` long.
    pub fn download_url(&self, seconds: u32) -> String {
        format!("{}/api/v1/host/probe/down?seconds={seconds}", self.base)
    }

    pub fn token(&self) -> &Secret {
        &self.token
    }

    /// An empty upload test first: a wrong address, token or an older hub without the probe
    /// routes is named as such, not as a connection cut in the middle of the upload (reqwest
    /// reads the answer only once a body is sent, and the test's body never ends).
    fn check(&self) -> Result<(), ProbeError> {
        let answer = client(Duration::from_secs(10))?
            .post(format!("{}/api/v1/host/probe/up", self.base))
            .bearer_auth(self.token.expose())
            .send()
            .map_err(|e| {
                ProbeError::Hub(format!(
                    "cannot reach the hub at {}: {}. Check the address and the network",
                    self.base,
                    super::downlink::why(&e)
                ))
            })?;
        match answer.status().as_u16() {
            200..=299 => Ok(()),
            401 | 403 => Err(ProbeError::Hub(format!(
                "the hub refused the host token ({}); give the token `kaibo hub` printed",
                answer.status()
            ))),
            404 | 405 => Err(ProbeError::Hub(format!(
                "{} has no link test ({}): it is not a Kaibo hub, or one older than this Kaibo; check the address or update the hub",
                self.base,
                answer.status()
            ))),
            _ => Err(ProbeError::Hub(format!(
                "{} answered {} to the link test; check the address",
                self.base,
                answer.status()
            ))),
        }
    }
}

/// A client that goes to the hub directly: through a proxy the connection would be the
/// proxy's, not one whose counters tell what reached the hub.
fn client(timeout: Duration) -> Result<reqwest::blocking::Client, ProbeError> {
    reqwest::blocking::Client::builder()
        .timeout(timeout)
        .no_proxy()
        .build()
        .map_err(|e| ProbeError::Hub(e.to_string()))
}

/// Uploads to the hub at `send_kbps` for `duration`, reporting progress like the RTMP probe.
pub fn hub_uplink(
    hub: &HubLink,
    send_kbps: u32,
    duration: Duration,
    mut progress: impl FnMut(f64, f64),
) -> Result<UplinkMeasure, ProbeError> {
    let url = reqwest::Url::parse(&format!("{}/api/v1/host/probe/up", hub.base))
        .map_err(|e| ProbeError::Hub(e.to_string()))?;
    let (host, port) = (
        url.host_str().unwrap_or_default().to_owned(),
        url.port_or_known_default().unwrap_or(80),
    );
    let ips: Vec<IpAddr> = (host.as_str(), port)
        .to_socket_addrs()
        .map_err(|e| {
            ProbeError::Hub(format!(
                "cannot find the hub {host}: {e}. Check the address"
            ))
        })?
        .map(|a| a.ip())
        .collect();
    // On its own client, gone before the upload: its pooled connection is not mistaken for
    // the upload's.
    hub.check()?;
    // Our connection to the hub is the one that was not there before.
    let before = sockets_to(port, &ips);
    let stop = Arc::new(AtomicBool::new(false));
    let body = Paced::new(send_kbps, Arc::clone(&stop));
    let token = hub.token.expose().to_owned();
    let uploader = client(duration + Duration::from_secs(10))?;
    let upload = std::thread::spawn(move || {
        uploader
            .post(url)
            .bearer_auth(token)
            .body(reqwest::blocking::Body::new(body))
            .send()
            .map(|r| r.status())
    });
    let mut meter = AckMeter::new(duration);
    let mut socket: Option<TcpSocket> = None;
    while !meter.done() && !upload.is_finished() {
        std::thread::sleep(Duration::from_millis(50));
        if !meter.due() {
            continue;
        }
        // The new connection that carries the upload: chosen once it has sent a burst, so a
        // second one still in its handshake is not taken for it.
        socket = socket.or_else(|| {
            sockets_to(port, &ips)
                .into_iter()
                .filter(|s| !before.contains(s))
                .filter_map(|s| Some((s, tcp_stats(s)?.bytes_sent)))
                .filter(|(_, sent)| *sent > 64 * 1024)
                .max_by_key(|(_, sent)| *sent)
                .and_then(|(s, _)| TcpSocket::of(s))
        });
        if let Some(rate) = socket.as_ref().and_then(|s| meter.read(|| s.stats())) {
            progress(meter.fraction(), rate);
        }
    }
    let finished_early = upload.is_finished();
    stop.store(true, Ordering::SeqCst);
    // What still waits in the socket would take seconds to drain on a narrow link, and the
    // stream may follow at once: the connection is reset, not closed politely. Shutting it
    // down also wakes a write blocked on a full queue, so the upload ends now.
    if let Some(s) = &socket {
        s.discard_on_close();
        s.shut_down();
    }
    // Our duplicate would keep the connection open after the client closes its own.
    drop(socket);
    let answer = upload
        .join()
        .map_err(|_| ProbeError::Hub("the upload test stopped unexpectedly".into()))?;
    if finished_early {
        let why = match answer {
            Ok(status) => format!("the hub answered {status} before the test was over"),
            Err(e) => super::downlink::why(&e),
        };
        return Err(ProbeError::Hub(format!(
            "the upload test to {} broke off: {why}. Check the network, or a proxy's upload limit in front of the hub",
            hub.base
        )));
    }
    let uplink_kbps = meter.uplink_kbps().ok_or_else(|| {
        ProbeError::Hub(format!(
            "{} accepted no data during the upload test. Check the address, your network and firewall",
            hub.base
        ))
    })?;
    Ok(UplinkMeasure {
        uplink_kbps,
        saturated: meter.saturated(),
        rtt_ms: meter.min_rtt_ms(),
        retransmit_pct: meter.retransmit_pct(),
    })
}

/// An endless body of noise at a fixed rate (a 64 KiB burst at most), cut off with an error
/// once `stop` is set so the request ends without waiting for the queue to drain.
struct Paced {
    /// Set on the first read: the time before (the connection's set-up) sends nothing.
    started: Option<Instant>,
    bytes_per_s: f64,
    sent: u64,
    stop: Arc<AtomicBool>,
    noise: Vec<u8>,
}

impl Paced {
    fn new(kbps: u32, stop: Arc<AtomicBool>) -> Self {
        let mut x = 0x2545_F491_4F6C_DD1Du64;
        let noise = (0..64 * 1024)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                x as u8
            })
            .collect();
        Self {
            started: None,
            bytes_per_s: f64::from(kbps) * 1000.0 / 8.0,
            sent: 0,
            stop,
            noise,
        }
    }
}

impl Read for Paced {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        loop {
            if self.stop.load(Ordering::SeqCst) {
                return Err(std::io::Error::other("the upload test is over"));
            }
            let started = *self.started.get_or_insert_with(Instant::now);
            let allowed = (started.elapsed().as_secs_f64() * self.bytes_per_s) as u64
                + self.noise.len() as u64;
            let room = allowed.saturating_sub(self.sent) as usize;
            if room > 0 {
                let n = room.min(buf.len()).min(self.noise.len());
                let at = (self.sent % self.noise.len() as u64) as usize;
                let n = n.min(self.noise.len() - at);
                buf[..n].copy_from_slice(&self.noise[at..at + n]);
                self.sent += n as u64;
                return Ok(n);
            }
            std::thread::sleep(Duration::from_millis(5));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_paced_body_keeps_its_rate_and_stops_when_told() {
        let stop = Arc::new(AtomicBool::new(false));
        let mut body = Paced::new(8000, Arc::clone(&stop));
        let mut buf = vec![0u8; 16 * 1024];
        let started = Instant::now();
        let mut total = 0u64;
        while started.elapsed() < Duration::from_millis(500) {
            total += body.read(&mut buf).unwrap() as u64;
        }
        // 8000 kbit/s for 0.5 s is 500 kB, plus the 64 KiB burst.
        let expected = 500_000 + 64 * 1024;
        assert!(
            total <= expected + 16 * 1024 && total >= expected / 2,
            "{total} bytes in half a second"
        );
        stop.store(true, Ordering::SeqCst);
        assert!(body.read(&mut buf).is_err());
    }

    #[test]
    fn a_hub_address_must_be_http_or_https() {
        let token = Secret::new("0123456789abcdef0123");
        assert!(HubLink::new("rtmp://x/live", token.clone()).is_err());
        assert!(HubLink::new("not a url", token.clone()).is_err());
        let hub = HubLink::new("https://live.example.com/", token).unwrap();
        assert_eq!(
            hub.download_url(4),
            "https://live.example.com/api/v1/host/probe/down?seconds=4"
        );
    }
}
