//! Runs one live session: Idle → Starting → Live → Stopping → Stopped (or Failed).
//!
//! The engine is driven from one thread: `start`, then `poll` in a loop (bus messages,
//! at most `timeout` each), `snapshot` about once a second, and `stop`. Stopping sends EOS
//! first and waits for it to reach every sink, so recordings are finalised.

use crate::error::{FailureKind, MediaError, classify};
use crate::pipeline::{Built, Output, build};
use gst::prelude::*;
use kaibo_model::secret::scrub_all;
use kaibo_model::{
    OutputKind, OutputState, OutputStats, Secret, SessionPlan, SessionState, StatsSnapshot, Summary,
};
use std::sync::OnceLock;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

/// Bytes an RTMP output must have written before it counts as publishing: more than the
/// handshake (3,073 bytes) and connect/publish commands, so media is flowing.
const RTMP_LIVE_BYTES: u64 = 8 * 1024;

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
    /// The session cannot go on; call `stop` to finalise what can be.
    Failed(MediaError),
    /// Every source ended (only clips and tests end by themselves).
    Finished,
}

/// A live session's engine.
pub struct Engine {
    built: Built,
    state: SessionState,
    started_at: Option<Instant>,
    fps: u32,
    output_states: Vec<OutputState>,
    secrets: Vec<Secret>,
    last_sample: (Instant, u64, u64),
    rates: (f64, f64),
    failed_output: Option<usize>,
}

impl Engine {
    /// Builds the pipeline for `plan`; nothing runs yet.
    pub fn new(plan: &SessionPlan) -> Result<Self, MediaError> {
        init()?;
        plan.validate().map_err(MediaError::Invalid)?;
        let built = build(plan)?;
        let n = built.outputs.len();
        Ok(Self {
            built,
            state: SessionState::Idle,
            started_at: None,
            fps: plan.video.fps.max(1),
            output_states: vec![OutputState::Connecting; n],
            secrets: plan.secrets().into_iter().cloned().collect(),
            last_sample: (Instant::now(), 0, 0),
            rates: (0.0, 0.0),
            failed_output: None,
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

    /// Starts capture, encoding and every output.
    pub fn start(&mut self) -> Result<(), MediaError> {
        self.state = SessionState::Starting;
        let now = Instant::now();
        self.started_at = Some(now);
        self.last_sample = (now, 0, 0);
        for clip in &self.built.clips {
            clip.set_state(gst::State::Playing).map_err(|_| {
                MediaError::State("a clip could not be opened; check the file".into())
            })?;
        }
        if self.built.pipeline.set_state(gst::State::Playing).is_err() {
            // The bus holds the reason; surface it.
            let reason = self
                .poll(Duration::from_millis(500))
                .and_then(|e| match e {
                    EngineEvent::Failed(err) => Some(err),
                    _ => None,
                })
                .unwrap_or_else(|| {
                    MediaError::State("GStreamer refused to start the pipeline".into())
                });
            self.state = SessionState::Failed;
            return Err(reason);
        }
        Ok(())
    }

    /// Handles bus messages for at most `timeout`; returns the first that matters.
    pub fn poll(&mut self, timeout: Duration) -> Option<EngineEvent> {
        self.loop_clips();
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

    fn handle(&mut self, msg: &gst::Message) -> Option<EngineEvent> {
        use gst::MessageView;
        match msg.view() {
            MessageView::Error(err) => {
                let element = msg
                    .src()
                    .map(|s| s.path_string().to_string())
                    .unwrap_or_default();
                Some(EngineEvent::Failed(self.stream_error(
                    &element,
                    &err.error().to_string(),
                    err.debug().as_deref(),
                )))
            }
            MessageView::Warning(w) => {
                log::warn!(
                    "{}",
                    self.scrub(&format!(
                        "{}: {}",
                        msg.src()
                            .map(|s| s.path_string().to_string())
                            .unwrap_or_default(),
                        w.error()
                    ))
                );
                None
            }
            MessageView::Eos(_) => Some(EngineEvent::Finished),
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

    fn stream_error(&mut self, element: &str, text: &str, debug: Option<&str>) -> MediaError {
        let output = self.output_of(element);
        if let Some(i) = output {
            self.output_states[i] = OutputState::Failed;
            self.failed_output.get_or_insert(i);
        }
        let was_live = output
            .is_some_and(|i| self.built.outputs[i].bytes.load(Ordering::Relaxed) > RTMP_LIVE_BYTES)
            && output.is_some_and(|i| self.output_live(i));
        let label = output.map(|i| &self.built.outputs[i].label);
        let (kind, message) = classify(element, text, label, was_live);
        self.state = SessionState::Failed;
        self.dump_graph("error");
        MediaError::Stream {
            kind,
            element: element.to_owned(),
            message: self.scrub(&message),
            detail: self.scrub(&format!("{text} ({})", debug.unwrap_or_default())),
        }
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

    /// Marks the session failed because an output never started publishing.
    pub fn fail_start_timeout(&mut self, waited: Duration) -> MediaError {
        self.state = SessionState::Failed;
        let pending: Vec<String> = self
            .built
            .outputs
            .iter()
            .zip(&self.output_states)
            .filter(|(_, s)| **s != OutputState::Live)
            .map(|(o, _)| o.label.target.clone())
            .collect();
        MediaError::Stream {
            kind: FailureKind::Timeout,
            element: String::new(),
            message: format!(
                "could not start publishing to {} within {} s: the server did not accept the stream. Check the push URL, your network and firewall",
                pending.join(", "),
                waited.as_secs()
            ),
            detail: String::new(),
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
                    gst::MessageView::Error(e) => {
                        log::warn!(
                            "clip {}: {}",
                            clip.name(),
                            self.scrub(&e.error().to_string())
                        );
                    }
                    _ => {}
                }
            }
        }
    }

    fn output_live(&self, i: usize) -> bool {
        let out = &self.built.outputs[i];
        match out.kind {
            OutputKind::Rtmp => rtmp_bytes(out) >= RTMP_LIVE_BYTES,
            OutputKind::Record => out.bytes.load(Ordering::Relaxed) > 0,
        }
    }

    /// Figures since the last snapshot; moves Starting → Live once every output publishes.
    pub fn snapshot(&mut self) -> StatsSnapshot {
        for i in 0..self.built.outputs.len() {
            if self.output_states[i] == OutputState::Connecting && self.output_live(i) {
                self.output_states[i] = OutputState::Live;
            }
        }
        if self.state == SessionState::Starting
            && self.output_states.iter().all(|s| *s == OutputState::Live)
        {
            self.state = SessionState::Live;
        }
        let c = &self.built.counters;
        let frames = c.frames_encoded.load(Ordering::Relaxed);
        let bytes = c.video_bytes.load(Ordering::Relaxed);
        let (then, f0, b0) = self.last_sample;
        let dt = then.elapsed().as_secs_f64();
        if dt >= 0.25 {
            self.rates = (
                (frames - f0) as f64 / dt,
                (bytes - b0) as f64 * 8.0 / 1000.0 / dt,
            );
            self.last_sample = (Instant::now(), frames, bytes);
        }
        StatsSnapshot {
            state: self.state,
            elapsed_s: self.elapsed().as_secs_f64(),
            fps: self.rates.0,
            video_kbps: self.rates.1,
            frames_encoded: frames,
            frames_dropped: self.frames_dropped(),
            reconnects: 0,
            outputs: self.output_stats(),
        }
    }

    fn frames_dropped(&self) -> u64 {
        let missing = self.built.counters.frames_missing.load(Ordering::Relaxed);
        let leaked: u64 = self
            .built
            .outputs
            .iter()
            .map(|o| {
                let queued = o
                    .queues
                    .first()
                    .map(|q| u64::from(q.property::<u32>("current-level-buffers")))
                    .unwrap_or(0);
                o.video_in
                    .load(Ordering::Relaxed)
                    .saturating_sub(o.video_out.load(Ordering::Relaxed) + queued)
            })
            .sum();
        missing + leaked
    }

    fn output_stats(&self) -> Vec<OutputStats> {
        self.built
            .outputs
            .iter()
            .zip(&self.output_states)
            .map(|(o, state)| OutputStats {
                kind: o.kind,
                target: o.label.target.clone(),
                state: *state,
                bytes_sent: match o.kind {
                    OutputKind::Rtmp => rtmp_bytes(o),
                    OutputKind::Record => o.bytes.load(Ordering::Relaxed),
                },
            })
            .collect()
    }

    /// Stops: EOS first, waits (at most `timeout`) for it to reach the sinks, then tears down.
    pub fn stop(&mut self, timeout: Duration) -> Summary {
        let failed = self.state == SessionState::Failed;
        if !failed {
            self.state = SessionState::Stopping;
        }
        self.dump_graph("stopping");
        let final_stats = self.snapshot();
        let eos_targets: Vec<usize> = (0..self.built.outputs.len())
            .filter(|i| self.output_states[*i] != OutputState::Failed)
            .collect();
        if failed {
            // Upstream may have stopped with the error: push EOS straight into each healthy
            // output so its muxer finalises the file.
            for &i in &eos_targets {
                for q in &self.built.outputs[i].queues {
                    if let Some(pad) = q.static_pad("sink") {
                        pad.send_event(gst::event::Eos::new());
                    }
                }
            }
        } else {
            self.built.pipeline.send_event(gst::event::Eos::new());
        }
        let deadline = Instant::now() + timeout;
        let all_eos = |outputs: &[Output]| {
            eos_targets
                .iter()
                .all(|&i| outputs[i].eos.load(Ordering::SeqCst))
        };
        while Instant::now() < deadline && !all_eos(&self.built.outputs) {
            match self.poll(Duration::from_millis(50)) {
                Some(EngineEvent::Finished) => break,
                Some(EngineEvent::Failed(e)) => log::warn!("while stopping: {e}"),
                _ => {}
            }
        }
        if !all_eos(&self.built.outputs) {
            log::warn!(
                "stopping: not every output confirmed the end of stream within {} s",
                timeout.as_secs()
            );
        }
        let summary_stats = self.output_stats();
        let _ = self.built.pipeline.set_state(gst::State::Null);
        for clip in &self.built.clips {
            let _ = clip.set_state(gst::State::Null);
        }
        let duration_s = self.elapsed().as_secs_f64();
        let c = &self.built.counters;
        let bytes = c.video_bytes.load(Ordering::Relaxed);
        let frames = c.frames_encoded.load(Ordering::Relaxed);
        // The stream's own length: encoded frames at the frame rate.
        let stream_s = (frames as f64 / f64::from(self.fps)).max(0.001);
        if !failed {
            self.state = SessionState::Stopped;
        }
        let outputs = summary_stats
            .into_iter()
            .zip(&self.output_states)
            .map(|(mut o, state)| {
                o.state = if *state == OutputState::Failed {
                    OutputState::Failed
                } else {
                    OutputState::Stopped
                };
                o
            })
            .collect();
        Summary {
            duration_s,
            frames_encoded: frames,
            frames_dropped: final_stats.frames_dropped.max(self.frames_dropped()),
            avg_video_kbps: bytes as f64 * 8.0 / 1000.0 / stream_s,
            reconnects: 0,
            outputs,
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

fn rtmp_bytes(out: &Output) -> u64 {
    out.sink
        .property::<Option<gst::Structure>>("stats")
        .and_then(|s| s.get::<u64>("out-bytes-total").ok())
        .unwrap_or(0)
}
