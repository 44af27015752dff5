//! The session's state machine. `SessionState` changes in [`Engine::advance`] only:
//!
//! ```text
//! Idle → Starting ─→ Live ⇄ Reconnecting ─→ Stopping → Stopped
//!           └──────────┴──────────┴──→ Failed
//! ```
//! Starting and stopping are steps of their own; after each turn of `poll` (and
//! `fail_start_timeout`) the outputs decide: Live once every working output publishes (a
//! preview session without outputs once pictures flow), Reconnecting while one waits to
//! reconnect, Failed when the pipeline failed or no output is left.

use super::{Engine, EngineEvent};
use kaibo_model::{OutputState, SessionState};
use std::sync::atomic::Ordering;

/// What moves the session on.
pub(super) enum Step<'a> {
    /// `start` began.
    Start,
    /// The pipeline refused to start.
    StartFailed,
    /// A turn of the session loop ended with these events.
    Turn(&'a [EngineEvent]),
    /// `stop` began.
    Stop,
    /// `stop` tore everything down.
    Stopped,
}

impl Engine {
    /// The one place the session's state changes.
    pub(super) fn advance(&mut self, step: Step) {
        use SessionState::{Failed, Starting, Stopped, Stopping};
        self.state = match step {
            Step::Start => Starting,
            Step::StartFailed => Failed,
            // A failed session stays failed to the end.
            Step::Stop | Step::Stopped if self.state == Failed => Failed,
            Step::Stop => Stopping,
            Step::Stopped => Stopped,
            Step::Turn(events) => self.after_turn(events),
        };
    }

    fn after_turn(&self, events: &[EngineEvent]) -> SessionState {
        use SessionState::{Failed, Live, Reconnecting, Starting, Stopping};
        match self.state {
            // What fails while stopping is logged there; the session still ends stopped.
            Stopping => return Stopping,
            _ if events.iter().any(|e| matches!(e, EngineEvent::Failed(_))) => return Failed,
            Starting | Live | Reconnecting => {}
            other => return other,
        }
        let working: Vec<OutputState> = self
            .slots
            .iter()
            .filter(|s| s.removed.is_none())
            .map(|s| s.state())
            .filter(|s| *s != OutputState::Failed)
            .collect();
        if working.contains(&OutputState::Reconnecting) {
            Reconnecting
        } else if !working.is_empty() && working.iter().all(|s| *s == OutputState::Live) {
            Live
        } else if working.is_empty()
            && self.preview
            && self.built.counters.frames_encoded.load(Ordering::Relaxed) > 0
        {
            // A preview session without outputs is running once pictures flow.
            Live
        } else {
            self.state
        }
    }
}
