//! Builds the one pipeline of a live session.
//!
//! ```text
//! src0 → [crop] → convertscale → I420 box ─┐
//! src1 → …                                  ├→ compositor → I420 canvas → [image/text overlays]
//!                                           ┘      → queue → H.264 encoder → h264parse → vtee
//! audio src → convert → resample → volume ─┐
//! silence (keeps the mix running) ─────────┴→ audiomixer → AAC → aacparse → atee
//! vtee/atee → queue → appsink ⇢ link pipeline (flvmux → rtmp2sink)   one per RTMP destination
//! vtee/atee → queue → matroskamux → filesink              one per recording
//! ```
//! Every element is named `<part>-<factory>`; output elements start with `outN-`.

use crate::encoder::{encoder_factory, make_audio_encoder, make_video_encoder, profile_for};
use crate::error::{MediaError, OutputLabel};
use crate::rtmp_link::RtmpLink;
use crate::sources::{
    Picture, audio_branch, audio_caps, capsfilter, clip_pipeline, i420_caps, link_decoder_pads,
    make, video_branch,
};
use gst::prelude::*;
use kaibo_model::{OutputSpec, SessionPlan, SourceKind};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

/// Counters updated from streaming threads, read by the stats snapshot.
#[derive(Default, Debug)]
pub(crate) struct Counters {
    pub frames_encoded: AtomicU64,
    pub video_bytes: AtomicU64,
    /// Frames missing from the encoder's input timeline (gaps in timestamps).
    pub frames_missing: AtomicU64,
    pub last_input_pts_ns: AtomicU64,
}

/// A local recording's handles.
pub(crate) struct Recording {
    pub label: OutputLabel,
    pub queues: Vec<gst::Element>,
    pub bytes: Arc<AtomicU64>,
    pub eos: Arc<AtomicBool>,
}

/// One output of the session.
pub(crate) enum Output {
    Record(Recording),
    Rtmp(Box<RtmpLink>),
}

impl Output {
    pub fn label(&self) -> &OutputLabel {
        match self {
            Output::Record(r) => &r.label,
            Output::Rtmp(l) => &l.label,
        }
    }
}

/// A built, not yet started, pipeline.
pub(crate) struct Built {
    pub pipeline: gst::Pipeline,
    pub outputs: Vec<Output>,
    pub counters: Arc<Counters>,
    /// Clip pipelines feeding media sources; looped by the engine.
    pub clips: Vec<gst::Pipeline>,
    /// The video encoder and its factory, for bitrate changes.
    pub venc: (gst::Element, &'static str),
}

fn add_and_link(pipeline: &gst::Pipeline, elements: &[gst::Element]) -> Result<(), MediaError> {
    pipeline.add_many(elements)?;
    gst::Element::link_many(elements).map_err(|e| MediaError::Build(format!("{e}")))
}

/// Adds `elements`, linking them in order except across `decoder`, whose dynamic pads are
/// linked to the element after it when they appear (video and audio pads to their heads).
fn add_branch(
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

/// Builds the pipeline for a plan. Nothing runs until the engine starts it.
pub(crate) fn build(plan: &SessionPlan) -> Result<Built, MediaError> {
    let video = &plan.video;
    let pipeline = gst::Pipeline::with_name("kaibo");
    let counters = Arc::new(Counters::default());

    // Pictures.
    let compositor = make("compositor", "compositor")?;
    compositor.set_property_from_str("background", "black");
    pipeline.add(&compositor)?;
    let sx = f64::from(video.width) / f64::from(plan.canvas.width);
    let sy = f64::from(video.height) / f64::from(plan.canvas.height);
    let layouts = plan.scene.resolved_layouts(plan.canvas);
    let mut overlays = Vec::new();
    let mut composited = 0;
    let mut clips = Vec::new();
    for (i, (source, layout)) in plan.scene.sources.iter().zip(&layouts).enumerate() {
        let prefix = format!("src{i}");
        let mut decoder = None;
        if let Some(layout) = layout {
            let layout = layout.scaled(sx, sy);
            match video_branch(&prefix, &source.input, &layout, video.fps)? {
                Picture::Overlay(o) => overlays.push((layout.z, o)),
                Picture::Composited(branch) => {
                    add_branch(&pipeline, &branch.elements, branch.decoder.as_ref())?;
                    let pad = compositor
                        .request_pad_simple("sink_%u")
                        .ok_or_else(|| MediaError::Build("compositor gave no pad".into()))?;
                    pad.set_property("xpos", layout.x);
                    pad.set_property("ypos", layout.y);
                    pad.set_property("width", layout.width as i32);
                    pad.set_property("height", layout.height as i32);
                    pad.set_property("zorder", layout.z);
                    pad.set_property("alpha", if layout.visible { layout.opacity } else { 0.0 });
                    let src = branch
                        .tail
                        .static_pad("src")
                        .ok_or_else(|| MediaError::Build("branch has no src pad".into()))?;
                    src.link(&pad).map_err(|e| {
                        MediaError::Build(format!("linking {prefix} to compositor: {e:?}"))
                    })?;
                    composited += 1;
                    if let Some(d) = &branch.decoder {
                        let at = branch.elements.iter().position(|e| e == d).unwrap_or(0);
                        let video_head = branch.elements.get(at + 1).cloned();
                        decoder = Some((d.clone(), video_head));
                    }
                }
            }
        }
        if source.input.has_audio() {
            let branch = audio_branch(&format!("{prefix}-a"), &source.input, &source.audio)?;
            add_and_link(&pipeline, &branch.elements)?;
            let mixer = audio_mixer(&pipeline)?;
            branch.tail.link(&mixer)?;
        }
        if let Some((d, video_head)) = decoder {
            link_decoder_pads(&d, video_head, None);
        }
        if let SourceKind::Media { path } = &source.input {
            clips.push(clip_pipeline(&prefix, path)?);
        }
    }
    if composited == 0 {
        // Only overlays: give the compositor a live black canvas to draw on.
        let bg = make("videotestsrc", "background-videotestsrc")?;
        bg.set_property("is-live", true);
        bg.set_property_from_str("pattern", "black");
        let caps = capsfilter(
            "background-caps",
            &i420_caps(video.width, video.height, video.fps),
        )?;
        add_and_link(&pipeline, &[bg, caps.clone()])?;
        caps.link(&compositor)?;
    }

    // Canvas → overlays → encoder → vtee.
    let canvas_caps = capsfilter(
        "canvas-caps",
        &i420_caps(video.width, video.height, video.fps),
    )?;
    overlays.sort_by_key(|(z, _)| *z);
    let factory = encoder_factory(video.encoder)?;
    let venc = make_video_encoder(factory, video, "venc")?;
    let h264_caps = gst::Caps::builder("video/x-h264")
        .field("profile", profile_for(factory))
        .build();
    let parse = make("h264parse", "venc-h264parse")?;
    parse.set_property("config-interval", -1i32);
    let vtee = make("tee", "vtee")?;
    vtee.set_property("allow-not-linked", true);
    let mut chain = vec![compositor.clone(), canvas_caps];
    chain.extend(overlays.into_iter().map(|(_, o)| o));
    chain.extend([
        make("queue", "venc-queue")?,
        venc.clone(),
        capsfilter("venc-caps", &h264_caps)?,
        parse,
        vtee.clone(),
    ]);
    pipeline.add_many(&chain[1..])?;
    gst::Element::link_many(&chain).map_err(|e| MediaError::Build(format!("video chain: {e}")))?;
    count_encoder(&venc, &counters, video.fps);

    // Audio: sources → mixer (with a silent bed so it always runs) → AAC → atee. Without
    // any sound source the silent bed goes straight to the encoder: no mixer thread.
    let silence = make("audiotestsrc", "silence-audiotestsrc")?;
    silence.set_property("is-live", true);
    silence.set_property_from_str("wave", "silence");
    let silence_caps = capsfilter("silence-caps", &audio_caps())?;
    add_and_link(&pipeline, &[silence, silence_caps.clone()])?;
    let atee = make("tee", "atee")?;
    atee.set_property("allow-not-linked", true);
    let mut achain = match pipeline.by_name("amix") {
        Some(mixer) => {
            silence_caps.link(&mixer)?;
            vec![mixer, capsfilter("amix-caps", &audio_caps())?]
        }
        None => vec![silence_caps],
    };
    let first_new = achain.len();
    achain.extend([
        make("audioconvert", "aenc-audioconvert")?,
        make_audio_encoder(plan.audio_bitrate_kbps, "aenc")?,
        make("aacparse", "aenc-aacparse")?,
        atee.clone(),
    ]);
    pipeline.add_many(
        achain[first_new - 1..]
            .iter()
            .filter(|e| e.parent().is_none())
            .collect::<Vec<_>>(),
    )?;
    gst::Element::link_many(&achain).map_err(|e| MediaError::Build(format!("audio chain: {e}")))?;

    let outputs = plan
        .outputs
        .iter()
        .enumerate()
        .map(|(i, spec)| add_output(&pipeline, i, spec, &vtee, &atee))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Built {
        pipeline,
        outputs,
        counters,
        clips,
        venc: (venc, factory),
    })
}

fn audio_mixer(pipeline: &gst::Pipeline) -> Result<gst::Element, MediaError> {
    if let Some(m) = pipeline.by_name("amix") {
        return Ok(m);
    }
    let m = make("audiomixer", "amix")?;
    pipeline.add(&m)?;
    Ok(m)
}

/// Counts encoded frames and bytes, and frames missing from the encoder's input timeline.
fn count_encoder(venc: &gst::Element, counters: &Arc<Counters>, fps: u32) {
    let frame_ns = 1_000_000_000 / u64::from(fps.max(1));
    if let Some(pad) = venc.static_pad("src") {
        let c = Arc::clone(counters);
        pad.add_probe(gst::PadProbeType::BUFFER, move |_, info| {
            if let Some(buffer) = info.buffer() {
                c.frames_encoded.fetch_add(1, Ordering::Relaxed);
                c.video_bytes
                    .fetch_add(buffer.size() as u64, Ordering::Relaxed);
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

fn add_output(
    pipeline: &gst::Pipeline,
    index: usize,
    spec: &OutputSpec,
    vtee: &gst::Element,
    atee: &gst::Element,
) -> Result<Output, MediaError> {
    let path = match spec {
        OutputSpec::Rtmp(dest) => {
            return Ok(Output::Rtmp(Box::new(RtmpLink::attach(
                pipeline, index, dest, vtee, atee,
            )?)));
        }
        OutputSpec::Record(path) => path,
    };
    let p = format!("out{index}");
    let mux = make("matroskamux", &format!("{p}-matroskamux"))?;
    let sink = make("filesink", &format!("{p}-filesink"))?;
    sink.set_property("location", path.to_string_lossy().to_string());
    sink.set_property("sync", false);
    sink.set_property("async", false);
    let queue = |what: &str| -> Result<gst::Element, MediaError> {
        let q = make("queue", &format!("{p}-{what}-queue"))?;
        q.set_property("max-size-buffers", 0u32);
        q.set_property("max-size-bytes", 0u32);
        // A slow disk gets 10 s of slack; a recording never drops data.
        q.set_property("max-size-time", 10_000_000_000u64);
        Ok(q)
    };
    let vq = queue("video")?;
    let aq = queue("audio")?;
    pipeline.add_many([&vq, &aq, &mux, &sink])?;
    vtee.link(&vq)?;
    atee.link(&aq)?;
    let (Some(vpad), Some(apad)) = (
        mux.request_pad_simple("video_%u"),
        mux.request_pad_simple("audio_%u"),
    ) else {
        return Err(MediaError::Build(format!("{p}: the muxer gave no pads")));
    };
    for (q, pad) in [(&vq, &vpad), (&aq, &apad)] {
        q.static_pad("src")
            .ok_or_else(|| MediaError::Build("queue without src".into()))?
            .link(pad)
            .map_err(|e| MediaError::Build(format!("{p}: {e:?}")))?;
    }
    mux.link(&sink)?;
    let bytes = Arc::new(AtomicU64::new(0));
    let eos = Arc::new(AtomicBool::new(false));
    if let Some(pad) = sink.static_pad("sink") {
        let (b, e) = (Arc::clone(&bytes), Arc::clone(&eos));
        pad.add_probe(
            gst::PadProbeType::BUFFER | gst::PadProbeType::EVENT_DOWNSTREAM,
            move |_, info| {
                if let Some(buffer) = info.buffer() {
                    b.fetch_add(buffer.size() as u64, Ordering::Relaxed);
                } else if info
                    .event()
                    .is_some_and(|ev| ev.type_() == gst::EventType::Eos)
                {
                    e.store(true, Ordering::SeqCst);
                }
                gst::PadProbeReturn::Ok
            },
        );
    }
    Ok(Output::Record(Recording {
        label: OutputLabel {
            target: path.display().to_string(),
            host_port: String::new(),
            is_rtmp: false,
        },
        queues: vec![vq, aq],
        bytes,
        eos,
    }))
}
