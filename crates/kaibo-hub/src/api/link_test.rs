//! The link test against the hub, for `kaibo probe --hub`: the path from the host to the hub
//! is the path of the show. Host only — megabytes move per call, and open to anyone this
//! would be a free bandwidth amplifier.
//!
//! - `GET /api/v1/host/probe/down?seconds=S` sends random bytes for S seconds (1–10, default
//!   4) as fast as the connection takes them.
//! - `POST /api/v1/host/probe/up` reads a body of any length for at most 15 s or 256 MiB and
//!   answers what arrived: `{"bytes", "seconds", "kbps"}`.

use super::{ApiQuery, HostAuth};
use crate::error::ApiError;
use crate::state::Shared;
use axum::Json;
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use futures_util::StreamExt;
use rand_chacha::ChaCha20Rng;
use rand_chacha::rand_core::{RngCore, SeedableRng};
use serde::{Deserialize, Serialize};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

const CHUNK: usize = 64 * 1024;
const UPLOAD_SECONDS: u64 = 15;
const UPLOAD_BYTES: u64 = 256 * 1024 * 1024;

/// 1 MiB of pseudo-random bytes, made once: nothing on the path can compress them (not a
/// secret, so a fixed seed does).
fn noise() -> &'static Bytes {
    static NOISE: OnceLock<Bytes> = OnceLock::new();
    NOISE.get_or_init(|| {
        let mut block = vec![0u8; 16 * CHUNK];
        ChaCha20Rng::seed_from_u64(0x006b_6169_626f).fill_bytes(&mut block);
        Bytes::from(block)
    })
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DownQuery {
    #[serde(default)]
    seconds: Option<u64>,
}

/// Random bytes for the asked number of seconds (ending early when the hub stops).
pub async fn down(
    _: HostAuth,
    State(shared): State<Arc<Shared>>,
    ApiQuery(q): ApiQuery<DownQuery>,
) -> Result<Response, ApiError> {
    let seconds = q.seconds.unwrap_or(4);
    if !(1..=10).contains(&seconds) {
        return Err(ApiError::bad_request(
            "bad-seconds",
            "a download test lasts 1 to 10 seconds",
        ));
    }
    let until = Instant::now() + Duration::from_secs(seconds);
    let stopping = shared.shutdown.clone();
    let chunks = futures_util::stream::unfold(0usize, move |i| {
        let stopping = *stopping.borrow();
        async move {
            (Instant::now() < until && !stopping).then(|| {
                let at = (i % 16) * CHUNK;
                (
                    Ok::<_, std::convert::Infallible>(noise().slice(at..at + CHUNK)),
                    i + 1,
                )
            })
        }
    });
    let mut res = Body::from_stream(chunks).into_response();
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/octet-stream"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(res)
}

/// What an upload test delivered to the hub.
#[derive(Serialize)]
pub struct Received {
    bytes: u64,
    seconds: f64,
    kbps: f64,
}

/// Reads and drops the body, up to the limits, and says how much arrived how fast.
pub async fn up(
    _: HostAuth,
    State(shared): State<Arc<Shared>>,
    body: Body,
) -> Result<Json<Received>, ApiError> {
    let mut stopping = shared.shutdown.clone();
    let started = Instant::now();
    let deadline = started + Duration::from_secs(UPLOAD_SECONDS);
    let mut stream = body.into_data_stream();
    let mut bytes = 0u64;
    while bytes < UPLOAD_BYTES {
        let left = deadline.saturating_duration_since(Instant::now());
        let next = tokio::select! {
            next = tokio::time::timeout(left, stream.next()) => next,
            () = crate::state::stopped(&mut stopping) => break,
        };
        match next {
            Ok(Some(Ok(chunk))) => bytes += chunk.len() as u64,
            Ok(Some(Err(e))) => {
                return Err(ApiError::bad_request(
                    "upload-broken",
                    format!("the upload broke off: {e}"),
                ));
            }
            // The end of the body, or time is up: what arrived so far is the answer.
            Ok(None) | Err(_) => break,
        }
    }
    let seconds = started.elapsed().as_secs_f64();
    Ok(Json(Received {
        bytes,
        seconds,
        kbps: bytes as f64 * 8.0 / 1000.0 / seconds.max(0.001),
    }))
}
