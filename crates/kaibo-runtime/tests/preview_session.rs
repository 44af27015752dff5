//! The desktop app's session: preview pictures, live scene switches (cut and fade), meters
//! and mixer commands, on real GStreamer pipelines.

use kaibo_model::{
    Command, Layout, Monitor, PixelLayout, PreviewFormat, Scene, SceneSource, SessionPlan,
    SourceKind, Transition, VideoSettings,
};
use kaibo_runtime::LiveHandle;
use kaibo_testkit::{TempDir, require_tool, wait_until};
use std::path::Path;
use std::process::Command as Process;
use std::time::Duration;

fn solid_png(dir: &Path, name: &str, color: &str) -> String {
    let convert = require_tool("convert", "imagemagick");
    let path = dir.join(name);
    let status = Process::new(convert)
        .args(["-size", "1280x720", &format!("xc:{color}")])
        .arg(&path)
        .status()
        .expect("convert runs");
    assert!(status.success(), "convert made {name}");
    path.display().to_string()
}

fn source(name: &str, input: SourceKind) -> SceneSource {
    SceneSource {
        name: name.into(),
        input,
        layout: Some(Layout::fill(1280, 720)),
        audio: Default::default(),
    }
}

/// The preview pixel (red, green, blue) at a fraction of the width and height.
fn pixel(m: &Monitor, fx: f64, fy: f64) -> Option<[u8; 3]> {
    let f = m.frame_after(0)?;
    let (x, y) = (
        (f64::from(f.width) * fx) as usize,
        (f64::from(f.height) * fy) as usize,
    );
    let at = (y * f.width as usize + x) * 4;
    let rgba = f.rgba();
    Some([rgba[at], rgba[at + 1], rgba[at + 2]])
}

fn wait_for_colour(m: &Monitor, what: &str, test: impl Fn([u8; 3]) -> bool) {
    wait_until(Duration::from_secs(5), what, || {
        pixel(m, 0.5, 0.25).is_some_and(&test)
    });
}

#[test]
fn preview_shows_each_scene_after_cut_and_fade_and_meters_follow_the_mixer() {
    let dir = TempDir::new();
    let blue = solid_png(dir.path(), "blue.png", "#0000ff");
    let plan = SessionPlan {
        canvas: Default::default(),
        scenes: vec![
            Scene {
                name: "Bars".into(),
                sources: vec![source("Bars", SourceKind::Test)],
            },
            Scene {
                name: "Empty".into(),
                sources: vec![],
            },
            Scene {
                name: "Blue".into(),
                sources: vec![source("Blue", SourceKind::Image { path: blue })],
            },
        ],
        active: 0,
        video: VideoSettings::default(),
        audio_bitrate_kbps: 128,
        outputs: vec![],
        duration_s: None,
        adaptive: false,
        // The plan says what the window shows: its very first pictures come so.
        preview: Some(PreviewFormat {
            width: 480,
            height: 300,
            layout: PixelLayout::Bgrx,
        }),
    };
    let live = LiveHandle::spawn(plan).expect("session thread starts");
    let m = live
        .monitor()
        .expect("a preview plan has a monitor")
        .clone();
    wait_until(Duration::from_secs(10), "a preview picture", || {
        m.frames() > 0
    });
    let first = m.frame_after(0).unwrap();
    assert_eq!(
        (first.width, first.height, first.layout),
        (480, 270, PixelLayout::Bgrx)
    );
    assert_eq!(first.pixels.len(), 480 * 270 * 4);
    drop(first);
    wait_until(Duration::from_secs(10), "preview pictures", || {
        m.frames() > 5
    });
    let bars = pixel(&m, 0.5, 0.25).unwrap();
    assert!(
        bars.iter().any(|c| *c > 100),
        "the test pattern shows: {bars:?}"
    );
    // A preview-only session composes pictures but encodes none: no video bitrate (the raw
    // pictures used to count as 331,000 kbit/s in the window's stats).
    let stats = loop {
        match live.next_event_timeout(Duration::from_secs(5)) {
            Some(kaibo_model::Event::Stats(s)) if s.fps > 0.0 => break s,
            Some(_) => {}
            None => panic!("no stats with a frame rate within 5 s"),
        }
    };
    assert_eq!(stats.video_kbps, 0.0, "{stats:?}");
    // The window asks for pictures the size of its preview area: they keep the canvas's shape
    // and are never larger than the canvas. It may ask for its child window's byte order.
    for (asked, wanted, layout) in [
        ((744, 419), (744, 418), PixelLayout::Rgba),
        ((4000, 4000), (1280, 720), PixelLayout::Bgrx),
    ] {
        assert!(live.send(Command::SetPreviewFormat(PreviewFormat {
            width: asked.0,
            height: asked.1,
            layout,
        })));
        wait_until(
            Duration::from_secs(5),
            "pictures in the asked format",
            || {
                m.frame_after(0).is_some_and(|f| {
                    (f.width, f.height, f.layout) == (wanted.0, wanted.1, layout)
                        && f.pixels.len() == (f.width * f.height * 4) as usize
                })
            },
        );
    }
    let bars = pixel(&m, 0.5, 0.25).unwrap();
    assert!(
        bars.iter().any(|c| *c > 100),
        "the test pattern shows in the new size: {bars:?}"
    );

    assert!(live.send(Command::SwitchScene {
        index: 1,
        transition: Transition::Cut
    }));
    wait_for_colour(&m, "black after a cut to the empty scene", |p| {
        p.iter().all(|c| *c < 20)
    });
    assert!(live.send(Command::SwitchScene {
        index: 2,
        transition: Transition::Fade { ms: 300 }
    }));
    wait_for_colour(&m, "blue after the fade", |p| {
        p[2] > 200 && p[0] < 30 && p[1] < 30
    });
    // BGRx as asked above: blue comes first in the bytes themselves.
    let f = m.frame_after(0).unwrap();
    let at = (f.height as usize / 4 * f.width as usize + f.width as usize / 2) * 4;
    assert_eq!(f.layout, PixelLayout::Bgrx);
    assert!(
        f.pixels[at] > 200 && f.pixels[at + 2] < 30,
        "{:?}",
        &f.pixels[at..at + 4]
    );
    assert!(live.send(Command::SwitchScene {
        index: 0,
        transition: Transition::Fade { ms: 300 }
    }));
    wait_for_colour(&m, "the bars again", |p| {
        p != [0, 0, 255] && p.iter().any(|c| *c > 100)
    });

    // The test source's tone shows on its meter; muting it from the mixer silences the meter.
    let key = SourceKind::Test.key();
    wait_until(Duration::from_secs(5), "a level for the tone", || {
        m.levels()
            .iter()
            .any(|l| l.source == key && l.rms_db > -40.0)
    });
    assert!(live.send(Command::SetAudio {
        source: key.clone(),
        gain_db: 0.0,
        muted: true
    }));
    wait_until(Duration::from_secs(5), "silence once muted", || {
        m.levels()
            .iter()
            .any(|l| l.source == key && l.rms_db <= -90.0)
    });
    assert!(live.send(Command::SwitchScene {
        index: 7,
        transition: Transition::Cut
    }));
    wait_until(
        Duration::from_secs(5),
        "a notice for a scene that does not exist",
        || matches!(live.try_event(), Some(kaibo_model::Event::Notice(n)) if n.contains("no scene 8")),
    );
}
