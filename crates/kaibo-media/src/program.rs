//! The program: every scene of a session built at once, one scene shown at a time.
//!
//! Each distinct capture (the same camera in two scenes is one capture) is built once; when
//! several scenes place it, a tee feeds one compositor pad per placement and the compositor
//! scales it into each box. Only the active scene's pads are opaque, so a switch is a change
//! of pad alpha that the very next composed frame shows, and nothing is rebuilt or restarted:
//! no frame is dropped. Sound sources are mixed once; the mixer mutes those the active scene
//! does not hold. Text and images are overlays after the compositor, shown or hidden.

use crate::error::MediaError;
use crate::sources::{
    AAC_FRAME_SAMPLES, AUDIO_RATE, Picture, audio_branch, capsfilter, clip_pipeline, i420_caps,
    link_decoder_pads, make, video_branch,
};
use gst::prelude::*;
use kaibo_model::{Layout, SessionPlan, SourceKind, Transition};
use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// Zorder added to the scene fading in, so it draws over the one going out.
const ON_TOP: u32 = 10_000;
/// How often a fade updates the alpha of the pads.
const FADE_STEP: Duration = Duration::from_millis(10);

/// Where a placement is drawn.
#[derive(Clone)]
enum Target {
    Pad(gst::Pad),
    Image(gst::Element),
    Text(gst::Element),
}

/// One source placed in one scene.
#[derive(Clone)]
struct Placement {
    scene: usize,
    target: Target,
    opacity: f64,
    z: u32,
}

impl Placement {
    fn set_alpha(&self, alpha: f64, on_top: bool) {
        match &self.target {
            Target::Pad(pad) => {
                pad.set_property("alpha", alpha * self.opacity);
                pad.set_property("zorder", self.z + if on_top { ON_TOP } else { 0 });
            }
            Target::Image(o) => o.set_property("alpha", alpha * self.opacity),
            Target::Text(o) => o.set_property("silent", alpha < 0.5 || self.opacity == 0.0),
        }
    }
}

/// A sound source on the mixer and the scenes that hold it.
struct Sound {
    mixer_pad: gst::Pad,
    scenes: Vec<usize>,
}

/// Shows one scene at a time; see the module documentation.
pub(crate) struct Switcher {
    placements: Vec<Placement>,
    sounds: Vec<Sound>,
    active: usize,
    scenes: usize,
    /// Bumped by every switch; a fade in progress stops when it changes.
    generation: Arc<AtomicU64>,
}

impl Switcher {
    /// The scene shown now.
    pub fn active(&self) -> usize {
        self.active
    }

    /// Shows scene `to`: at once (cut) or fading in over the current one.
    pub fn switch(&mut self, to: usize, transition: Transition) -> Result<(), MediaError> {
        if to >= self.scenes {
            return Err(MediaError::Invalid(format!(
                "there is no scene {}; the session has {}",
                to + 1,
                self.scenes
            )));
        }
        let generation = self.generation.fetch_add(1, Ordering::SeqCst) + 1;
        let from = std::mem::replace(&mut self.active, to);
        for sound in &self.sounds {
            sound
                .mixer_pad
                .set_property("mute", !sound.scenes.contains(&to));
        }
        let ms = match transition {
            Transition::Fade { ms } if ms > 0 && from != to => ms,
            _ => {
                self.cut(to);
                return Ok(());
            }
        };
        let incoming: Vec<Placement> = self.of(to).cloned().collect();
        let rest: Vec<Placement> = self
            .placements
            .iter()
            .filter(|p| p.scene != to)
            .cloned()
            .collect();
        for p in &incoming {
            p.set_alpha(0.0, true);
        }
        let current = Arc::clone(&self.generation);
        let steps =
            (Duration::from_millis(u64::from(ms)).as_millis() / FADE_STEP.as_millis()).max(1);
        std::thread::Builder::new()
            .name("kaibo-fade".into())
            .spawn(move || {
                for step in 1..=steps {
                    std::thread::sleep(FADE_STEP);
                    if current.load(Ordering::SeqCst) != generation {
                        return;
                    }
                    let t = step as f64 / steps as f64;
                    for p in &incoming {
                        p.set_alpha(t, true);
                    }
                }
                for p in &rest {
                    p.set_alpha(0.0, false);
                }
                for p in &incoming {
                    p.set_alpha(1.0, false);
                }
            })
            .map_err(|e| MediaError::State(format!("could not start the fade: {e}")))?;
        Ok(())
    }

    fn of(&self, scene: usize) -> impl Iterator<Item = &Placement> {
        self.placements.iter().filter(move |p| p.scene == scene)
    }

    fn cut(&self, to: usize) {
        for p in &self.placements {
            p.set_alpha(if p.scene == to { 1.0 } else { 0.0 }, false);
        }
    }
}

/// The built program: what the pipeline builder links onward.
pub(crate) struct Program {
    /// Overlays to draw after the compositor, in zorder.
    pub overlays: Vec<gst::Element>,
    pub switcher: Switcher,
    /// Clip pipelines feeding media sources; looped by the engine.
    pub clips: Vec<gst::Pipeline>,
    /// The audio mixer, when any source has sound.
    pub mixer: Option<gst::Element>,
    /// Per sound source: its gain element and its level meter's name, by source key.
    pub volumes: HashMap<String, gst::Element>,
    pub meters: HashMap<String, String>,
}

/// One distinct capture and every box it is placed in.
struct Capture<'a> {
    input: &'a SourceKind,
    audio: kaibo_model::Audio,
    /// (scene, layout) of each placement with a picture.
    boxes: Vec<(usize, Layout)>,
    in_scenes: Vec<usize>,
}

/// Builds every scene of `plan` into `pipeline`, feeding `compositor`.
pub(crate) fn build_program(
    pipeline: &gst::Pipeline,
    plan: &SessionPlan,
    compositor: &gst::Element,
) -> Result<Program, MediaError> {
    let video = &plan.video;
    let sx = f64::from(video.width) / f64::from(plan.canvas.width);
    let sy = f64::from(video.height) / f64::from(plan.canvas.height);
    let mut captures: Vec<Capture> = Vec::new();
    for (scene_index, scene) in plan.scenes.iter().enumerate() {
        let layouts = scene.resolved_layouts(plan.canvas);
        for (source, layout) in scene.sources.iter().zip(layouts) {
            let key = source.input.key();
            let at = match captures.iter().position(|c| c.input.key() == key) {
                Some(at) => at,
                None => {
                    captures.push(Capture {
                        input: &source.input,
                        audio: source.audio,
                        boxes: Vec::new(),
                        in_scenes: Vec::new(),
                    });
                    captures.len() - 1
                }
            };
            let c = &mut captures[at];
            c.in_scenes.push(scene_index);
            if let Some(layout) = layout {
                c.boxes.push((scene_index, layout.scaled(sx, sy)));
            }
        }
    }

    let mut placements = Vec::new();
    let mut overlays: Vec<(u32, gst::Element)> = Vec::new();
    let mut clips = Vec::new();
    let mut sounds = Vec::new();
    let mut volumes = HashMap::new();
    let mut meters = HashMap::new();
    let mut mixer = None;
    let mut composited = 0;
    for (k, capture) in captures.iter().enumerate() {
        let prefix = format!("src{k}");
        let mut decoder = None;
        // The largest box gets the capture at its own size; others are scaled by the pads.
        let widest = capture
            .boxes
            .iter()
            .max_by_key(|(_, l)| u64::from(l.width) * u64::from(l.height))
            .map(|(_, l)| *l);
        let overlay_kind = matches!(
            capture.input,
            SourceKind::Image { .. } | SourceKind::Text { .. }
        );
        if overlay_kind {
            for (n, (scene, layout)) in capture.boxes.iter().enumerate() {
                let name = if n == 0 {
                    prefix.clone()
                } else {
                    format!("{prefix}-p{n}")
                };
                if let Picture::Overlay(o) = video_branch(&name, capture.input, layout, video.fps)?
                {
                    let target = match capture.input {
                        SourceKind::Text { .. } => Target::Text(o.clone()),
                        _ => Target::Image(o.clone()),
                    };
                    overlays.push((layout.z, o));
                    placements.push(placement(*scene, target, layout));
                }
            }
        } else if let Some(widest) = widest
            && let Picture::Composited(branch) =
                video_branch(&prefix, capture.input, &widest, video.fps)?
        {
            crate::sources::add_branch(pipeline, &branch.elements, branch.decoder.as_ref())?;
            let feeds: Vec<gst::Pad> = if capture.boxes.len() == 1 {
                vec![src_pad(&branch.tail)?]
            } else {
                let tee = make("tee", &format!("{prefix}-tee"))?;
                pipeline.add(&tee)?;
                branch.tail.link(&tee)?;
                (0..capture.boxes.len())
                    .map(|n| {
                        let q = make("queue", &format!("{prefix}-p{n}-queue"))?;
                        q.set_property("max-size-buffers", 2u32);
                        q.set_property_from_str("leaky", "downstream");
                        pipeline.add(&q)?;
                        tee.link(&q)?;
                        src_pad(&q)
                    })
                    .collect::<Result<_, _>>()?
            };
            for ((scene, layout), feed) in capture.boxes.iter().zip(feeds) {
                let pad = compositor
                    .request_pad_simple("sink_%u")
                    .ok_or_else(|| MediaError::Build("compositor gave no pad".into()))?;
                pad.set_property("xpos", layout.x);
                pad.set_property("ypos", layout.y);
                pad.set_property("width", layout.width as i32);
                pad.set_property("height", layout.height as i32);
                feed.link(&pad).map_err(|e| {
                    MediaError::Build(format!("linking {prefix} to compositor: {e:?}"))
                })?;
                placements.push(placement(*scene, Target::Pad(pad), layout));
                composited += 1;
            }
            if let Some(d) = &branch.decoder {
                let at = branch.elements.iter().position(|e| e == d).unwrap_or(0);
                decoder = Some((d.clone(), branch.elements.get(at + 1).cloned()));
            }
        }
        if capture.input.has_audio() {
            let branch = audio_branch(&format!("{prefix}-a"), capture.input, &capture.audio)?;
            let level = make("level", &format!("{prefix}-a-level"))?;
            level.set_property("interval", 100_000_000u64);
            level.set_property("post-messages", true);
            let mut elements = branch.elements.clone();
            elements.push(level.clone());
            crate::sources::add_branch(pipeline, &elements, None)?;
            let mix = match &mixer {
                Some(m) => m,
                None => {
                    let m = make("audiomixer", "amix")?;
                    m.set_property(
                        "output-buffer-duration-fraction",
                        gst::Fraction::new(AAC_FRAME_SAMPLES, AUDIO_RATE),
                    );
                    pipeline.add(&m)?;
                    mixer.insert(m)
                }
            };
            let mixer_pad = mix
                .request_pad_simple("sink_%u")
                .ok_or_else(|| MediaError::Build("the audio mixer gave no pad".into()))?;
            src_pad(&level)?
                .link(&mixer_pad)
                .map_err(|e| MediaError::Build(format!("linking {prefix} to the mixer: {e:?}")))?;
            let key = capture.input.key();
            volumes.insert(key.clone(), branch.tail.clone());
            meters.insert(level.name().to_string(), key);
            sounds.push(Sound {
                mixer_pad,
                scenes: capture.in_scenes.clone(),
            });
        }
        if let Some((d, video_head)) = decoder {
            link_decoder_pads(&d, video_head, None);
        }
        if let SourceKind::Media { path } = capture.input {
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
        pipeline.add_many([&bg, &caps])?;
        bg.link(&caps)?;
        caps.link(compositor)?;
    }
    overlays.sort_by_key(|(z, _)| *z);
    let mut switcher = Switcher {
        placements,
        sounds,
        active: plan.active,
        scenes: plan.scenes.len(),
        generation: Arc::new(AtomicU64::new(0)),
    };
    switcher.switch(plan.active, Transition::Cut)?;
    Ok(Program {
        overlays: overlays.into_iter().map(|(_, o)| o).collect(),
        switcher,
        clips,
        mixer,
        volumes,
        meters,
    })
}

fn placement(scene: usize, target: Target, layout: &Layout) -> Placement {
    Placement {
        scene,
        target,
        opacity: if layout.visible { layout.opacity } else { 0.0 },
        z: layout.z,
    }
}

fn src_pad(element: &gst::Element) -> Result<gst::Pad, MediaError> {
    element
        .static_pad("src")
        .ok_or_else(|| MediaError::Build(format!("{} has no src pad", element.name())))
}
