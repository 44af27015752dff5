//! Requests to the hub as the bench sends them: timed actions (latency and failures tallied),
//! untimed set-up posts, and actions started at a fixed rate.

use serde_json::Value;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

pub(crate) struct Tally {
    pub latencies_ms: std::sync::Mutex<Vec<f64>>,
    pub failed: AtomicU64,
}

impl Tally {
    pub fn new() -> Arc<Self> {
        Arc::new(Self {
            latencies_ms: std::sync::Mutex::new(Vec::new()),
            failed: AtomicU64::new(0),
        })
    }

    pub fn sorted(&self) -> Vec<f64> {
        let mut v = self.latencies_ms.lock().expect("tally").clone();
        v.sort_by(f64::total_cmp);
        v
    }
}

pub(crate) async fn timed(
    client: &reqwest::Client,
    url: String,
    token: &str,
    body: Value,
    tally: &Tally,
) -> bool {
    let start = Instant::now();
    let res = client.post(url).bearer_auth(token).json(&body).send().await;
    let ok = match res {
        Ok(r) => {
            let ok = r.status().is_success();
            let _ = r.bytes().await;
            ok
        }
        Err(_) => false,
    };
    let ms = start.elapsed().as_secs_f64() * 1000.0;
    tally.latencies_ms.lock().expect("tally").push(ms);
    if !ok {
        tally.failed.fetch_add(1, Ordering::Relaxed);
    }
    ok
}

pub(crate) async fn post(
    client: &reqwest::Client,
    url: String,
    token: &str,
    body: Value,
) -> Result<Value, String> {
    let r = client
        .post(&url)
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .map_err(|e| format!("{url}: {e}"))?;
    let status = r.status();
    let v: Value = r.json().await.map_err(|e| format!("{url}: {e}"))?;
    if !status.is_success() {
        return Err(format!("{url}: {status} {v}"));
    }
    Ok(v)
}

/// Starts `f(k)` at `rate` per second for `seconds`, then waits for all of them.
pub(crate) async fn paced<F, Fut>(rate: u64, seconds: u64, mut f: F)
where
    F: FnMut(u64) -> Fut,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    let mut tick = tokio::time::interval(Duration::from_nanos(1_000_000_000 / rate.max(1)));
    let mut tasks = Vec::new();
    for k in 0..rate * seconds {
        tick.tick().await;
        tasks.push(tokio::spawn(f(k)));
    }
    for t in tasks {
        let _ = t.await;
    }
}
