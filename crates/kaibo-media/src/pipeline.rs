//! Builds the one pipeline of a live session.
//!
//! ```text
//! src0 → [crop] → convertscale → I420 box ─┐   (every scene's sources; see `program`)
//! src1 → … → tee → one pad per scene ───────├→ compositor → I420 canvas → [image/text overlays]
//!                                           ┘   → interaction panels (`panels`)
//!                                               → [ptee → preview RGBA appsink]
//!                                               → queue → H.264 encoder → h264parse → vtee
//! audio src → convert → resample → volume → level ─┐
//! silence (keeps the mix running) ─────────────────┴→ audiomixer → AAC → aacparse → atee
//!                                          [with WHIP: mix → rawtee → Opus → otee as well]
//! vtee/atee → queue → appsink ⇢ link pipeline (flvmux → rtmp2sink)   one per RTMP destination
//! vtee/otee → queue → appsink ⇢ link pipeline (RTP → webrtcbin)      one per WHIP destination
//! vtee/atee → queue → matroskamux → filesink              one per recording
//! ```
//! Every element is named `<part>-<factory>`; output elements start with `outN-` (built by
//! `crate::output`).

use crate::encoder::{encoder_factory, make_audio_encoder, make_video_encoder, profile_for};
use crate::error::MediaError;
use crate::output::Output;
use crate::panel_layer::PanelLayer;
use crate::program::{Switcher, build_program};
use crate::sources::{AAC_FRAME_SAMPLES, add_and_link, audio_caps, capsfilter, i420_caps, make};
use gst::prelude::*;
use kaibo_model::{Monitor, OutputSpec, PixelLayout, Pixels, PreviewFormat, SessionPlan};
use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

/// Counters updated from streaming threads, read by the stats snapshot.
#[derive(Default, Debug)]
pub(crate) struct Counters {
    pub frames_encoded: AtomicU64,
    pub video_bytes: AtomicU64,
    /// Frames missing from the encoder's input timeline (gaps in timestamps).
    pub frames_missing: AtomicU64,
    pub last_input_pts_ns: AtomicU64,
}

/// A built, not yet started, pipeline.
pub(crate) struct Built {
    pub pipeline: gst::Pipeline,
    /// The outputs, by index (their elements are named `outN-…`).
    pub outputs: Vec<Box<dyn Output>>,
    pub counters: Arc<Counters>,
    /// Clip pipelines feeding media sources; looped by the engine.
    pub clips: Vec<gst::Pipeline>,
    /// The video encoder and its factory, for bitrate changes (none in a preview-only session).
    pub venc: Option<(gst::Element, &'static str)>,
    pub switcher: Switcher,
    /// The program picture and sound levels, when the plan asks for a preview.
    pub monitor: Option<Arc<Monitor>>,
    /// Gain elements of sound sources, by source key.
    pub volumes: HashMap<String, gst::Element>,
    /// Source keys of level meters, by element name.
    pub meters: HashMap<String, String>,
    /// The interaction panels drawn over the program.
    pub panels: PanelLayer,
}

/// Builds the pipeline for a plan. Nothing runs until the engine starts it.
/// `monitor` receives the preview and levels when the plan asks for a preview.
pub(crate) fn build(
    plan: &SessionPlan,
    monitor: Option<Arc<Monitor>>,
) -> Result<Built, MediaError> {
    let video = &plan.video;
    let pipeline = gst::Pipeline::with_name("kaibo");
    let counters = Arc::new(Counters::default());

    // Pictures and sound of every scene.
    let compositor = make("compositor", "compositor")?;
    compositor.set_property_from_str("background", "black");
    pipeline.add(&compositor)?;
    let program = build_program(&pipeline, plan, &compositor)?;

    // Canvas → overlays → [preview] → encoder → vtee. A preview-only session encodes nothing.
    let canvas_caps = capsfilter(
        "canvas-caps",
        &i420_caps(video.width, video.height, video.fps),
    )?;
    let mut chain = vec![compositor.clone(), canvas_caps];
    chain.extend(program.overlays.iter().cloned());
    let (panels, panels_element) = PanelLayer::new(video.width, video.height)?;
    chain.push(panels_element);
    chain.extend(crate::debug_clock::qr_clock()?);
    let monitor = plan.preview.map(|_| monitor.unwrap_or_default());
    if let Some(monitor) = &monitor {
        let ptee = make("tee", "ptee")?;
        ptee.set_property("allow-not-linked", true);
        chain.push(ptee.clone());
        pipeline.add_many(&chain[1..])?;
        gst::Element::link_many(&chain)
            .map_err(|e| MediaError::Build(format!("video chain: {e}")))?;
        preview_branch(&pipeline, &ptee, plan, monitor)?;
        chain = vec![ptee];
    }
    let venc = if plan.outputs.is_empty() {
        None
    } else {
        let factory = encoder_factory(video.encoder)?;
        let venc = make_video_encoder(factory, video, "venc")?;
        let h264_caps = gst::Caps::builder("video/x-h264")
            .field("profile", profile_for(factory))
            .build();
        let parse = make("h264parse", "venc-h264parse")?;
        parse.set_property("config-interval", -1i32);
        let vtee = make("tee", "vtee")?;
        vtee.set_property("allow-not-linked", true);
        chain.extend([
            make("queue", "venc-queue")?,
            venc.clone(),
            capsfilter("venc-caps", &h264_caps)?,
            parse,
            vtee,
        ]);
        count_encoder(&venc, &counters, video.fps);
        Some((venc, factory))
    };
    pipeline.add_many(chain.iter().filter(|e| e.parent().is_none()))?;
    gst::Element::link_many(&chain).map_err(|e| MediaError::Build(format!("video chain: {e}")))?;
    if venc.is_none() {
        // Nothing is encoded: the stats count composed pictures instead.
        count_encoder(&chain[0], &counters, video.fps);
    }

    // Audio: sources → mixer (with a silent bed so it always runs) → AAC → atee. Without
    // any sound source the silent bed goes straight to the encoder: no mixer thread.
    let silence = make("audiotestsrc", "silence-audiotestsrc")?;
    silence.set_property("is-live", true);
    silence.set_property_from_str("wave", "silence");
    silence.set_property("samplesperbuffer", AAC_FRAME_SAMPLES);
    let silence_caps = capsfilter("silence-caps", &audio_caps())?;
    add_and_link(&pipeline, &[silence, silence_caps.clone()])?;
    let mut achain = match &program.mixer {
        Some(mixer) => {
            silence_caps.link(mixer)?;
            vec![mixer.clone(), capsfilter("amix-caps", &audio_caps())?]
        }
        None => vec![silence_caps],
    };
    let whip = plan
        .outputs
        .iter()
        .any(|o| matches!(o, OutputSpec::Whip(_)));
    if venc.is_some() && whip {
        // The raw mix also goes to one Opus encode for every WebRTC destination.
        let rawtee = make("tee", "rawtee")?;
        achain.extend([rawtee.clone(), make("queue", "aenc-queue")?]);
        opus_branch(&pipeline, &rawtee, plan.audio_bitrate_kbps)?;
    }
    if venc.is_some() {
        let atee = make("tee", "atee")?;
        atee.set_property("allow-not-linked", true);
        achain.extend([
            make("audioconvert", "aenc-audioconvert")?,
            make_audio_encoder(plan.audio_bitrate_kbps, "aenc")?,
            make("aacparse", "aenc-aacparse")?,
            atee,
        ]);
    } else {
        // Nothing to encode: the mix still runs so the meters move.
        let sink = make("fakesink", "amix-fakesink")?;
        sink.set_property("sync", false);
        sink.set_property("async", false);
        achain.push(sink);
    }
    pipeline.add_many(achain.iter().filter(|e| e.parent().is_none()))?;
    gst::Element::link_many(&achain).map_err(|e| MediaError::Build(format!("audio chain: {e}")))?;

    let outputs = match (pipeline.by_name("vtee"), pipeline.by_name("atee")) {
        (Some(vtee), Some(atee)) => plan
            .outputs
            .iter()
            .enumerate()
            .map(|(i, spec)| {
                crate::output::build(
                    &pipeline,
                    i,
                    spec,
                    (&vtee, &atee),
                    true,
                    pipeline.by_name("otee"),
                )
            })
            .collect::<Result<Vec<_>, _>>()?,
        _ => Vec::new(),
    };
    Ok(Built {
        pipeline,
        outputs,
        counters,
        clips: program.clips,
        venc,
        switcher: program.switcher,
        monitor,
        volumes: program.volumes,
        meters: program.meters,
        panels,
    })
}

/// The largest size within `bounds` with the canvas's shape, no larger than the canvas, in
/// even pixels.
pub fn preview_size_within(width: u32, height: u32, bounds: (u32, u32)) -> (u32, u32) {
    let scale = (f64::from(bounds.0.max(2)) / f64::from(width))
        .min(f64::from(bounds.1.max(2)) / f64::from(height))
        .min(1.0);
    let even = |v: f64| ((v * scale / 2.0).round() as u32 * 2).max(2);
    (even(f64::from(width)), even(f64::from(height)))
}

/// GStreamer's name for a preview layout.
fn caps_format(layout: PixelLayout) -> &'static str {
    match layout {
        PixelLayout::Rgba => "RGBA",
        PixelLayout::Bgrx => "BGRx",
    }
}

/// What the preview's appsink takes for a `canvas`-sized program asked in `format`.
pub(crate) fn preview_caps(canvas: (u32, u32), format: PreviewFormat) -> gst::Caps {
    let (width, height) = preview_size_within(canvas.0, canvas.1, (format.width, format.height));
    gst::Caps::builder("video/x-raw")
        .field("format", caps_format(format.layout))
        .field("width", width as i32)
        .field("height", height as i32)
        .build()
}

/// The preview's frame rate: every other picture of a 30 fps program, dropped before the
/// scaling so the dropped half costs nothing.
pub const PREVIEW_FPS: i32 = 15;

/// ptee → leaky queue → drop to 15 fps → scale to RGBA → appsink writing the newest picture to
/// `monitor`. It never holds up the encoder: a slow reader loses pictures, not the stream.
fn preview_branch(
    pipeline: &gst::Pipeline,
    ptee: &gst::Element,
    plan: &SessionPlan,
    monitor: &Arc<Monitor>,
) -> Result<(), MediaError> {
    let format = plan.preview.unwrap_or_default();
    let queue = make("queue", "preview-queue")?;
    queue.set_property("max-size-buffers", 1u32);
    queue.set_property_from_str("leaky", "downstream");
    let caps = preview_caps((plan.video.width, plan.video.height), format);
    let sink = gst_app::AppSink::builder()
        .name("preview-appsink")
        .caps(&caps)
        .max_buffers(1)
        .drop(true)
        .sync(false)
        .build();
    sink.set_property("async", false);
    // The monitor holds the newest picture; a last sample kept here too would keep one more
    // picture's buffer out of the scaler's pool.
    sink.set_property("enable-last-sample", false);
    // When each picture left the compositor, by timestamp: the preview reports that time,
    // not the time after the scaling below.
    let composed: Arc<Mutex<VecDeque<(u64, Instant)>>> = Arc::default();
    if let Some(pad) = ptee.static_pad("sink") {
        let composed = Arc::clone(&composed);
        pad.add_probe(gst::PadProbeType::BUFFER, move |_, info| {
            if let (Some(pts), Ok(mut c)) = (info.buffer().and_then(|b| b.pts()), composed.lock()) {
                if c.len() >= 16 {
                    c.pop_front();
                }
                c.push_back((pts.nseconds(), Instant::now()));
            }
            gst::PadProbeReturn::Ok
        });
    }
    let monitor = Arc::clone(monitor);
    sink.set_callbacks(
        gst_app::AppSinkCallbacks::builder()
            .new_sample(move |sink| {
                let sample = sink.pull_sample().map_err(|_| gst::FlowError::Eos)?;
                // The size and layout follow `Engine::set_preview_format`: read them from each
                // sample.
                let Some((w, h, layout)) =
                    sample.caps().and_then(|c| c.structure(0)).and_then(|s| {
                        let format = s.get::<&str>("format").ok()?;
                        let layout = [PixelLayout::Rgba, PixelLayout::Bgrx]
                            .into_iter()
                            .find(|l| caps_format(*l) == format)?;
                        Some((
                            s.get::<i32>("width").ok()? as u32,
                            s.get::<i32>("height").ok()? as u32,
                            layout,
                        ))
                    })
                else {
                    return Ok(gst::FlowSuccess::Ok);
                };
                let Some(buffer) = sample.buffer_owned() else {
                    return Ok(gst::FlowSuccess::Ok);
                };
                let pts = buffer.pts().map(|t| t.nseconds());
                let at = composed
                    .lock()
                    .ok()
                    .and_then(|c| c.iter().find(|(p, _)| Some(*p) == pts).map(|(_, t)| *t))
                    .unwrap_or_else(Instant::now);
                let size = (w * h * 4) as usize;
                // The picture is handed on as it is: its buffer stays mapped until the last
                // reader lets go, then goes back to the scaler's pool. A padded buffer (not
                // seen from videoconvertscale) is copied without its padding.
                let pixels = if buffer.size() == size {
                    buffer.into_mapped_buffer_readable().ok().map(Pixels::new)
                } else {
                    let map = buffer.map_readable().ok();
                    map.filter(|m| m.len() >= size)
                        .map(|m| Pixels::new(m[..size].to_vec()))
                };
                if let Some(pixels) = pixels {
                    monitor.put_pixels(w, h, layout, pixels, at);
                }
                Ok(gst::FlowSuccess::Ok)
            })
            .build(),
    );
    let rate = make("videorate", "preview-rate")?;
    rate.set_property("drop-only", true);
    rate.set_property("max-rate", PREVIEW_FPS);
    let mut elements = vec![queue, rate];
    let convert = crate::sources::convert_scale("preview-convert")?;
    // The preview is looked at, not encoded: no chroma filtering and no dither make the scale
    // and convert clearly cheaper (timed in `docs/benchmarks.md`, "The window"), and thin
    // slide text stays as sharp, being luma.
    for element in &convert {
        if element.find_property("chroma-mode").is_some() {
            element.set_property_from_str("chroma-mode", "none");
            element.set_property_from_str("dither", "none");
        }
    }
    elements.extend(convert);
    elements.push(sink.upcast());
    add_and_link(pipeline, &elements)?;
    ptee.link(&elements[0])?;
    Ok(())
}

/// Counts frames and bytes leaving `venc`, and frames missing from its input timeline
/// (`venc` is the encoder, or in a preview-only session the preview tee).
fn count_encoder(venc: &gst::Element, counters: &Arc<Counters>, fps: u32) {
    let frame_ns = 1_000_000_000 / u64::from(fps.max(1));
    // A tee has request pads only: count what enters it. Its pictures are raw, not encoded
    // video: a preview-only session sends no bits (the window showed 331,000 kbit/s off air).
    let encoded = venc.static_pad("src");
    let counts_bytes = encoded.is_some();
    if let Some(pad) = encoded.or_else(|| venc.static_pad("sink")) {
        let c = Arc::clone(counters);
        pad.add_probe(gst::PadProbeType::BUFFER, move |_, info| {
            if let Some(buffer) = info.buffer() {
                c.frames_encoded.fetch_add(1, Ordering::Relaxed);
                if counts_bytes {
                    c.video_bytes
                        .fetch_add(buffer.size() as u64, Ordering::Relaxed);
                }
            }
            gst::PadProbeReturn::Ok
        });
    }
    if let Some(pad) = venc.static_pad("sink") {
        let c = Arc::clone(counters);
        pad.add_probe(gst::PadProbeType::BUFFER, move |_, info| {
            if let Some(pts) = info.buffer().and_then(|b| b.pts()) {
                let pts = pts.nseconds();
                let last = c.last_input_pts_ns.swap(pts, Ordering::Relaxed);
                if last != 0 && pts > last {
                    // A gap of n frame intervals means n-1 frames never reached the encoder.
                    let intervals = (pts - last + frame_ns / 2) / frame_ns;
                    if intervals > 1 {
                        c.frames_missing.fetch_add(intervals - 1, Ordering::Relaxed);
                    }
                }
            }
            gst::PadProbeReturn::Ok
        });
    }
}

/// rawtee → queue → Opus → otee: one Opus encode shared by every WHIP destination.
fn opus_branch(
    pipeline: &gst::Pipeline,
    rawtee: &gst::Element,
    bitrate_kbps: u32,
) -> Result<(), MediaError> {
    let opus = make("opusenc", "oenc-opusenc")?;
    opus.set_property("bitrate", (bitrate_kbps.clamp(16, 256) * 1000) as i32);
    let otee = make("tee", "otee")?;
    otee.set_property("allow-not-linked", true);
    let elements = [
        make("queue", "oenc-queue")?,
        make("audioconvert", "oenc-audioconvert")?,
        make("audioresample", "oenc-audioresample")?,
        opus,
        otee,
    ];
    add_and_link(pipeline, &elements)?;
    pipeline.add(rawtee)?;
    rawtee.link(&elements[0])?;
    Ok(())
}
