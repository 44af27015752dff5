//! Per-source branches: capture or decode, crop, convert and scale into the source's box.
//!
//! Picture sources end in I420 at their box size and feed a compositor pad. Still images and
//! text are drawn by overlay elements after the compositor instead: they keep their alpha
//! and cost nothing per frame when unchanged. Sound ends in F32 48 kHz stereo with gain/mute,
//! feeding the audio mixer.

use crate::error::{MediaError, package_of};
use gst::prelude::*;
use kaibo_model::{Audio, Layout, SourceKind, scene::parse_color};

/// Output sample rate of the audio mix.
pub const AUDIO_RATE: i32 = 48_000;
/// Samples in one AAC-LC frame. The mix is cut into blocks of exactly this size, so each
/// block completes one frame of the encoder as it arrives: with the mixer's default 10 ms
/// blocks a frame waited for a block that ends past it, and the RTMP muxer (which holds each
/// picture for the audio of the same time) waited with it.
pub const AAC_FRAME_SAMPLES: i32 = 1024;

/// Makes an element, mapping a missing plugin to an install hint.
pub(crate) fn make(factory: &str, name: &str) -> Result<gst::Element, MediaError> {
    gst::ElementFactory::make(factory)
        .name(name)
        .build()
        .map_err(|_| MediaError::MissingElement {
            factory: factory.to_owned(),
            package: package_of(factory),
        })
}

/// A capsfilter with the given caps.
pub(crate) fn capsfilter(name: &str, caps: &gst::Caps) -> Result<gst::Element, MediaError> {
    let f = make("capsfilter", name)?;
    f.set_property("caps", caps);
    Ok(f)
}

/// Raw I420 video caps of a size and rate.
pub(crate) fn i420_caps(width: u32, height: u32, fps: u32) -> gst::Caps {
    gst::Caps::builder("video/x-raw")
        .field("format", "I420")
        .field("width", width as i32)
        .field("height", height as i32)
        .field("framerate", gst::Fraction::new(fps as i32, 1))
        .field("pixel-aspect-ratio", gst::Fraction::new(1, 1))
        .build()
}

/// The mixer's audio caps.
pub(crate) fn audio_caps() -> gst::Caps {
    gst::Caps::builder("audio/x-raw")
        .field("format", "F32LE")
        .field("layout", "interleaved")
        .field("rate", AUDIO_RATE)
        .field("channels", 2i32)
        .build()
}

/// A converter that both converts and scales in one pass where GStreamer has one.
pub(crate) fn convert_scale(name: &str) -> Result<Vec<gst::Element>, MediaError> {
    if gst::ElementFactory::find("videoconvertscale").is_some() {
        Ok(vec![make("videoconvertscale", name)?])
    } else {
        Ok(vec![
            make("videoscale", &format!("{name}-scale"))?,
            make("videoconvert", name)?,
        ])
    }
}

/// A built branch: its elements in order, the element to link onward, and, for decoded
/// inputs, where dynamic pads must be linked.
pub(crate) struct Branch {
    pub elements: Vec<gst::Element>,
    pub tail: gst::Element,
    pub decoder: Option<gst::Element>,
}

fn chain(elements: Vec<gst::Element>, decoder: Option<gst::Element>) -> Branch {
    let tail = elements
        .last()
        .cloned()
        .expect("a branch has at least one element");
    Branch {
        elements,
        tail,
        decoder,
    }
}

/// Where a source's picture goes.
pub(crate) enum Picture {
    /// Fed to the compositor.
    Composited(Branch),
    /// Drawn by an overlay element after the compositor.
    Overlay(gst::Element),
}

/// Builds the picture branch of a source with its box on the output frame.
pub(crate) fn video_branch(
    prefix: &str,
    input: &SourceKind,
    layout: &Layout,
    fps: u32,
) -> Result<Picture, MediaError> {
    let box_caps = i420_caps(layout.width, layout.height, fps);
    let rate_caps = gst::Caps::builder("video/x-raw")
        .field("framerate", gst::Fraction::new(fps as i32, 1))
        .build();
    let crop = |elements: &mut Vec<gst::Element>| -> Result<(), MediaError> {
        if !layout.crop.is_none() {
            let c = make("videocrop", &format!("{prefix}-crop"))?;
            c.set_property("left", layout.crop.left as i32);
            c.set_property("right", layout.crop.right as i32);
            c.set_property("top", layout.crop.top as i32);
            c.set_property("bottom", layout.crop.bottom as i32);
            elements.push(c);
        }
        Ok(())
    };
    let finish = |mut elements: Vec<gst::Element>, decoder| -> Result<Picture, MediaError> {
        crop(&mut elements)?;
        elements.extend(convert_scale(&format!("{prefix}-convert"))?);
        elements.push(capsfilter(&format!("{prefix}-caps"), &box_caps)?);
        Ok(Picture::Composited(chain(elements, decoder)))
    };
    match input {
        SourceKind::Test => {
            let src = make("videotestsrc", &format!("{prefix}-videotestsrc"))?;
            src.set_property("is-live", true);
            src.set_property_from_str("pattern", "smpte");
            src.set_property("horizontal-speed", 4i32);
            let caps = capsfilter(&format!("{prefix}-caps"), &box_caps)?;
            Ok(Picture::Composited(chain(vec![src, caps], None)))
        }
        SourceKind::Screen { display } => {
            let src = ximagesrc(prefix, display.as_deref())?;
            finish(
                vec![src, capsfilter(&format!("{prefix}-rate"), &rate_caps)?],
                None,
            )
        }
        SourceKind::Window {
            xid,
            display,
            title,
        } => {
            let xid = xid.ok_or_else(|| {
                MediaError::Invalid(format!(
                    "no open window matches \"{}\"; `kaibo devices` lists windows",
                    title.as_deref().unwrap_or_default()
                ))
            })?;
            let src = ximagesrc(prefix, display.as_deref())?;
            src.set_property("xid", xid);
            finish(
                vec![src, capsfilter(&format!("{prefix}-rate"), &rate_caps)?],
                None,
            )
        }
        SourceKind::Camera { device } => {
            let src = make("v4l2src", &format!("{prefix}-v4l2src"))?;
            if let Some(d) = device {
                src.set_property("device", d);
            }
            let decode = make("decodebin", &format!("{prefix}-decodebin"))?;
            // Elements after the decoder are linked when its pad appears.
            let rate = make("videorate", &format!("{prefix}-videorate"))?;
            let mut rest = vec![rate];
            crop(&mut rest)?;
            rest.extend(convert_scale(&format!("{prefix}-convert"))?);
            rest.push(capsfilter(&format!("{prefix}-caps"), &box_caps)?);
            let mut elements = vec![src, decode.clone()];
            elements.extend(rest);
            Ok(Picture::Composited(chain(elements, Some(decode))))
        }
        SourceKind::Media { .. } => {
            // The clip plays (and loops) in its own pipeline; see `clip_pipeline`.
            let src = make("intervideosrc", &format!("{prefix}-intervideosrc"))?;
            src.set_property("channel", clip_channel(prefix));
            finish(vec![src], None)
        }
        SourceKind::Image { path } => {
            if !std::path::Path::new(path).is_file() {
                return Err(MediaError::Invalid(format!(
                    "the image \"{path}\" does not exist or is not a file; check the path"
                )));
            }
            let o = make("gdkpixbufoverlay", &format!("{prefix}-image"))?;
            o.set_property("location", path);
            o.set_property("offset-x", layout.x.max(0));
            o.set_property("offset-y", layout.y.max(0));
            o.set_property("overlay-width", layout.width as i32);
            o.set_property("overlay-height", layout.height as i32);
            o.set_property("alpha", if layout.visible { layout.opacity } else { 0.0 });
            Ok(Picture::Overlay(o))
        }
        SourceKind::Text { text, font, color } => {
            let o = make("textoverlay", &format!("{prefix}-text"))?;
            let size_px = (f64::from(layout.height) * 0.62).round().max(8.0);
            let family = font
                .clone()
                .unwrap_or_else(|| format!("Noto Sans CJK SC, Sans Bold {size_px}px"));
            let argb = color
                .as_deref()
                .and_then(parse_color)
                .unwrap_or(0xFFFF_FFFF);
            let alpha = f64::from(argb >> 24) * if layout.visible { layout.opacity } else { 0.0 };
            let argb = ((alpha.round() as u32) << 24) | (argb & 0x00FF_FFFF);
            o.set_property("text", text);
            o.set_property("font-desc", family);
            o.set_property("auto-resize", false);
            o.set_property_from_str("halignment", "left");
            o.set_property_from_str("valignment", "top");
            o.set_property("xpad", layout.x.max(0));
            o.set_property("ypad", layout.y.max(0));
            o.set_property("color", argb);
            o.set_property("shaded-background", false);
            o.set_property("draw-outline", true);
            o.set_property("silent", !layout.visible);
            Ok(Picture::Overlay(o))
        }
        SourceKind::Mic { .. } => Err(MediaError::Invalid("a microphone has no picture".into())),
    }
}

fn ximagesrc(prefix: &str, display: Option<&str>) -> Result<gst::Element, MediaError> {
    let src = make("ximagesrc", &format!("{prefix}-ximagesrc"))?;
    if let Some(d) = display {
        src.set_property("display-name", d);
    }
    // Damage tracking costs more than it saves for full-rate capture of moving content.
    src.set_property("use-damage", false);
    src.set_property("show-pointer", true);
    Ok(src)
}

/// Builds the sound branch of a source, ending in gain/mute at the mixer's format.
pub(crate) fn audio_branch(
    prefix: &str,
    input: &SourceKind,
    audio: &Audio,
) -> Result<Branch, MediaError> {
    let mut elements = Vec::new();
    match input {
        SourceKind::Test => {
            let src = make("audiotestsrc", &format!("{prefix}-audiotestsrc"))?;
            src.set_property("is-live", true);
            src.set_property("freq", 440.0f64);
            src.set_property("volume", 0.2f64);
            elements.push(src);
        }
        SourceKind::Mic { device } => {
            // `kaibo devices` lists ALSA ids as `alsa:NAME`; anything else is a PulseAudio
            // source name. The default input goes through PulseAudio where it runs.
            let (factory, device) =
                match device.as_deref().map(|d| d.strip_prefix("alsa:").ok_or(d)) {
                    Some(Ok(alsa)) => ("alsasrc", Some(alsa)),
                    Some(Err(pulse)) => ("pulsesrc", Some(pulse)),
                    None if gst::ElementFactory::find("pulsesrc").is_some() => ("pulsesrc", None),
                    None => ("alsasrc", None),
                };
            let src = make(factory, &format!("{prefix}-{factory}"))?;
            if let Some(d) = device {
                src.set_property("device", d);
            }
            elements.push(src);
        }
        SourceKind::Media { .. } => {
            let src = make("interaudiosrc", &format!("{prefix}-interaudiosrc"))?;
            src.set_property("channel", clip_channel(prefix.trim_end_matches("-a")));
            elements.push(src);
        }
        _ => {
            return Err(MediaError::Invalid(format!(
                "a {} source has no sound",
                input.kind_name()
            )));
        }
    }
    elements.push(make("audioconvert", &format!("{prefix}-audioconvert"))?);
    elements.push(make("audioresample", &format!("{prefix}-audioresample"))?);
    elements.push(capsfilter(&format!("{prefix}-acaps"), &audio_caps())?);
    let volume = make("volume", &format!("{prefix}-volume"))?;
    volume.set_property("volume", 10f64.powf(audio.gain_db / 20.0));
    volume.set_property("mute", audio.muted);
    elements.push(volume);
    Ok(chain(elements, None))
}

/// The inter-pipeline channel name of a clip source; unique per process and source.
fn clip_channel(prefix: &str) -> String {
    format!("kaibo-{}-{prefix}", std::process::id())
}

/// A clip's own pipeline: decodes the file at its natural pace into the channels its
/// `intervideosrc`/`interaudiosrc` read from. The engine seeks it back to the start at EOS,
/// so the clip loops while the main pipeline's timeline runs on undisturbed.
pub(crate) fn clip_pipeline(prefix: &str, path: &str) -> Result<gst::Pipeline, MediaError> {
    if !std::path::Path::new(path).is_file() {
        return Err(MediaError::Invalid(format!(
            "the clip \"{path}\" does not exist or is not a file; check the path"
        )));
    }
    let pipeline = gst::Pipeline::with_name(&format!("{prefix}-clip"));
    let src = make("filesrc", &format!("{prefix}-clip-filesrc"))?;
    src.set_property("location", path);
    let decode = make("decodebin", &format!("{prefix}-clip-decodebin"))?;
    let vsink = make("intervideosink", &format!("{prefix}-clip-intervideosink"))?;
    vsink.set_property("channel", clip_channel(prefix));
    let asink = make("interaudiosink", &format!("{prefix}-clip-interaudiosink"))?;
    asink.set_property("channel", clip_channel(prefix));
    let vconv = make("videoconvert", &format!("{prefix}-clip-videoconvert"))?;
    let aconv = make("audioconvert", &format!("{prefix}-clip-audioconvert"))?;
    let ares = make("audioresample", &format!("{prefix}-clip-audioresample"))?;
    // The inter elements pass raw audio as is: hand over the mixer's interleaved format.
    let acaps = capsfilter(&format!("{prefix}-clip-acaps"), &audio_caps())?;
    pipeline.add_many([&src, &decode, &vconv, &vsink, &aconv, &ares, &acaps, &asink])?;
    src.link(&decode)?;
    vconv.link(&vsink)?;
    gst::Element::link_many([&aconv, &ares, &acaps, &asink])?;
    link_decoder_pads(&decode, Some(vconv), Some(aconv));
    Ok(pipeline)
}

/// Links each new pad of `decoder` to `video_head` or `audio_head` by media type.
pub(crate) fn link_decoder_pads(
    decoder: &gst::Element,
    video_head: Option<gst::Element>,
    audio_head: Option<gst::Element>,
) {
    decoder.connect_pad_added(move |_, pad| {
        let caps = pad.current_caps().unwrap_or_else(|| pad.query_caps(None));
        let media = caps
            .structure(0)
            .map(|s| s.name().to_string())
            .unwrap_or_default();
        let head = if media.starts_with("video/") {
            video_head.as_ref()
        } else if media.starts_with("audio/") {
            audio_head.as_ref()
        } else {
            None
        };
        if let Some(sink) = head.and_then(|h| h.static_pad("sink"))
            && !sink.is_linked()
            && let Err(e) = pad.link(&sink)
        {
            log::warn!("could not link decoded {media}: {e:?}");
        }
    });
}

/// Adds `elements` and links them in order.
pub(crate) fn add_and_link(
    pipeline: &gst::Pipeline,
    elements: &[gst::Element],
) -> Result<(), MediaError> {
    pipeline.add_many(elements)?;
    gst::Element::link_many(elements).map_err(|e| MediaError::Build(format!("{e}")))
}

/// Adds `elements`, linking them in order except across `decoder`, whose dynamic pads are
/// linked to the element after it when they appear (video and audio pads to their heads).
pub(crate) fn add_branch(
    pipeline: &gst::Pipeline,
    elements: &[gst::Element],
    decoder: Option<&gst::Element>,
) -> Result<(), MediaError> {
    let Some(decoder) = decoder else {
        return add_and_link(pipeline, elements);
    };
    pipeline.add_many(
        elements
            .iter()
            .filter(|e| pipeline.by_name(&e.name()).is_none()),
    )?;
    match elements.iter().position(|e| e == decoder) {
        Some(at) => {
            gst::Element::link_many(&elements[..=at])
                .map_err(|e| MediaError::Build(format!("{e}")))?;
            if at + 1 < elements.len() {
                gst::Element::link_many(&elements[at + 1..])
                    .map_err(|e| MediaError::Build(format!("{e}")))?;
            }
        }
        None => gst::Element::link_many(elements).map_err(|e| MediaError::Build(format!("{e}")))?,
    }
    Ok(())
}
