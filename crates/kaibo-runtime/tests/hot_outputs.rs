//! Record toggled during a live stream, then the stream stopped while the recording goes
//! on: neither output disturbs the other.

use kaibo_model::{
    Command, Destination, Event, OutputSpec, Scene, SessionPlan, SourceKind, Summary, VideoSettings,
};
use kaibo_runtime::LiveHandle;
use kaibo_testkit::{
    Nginx, TempDir, decoded_duration_s, flv_video_timestamps_ms, keyframe_times, video_packet_times,
};
use std::time::Duration;

/// The largest gap between consecutive frame times, in frame intervals at 30 fps.
fn worst_gap_frames(times_ms: &[f64]) -> f64 {
    times_ms
        .windows(2)
        .map(|w| (w[1] - w[0]) / (1000.0 / 30.0))
        .fold(0.0, f64::max)
}

/// A session streaming to nginx, and where a recording joining it would go.
struct Running {
    nginx: Nginx,
    /// Holds the recording.
    _dir: TempDir,
    record: std::path::PathBuf,
    dest: Destination,
    live: LiveHandle,
}

/// A preview session of the test pattern streaming to nginx under `key`.
fn start(key: &str, video: VideoSettings) -> Running {
    let nginx = Nginx::start();
    let dir = TempDir::new();
    let record = dir.path().join(format!("{key}.mkv"));
    let dest = Destination::parse(&nginx.url("live", key)).expect("nginx gives an RTMP URL");
    let plan = SessionPlan {
        canvas: Default::default(),
        scenes: vec![Scene::from_inputs("Bars", vec![SourceKind::Test])],
        active: 0,
        video,
        audio_bitrate_kbps: 128,
        outputs: vec![OutputSpec::Rtmp(dest.clone())],
        duration_s: None,
        adaptive: false,
        preview: Some(Default::default()),
    };
    let live = LiveHandle::spawn(plan).expect("session starts");
    Running {
        nginx,
        _dir: dir,
        record,
        dest,
        live,
    }
}

/// Stops `live` and returns its summary; fails on any output failure or notice on the way.
fn stop_cleanly(live: &LiveHandle) -> Summary {
    assert!(live.send(Command::Stop));
    let mut problems = Vec::new();
    let summary = loop {
        match live.next_event() {
            Some(Event::Ended { summary, failure }) => {
                assert!(failure.is_none(), "the session failed: {failure:?}");
                break summary;
            }
            Some(Event::OutputFailed { target, failure }) => {
                problems.push(format!("{target}: {}", failure.message))
            }
            Some(Event::Notice(n)) => problems.push(n),
            Some(_) => {}
            None => panic!("no summary"),
        }
    };
    assert!(problems.is_empty(), "{problems:?}");
    summary
}

#[test]
fn recording_joins_and_the_stream_leaves_a_running_session() {
    let Running {
        nginx,
        _dir,
        record,
        dest,
        live,
    } = start("hot", VideoSettings::default());
    std::thread::sleep(Duration::from_secs(4));
    assert!(live.send(Command::AddOutput(OutputSpec::Record(record.clone()))));
    std::thread::sleep(Duration::from_secs(5));
    assert!(live.send(Command::RemoveOutput {
        target: dest.redacted()
    }));
    std::thread::sleep(Duration::from_secs(4));
    let summary = stop_cleanly(&live);
    assert_eq!(summary.frames_dropped, 0);

    // The stream ran about 9 s without a gap and ended when removed.
    let flv = nginx.recordings();
    let flv = flv.last().expect("nginx recorded the stream");
    let sent: Vec<f64> = flv_video_timestamps_ms(flv)
        .into_iter()
        .map(f64::from)
        .collect();
    let span_s = (sent.last().unwrap() - sent.first().unwrap()) / 1000.0;
    assert!(
        (8.0..10.5).contains(&span_s),
        "the stream lasted {span_s:.1} s"
    );
    assert!(
        worst_gap_frames(&sent) < 1.5,
        "the stream had a gap when the recording joined"
    );

    // The recording starts on a keyframe, has no gap, and holds the last ~9 s less at most
    // one keyframe interval of waiting for its first keyframe.
    let path = record.display().to_string();
    let rec: Vec<f64> = video_packet_times(&path)
        .into_iter()
        .map(|t| t * 1000.0)
        .collect();
    let keys = keyframe_times(&path);
    assert!(
        keys.first()
            .is_some_and(|k| (k * 1000.0 - rec[0]).abs() < 1.0),
        "the recording starts with a keyframe: {:?} vs {:?}",
        keys.first(),
        rec.first()
    );
    assert!(
        worst_gap_frames(&rec) < 1.5,
        "the recording has a gap when the stream left"
    );
    let duration = decoded_duration_s(&path);
    assert!(
        (6.5..9.8).contains(&duration),
        "the recording lasts {duration:.1} s"
    );
}

/// An output that joins a running session has its own ten seconds to start publishing,
/// counted from when it joined. With a keyframe every 6 s, a recording added 7 s in writes
/// its first bytes at the third keyframe, 12 s in: measured from the session's start, as
/// before, it was failed at 10 s as "could not start publishing".
#[test]
fn a_joining_output_gets_its_own_start_time() {
    let Running {
        nginx: _nginx,
        _dir,
        record,
        live,
        ..
    } = start(
        "late",
        VideoSettings {
            keyframe_interval_s: 6,
            ..VideoSettings::default()
        },
    );
    std::thread::sleep(Duration::from_secs(7));
    assert!(live.send(Command::AddOutput(OutputSpec::Record(record.clone()))));
    std::thread::sleep(Duration::from_secs(8));
    stop_cleanly(&live);
    // The recording began at the third keyframe and ran to the stop.
    let duration = decoded_duration_s(&record.display().to_string());
    assert!(
        (2.0..5.0).contains(&duration),
        "the recording lasts {duration:.1} s"
    );
}
