//! Runs one live session: Idle → Starting → Live ⇄ Reconnecting → Stopping → Stopped (or Failed).
//!
//! The engine is driven from one thread: `start`, then `poll` in a loop (bus messages and
//! outputs, at most `timeout` each), `snapshot` about once a second, and `stop`.
//! Stopping sends EOS first and waits for it to reach every output, so recordings are
//! finalised and servers see the stream end.
//!
//! The outputs sit in one list of slots (`outputs`); the session's state changes in one
//! function (`state`), after each turn of `poll`; the bus is read in `bus`, outputs join and
//! leave a running session in `hot`, figures are in `stats` and the end in `stop`.

use crate::abr::{Abr, LinkSignal};
use crate::encoder::set_bitrate;
use crate::engine_event::EngineEvent;
use crate::error::MediaError;
use crate::output::Timeline;
use crate::pipeline::{Built, build};
use gst::prelude::*;
use kaibo_model::scene::{MAX_GAIN_DB, MIN_GAIN_DB};
use kaibo_model::secret::scrub_all;
use kaibo_model::{Monitor, Secret, SessionPlan, SessionState, Transition};
use std::sync::Arc;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

mod bus;
mod hot;
mod outputs;
mod state;
mod stats;
mod stop;

use outputs::Slot;
use state::Step;

/// The lowest video bitrate adaptive bitrate goes to.
const ABR_FLOOR_KBPS: u32 = 300;
/// How often adaptive bitrate samples the links.
const ABR_INTERVAL: Duration = Duration::from_millis(250);

/// Initialises GStreamer once per process.
pub fn init() -> Result<(), MediaError> {
    static INIT: OnceLock<Result<(), String>> = OnceLock::new();
    INIT.get_or_init(|| gst::init().map_err(|e| e.to_string()))
        .clone()
        .map_err(MediaError::Init)
}

/// Wakes an engine waiting in [`Engine::poll`], so a command is handled at once.
#[derive(Clone, Debug)]
pub struct Waker(gst::Bus);

impl Waker {
    pub fn wake(&self) {
        let _ = self
            .0
            .post(gst::message::Application::new(gst::Structure::new_empty(
                "kaibo-wake",
            )));
    }
}

/// A live session's engine.
pub struct Engine {
    built: Built,
    state: SessionState,
    started_at: Option<Instant>,
    fps: u32,
    /// The program's size (the preview is scaled from it).
    canvas: (u32, u32),
    /// Every output the session had, by index: removed and failed ones keep their slot.
    slots: Vec<Slot>,
    /// A preview session runs on when its outputs fail or are removed.
    preview: bool,
    failures: Vec<MediaError>,
    secrets: Vec<Secret>,
    last_sample: (Instant, u64, u64),
    rates: (f64, f64),
    abr: Abr,
    abr_sampled: Instant,
}

impl Engine {
    /// Builds the pipeline for `plan`; nothing runs yet.
    pub fn new(plan: &SessionPlan) -> Result<Self, MediaError> {
        Self::with_monitor(plan, None)
    }

    /// Like [`Engine::new`], writing the preview and levels of a `preview` plan to `monitor`.
    pub fn with_monitor(
        plan: &SessionPlan,
        monitor: Option<Arc<Monitor>>,
    ) -> Result<Self, MediaError> {
        init()?;
        plan.validate().map_err(MediaError::Invalid)?;
        let mut built = build(plan, monitor)?;
        let slots = std::mem::take(&mut built.outputs)
            .into_iter()
            .map(Slot::new)
            .collect();
        Ok(Self {
            built,
            state: SessionState::Idle,
            started_at: None,
            fps: plan.video.fps.max(1),
            canvas: (plan.video.width, plan.video.height),
            slots,
            preview: plan.preview.is_some(),
            failures: Vec::new(),
            secrets: plan.secrets().into_iter().cloned().collect(),
            last_sample: (Instant::now(), 0, 0),
            rates: (0.0, 0.0),
            abr: if plan.adaptive {
                Abr::new(
                    plan.video.bitrate_kbps,
                    ABR_FLOOR_KBPS,
                    plan.audio_bitrate_kbps,
                )
            } else {
                Abr::fixed(plan.video.bitrate_kbps, plan.audio_bitrate_kbps)
            },
            abr_sampled: Instant::now(),
        })
    }

    /// The current state.
    pub fn state(&self) -> SessionState {
        self.state
    }

    /// Time since `start`.
    pub fn elapsed(&self) -> Duration {
        self.started_at.map(|t| t.elapsed()).unwrap_or_default()
    }

    /// Why outputs failed, in the order they did.
    pub fn output_failures(&self) -> &[MediaError] {
        &self.failures
    }

    /// The program picture and sound levels (plans with `preview`).
    pub fn monitor(&self) -> Option<Arc<Monitor>> {
        self.built.monitor.clone()
    }

    /// A handle that interrupts [`Engine::poll`] from another thread.
    pub fn waker(&self) -> Option<Waker> {
        self.built.pipeline.bus().map(Waker)
    }

    /// The scene shown now.
    pub fn active_scene(&self) -> usize {
        self.built.switcher.active()
    }

    /// Shows another scene of the plan; the next composed frame starts the transition.
    pub fn switch_scene(&mut self, index: usize, transition: Transition) -> Result<(), MediaError> {
        self.built.switcher.switch(index, transition)
    }

    /// Sets a sound source's gain and mute; `source` is its [`kaibo_model::SourceKind::key`].
    pub fn set_audio(&self, source: &str, gain_db: f64, muted: bool) -> Result<(), MediaError> {
        let volume = self.built.volumes.get(source).ok_or_else(|| {
            MediaError::Invalid("that sound source is not part of this session".into())
        })?;
        let gain_db = gain_db.clamp(MIN_GAIN_DB, MAX_GAIN_DB);
        volume.set_property("volume", 10f64.powf(gain_db / 20.0));
        volume.set_property("mute", muted);
        Ok(())
    }

    /// Delivers the next preview pictures in `format` (sized by
    /// [`crate::pipeline::preview_size_within`]). A session without a preview ignores it.
    pub fn set_preview_format(&self, format: kaibo_model::PreviewFormat) {
        let Some(sink) = self.built.pipeline.by_name("preview-appsink") else {
            return;
        };
        let caps = crate::pipeline::preview_caps(self.canvas, format);
        if sink.property::<Option<gst::Caps>>("caps").as_ref() == Some(&caps) {
            return;
        }
        sink.set_property("caps", &caps);
        // The scaler renegotiates when the reconfigure reaches it.
        if let Some(pad) = sink.static_pad("sink") {
            pad.push_event(gst::event::Reconfigure::new());
        }
    }

    /// Puts the host's interaction panels on the program (an empty state takes them off).
    pub fn set_overlay(&mut self, state: kaibo_model::OverlayState) -> Result<(), MediaError> {
        self.built.panels.set(state)
    }

    /// Starts capture, encoding and every output.
    pub fn start(&mut self) -> Result<(), MediaError> {
        self.advance(Step::Start);
        let now = Instant::now();
        self.started_at = Some(now);
        for slot in &mut self.slots {
            slot.unchecked_since = Some(now);
        }
        self.last_sample = (now, 0, 0);
        for clip in &self.built.clips {
            clip.set_state(gst::State::Playing).map_err(|_| {
                MediaError::State("a clip could not be opened; check the file".into())
            })?;
        }
        let pipeline = self.built.pipeline.clone();
        if pipeline.set_state(gst::State::Playing).is_err() {
            // The bus holds the reason; surface it.
            let reason = self
                .poll(Duration::from_millis(500))
                .and_then(|e| match e {
                    EngineEvent::Failed(err) | EngineEvent::OutputFailed { error: err, .. } => {
                        Some(err)
                    }
                    _ => None,
                })
                .unwrap_or_else(|| {
                    MediaError::State("GStreamer refused to start the pipeline".into())
                });
            self.advance(Step::StartFailed);
            return Err(reason);
        }
        let timeline = Timeline::of(&pipeline);
        for slot in &mut self.slots {
            slot.output.start(&timeline)?;
        }
        Ok(())
    }

    /// Handles outputs and bus messages for at most `timeout`; returns the first that
    /// matters. The session's state follows (`state`).
    pub fn poll(&mut self, timeout: Duration) -> Option<EngineEvent> {
        let event = self.next_event(timeout);
        self.advance(Step::Turn(event.as_slice()));
        event
    }

    fn next_event(&mut self, timeout: Duration) -> Option<EngineEvent> {
        self.loop_clips();
        self.finish_removals();
        self.adapt_bitrate();
        if let Some(event) = self.service_outputs() {
            return Some(event);
        }
        let bus = self.built.pipeline.bus()?;
        let deadline = Instant::now() + timeout;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let msg = bus.timed_pop(gst::ClockTime::from_nseconds(left.as_nanos() as u64))?;
            if let Some(event) = self.handle(&msg) {
                return Some(event);
            }
            if left.is_zero() {
                return None;
            }
        }
    }

    /// Samples the live links (those that report a backlog: RTMP) about four times a second
    /// and retunes the encoder when asked.
    fn adapt_bitrate(&mut self) {
        let now = Instant::now();
        if now.duration_since(self.abr_sampled) < ABR_INTERVAL {
            return;
        }
        self.abr_sampled = now;
        let signals: Vec<LinkSignal> = self
            .slots
            .iter_mut()
            .filter_map(|slot| slot.output.congestion(now))
            .collect();
        let abr = &mut self.abr;
        if let Some(kbps) = abr.update(now, &signals) {
            log::info!(
                "adaptive bitrate: video target {kbps} kbps (congestion {:.0} %)",
                abr.congestion() * 100.0
            );
            if let Some((venc, factory)) = &self.built.venc {
                set_bitrate(venc, factory, kbps);
            }
        }
    }

    fn loop_clips(&self) {
        for clip in &self.built.clips {
            let Some(bus) = clip.bus() else { continue };
            while let Some(msg) = bus.pop() {
                match msg.view() {
                    gst::MessageView::Eos(_)
                        if clip
                            .seek_simple(
                                gst::SeekFlags::FLUSH | gst::SeekFlags::KEY_UNIT,
                                gst::ClockTime::ZERO,
                            )
                            .is_err() =>
                    {
                        log::warn!("a clip could not be rewound; it will stay on its last frame");
                    }
                    gst::MessageView::Error(e) => log::warn!(
                        "clip {}: {}",
                        clip.name(),
                        self.scrub(&e.error().to_string())
                    ),
                    _ => {}
                }
            }
        }
    }

    fn scrub(&self, text: &str) -> String {
        scrub_all(text, &self.secrets)
    }

    /// Writes a dot graph when `GST_DEBUG_DUMP_DOT_DIR` is set; element properties (which
    /// hold the stream key) are left out.
    fn dump_graph(&self, tag: &str) {
        if std::env::var_os("GST_DEBUG_DUMP_DOT_DIR").is_some() {
            let details = gst::DebugGraphDetails::MEDIA_TYPE
                | gst::DebugGraphDetails::CAPS_DETAILS
                | gst::DebugGraphDetails::STATES;
            self.built
                .pipeline
                .debug_to_dot_file_with_ts(details, format!("kaibo-{tag}"));
        }
    }
}

impl Drop for Engine {
    fn drop(&mut self) {
        let _ = self.built.pipeline.set_state(gst::State::Null);
        for clip in &self.built.clips {
            let _ = clip.set_state(gst::State::Null);
        }
    }
}
