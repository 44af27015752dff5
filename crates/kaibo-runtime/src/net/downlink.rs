//! The downlink: a timed download from a URL the host (or the hub) provides.

use kaibo_model::Secret;
use std::io::Read;
use std::time::{Duration, Instant};

/// Why the downlink could not be measured.
#[derive(Debug, thiserror::Error)]
pub enum DownlinkError {
    #[error("the download URL must start with http:// or https:// (got \"{0}\")")]
    Scheme(String),
    #[error("could not download from {url}: {reason}. Check the URL and the network")]
    Request { url: String, reason: String },
    #[error("{url} sent only {bytes} bytes: use a file of several megabytes for the downlink test")]
    TooSmall { url: String, bytes: u64 },
}

/// Downloads from `url` (with `bearer` as its `Authorization`, for a hub's download test) for
/// at most `duration` and returns the rate after the first second (connection set-up
/// and TCP slow start), in kbit/s.
pub fn measure_downlink(
    url: &str,
    bearer: Option<&Secret>,
    duration: Duration,
) -> Result<f64, DownlinkError> {
    if !(url.starts_with("http://") || url.starts_with("https://")) {
        return Err(DownlinkError::Scheme(url.chars().take(40).collect()));
    }
    let fail = |e: &dyn std::fmt::Display| DownlinkError::Request {
        url: url.to_owned(),
        reason: e.to_string(),
    };
    let request_failed = |e: reqwest::Error| DownlinkError::Request {
        url: url.to_owned(),
        reason: why(&e),
    };
    let client = reqwest::blocking::Client::builder()
        .timeout(duration + Duration::from_secs(5))
        .build()
        .map_err(|e| fail(&e))?;
    let mut request = client.get(url);
    if let Some(token) = bearer {
        request = request.bearer_auth(token.expose());
    }
    let mut response = request.send().map_err(request_failed)?;
    if !response.status().is_success() {
        return Err(fail(&format!("the server answered {}", response.status())));
    }
    let started = Instant::now();
    // Slow start overshoots a shaped queue: the losses and their repairs make the first
    // second come in lumps (read at 3.4 Mbit/s through a 3 Mbit/s link, 0.5–1 s).
    let warmup = Duration::from_secs(1).min(duration / 2);
    let mut buf = vec![0u8; 64 * 1024];
    let mut total = 0u64;
    let mut fit = Slope::default();
    while started.elapsed() < duration {
        let n = response.read(&mut buf).map_err(|e| fail(&e))?;
        if n == 0 {
            break;
        }
        total += n as u64;
        let at = started.elapsed();
        if at >= warmup {
            fit.add(at.as_secs_f64(), total as f64);
        }
    }
    match fit.slope() {
        Some(bytes_per_s) if fit.span() >= 0.5 => Ok(bytes_per_s * 8.0 / 1000.0),
        _ => Err(DownlinkError::TooSmall {
            url: url.to_owned(),
            bytes: total,
        }),
    }
}

/// The least-squares slope of bytes received against time. A socket hands over data in
/// order only, so after a lost packet everything behind it arrives as one lump: the rate
/// between two end points moves with where the lumps fall, the slope over every read hardly.
#[derive(Default)]
struct Slope {
    n: f64,
    t: f64,
    y: f64,
    tt: f64,
    ty: f64,
    first: Option<f64>,
    last: f64,
}

impl Slope {
    fn add(&mut self, t: f64, y: f64) {
        self.first.get_or_insert(t);
        self.last = t;
        self.n += 1.0;
        self.t += t;
        self.y += y;
        self.tt += t * t;
        self.ty += t * y;
    }

    /// Seconds between the first and the last point.
    fn span(&self) -> f64 {
        self.first.map_or(0.0, |f| self.last - f)
    }

    fn slope(&self) -> Option<f64> {
        let denominator = self.n * self.tt - self.t * self.t;
        (self.n >= 3.0 && denominator > 0.0)
            .then(|| (self.n * self.ty - self.t * self.y) / denominator)
    }
}

/// What went wrong with a request, in words: reqwest's own text says only that sending failed;
/// the cause is further down its chain (a refused connection, an untrusted certificate).
pub(crate) fn why(e: &reqwest::Error) -> String {
    let mut chain = Vec::new();
    let mut source: Option<&dyn std::error::Error> = Some(e);
    while let Some(s) = source {
        chain.push(s.to_string());
        source = s.source();
    }
    let all = chain.join(": ").to_ascii_lowercase();
    if all.contains("certificate") {
        "the server's TLS certificate is not trusted by this machine (self-signed, expired or for another name)".into()
    } else if all.contains("refused") {
        "connection refused".into()
    } else if e.is_timeout() {
        "no answer in time".into()
    } else {
        chain.last().cloned().unwrap_or_else(|| e.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::Slope;

    #[test]
    fn a_lump_at_the_start_hardly_moves_the_slope() {
        // 100 kB/s for 2 s, read every 10 ms; but the first 0.3 s were held back behind a lost
        // packet and come as 64 kB reads within a millisecond. Counting from the first read
        // (as before) would take 30 kB from before the window: 15 % too much.
        let mut fit = Slope::default();
        for k in 0..=5 {
            let at = 0.3 + f64::from(k) * 0.0002;
            fit.add(at, (30_000.0 * f64::from(k) / 5.0).min(30_000.0));
        }
        for i in 31..230 {
            let t = f64::from(i) * 0.01;
            fit.add(t, 100_000.0 * t);
        }
        let slope = fit.slope().unwrap();
        assert!((slope - 100_000.0).abs() < 2_000.0, "{slope}");
        assert!((fit.span() - 1.99).abs() < 1e-6, "{}", fit.span());
        assert_eq!(Slope::default().slope(), None);
    }
}
