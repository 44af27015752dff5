//! 100 scene switches, cuts and fades alternating, during a 60 s stream to nginx-rtmp with a
//! local recording: neither the recording nor the stream nginx received may miss or repeat a
//! frame around a switch, and the encoder must not have missed any.

use kaibo_model::{
    Command, Destination, Event, Layout, OutputSpec, Scene, SceneSource, SessionPlan, SourceKind,
    Transition, VideoSettings,
};
use kaibo_runtime::LiveHandle;
use kaibo_testkit::{Nginx, TempDir, flv_video_timestamps_ms, video_packet_times};
use std::time::{Duration, Instant};

fn scene(name: &str, layout: Layout) -> Scene {
    Scene {
        name: name.into(),
        sources: vec![SceneSource {
            name: "Bars".into(),
            input: SourceKind::Test,
            layout: Some(layout),
            audio: Default::default(),
        }],
    }
}

/// Frame intervals (ms) of 1.5 frames or more (a missing frame) or of zero (a repeated
/// frame); the frame times are read from the file, so jitter of a few ms is allowed.
fn bad_intervals(times_ms: &[f64], frame_ms: f64) -> Vec<(usize, f64)> {
    times_ms
        .windows(2)
        .enumerate()
        .map(|(i, w)| (i, w[1] - w[0]))
        .filter(|(_, d)| *d >= frame_ms * 1.5 || *d <= 0.0)
        .collect()
}

/// The frames from half a second before the first switch (at 4 s) to one second after the
/// last (at 58.45 s): start-up and end of stream are other tests' business.
fn around_switches(times_ms: &[f64]) -> Vec<f64> {
    let first = times_ms.first().copied().unwrap_or_default();
    times_ms
        .iter()
        .copied()
        .filter(|t| (3_500.0..59_500.0).contains(&(t - first)))
        .collect()
}

#[test]
fn a_hundred_switches_in_a_minute_lose_and_repeat_no_frame() {
    let nginx = Nginx::start();
    let dir = TempDir::new();
    let record = dir.path().join("switches.mkv");
    let plan = SessionPlan {
        canvas: Default::default(),
        // The same capture in two boxes: full screen, and a quarter in the top-left.
        scenes: vec![
            scene("Full", Layout::fill(1280, 720)),
            scene("Corner", Layout::rect(0, 0, 640, 360, 0)),
        ],
        active: 0,
        video: VideoSettings::default(),
        audio_bitrate_kbps: 128,
        outputs: vec![
            OutputSpec::Rtmp(Destination::parse(&nginx.url("live", "switches")).unwrap()),
            OutputSpec::Record(record.clone()),
        ],
        duration_s: Some(60.0),
        adaptive: false,
        preview: Some(Default::default()),
    };
    let live = LiveHandle::spawn(plan).expect("session starts");
    let start = Instant::now();
    let mut sent = 0;
    while sent < 100 {
        let due = Duration::from_millis(4_000 + sent * 550);
        if let Some(wait) = due.checked_sub(start.elapsed()) {
            std::thread::sleep(wait);
        }
        let transition = if sent % 2 == 0 {
            Transition::Cut
        } else {
            Transition::Fade { ms: 300 }
        };
        assert!(
            live.send(Command::SwitchScene {
                index: ((sent + 1) % 2) as usize,
                transition,
            }),
            "the session took switch {sent}"
        );
        sent += 1;
    }
    let summary = loop {
        match live.next_event() {
            Some(Event::Ended { summary, failure }) => {
                assert!(failure.is_none(), "the session failed: {failure:?}");
                break summary;
            }
            Some(Event::Notice(n)) => panic!("a switch was refused: {n}"),
            Some(_) => {}
            None => panic!("the session ended without a summary"),
        }
    };
    assert_eq!(summary.frames_dropped, 0, "frames the encoder never got");
    let frame_ms = 1000.0 / 30.0;

    let rec: Vec<f64> = video_packet_times(&record.display().to_string())
        .into_iter()
        .map(|t| t * 1000.0)
        .collect();
    assert!(
        rec.len() >= 59 * 30,
        "the recording holds {} frames",
        rec.len()
    );
    let window = around_switches(&rec);
    assert!(
        (window.len() as f64 - 56.0 * 30.0).abs() <= 2.0,
        "the recording holds {} frames in the 56 s of switching",
        window.len()
    );
    let bad = bad_intervals(&window, frame_ms);
    assert!(bad.is_empty(), "recording: gaps or repeats at {bad:?}");

    let flv = nginx.recordings();
    let flv = flv.last().expect("nginx recorded the stream");
    let sent_ms: Vec<f64> = flv_video_timestamps_ms(flv)
        .into_iter()
        .map(f64::from)
        .collect();
    assert!(
        sent_ms.len() >= 58 * 30,
        "nginx got {} frames",
        sent_ms.len()
    );
    // FLV timestamps are whole milliseconds: 33 or 34 ms apart.
    let window = around_switches(&sent_ms);
    let bad = bad_intervals(&window, frame_ms);
    // 56 s of switching at 30 fps, to within a frame.
    assert!(
        (window.len() as f64 - 56.0 * 30.0).abs() <= 2.0,
        "nginx got {} frames in the 56 s of switching",
        window.len()
    );
    assert!(bad.is_empty(), "stream: gaps or repeats at {bad:?}");
}
