//! Runs one live session: Idle → Starting → Live ⇄ Reconnecting → Stopping → Stopped (or Failed).
//!
//! The engine is driven from one thread: `start`, then `poll` in a loop (bus messages and
//! destination links, at most `timeout` each), `snapshot` about once a second, and `stop`.
//! Stopping sends EOS first and waits for it to reach every output, so recordings are
//! finalised and servers see the stream end.

use crate::abr::{Abr, LinkSignal};
use crate::encoder::set_bitrate;
use crate::error::{FailureKind, MediaError, classify};
use crate::pipeline::{Built, Output, build};
use crate::rtmp_link::{LinkEvent, LinkState};
use gst::prelude::*;
use kaibo_model::scene::{MAX_GAIN_DB, MIN_GAIN_DB};
use kaibo_model::secret::scrub_all;
use kaibo_model::{
    AudioLevel, Monitor, OutputKind, OutputState, OutputStats, Secret, SessionPlan, SessionState,
    StatsSnapshot, Summary, Transition,
};
use std::sync::Arc;
use std::sync::OnceLock;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

mod hot;
mod stats;
mod stop;

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

/// Something the caller should react to.
#[derive(Debug)]
pub enum EngineEvent {
    /// The session cannot go on (every output failed, or the pipeline did); call `stop`.
    Failed(MediaError),
    /// One output failed for good; the others go on.
    OutputFailed { target: String, error: MediaError },
    /// A destination dropped and is retried.
    Reconnecting {
        target: String,
        attempt: u32,
        in_s: f64,
        reason: String,
    },
    /// Every source ended (only clips and tests end by themselves).
    Finished,
    /// [`Waker::wake`] was called: a command is waiting.
    Woken,
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
    failed: Vec<bool>,
    /// When each output was removed from the running session (see `hot`).
    removed: Vec<Option<Instant>>,
    /// When each output started and has yet to be checked for having started publishing:
    /// set by `start` and by `add_output`, taken by `fail_start_timeout`.
    unchecked_since: Vec<Option<Instant>>,
    /// A preview session runs on when its outputs fail or are removed.
    preview: bool,
    failures: Vec<MediaError>,
    secrets: Vec<Secret>,
    last_sample: (Instant, u64, u64),
    rates: (f64, f64),
    /// Bytes each output had sent at the last sample, and its rate since the one before.
    output_sample: Vec<(u64, f64)>,
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
        let built = build(plan, monitor)?;
        let n = built.outputs.len();
        Ok(Self {
            built,
            state: SessionState::Idle,
            started_at: None,
            fps: plan.video.fps.max(1),
            canvas: (plan.video.width, plan.video.height),
            failed: vec![false; n],
            removed: vec![None; n],
            unchecked_since: vec![None; n],
            preview: plan.preview.is_some(),
            failures: Vec::new(),
            secrets: plan.secrets().into_iter().cloned().collect(),
            last_sample: (Instant::now(), 0, 0),
            rates: (0.0, 0.0),
            output_sample: vec![(0, 0.0); n],
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
        self.state = SessionState::Starting;
        let now = Instant::now();
        self.started_at = Some(now);
        self.unchecked_since.fill(Some(now));
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
            self.state = SessionState::Failed;
            return Err(reason);
        }
        let clock = pipeline.clock().unwrap_or_else(gst::SystemClock::obtain);
        let base_time = pipeline.base_time().unwrap_or(gst::ClockTime::ZERO);
        for output in &mut self.built.outputs {
            match output {
                Output::Rtmp(link) => link.start(clock.clone(), base_time)?,
                Output::Whip(link) => link.start(clock.clone(), base_time)?,
                Output::Record(_) => {}
            }
        }
        Ok(())
    }

    /// Handles links and bus messages for at most `timeout`; returns the first that matters.
    pub fn poll(&mut self, timeout: Duration) -> Option<EngineEvent> {
        self.loop_clips();
        self.finish_removals();
        self.adapt_bitrate();
        if let Some(event) = self.service_links() {
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

    /// Samples the live links about twice a second and retunes the encoder when asked.
    fn adapt_bitrate(&mut self) {
        let now = Instant::now();
        if now.duration_since(self.abr_sampled) < ABR_INTERVAL {
            return;
        }
        self.abr_sampled = now;
        let signals: Vec<LinkSignal> = self
            .built
            .outputs
            .iter_mut()
            .filter_map(|o| {
                if let Output::Rtmp(l) = o {
                    l.signal(now)
                } else {
                    None
                }
            })
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

    fn service_links(&mut self) -> Option<EngineEvent> {
        let secrets = self.secrets.clone();
        let scrub = move |t: &str| scrub_all(t, &secrets);
        for i in 0..self.built.outputs.len() {
            let event = match &mut self.built.outputs[i] {
                Output::Rtmp(link) => link.service(&scrub),
                Output::Whip(link) => link.service(&scrub),
                Output::Record(_) => None,
            };
            let Some(event) = event else {
                continue;
            };
            match event {
                LinkEvent::Failed(error) => return Some(self.output_failed(i, error)),
                LinkEvent::Reconnecting {
                    attempt,
                    in_s,
                    reason,
                } => {
                    return Some(EngineEvent::Reconnecting {
                        target: self.built.outputs[i].label().target.clone(),
                        attempt,
                        in_s,
                        reason,
                    });
                }
                LinkEvent::Finished => {}
            }
        }
        None
    }

    /// Records an output's failure; the session fails only when no output is left.
    fn output_failed(&mut self, i: usize, error: MediaError) -> EngineEvent {
        if self.is_removed(i) {
            // Its end was asked for: what goes wrong while it is torn down does not matter.
            log::info!("a removed output ended with: {error}");
            return EngineEvent::Woken;
        }
        self.failed[i] = true;
        let target = self.built.outputs[i].label().target.clone();
        let left = (0..self.failed.len()).any(|j| !self.failed[j] && !self.is_removed(j));
        if !left && !self.preview {
            self.state = SessionState::Failed;
            self.dump_graph("error");
            return EngineEvent::Failed(error);
        }
        self.failures.push(MediaError::Stream {
            kind: error.kind(),
            element: String::new(),
            message: error.to_string(),
            detail: String::new(),
        });
        EngineEvent::OutputFailed { target, error }
    }

    fn handle(&mut self, msg: &gst::Message) -> Option<EngineEvent> {
        use gst::MessageView;
        match msg.view() {
            MessageView::Error(err) => {
                let element = msg
                    .src()
                    .map(|s| s.path_string().to_string())
                    .unwrap_or_default();
                let text = err.error().to_string();
                let output = self.output_of(&element);
                let label = output.map(|i| self.built.outputs[i].label().clone());
                let (kind, message) = classify(&element, &text, label.as_ref(), false);
                let error = MediaError::Stream {
                    kind,
                    element,
                    message: self.scrub(&message),
                    detail: self.scrub(&format!("{text} ({})", err.debug().unwrap_or_default())),
                };
                match output {
                    Some(i) => Some(self.output_failed(i, error)),
                    None => {
                        self.state = SessionState::Failed;
                        self.dump_graph("error");
                        Some(EngineEvent::Failed(error))
                    }
                }
            }
            MessageView::Warning(w) => {
                let from = msg
                    .src()
                    .map(|s| s.path_string().to_string())
                    .unwrap_or_default();
                log::warn!("{}", self.scrub(&format!("{from}: {}", w.error())));
                None
            }
            MessageView::Eos(_) => Some(EngineEvent::Finished),
            MessageView::Application(_) => Some(EngineEvent::Woken),
            MessageView::Element(e) => {
                self.meter(msg, e.structure()?);
                None
            }
            MessageView::Latency(_) => {
                let _ = self.built.pipeline.recalculate_latency();
                None
            }
            MessageView::StateChanged(s) if msg.src() == Some(self.built.pipeline.upcast_ref()) => {
                if s.current() == gst::State::Playing {
                    self.dump_graph("playing");
                }
                None
            }
            _ => None,
        }
    }

    /// Passes a `level` reading on to the monitor.
    fn meter(&self, msg: &gst::Message, s: &gst::StructureRef) {
        let (Some(monitor), Some(src)) = (&self.built.monitor, msg.src()) else {
            return;
        };
        let Some(source) = self.built.meters.get(src.name().as_str()) else {
            return;
        };
        let loudest = |field: &str| -> f64 {
            s.get::<gst::glib::ValueArray>(field)
                .ok()
                .and_then(|values| {
                    values
                        .iter()
                        .filter_map(|v| v.get::<f64>().ok())
                        .reduce(f64::max)
                })
                .unwrap_or(f64::NEG_INFINITY)
                .max(-100.0)
        };
        monitor.put_level(AudioLevel {
            source: source.clone(),
            rms_db: loudest("rms"),
            peak_db: loudest("peak"),
        });
    }

    /// Which output an element belongs to, from its name `outN-…`.
    fn output_of(&self, element_path: &str) -> Option<usize> {
        let name = element_path.rsplit(':').next()?;
        let rest = name.strip_prefix("out")?;
        let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
        digits
            .parse()
            .ok()
            .filter(|i| *i < self.built.outputs.len())
    }

    /// Fails the outputs that have not started publishing `waited` after each of them
    /// started: with the session, or later when added to it. Each output is checked once;
    /// call this on every turn of the session loop.
    pub fn fail_start_timeout(&mut self, waited: Duration) -> Vec<EngineEvent> {
        let states = self.output_states();
        let mut pending = Vec::new();
        for (i, since) in self.unchecked_since.iter_mut().enumerate() {
            if since.is_some_and(|t| t.elapsed() >= waited) {
                *since = None;
                if states[i] == OutputState::Connecting {
                    pending.push(i);
                }
            }
        }
        let mut events = Vec::new();
        for i in pending {
            let target = self.built.outputs[i].label().target.clone();
            let secs = waited.as_secs();
            let message = match &mut self.built.outputs[i] {
                Output::Record(_) => format!(
                    "the recording {target} wrote nothing within {secs} s. Check that the recording folder is writable and the disk has room, then record again"
                ),
                Output::Rtmp(link) => {
                    link.abandon();
                    not_accepted(&target, secs)
                }
                Output::Whip(link) => {
                    link.abandon();
                    not_accepted(&target, secs)
                }
            };
            let error = MediaError::Stream {
                kind: FailureKind::Timeout,
                element: String::new(),
                message,
                detail: String::new(),
            };
            events.push(self.output_failed(i, error));
        }
        events
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

/// Why a stream that never started publishing failed.
fn not_accepted(target: &str, secs: u64) -> String {
    format!(
        "could not start publishing to {target} within {secs} s: the server did not accept the stream. Check the push URL, your network and firewall"
    )
}
