//! The load: viewers join and open live updates, a baseline of trivial requests, the actions
//! at the asked rate, then what the database holds against what was acknowledged.

use crate::client::{Tally, paced, post, timed};
use crate::{Load, SEED_QUESTIONS, percentile, rss_kib};
use futures_util::StreamExt;
use serde_json::{Value, json};
use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

#[derive(Default)]
struct Sent {
    questions: AtomicU64,
    likes: AtomicU64,
    votes: AtomicU64,
    entries: AtomicU64,
    raters: std::sync::Mutex<HashSet<usize>>,
}

pub(crate) async fn load(
    cfg: Load,
    viewers_rt: tokio::runtime::Handle,
    hub: String,
    baseline: String,
    host: String,
    pid: u32,
) -> Result<(), String> {
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(256)
        .build()
        .map_err(|e| e.to_string())?;
    let rss_idle = rss_kib(pid, "VmRSS:");
    // Viewers join.
    let mut tokens = Vec::with_capacity(cfg.viewers);
    let mut joins = futures_util::stream::iter(0..cfg.viewers)
        .map(|i| {
            let client = client.clone();
            let url = format!("{hub}/api/v1/join");
            async move {
                let v = post(
                    &client,
                    url,
                    "",
                    json!({ "nickname": format!("观众{i}"), "accept_privacy": true }),
                )
                .await?;
                v["token"]
                    .as_str()
                    .map(str::to_owned)
                    .ok_or("no token".to_string())
            }
        })
        .buffered(32);
    while let Some(t) = joins.next().await {
        tokens.push(t?);
    }
    let tokens = Arc::new(tokens);
    // Everyone connects to live updates, each on its own connection.
    let events = Arc::new(AtomicU64::new(0));
    let connected = Arc::new(AtomicU64::new(0));
    let mut streams = Vec::new();
    // One client: each open stream holds a connection of its own (HTTP/1.1).
    let sse = reqwest::Client::new();
    for token in tokens.iter() {
        let sse = sse.clone();
        let url = format!("{hub}/api/v1/events");
        let token = token.clone();
        let events = Arc::clone(&events);
        let connected = Arc::clone(&connected);
        streams.push(viewers_rt.spawn(async move {
            let Ok(res) = sse.get(url).bearer_auth(token).send().await else {
                return;
            };
            connected.fetch_add(1, Ordering::Relaxed);
            let mut body = res.bytes_stream();
            while let Some(Ok(chunk)) = body.next().await {
                let n = chunk.windows(13).filter(|w| w == b"event: update").count();
                events.fetch_add(n as u64, Ordering::Relaxed);
            }
            connected.fetch_sub(1, Ordering::Relaxed);
        }));
    }
    for _ in 0..600 {
        if connected.load(Ordering::Relaxed) as usize == cfg.viewers {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    if connected.load(Ordering::Relaxed) as usize != cfg.viewers {
        return Err(format!(
            "only {} of {} viewers connected to live updates",
            connected.load(Ordering::Relaxed),
            cfg.viewers
        ));
    }
    // Something to like and vote on.
    let mut questions = Vec::new();
    for i in 0..SEED_QUESTIONS {
        let v = post(
            &client,
            format!("{hub}/api/v1/questions"),
            &tokens[i % tokens.len()],
            json!({ "text": format!("预置问题 {i}") }),
        )
        .await?;
        questions.push(v["id"].as_i64().ok_or("question id")?);
    }
    let poll = post(
        &client,
        format!("{hub}/api/v1/host/polls"),
        &host,
        json!({ "title": "bench", "options": ["A", "B", "C"] }),
    )
    .await?;
    let poll = poll["id"].as_i64().ok_or("poll id")?;
    post(
        &client,
        format!("{hub}/api/v1/host/polls/{poll}/open"),
        &host,
        json!({}),
    )
    .await?;
    post(
        &client,
        format!("{hub}/api/v1/host/questions/{}/pin", questions[0]),
        &host,
        json!({}),
    )
    .await?;
    post(
        &client,
        format!("{hub}/api/v1/host/lottery"),
        &host,
        json!({ "title": "bench", "window_s": 3600 }),
    )
    .await?;
    let rss_connected = rss_kib(pid, "VmRSS:");

    // Baseline: the trivial handler at the same rate, same connections open.
    let base_tally = Tally::new();
    paced(cfg.rate, cfg.baseline_seconds, |k| {
        let client = client.clone();
        let url = baseline.clone();
        let tally = Arc::clone(&base_tally);
        async move {
            timed(
                &client,
                url,
                "x",
                json!({ "text": format!("baseline {k}") }),
                &tally,
            )
            .await;
        }
    })
    .await;

    // The hub under 200 actions/s.
    let tally = Tally::new();
    // The trivial handler again, 20 requests/s during the run: what the same moment's load
    // (SSE fan-out, the load generator) costs a request that does no work.
    let loaded_base = Tally::new();
    let sent = Arc::new(Sent::default());
    let questions = Arc::new(questions);
    let counters = Arc::new([
        AtomicU64::new(0),
        AtomicU64::new(0),
        AtomicU64::new(0),
        AtomicU64::new(0),
    ]);
    let started = Instant::now();
    paced(cfg.rate, cfg.seconds, |k| {
        let client = client.clone();
        let hub = hub.clone();
        let tally = Arc::clone(&tally);
        let sent = Arc::clone(&sent);
        let tokens = Arc::clone(&tokens);
        let questions = Arc::clone(&questions);
        let counters = Arc::clone(&counters);
        let baseline = baseline.clone();
        let loaded_base = Arc::clone(&loaded_base);
        async move {
            if k % 10 == 0 {
                let body = json!({ "text": format!("baseline {k}") });
                timed(&client, baseline, "x", body, &loaded_base).await;
            }
            let n = tokens.len();
            let mut kind = k % 20;
            let take = |i: usize| counters[i].fetch_add(1, Ordering::Relaxed) as usize;
            // Votes and entries are once per viewer: past the audience, like instead.
            let vote_i = if (13..16).contains(&kind) { take(1) } else { 0 };
            let enter_i = if kind >= 18 { take(3) } else { 0 };
            if ((13..16).contains(&kind) && vote_i >= n) || (kind >= 18 && enter_i >= n) {
                kind = 5;
            }
            match kind {
                0..5 => {
                    let v = (k as usize * 7) % n;
                    let body = json!({ "text": format!("第 {k} 个问题：这个多少钱？") });
                    if timed(
                        &client,
                        format!("{hub}/api/v1/questions"),
                        &tokens[v],
                        body,
                        &tally,
                    )
                    .await
                    {
                        sent.questions.fetch_add(1, Ordering::Relaxed);
                    }
                }
                5..13 => {
                    let li = take(0);
                    let v = li % n;
                    let q = questions[(li / n) % questions.len()];
                    if timed(
                        &client,
                        format!("{hub}/api/v1/questions/{q}/like"),
                        &tokens[v],
                        json!({}),
                        &tally,
                    )
                    .await
                    {
                        sent.likes.fetch_add(1, Ordering::Relaxed);
                    }
                }
                13..16 => {
                    let body = json!({ "option": vote_i % 3 });
                    if timed(
                        &client,
                        format!("{hub}/api/v1/polls/{poll}/vote"),
                        &tokens[vote_i],
                        body,
                        &tally,
                    )
                    .await
                    {
                        sent.votes.fetch_add(1, Ordering::Relaxed);
                    }
                }
                16..18 => {
                    let v = take(2) % n;
                    let body = json!({ "stars": 1 + v % 5 });
                    if timed(
                        &client,
                        format!("{hub}/api/v1/rating"),
                        &tokens[v],
                        body,
                        &tally,
                    )
                    .await
                    {
                        sent.raters.lock().expect("raters").insert(v);
                    }
                }
                _ => {
                    if timed(
                        &client,
                        format!("{hub}/api/v1/lottery/enter"),
                        &tokens[enter_i],
                        json!({}),
                        &tally,
                    )
                    .await
                    {
                        sent.entries.fetch_add(1, Ordering::Relaxed);
                    }
                }
            }
        }
    })
    .await;
    let elapsed = started.elapsed().as_secs_f64();
    let rss_end = rss_kib(pid, "VmRSS:");
    let rss_peak = rss_kib(pid, "VmHWM:");
    let still_connected = connected.load(Ordering::Relaxed);

    // What the database holds against what was acknowledged.
    let report: Value = client
        .get(format!("{hub}/api/v1/host/report"))
        .bearer_auth(&host)
        .send()
        .await
        .map_err(|e| e.to_string())?
        .json()
        .await
        .map_err(|e| e.to_string())?;
    let got = |k: &str| report[k].as_u64().unwrap_or(0);
    let checks = [
        (
            "questions",
            sent.questions.load(Ordering::Relaxed) + SEED_QUESTIONS as u64,
            got("questions"),
        ),
        ("likes", sent.likes.load(Ordering::Relaxed), got("likes")),
        ("votes", sent.votes.load(Ordering::Relaxed), got("votes")),
        (
            "ratings (viewers)",
            sent.raters.lock().expect("raters").len() as u64,
            got("ratings"),
        ),
        (
            "draw entries",
            sent.entries.load(Ordering::Relaxed),
            got("lottery_entries"),
        ),
    ];
    for s in streams {
        s.abort();
    }

    let hub_lat = tally.sorted();
    let base_lat = base_tally.sorted();
    let (p50, p99, max) = (
        percentile(&hub_lat, 0.5),
        percentile(&hub_lat, 0.99),
        hub_lat.last().copied().unwrap_or(f64::NAN),
    );
    let (b50, b99) = (percentile(&base_lat, 0.5), percentile(&base_lat, 0.99));
    let loaded = loaded_base.sorted();
    let (l50, l99) = (percentile(&loaded, 0.5), percentile(&loaded, 0.99));
    let failed = tally.failed.load(Ordering::Relaxed);
    let lost: i64 = checks
        .iter()
        .map(|(_, s, g)| (*s as i64 - *g as i64).abs())
        .sum::<i64>()
        + failed as i64;
    println!(
        "hub bench: {} viewers on SSE, {} actions/s for {} s ({} actions in {elapsed:.1} s)",
        cfg.viewers,
        cfg.rate,
        cfg.seconds,
        hub_lat.len()
    );
    println!("  actions acknowledged vs stored:");
    for (name, s, g) in &checks {
        println!("    {name:<18} sent {s:>6}  stored {g:>6}");
    }
    println!("  failed requests: {failed}; lost actions: {lost} (target 0)");
    println!(
        "  latency (hub actions):      p50 {p50:.1} ms, p99 {p99:.1} ms, max {max:.1} ms (target p99 ≤ 50 ms)"
    );
    println!(
        "  baseline (trivial axum):    p50 {b50:.1} ms, p99 {b99:.1} ms ({} requests, same rate, same connections)",
        base_lat.len()
    );
    println!(
        "  ratio to baseline:          p50 {:.2}, p99 {:.2}",
        p50 / b50,
        p99 / b99
    );
    println!(
        "  baseline during the run:    p50 {l50:.1} ms, p99 {l99:.1} ms ({} requests interleaved with the actions)",
        loaded.len()
    );
    println!(
        "  ratio to it (same moment):  p50 {:.2}, p99 {:.2}",
        p50 / l50,
        p99 / l99
    );
    println!(
        "  live updates: {} update events delivered, {still_connected}/{} streams still connected",
        events.load(Ordering::Relaxed),
        cfg.viewers
    );
    println!(
        "  hub RSS: {:.1} MiB idle, {:.1} MiB with viewers connected, {:.1} MiB at the end, peak {:.1} MiB",
        rss_idle as f64 / 1024.0,
        rss_connected as f64 / 1024.0,
        rss_end as f64 / 1024.0,
        rss_peak as f64 / 1024.0
    );
    if lost != 0 {
        return Err(format!("{lost} actions were lost or failed"));
    }
    Ok(())
}
