//! The live session behind the window: starting and restarting it, the stream and the recording joining and leaving, its events,
//! the preview pictures it is asked for and the mixer.

use super::{Level, Studio};
use kaibo_model::{
    AudioLevel, Command, Event, Monitor, OutputSpec, PreviewFormat, Scene, SessionState,
    SourceKind, StatsSnapshot, Transition,
};
use kaibo_runtime::LiveHandle;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// How long edits settle before the preview session is rebuilt.
const REBUILD_AFTER: Duration = Duration::from_millis(300);

/// Which outputs the session runs besides the preview.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(super) struct Outputs {
    pub live: bool,
    pub record: bool,
}

/// The session's part of the studio.
pub(super) struct Session {
    /// False: no session runs (panel snapshots and tests).
    pub enabled: bool,
    pub handle: Option<LiveHandle>,
    pub running: Outputs,
    pub wanted: Outputs,
    /// Set when the scenes changed in a way the running session cannot follow.
    rebuild_at: Option<Instant>,
    /// While on air, structural edits wait for the host to apply them.
    pub pending_apply: bool,
    /// The last attempt failed; wait for a change before trying again.
    blocked: bool,
    state: SessionState,
    stats: Option<StatsSnapshot>,
    pub live_since: Option<Instant>,
    pub recording_path: Option<PathBuf>,
    /// The stream's target as the session names it (key masked).
    pub live_target: Option<String>,
    /// The preview pictures the window wants, once it said so.
    pub preview_format: Option<PreviewFormat>,
    /// The first session waits for the window's preview format (a real window's first pass).
    wait_for_format: bool,
    /// The preview session is stopped while the checklist opens the devices.
    pub preview_held: bool,
}

impl Default for Session {
    fn default() -> Self {
        Self {
            enabled: true,
            handle: None,
            running: Outputs::default(),
            wanted: Outputs::default(),
            rebuild_at: None,
            pending_apply: false,
            blocked: false,
            state: SessionState::Idle,
            stats: None,
            live_since: None,
            recording_path: None,
            live_target: None,
            preview_format: None,
            wait_for_format: false,
            preview_held: false,
        }
    }
}

impl Studio {
    /// The session state as last reported.
    pub fn state(&self) -> SessionState {
        self.live.state
    }

    /// Whether the stream runs (or is starting).
    pub fn is_live(&self) -> bool {
        self.live.running.live
    }

    /// Whether the host asked to be on air (the stream may still be starting).
    pub fn wants_live(&self) -> bool {
        self.live.wanted.live
    }

    /// Whether the host asked for the recording.
    pub fn wants_record(&self) -> bool {
        self.live.wanted.record
    }

    /// The session's latest stats.
    pub fn stats(&self) -> Option<&StatsSnapshot> {
        self.live.stats.as_ref()
    }

    /// When the stream went on air.
    pub fn live_since(&self) -> Option<Instant> {
        self.live.live_since
    }

    /// Where the recording goes.
    pub fn recording_path(&self) -> Option<&PathBuf> {
        self.live.recording_path.as_ref()
    }

    /// Scene edits wait for the host to apply them (the session is on air).
    pub fn pending_apply(&self) -> bool {
        self.live.pending_apply
    }

    /// The preview is paused while the checklist tests the devices.
    pub fn preview_held(&self) -> bool {
        self.live.preview_held
    }

    /// The running session's preview pictures and levels.
    pub fn monitor(&self) -> Option<Arc<Monitor>> {
        self.live.handle.as_ref().and_then(|s| s.monitor()).cloned()
    }

    /// Latest sound levels, by source key.
    pub fn levels(&self) -> Vec<AudioLevel> {
        self.monitor().map(|m| m.levels()).unwrap_or_default()
    }

    /// The preview pictures the window last asked for.
    pub fn preview_format(&self) -> Option<PreviewFormat> {
        self.live.preview_format
    }

    /// The first session waits until the window says which preview pictures it wants (its
    /// preview area's size, laid out in the first pass), so its first pictures fit.
    pub fn wait_for_preview_format(&mut self) {
        self.live.wait_for_format = true;
    }

    /// The stream or the recording runs.
    pub(super) fn on_air(&self) -> bool {
        self.live.running.live || self.live.running.record
    }

    /// The scenes changed in a way that needs the session rebuilt: saved now, rebuilt soon
    /// (while on air, only when the host applies it).
    pub(super) fn scenes_changed(&mut self) {
        self.save_scenes();
        self.live.blocked = false;
        if self.on_air() {
            self.live.pending_apply = true;
        } else {
            self.live.rebuild_at = Some(Instant::now() + REBUILD_AFTER);
        }
    }

    /// Rebuilds the session now with the current scenes (the stream restarts briefly).
    pub(super) fn apply_now(&mut self) {
        self.live.pending_apply = false;
        self.live.blocked = false;
        self.live.rebuild_at = Some(Instant::now());
    }

    pub(super) fn send_switch(&mut self, index: usize, transition: Transition) {
        if self.live.rebuild_at.is_some() {
            // The session being rebuilt starts on the active scene.
            return;
        }
        if let Some(s) = &self.live.handle {
            s.send(Command::SwitchScene { index, transition });
        }
    }

    /// Go Live (through the checklist gate) or stop streaming.
    pub(super) fn set_live(&mut self, live: bool) {
        if live && let Err(e) = self.destination() {
            self.notify(Level::Error, e);
            self.windows.settings = true;
            return;
        }
        if live && !self.live.wanted.live && !self.check_gate() {
            return;
        }
        self.live.wanted.live = live;
        self.live.blocked = false;
    }

    /// On air without asking the checklist (it passed, or the host chose to go anyway).
    pub(super) fn go_live_now(&mut self) {
        if let Err(e) = self.destination() {
            self.notify(Level::Error, e);
            self.windows.settings = true;
            return;
        }
        self.live.wanted.live = true;
        self.live.blocked = false;
    }

    pub(super) fn set_recording(&mut self, record: bool) {
        self.live.wanted.record = record;
        self.live.blocked = false;
    }

    /// Stops the preview session while the checklist tests the devices (it holds the camera
    /// and the microphone); when the stream or the recording runs, it is left alone.
    pub(super) fn hold_preview(&mut self) {
        if self.on_air() || !self.live.enabled {
            return;
        }
        self.live.preview_held = true;
        self.stop_session();
        self.retarget_hub();
    }

    pub(super) fn stop_session(&mut self) {
        if let Some(old) = self.live.handle.take() {
            drop(old);
            self.read_ended();
        }
    }

    /// Starts, rebuilds or re-outputs the session as the host wants it.
    pub(super) fn keep_session(&mut self) {
        let s = &self.live;
        let due = s.rebuild_at.is_some_and(|t| Instant::now() >= t);
        // While the checklist holds the devices the preview waits, unless the host starts
        // recording meanwhile.
        let held = s.preview_held && s.wanted == Outputs::default();
        let laid_out = !s.wait_for_format || s.preview_format.is_some();
        if !s.enabled || s.blocked || held || !laid_out {
            return;
        }
        if s.handle.is_none() || due {
            self.restart();
        } else if s.running != s.wanted {
            self.sync_outputs();
        }
    }

    /// Starts or ends the stream or the recording. While the session encodes for one of
    /// them, the other joins or leaves without touching it; from or to preview only, the
    /// session is rebuilt (nothing is on air then).
    fn sync_outputs(&mut self) {
        let (wanted, running) = (self.live.wanted, self.live.running);
        if !(running.live || running.record) || !(wanted.live || wanted.record) {
            return self.restart();
        }
        let mut commands = Vec::new();
        if wanted.live != running.live {
            if wanted.live {
                match self.destination() {
                    Ok(d) => {
                        self.live.live_target = Some(d.redacted());
                        self.live.live_since = Some(Instant::now());
                        commands.push(Command::AddOutput(OutputSpec::Rtmp(d)));
                    }
                    Err(e) => {
                        self.live.wanted.live = false;
                        self.notify(Level::Error, e);
                    }
                }
            } else if let Some(target) = self.live.live_target.take() {
                self.live.live_since = None;
                commands.push(Command::RemoveOutput { target });
            }
        }
        if wanted.record != running.record {
            if wanted.record {
                let path = self.recording_file();
                self.live.recording_path = Some(path.clone());
                commands.push(Command::AddOutput(OutputSpec::Record(path)));
            } else if let Some(path) = &self.live.recording_path {
                commands.push(Command::RemoveOutput {
                    target: path.display().to_string(),
                });
            }
        }
        if let Some(session) = &self.live.handle {
            for c in commands {
                session.send(c);
            }
        }
        self.live.running = self.live.wanted;
    }

    fn restart(&mut self) {
        self.live.rebuild_at = None;
        // Stop the old session first: it holds the capture devices the new one opens.
        self.stop_session();
        if self.collection.scenes.is_empty() {
            self.collection.scenes.push(Scene {
                name: self.tr().t("Scene 1", "场景 1").into(),
                sources: vec![],
            });
        }
        let plan = match self.plan() {
            Ok(p) => p,
            Err(e) => return self.give_up(e),
        };
        match LiveHandle::spawn(plan) {
            Ok(h) => {
                let s = &mut self.live;
                if s.wanted.live && !s.running.live {
                    s.live_since = Some(Instant::now());
                }
                if !s.wanted.live {
                    s.live_since = None;
                }
                s.running = s.wanted;
                s.handle = Some(h);
                s.state = SessionState::Starting;
            }
            Err(e) => self.give_up(format!("could not start the session thread: {e}")),
        }
        // The hub's panels go to the new session (or to none when it did not start).
        self.retarget_hub();
    }

    /// A sender to the running session, for the hub's panels.
    pub(super) fn session_sender(&self) -> Option<kaibo_runtime::Sender> {
        self.live.handle.as_ref().map(LiveHandle::sender)
    }

    fn give_up(&mut self, error: String) {
        self.notify(Level::Error, error);
        let s = &mut self.live;
        s.blocked = true;
        s.wanted = Outputs::default();
        s.running = Outputs::default();
        s.live_since = None;
        s.state = SessionState::Failed;
    }

    fn read_ended(&mut self) {
        self.live.stats = None;
        self.live.state = SessionState::Stopped;
    }

    pub(super) fn read_session_events(&mut self) {
        let mut ended = None;
        while let Some(event) = self.live.handle.as_ref().and_then(LiveHandle::try_event) {
            match event {
                Event::State(s) => self.live.state = s,
                Event::Stats(s) => {
                    self.live.state = s.state;
                    self.live.stats = Some(s);
                }
                Event::Notice(text) => self.notify(Level::Warn, text),
                Event::OutputFailed { target, failure } => {
                    // The failed output is over; the session (and the other output) goes on.
                    let s = &mut self.live;
                    if s.live_target.as_deref() == Some(target.as_str()) {
                        s.live_target = None;
                        s.live_since = None;
                        (s.wanted.live, s.running.live) = (false, false);
                    }
                    let recording = s.recording_path.as_ref().map(|p| p.display().to_string());
                    if recording.as_deref() == Some(target.as_str()) {
                        (s.wanted.record, s.running.record) = (false, false);
                    }
                    let text = crate::i18n::failure_text(self.tr(), &failure);
                    self.notify(Level::Error, format!("{target}: {text}"));
                }
                Event::Reconnecting {
                    target,
                    attempt,
                    in_s,
                    ..
                } => {
                    let text = match self.tr().lang() {
                        kaibo_model::Language::Zh => {
                            format!("{target}：{in_s:.0} 秒后重连（第 {attempt} 次）")
                        }
                        kaibo_model::Language::En => {
                            format!("{target}: reconnecting in {in_s:.0} s (attempt {attempt})")
                        }
                    };
                    self.notify(Level::Warn, text);
                }
                Event::Ended { failure, .. } => {
                    ended = Some(failure);
                    break;
                }
            }
        }
        if let Some(failure) = ended {
            self.live.handle = None;
            self.retarget_hub();
            self.read_ended();
            if let Some(f) = failure {
                // A failed stream or recording is not retried on its own; the preview is.
                self.notify(Level::Error, crate::i18n::failure_text(self.tr(), &f));
                let s = &mut self.live;
                s.wanted = Outputs::default();
                s.live_since = None;
                if s.running == Outputs::default() {
                    s.blocked = true;
                }
                s.running = Outputs::default();
            }
        }
    }

    /// Wants preview pictures in `format`: the running session is asked once per change, and
    /// each new session starts with them, so its first pictures already fit.
    pub(super) fn set_preview_format(&mut self, format: PreviewFormat) {
        if self.live.preview_format == Some(format) {
            return;
        }
        if let Some(s) = &self.live.handle {
            s.send(Command::SetPreviewFormat(format));
        }
        self.live.preview_format = Some(format);
    }

    /// Sends a gain/mute change to the session (no rebuild).
    pub(super) fn send_audio(&self, source: &SourceKind, gain_db: f64, muted: bool) {
        if let Some(s) = &self.live.handle {
            s.send(Command::SetAudio {
                source: source.key(),
                gain_db,
                muted,
            });
        }
    }
}
