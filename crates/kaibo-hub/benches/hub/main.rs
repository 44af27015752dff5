//! `cargo xtask bench hub`: 2,000 viewers connected to live updates (SSE) while 200 actions/s
//! (questions, likes, votes, ratings, draw entries) arrive for 60 s. Reports lost actions
//! (database counts against what was acknowledged), request latency (p50/p99/max) against a
//! trivial axum handler measured in the same run and process, and the hub's RSS.
//!
//! The hub runs in a child process (this binary again, `KAIBO_HUB_BENCH_SERVE` set) so its RSS
//! is its own; the load generator is this process. Options: `--seconds S` (default 60),
//! `--viewers N` (2000), `--rate R` (200 actions/s), `--baseline-seconds B` (15).

//!
//! Here: the two processes and the options; `client.rs`: timed requests and pacing;
//! `load.rs`: the viewers, the actions and the report.

mod client;
mod load;

use load::load;
use serde_json::{Value, json};
use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};

const SERVE_ENV: &str = "KAIBO_HUB_BENCH_SERVE";
pub(crate) const SEED_QUESTIONS: usize = 50;

fn main() {
    if let Ok(db) = std::env::var(SERVE_ENV) {
        serve(&db);
        return;
    }
    let args: Vec<String> = std::env::args().skip(1).collect();
    let opt = |name: &str, default: u64| {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
            .and_then(|v| v.parse().ok())
            .unwrap_or(default)
    };
    let cfg = Load {
        seconds: opt("--seconds", 60),
        viewers: opt("--viewers", 2000) as usize,
        rate: opt("--rate", 200),
        baseline_seconds: opt("--baseline-seconds", 15),
    };
    if let Err(e) = run(cfg) {
        eprintln!("bench hub: {e}");
        std::process::exit(1);
    }
}

/// Child: the hub plus a trivial axum handler (the baseline) on one runtime; runs until stdin
/// closes.
fn serve(db: &str) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        let mut config =
            kaibo_hub::HubConfig::new("127.0.0.1:0".parse().expect("addr"), db).expect("config");
        config.session_title = "bench".into();
        let hub = kaibo_hub::Hub::start(config).await.expect("hub starts");
        let baseline = axum::Router::new().route(
            "/baseline",
            axum::routing::post(|axum::Json(v): axum::Json<Value>| async move {
                axum::Json(json!({ "ok": true, "echo": v }))
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let base_addr = listener.local_addr().expect("addr");
        tokio::spawn(async move { axum::serve(listener, baseline).await });
        println!(
            "{} {} {}",
            hub.local_addr(),
            base_addr,
            hub.host_token().expose()
        );
        std::io::stdout().flush().expect("stdout");
        // Stop when the parent closes our stdin.
        tokio::task::spawn_blocking(|| {
            let mut line = String::new();
            while std::io::stdin().read_line(&mut line).is_ok_and(|n| n > 0) {}
        })
        .await
        .expect("stdin");
        hub.shutdown().await;
    });
}

#[derive(Clone, Copy)]
pub(crate) struct Load {
    seconds: u64,
    viewers: usize,
    rate: u64,
    baseline_seconds: u64,
}

pub(crate) fn rss_kib(pid: u32, field: &str) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(field))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
        })
        .unwrap_or(0)
}

pub(crate) fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i]
}

fn run(cfg: Load) -> Result<(), String> {
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let db = dir.path().join("bench.sqlite");
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let mut child = Command::new(exe)
        .env(SERVE_ENV, &db)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot start the hub process: {e}"))?;
    let mut line = String::new();
    BufReader::new(child.stdout.take().ok_or("no stdout")?)
        .read_line(&mut line)
        .map_err(|e| e.to_string())?;
    let parts: Vec<String> = line.split_whitespace().map(str::to_owned).collect();
    let [hub, baseline, host] = parts.as_slice() else {
        return Err(format!("unexpected hub line {line:?}"));
    };
    let pid = child.id();
    // The viewers' streams are read on a runtime of their own, so reading 2,000 streams never
    // delays the timing of requests on this one.
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    let viewers_rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .thread_name("bench-viewers")
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    let result = rt.block_on(load(
        cfg,
        viewers_rt.handle().clone(),
        format!("http://{hub}"),
        format!("http://{baseline}/baseline"),
        host.clone(),
        pid,
    ));
    drop(child.stdin.take());
    let _ = child.wait();
    result
}
