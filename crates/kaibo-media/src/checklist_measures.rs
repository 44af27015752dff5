//! Short measurements for the pre-stream checklist: a settled frame from a picture source, a
//! few seconds from a microphone, a flat-out encode test, and opening a media file.
//!
//! ```text
//! grab_frame:   source (v4l2src ! decodebin | videotestsrc | ximagesrc) → videoconvert → RGBA → appsink
//! record_sound: source (pulsesrc | alsasrc | audiotestsrc) → audioconvert → resample → F32 mono 48 kHz → appsink
//! encode_speed: videotestsrc (not live, N frames) → I420 W×H → the session's encoder → fakesink (no sync)
//! open_media:   playbin (fakesinks) → PAUSED (prerolled = it opens and decodes)
//! ```

use crate::encoder::{encoder_factory, make_video_encoder};
use crate::error::{MediaError, classify};
use crate::sources::{audio_branch, capsfilter, make};
use gst::prelude::*;
use kaibo_model::{Audio, SourceKind, VideoSettings};
use std::time::{Duration, Instant};

/// An RGBA picture (rows of `width * 4` bytes).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GrabbedFrame {
    pub width: u32,
    pub height: u32,
    pub rgba: Vec<u8>,
}

/// How fast an encoder went flat out.
#[derive(Clone, Debug, PartialEq)]
pub struct EncodeSpeed {
    /// The GStreamer factory used (e.g. `x264enc`).
    pub encoder: String,
    /// Frames encoded over `elapsed_s` (from the first encoded frame to the last).
    pub frames: u32,
    pub elapsed_s: f64,
}

/// Frames seen, when the first and the last arrived.
type FrameTimes = (u32, Option<Instant>, Option<Instant>);

/// Sample rate of [`record_sound`].
pub const SOUND_RATE: u32 = 48_000;

/// Runs `pipeline` until `done` says so, the bus reports an error or `timeout` passes.
fn drive(
    pipeline: &gst::Pipeline,
    timeout: Duration,
    mut done: impl FnMut() -> bool,
) -> Result<(), MediaError> {
    let bus = pipeline
        .bus()
        .ok_or_else(|| MediaError::Build("no bus".into()))?;
    pipeline
        .set_state(gst::State::Playing)
        .map_err(|_| MediaError::State(format!("{} did not start", pipeline.name())))?;
    let started = Instant::now();
    let result = loop {
        if done() {
            break Ok(());
        }
        if started.elapsed() > timeout {
            break Err(MediaError::Stream {
                kind: kaibo_model::FailureKind::Timeout,
                element: String::new(),
                message: format!(
                    "the source gave nothing within {:.0} s; check that it is connected and not used by another program",
                    timeout.as_secs_f64()
                ),
                detail: String::new(),
            });
        }
        if let Some(msg) = bus.timed_pop(gst::ClockTime::from_mseconds(20)) {
            match msg.view() {
                gst::MessageView::Error(err) => {
                    break Err(bus_error(&msg, &err.error().to_string()));
                }
                gst::MessageView::Eos(_) => break Ok(()),
                _ => {}
            }
        }
    };
    let _ = pipeline.set_state(gst::State::Null);
    result
}

fn bus_error(msg: &gst::Message, text: &str) -> MediaError {
    let element = msg
        .src()
        .map(|s| s.path_string().to_string())
        .unwrap_or_default();
    let (kind, message) = classify(&element, text, None, false);
    MediaError::Stream {
        kind,
        element,
        message,
        detail: text.to_owned(),
    }
}

fn appsink(name: &str, caps: &gst::Caps) -> Result<gst_app::AppSink, MediaError> {
    Ok(gst_app::AppSink::builder()
        .name(name)
        .caps(caps)
        .sync(false)
        .max_buffers(4)
        .drop(false)
        .build())
}

/// A frame from a picture source after `settle` (cameras adjust exposure and white balance for
/// about a second after opening). Cameras, screens, windows (by XID) and the test pattern.
pub fn grab_frame(
    input: &SourceKind,
    settle: Duration,
    timeout: Duration,
) -> Result<GrabbedFrame, MediaError> {
    crate::init()?;
    let pipeline = gst::Pipeline::with_name("check-frame");
    let convert = make("videoconvert", "check-frame-convert")?;
    let caps = gst::Caps::builder("video/x-raw")
        .field("format", "RGBA")
        .build();
    let sink = appsink("check-frame-sink", &caps)?;
    let head: Vec<gst::Element> = match input {
        SourceKind::Camera { device } => {
            let src = make("v4l2src", "check-frame-v4l2src")?;
            if let Some(d) = device {
                src.set_property("device", d);
            }
            let decode = make("decodebin", "check-frame-decodebin")?;
            crate::sources::link_decoder_pads(&decode, Some(convert.clone()), None);
            vec![src, decode]
        }
        SourceKind::Test => {
            let src = make("videotestsrc", "check-frame-videotestsrc")?;
            src.set_property("is-live", true);
            vec![src]
        }
        SourceKind::Screen { display } | SourceKind::Window { display, .. } => {
            let src = make("ximagesrc", "check-frame-ximagesrc")?;
            if let Some(d) = display {
                src.set_property("display-name", d);
            }
            if let SourceKind::Window { xid: Some(xid), .. } = input {
                src.set_property("xid", *xid);
            }
            vec![src]
        }
        other => {
            return Err(MediaError::Invalid(format!(
                "a {} source has no live picture to check",
                other.kind_name()
            )));
        }
    };
    pipeline.add_many(&head)?;
    pipeline.add_many([&convert, sink.upcast_ref()])?;
    if head.len() == 1 {
        head[0].link(&convert)?;
    } else {
        head[0].link(&head[1])?;
    }
    convert.link(&sink)?;
    let started = Instant::now();
    let mut last: Option<GrabbedFrame> = None;
    drive(&pipeline, timeout.max(settle), || {
        while let Some(sample) = sink.try_pull_sample(gst::ClockTime::ZERO) {
            if let Some(frame) = to_frame(&sample) {
                last = Some(frame);
            }
        }
        last.is_some() && started.elapsed() >= settle
    })?;
    last.ok_or_else(|| MediaError::Invalid("the source gave no picture".into()))
}

fn to_frame(sample: &gst::Sample) -> Option<GrabbedFrame> {
    let info = gst_video::VideoInfo::from_caps(sample.caps()?).ok()?;
    let buffer = sample.buffer()?;
    let map = buffer.map_readable().ok()?;
    let (w, h) = (info.width() as usize, info.height() as usize);
    let stride = info.stride()[0] as usize;
    let mut rgba = Vec::with_capacity(w * h * 4);
    for row in map.chunks(stride).take(h) {
        rgba.extend_from_slice(row.get(..w * 4)?);
    }
    Some(GrabbedFrame {
        width: info.width(),
        height: info.height(),
        rgba,
    })
}

/// `duration` of sound from a microphone (or the test tone), mono f32 at [`SOUND_RATE`].
pub fn record_sound(input: &SourceKind, duration: Duration) -> Result<Vec<f32>, MediaError> {
    crate::init()?;
    let pipeline = gst::Pipeline::with_name("check-sound");
    let branch = audio_branch("check-sound", input, &Audio::default())?;
    let caps = gst::Caps::builder("audio/x-raw")
        .field("format", "F32LE")
        .field("layout", "interleaved")
        .field("rate", SOUND_RATE as i32)
        .field("channels", 1i32)
        .build();
    let convert = make("audioconvert", "check-sound-mono")?;
    let filter = capsfilter("check-sound-caps", &caps)?;
    let sink = appsink("check-sound-sink", &caps)?;
    pipeline.add_many(&branch.elements)?;
    pipeline.add_many([&convert, &filter, sink.upcast_ref()])?;
    gst::Element::link_many(&branch.elements)?;
    gst::Element::link_many([&branch.tail, &convert, &filter, sink.upcast_ref()])?;
    let wanted = (duration.as_secs_f64() * f64::from(SOUND_RATE)) as usize;
    let mut samples: Vec<f32> = Vec::with_capacity(wanted);
    drive(&pipeline, duration + Duration::from_secs(5), || {
        while let Some(sample) = sink.try_pull_sample(gst::ClockTime::ZERO) {
            if let Some(map) = sample.buffer().and_then(|b| b.map_readable().ok()) {
                samples.extend(
                    map.chunks_exact(4)
                        .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]])),
                );
            }
        }
        samples.len() >= wanted
    })?;
    samples.truncate(wanted);
    Ok(samples)
}

/// Encodes `seconds` of moving test pattern at `video`'s size with the session's encoder
/// settings as fast as the machine can, stopping early after `timeout`.
pub fn encode_speed(
    video: &VideoSettings,
    seconds: f64,
    timeout: Duration,
) -> Result<EncodeSpeed, MediaError> {
    crate::init()?;
    let factory = encoder_factory(video.encoder)?;
    let pipeline = gst::Pipeline::with_name("check-encode");
    let frames = ((seconds * f64::from(video.fps)).round() as i32).max(1);
    let src = make("videotestsrc", "check-encode-src")?;
    src.set_property("num-buffers", frames);
    src.set_property_from_str("pattern", "smpte");
    src.set_property("horizontal-speed", 4i32);
    let caps = capsfilter(
        "check-encode-caps",
        &crate::sources::i420_caps(video.width, video.height, video.fps),
    )?;
    let enc = make_video_encoder(factory, video, "check-encode-enc")?;
    let sink = make("fakesink", "check-encode-sink")?;
    sink.set_property("sync", false);
    let chain = [&src, &caps, &enc, &sink];
    pipeline.add_many(chain)?;
    gst::Element::link_many(chain)?;
    // Timed from the first encoded frame to the last: start-up (encoder set-up, lookahead
    // fill) is paid once per session, not per frame.
    let times: std::sync::Arc<std::sync::Mutex<FrameTimes>> = Default::default();
    let seen = times.clone();
    if let Some(pad) = sink.static_pad("sink") {
        pad.add_probe(gst::PadProbeType::BUFFER, move |_, _| {
            if let Ok(mut t) = seen.lock() {
                let now = Instant::now();
                t.0 += 1;
                t.1.get_or_insert(now);
                t.2 = Some(now);
            }
            gst::PadProbeReturn::Ok
        });
    }
    let started = Instant::now();
    drive(&pipeline, Duration::from_secs(3600), || {
        started.elapsed() >= timeout
    })?;
    let (count, first, last) = times.lock().map(|t| *t).unwrap_or((0, None, None));
    let elapsed_s = match (first, last) {
        (Some(a), Some(b)) if count > 1 => b.duration_since(a).as_secs_f64(),
        _ => started.elapsed().as_secs_f64(),
    };
    Ok(EncodeSpeed {
        encoder: factory.to_owned(),
        // Frames after the first, over the time between the first and the last.
        frames: count.saturating_sub(1).max(1),
        elapsed_s,
    })
}

/// Opens and prerolls a media file (image, clip), proving it exists and decodes.
pub fn open_media(path: &str, timeout: Duration) -> Result<(), MediaError> {
    crate::init()?;
    let file = std::path::Path::new(path);
    if !file.is_file() {
        return Err(MediaError::Invalid(format!(
            "\"{path}\" does not exist or is not a file; check the path"
        )));
    }
    let absolute = std::fs::canonicalize(file)
        .map_err(|e| MediaError::Invalid(format!("\"{path}\" cannot be opened ({e})")))?;
    let uri = gst::glib::filename_to_uri(&absolute, None)
        .map_err(|e| MediaError::Invalid(format!("\"{path}\": {e}")))?;
    let playbin = make("playbin", "check-media")?;
    playbin.set_property("uri", uri.as_str());
    playbin.set_property("video-sink", make("fakesink", "check-media-vsink")?);
    playbin.set_property("audio-sink", make("fakesink", "check-media-asink")?);
    let bus = playbin
        .bus()
        .ok_or_else(|| MediaError::Build("no bus".into()))?;
    let _ = playbin.set_state(gst::State::Paused);
    let result = match bus.timed_pop_filtered(
        gst::ClockTime::from_nseconds(timeout.as_nanos() as u64),
        &[gst::MessageType::AsyncDone, gst::MessageType::Error],
    ) {
        Some(msg) => match msg.view() {
            gst::MessageView::Error(err) => Err(bus_error(&msg, &err.error().to_string())),
            _ => Ok(()),
        },
        None => Err(MediaError::Invalid(format!(
            "\"{path}\" did not open within {:.0} s",
            timeout.as_secs_f64()
        ))),
    };
    let _ = playbin.set_state(gst::State::Null);
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_test_pattern_gives_a_frame_and_the_test_tone_gives_sound() {
        let f = grab_frame(
            &SourceKind::Test,
            Duration::from_millis(200),
            Duration::from_secs(5),
        )
        .expect("a frame");
        assert_eq!(f.rgba.len(), (f.width * f.height * 4) as usize);
        let s = record_sound(&SourceKind::Test, Duration::from_millis(500)).expect("sound");
        assert_eq!(s.len(), SOUND_RATE as usize / 2);
        let rms = (s.iter().map(|x| x * x).sum::<f32>() / s.len() as f32).sqrt();
        assert!((0.1..0.2).contains(&rms), "rms {rms}");
    }

    #[test]
    fn the_encoder_is_timed_flat_out() {
        let video = VideoSettings {
            width: 640,
            height: 360,
            ..Default::default()
        };
        let speed = encode_speed(&video, 1.0, Duration::from_secs(10)).expect("encodes");
        assert_eq!(speed.frames, 29, "{speed:?}");
        assert!(speed.frames as f64 / speed.elapsed_s > 30.0, "{speed:?}");
    }

    #[test]
    fn a_missing_or_broken_file_does_not_open() {
        assert!(open_media("/nonexistent/clip.mp4", Duration::from_secs(2)).is_err());
        let dir = std::env::temp_dir().join(format!("kaibo-check-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let junk = dir.join("junk.mp4");
        std::fs::write(&junk, b"not a video at all").expect("write");
        let err = open_media(junk.to_str().expect("utf-8"), Duration::from_secs(5));
        assert!(err.is_err(), "junk opened");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
