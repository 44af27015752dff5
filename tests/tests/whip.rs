//! WebRTC (WHIP) output for real: kaibo pushes to a WHIP ingest whose webrtcbin decodes what
//! arrives (`kaibo-ingest`), alone and beside nginx-rtmp and a recording.

mod common;

use common::{Ran, run};
use kaibo_ingest::WhipIngest;
use kaibo_testkit::{Nginx, TempDir, Turn, ffprobe, machine_ip};
use std::path::Path;

const TOKEN: &str = "whip-token-5f1c2a9e";

fn ingest(token: &str) -> WhipIngest {
    WhipIngest::start(Some(token)).unwrap_or_else(|e| panic!("the test WHIP ingest: {e}"))
}

/// `kaibo live --source test --to URL --whip-token TOKEN --duration SECONDS EXTRA…`.
fn push(url: &str, seconds: &str, extra: &[&str], log: &Path) -> Ran {
    let mut args = vec![
        "live",
        "--source",
        "test",
        "--to",
        url,
        "--whip-token",
        TOKEN,
        "--duration",
        seconds,
    ];
    args.extend_from_slice(extra);
    run(&args, None, log)
}

/// Panics when the token shows anywhere kaibo wrote.
fn assert_token_hidden(ran: &Ran, log: &Path, token: &str) {
    let log_text = std::fs::read_to_string(log).unwrap_or_default();
    for (what, text) in [
        ("stdout", &ran.stdout),
        ("stderr", &ran.stderr),
        ("log", &log_text),
    ] {
        assert!(!text.contains(token), "the token leaked to {what}:\n{text}");
    }
}

#[test]
fn whip_push_of_10_s_at_720p30_is_decoded_by_the_ingest_and_deleted_at_the_end() {
    let ingest = ingest(TOKEN);
    let dir = TempDir::new();
    let log = dir.path().join("k.log");
    let url = ingest.url("/whip");
    let ran = push(&url, "10", &["--json"], &log);
    ran.assert_ok();
    let frames = ingest.video_frames();
    assert!(
        frames >= 280,
        "only {frames} video frames decoded by the ingest; errors {:?}\n{}",
        ingest.errors(),
        ran.stderr
    );
    // Opus at 20 ms a packet: 50 a second.
    assert!(
        ingest.audio_buffers() >= 300,
        "only {} audio buffers decoded",
        ingest.audio_buffers()
    );
    assert_eq!(ingest.offers(), 1);
    assert_eq!(
        ingest.deletes(),
        1,
        "the session was not deleted at the end"
    );
    let caps = ingest.video_caps().unwrap_or_default();
    assert!(
        caps.contains("H264") && caps.contains("packetization-mode=(string)1"),
        "{caps}"
    );
    // The offer names the stream's own profile and level (High 3.1 for x264 at 720p30).
    let offer = ingest.last_offer().unwrap_or_default();
    let fmtp = offer
        .lines()
        .find(|l| l.starts_with("a=fmtp:96"))
        .unwrap_or_else(|| panic!("no H.264 format line in the offer:\n{offer}"));
    assert!(
        fmtp.contains("packetization-mode=1") && fmtp.contains("profile-level-id=64001f"),
        "{fmtp}"
    );
    assert!(offer.contains("a=rtpmap:111 OPUS/48000/2"), "{offer}");
    assert!(offer.contains("a=sendonly"), "{offer}");
    // This endpoint does not take trickle ICE: the offer carried the candidates.
    assert!(offer.contains("a=candidate:"), "{offer}");
    assert_eq!(ingest.trickle(), (0, 0, false));
    let summary = ran.json();
    let out = &summary["outputs"][0];
    assert_eq!(out["kind"], "whip", "{summary}");
    assert_eq!(out["target"], url, "{summary}");
    assert!(
        out["bytes_sent"].as_u64().unwrap_or(0) > 1_000_000,
        "{summary}"
    );
    assert_token_hidden(&ran, &log, TOKEN);
}

#[test]
fn wrong_whip_token_is_a_clear_error_that_never_shows_the_token() {
    let ingest = ingest(TOKEN);
    let dir = TempDir::new();
    let log = dir.path().join("k.log");
    let wrong = "not-the-token-77d1e0";
    let ran = run(
        &[
            "live",
            "--source",
            "test",
            "--to",
            &ingest.url("/whip"),
            "--whip-token",
            wrong,
            "--duration",
            "5",
        ],
        None,
        &log,
    );
    assert_eq!(ran.code, Some(1), "{}", ran.stderr);
    let line = ran.last_line();
    assert!(
        line.contains("rejected the token") && line.contains("--whip-token"),
        "{}",
        ran.stderr
    );
    assert!(ingest.refused() >= 1);
    assert_eq!(ingest.offers(), 0);
    assert_token_hidden(&ran, &log, wrong);
}

#[test]
fn wrong_endpoint_and_unreachable_server_are_named() {
    let ingest = ingest(TOKEN);
    let dir = TempDir::new();
    let log = dir.path().join("k.log");
    let missing = push(&ingest.url("/no-such-endpoint"), "4", &[], &log);
    assert_eq!(missing.code, Some(1), "{}", missing.stderr);
    assert!(
        missing.last_line().contains("does not exist (HTTP 404)"),
        "{}",
        missing.stderr
    );
    let unreachable = run(
        &[
            "live",
            "--source",
            "test",
            "--to",
            "whip+http://127.0.0.1:1/whip",
            "--duration",
            "4",
        ],
        None,
        &log,
    );
    assert_eq!(unreachable.code, Some(1), "{}", unreachable.stderr);
    assert!(
        unreachable
            .last_line()
            .contains("could not reach the WHIP server")
            && unreachable.last_line().contains("connection refused"),
        "{}",
        unreachable.stderr
    );
}

#[test]
fn whip_waits_out_a_busy_server_and_follows_its_redirect() {
    let ingest = ingest(TOKEN);
    let dir = TempDir::new();
    let log = dir.path().join("k.log");
    // 1 s of Retry-After, then ICE and DTLS: under a loaded CI machine the set-up alone once
    // took 3.4 s of a 5 s run, so the run is long enough for two seconds of frames after it.
    let ran = push(&ingest.url("/whip/busy"), "8", &[], &log);
    ran.assert_ok();
    assert_eq!(ingest.offers(), 1);
    assert!(
        ingest.video_frames() >= 60,
        "{}\n{}",
        ingest.video_frames(),
        ran.stderr
    );
    assert_eq!(ingest.deletes(), 1);
}

#[test]
fn turn_relay_candidates_go_in_the_offer_or_trickle_in_patches() {
    // A real TURN server (coturn) named in the endpoint's Link header with credentials. An
    // endpoint without trickle ICE gets the relay candidate in the offer (Kaibo waited for
    // gathering); one that takes PATCHes gets the offer at once and the relay candidate in a
    // PATCH, the last one saying a=end-of-candidates.
    let ip = machine_ip();
    let turn = Turn::start(ip);
    for (path, trickles) in [("/whip", false), ("/whip/trickle", true)] {
        let ingest = WhipIngest::start_on(ip, Some(TOKEN))
            .unwrap_or_else(|e| panic!("the test WHIP ingest: {e}"));
        ingest.set_link(&turn.link_header());
        let dir = TempDir::new();
        let log = dir.path().join("k.log");
        let ran = push(&ingest.url(path), "4", &[], &log);
        ran.assert_ok();
        let frames = ingest.video_frames();
        assert!(
            frames >= 60,
            "{path}: only {frames} frames decoded\n{}",
            ran.stderr
        );
        let offer = ingest.last_offer().unwrap_or_default();
        let relay_in_offer = offer.lines().any(|l| l.contains("typ relay"));
        let trickled = ingest.trickled_candidates();
        let (patches, _, ended) = ingest.trickle();
        if trickles {
            assert!(
                !relay_in_offer,
                "{path}: the offer waited for the relay:\n{offer}"
            );
            assert!(
                trickled.iter().any(|c| c.contains("typ relay")),
                "{path}: no relay candidate trickled: {trickled:?}; errors {:?}",
                ingest.errors()
            );
            assert!(ended, "{path}: no PATCH said a=end-of-candidates");
        } else {
            assert!(
                relay_in_offer,
                "{path}: no relay candidate in the offer:\n{offer}"
            );
            assert_eq!(
                patches, 0,
                "{path}: PATCHed an endpoint without trickle ICE"
            );
        }
        assert_eq!(ingest.deletes(), 1, "{path}");
        assert_token_hidden(&ran, &log, TOKEN);
        assert_token_hidden(&ran, &log, Turn::PASSWORD);
    }
}

#[test]
fn whip_rtmp_and_recording_run_together_from_one_encode() {
    let ingest = ingest(TOKEN);
    let nginx = Nginx::start();
    let dir = TempDir::new();
    let log = dir.path().join("k.log");
    let record = dir.path().join("show.mkv");
    let rtmp = nginx.url("live", "with-whip");
    let ran = run(
        &[
            "live",
            "--source",
            "test",
            "--to",
            &ingest.url("/whip/redirect"),
            "--whip-token",
            TOKEN,
            "--to",
            &rtmp,
            "--record",
            &record.to_string_lossy(),
            "--duration",
            "8",
            "--json",
        ],
        None,
        &log,
    );
    ran.assert_ok();
    let summary = ran.json();
    let kinds: Vec<_> = (0..3)
        .map(|i| summary["outputs"][i]["kind"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(kinds, ["whip", "rtmp", "record"], "{summary}");
    for i in 0..3 {
        assert_eq!(summary["outputs"][i]["state"], "stopped", "{summary}");
        assert!(
            summary["outputs"][i]["bytes_sent"].as_u64().unwrap_or(0) > 500_000,
            "{summary}"
        );
    }
    // One encode: the encoder made one stream's worth of frames, not three.
    let frames = summary["frames_encoded"].as_u64().unwrap_or(0);
    assert!((220..=260).contains(&frames), "{frames} frames encoded");
    assert!(ingest.video_frames() >= 200, "{}", ingest.video_frames());
    assert!(ingest.audio_buffers() >= 200, "{}", ingest.audio_buffers());
    assert_eq!(ingest.deletes(), 1);
    for path in [record.clone(), nginx.recordings()[0].clone()] {
        let probe = ffprobe(&path.to_string_lossy());
        let video = probe
            .video
            .as_ref()
            .unwrap_or_else(|| panic!("{}", probe.raw));
        assert_eq!((video.width, video.height), (1280, 720), "{}", probe.raw);
        assert!(probe.audio.is_some(), "{}", probe.raw);
    }
    assert_token_hidden(&ran, &log, TOKEN);
}

#[test]
fn no_webrtc_media_path_names_ice_and_its_likely_causes() {
    let ingest = ingest(TOKEN);
    let dir = TempDir::new();
    let log = dir.path().join("k.log");
    let ran = push(&ingest.url("/whip/blackhole"), "12", &[], &log);
    assert_eq!(ran.code, Some(1), "{}", ran.stderr);
    let line = ran.last_line();
    assert!(
        line.contains("ICE/DTLS failed") && line.contains("UDP") && line.contains("TURN"),
        "{}",
        ran.stderr
    );
    assert_eq!(ingest.offers(), 1);
}

#[test]
fn a_whip_server_that_vanishes_is_noticed_and_offered_again() {
    // The ingest streams for 20 s (longer than the silence that counts as gone: a healthy
    // server is never taken for a vanished one), then drops every session without a word, as
    // a crashed server would. Kaibo notices the silence, posts a new offer, streams again.
    let ingest = std::sync::Arc::new(ingest(TOKEN));
    let dir = TempDir::new();
    let log = dir.path().join("k.log");
    let url = ingest.url("/whip");
    let pusher = std::thread::spawn(move || push(&url, "45", &["--json"], &log));
    let started = std::time::Instant::now();
    std::thread::sleep(std::time::Duration::from_secs(20));
    assert_eq!(ingest.offers(), 1, "a healthy server was offered again");
    let before = ingest.video_frames();
    assert!(before >= 300, "only {before} frames in 20 s");
    ingest.drop_sessions();
    let ran = pusher.join().expect("the push thread");
    ran.assert_ok();
    assert_eq!(
        ingest.offers(),
        2,
        "no new offer after the server vanished\n{}",
        ran.stderr
    );
    let after = ingest.video_frames() - before;
    assert!(
        after >= 60,
        "only {after} frames after the new offer ({:?} in all)\n{}",
        started.elapsed(),
        ran.stderr
    );
    assert!(ran.stderr.contains("stopped answering"), "{}", ran.stderr);
    let summary = ran.json();
    assert!(
        summary["outputs"][0]["reconnects"].as_u64().unwrap_or(0) >= 1,
        "{summary}"
    );
}
