//! Every encoder quirk in one place: factory names, property names and units.
//!
//! The rest of the engine asks for bitrate in kbps, a keyframe interval in seconds and a speed
//! preset; this module knows how each H.264 encoder spells those.

use crate::error::{MediaError, package_of};
use gst::prelude::*;
use kaibo_model::{EncoderChoice, VideoSettings};

/// The H.264 encoders Kaibo knows, best first for `auto`.
const AUTO_ORDER: &[&str] = &[
    "nvh264enc",
    "vah264enc",
    "vaapih264enc",
    "x264enc",
    "openh264enc",
];

/// The encoder factory to use for a choice; fails when it is not installed.
pub fn encoder_factory(choice: EncoderChoice) -> Result<&'static str, MediaError> {
    let wanted: &[&'static str] = match choice {
        // Hardware encoders only when explicitly probed to work is a later concern; auto
        // prefers x264 for its predictable CBR and low CPU at 720p.
        EncoderChoice::Auto => &AUTO_ORDER[3..],
        EncoderChoice::X264 => &["x264enc"],
        EncoderChoice::OpenH264 => &["openh264enc"],
    };
    wanted
        .iter()
        .copied()
        .find(|f| gst::ElementFactory::find(f).is_some())
        .ok_or_else(|| MediaError::MissingElement {
            factory: wanted[0].to_owned(),
            package: package_of(wanted[0]),
        })
}

/// Builds the configured video encoder element, named `name`.
pub fn make_video_encoder(
    factory: &str,
    video: &VideoSettings,
    name: &str,
) -> Result<gst::Element, MediaError> {
    let gop = video.fps * video.keyframe_interval_s.max(1);
    let builder = gst::ElementFactory::make(factory).name(name);
    let element = match factory {
        "x264enc" => builder
            .property("threads", x264_threads(video))
            .property("bitrate", video.bitrate_kbps)
            .property_from_str("pass", "cbr")
            .property_from_str("speed-preset", "veryfast")
            .property_from_str("tune", "zerolatency")
            .property("key-int-max", gop)
            // Keyframes exactly every interval: no extra ones at scene cuts (ingest servers
            // segment on them, and a burst of I-frames starves a CBR stream).
            .property("option-string", "scenecut=0")
            // One second of VBV keeps CBR honest without starving keyframes.
            .property("vbv-buf-capacity", 1000u32)
            .build(),
        "openh264enc" => builder
            .property("bitrate", video.bitrate_kbps * 1000)
            .property("max-bitrate", video.bitrate_kbps * 1000)
            .property_from_str("rate-control", "bitrate")
            .property("gop-size", gop)
            .property_from_str("complexity", "low")
            .build(),
        "nvh264enc" => builder
            .property("bitrate", video.bitrate_kbps)
            .property_from_str("rc-mode", "cbr")
            .property("gop-size", gop as i32)
            .property("zerolatency", true)
            .build(),
        "vah264enc" => builder
            .property("bitrate", video.bitrate_kbps)
            .property_from_str("rate-control", "cbr")
            .property("key-int-max", gop)
            .build(),
        "vaapih264enc" => builder
            .property("bitrate", video.bitrate_kbps)
            .property_from_str("rate-control", "cbr")
            .property("keyframe-period", gop)
            .build(),
        other => return Err(MediaError::Invalid(format!("unknown encoder {other}"))),
    };
    element.map_err(|_| MediaError::MissingElement {
        factory: factory.to_owned(),
        package: package_of(factory),
    })
}

/// Up to 720p30, one x264 thread keeps up with veryfast and costs less CPU than x264's default
/// (1.5 threads per core, sliced): less synchronisation, no idle spinning (`docs/benchmarks.md`,
/// "Engine"). Larger or faster pictures get x264's automatic threading.
fn x264_threads(video: &VideoSettings) -> u32 {
    const ONE_THREAD_PIXELS_PER_S: u64 = 1280 * 720 * 30;
    let load = u64::from(video.width) * u64::from(video.height) * u64::from(video.fps);
    if load <= ONE_THREAD_PIXELS_PER_S {
        1
    } else {
        0
    }
}

/// The H.264 profile to ask of an encoder: High where it can, Main otherwise; never 4:4:4.
pub fn profile_for(factory: &str) -> &'static str {
    match factory {
        "openh264enc" => "main",
        _ => "high",
    }
}

/// AAC-LC encoders, the one to use first.
///
/// `voaacenc` emits each frame as soon as its 1,024 samples are in; FFmpeg's (`avenc_aac`)
/// holds every frame until the next one has arrived (its psychoacoustic look-ahead). The RTMP
/// muxer interleaves by time and so holds each picture until the audio of that time is
/// encoded: with `avenc_aac` every picture waits about one AAC frame longer. The price is lip
/// sync: `voaacenc`'s decoded sound lags its timestamps more than FFmpeg's, still inside ATSC
/// IS-191's limit for sound behind picture; its waveform fidelity is not worse. The latency,
/// lip-sync and fidelity measurements are in `docs/benchmarks.md`, "Latency".
pub const AAC_ENCODERS: [&str; 3] = ["voaacenc", "avenc_aac", "fdkaacenc"];

/// Builds the AAC-LC encoder at `bitrate_kbps`.
pub fn make_audio_encoder(bitrate_kbps: u32, name: &str) -> Result<gst::Element, MediaError> {
    for factory in AAC_ENCODERS {
        if gst::ElementFactory::find(factory).is_some() {
            let bits = (bitrate_kbps * 1000) as i32;
            return gst::ElementFactory::make(factory)
                .name(name)
                .property("bitrate", bits)
                .build()
                .map_err(MediaError::from);
        }
    }
    Err(MediaError::MissingElement {
        factory: AAC_ENCODERS[0].into(),
        package: package_of(AAC_ENCODERS[0]),
    })
}

/// Changes a running encoder's bitrate.
pub fn set_bitrate(venc: &gst::Element, factory: &str, kbps: u32) {
    match factory {
        "openh264enc" => venc.set_property("bitrate", kbps * 1000),
        // x264enc, nvh264enc, vah264enc and vaapih264enc all take kbps.
        _ => venc.set_property("bitrate", kbps),
    }
}
