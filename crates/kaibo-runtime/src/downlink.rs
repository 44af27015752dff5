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
/// at most `duration` and returns the rate after the first half second (connection set-up
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
    let warmup = Duration::from_millis(500);
    let mut buf = vec![0u8; 64 * 1024];
    let (mut total, mut counted) = (0u64, 0u64);
    let mut mark = None;
    while started.elapsed() < duration {
        let n = response.read(&mut buf).map_err(|e| fail(&e))?;
        if n == 0 {
            break;
        }
        total += n as u64;
        match mark {
            None if started.elapsed() >= warmup => mark = Some(Instant::now()),
            Some(_) => counted += n as u64,
            None => {}
        }
    }
    let since = mark.ok_or(DownlinkError::TooSmall {
        url: url.to_owned(),
        bytes: total,
    })?;
    let seconds = since.elapsed().as_secs_f64();
    if seconds < 0.5 {
        return Err(DownlinkError::TooSmall {
            url: url.to_owned(),
            bytes: total,
        });
    }
    Ok(counted as f64 * 8.0 / 1000.0 / seconds)
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
