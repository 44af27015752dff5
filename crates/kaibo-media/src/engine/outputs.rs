//! The engine's list of output slots: following the outputs, their failures, and the start
//! timeout. An output keeps its slot (and index) when it fails or is removed.

use super::{Engine, EngineEvent};
use crate::error::{FailureKind, MediaError};
use crate::output::Output;
use kaibo_model::OutputState;
use kaibo_model::secret::scrub_all;
use std::time::{Duration, Instant};

/// One output and what the engine keeps about it.
pub(super) struct Slot {
    pub output: Box<dyn Output>,
    /// It failed for good.
    pub failed: bool,
    /// When it was removed from the running session (see `hot`).
    pub removed: Option<Instant>,
    /// When it started and has yet to be checked for having started publishing: set by
    /// `start` and by `add_output`, taken by `fail_start_timeout`.
    pub unchecked_since: Option<Instant>,
    /// Bytes it had sent at the last sample, and its rate since the one before.
    pub sample: (u64, f64),
}

impl Slot {
    pub fn new(output: Box<dyn Output>) -> Self {
        Self {
            output,
            failed: false,
            removed: None,
            unchecked_since: None,
            sample: (0, 0.0),
        }
    }

    pub fn state(&self) -> OutputState {
        if self.failed {
            OutputState::Failed
        } else if self.removed.is_some() {
            OutputState::Stopped
        } else {
            self.output.state()
        }
    }
}

impl Engine {
    /// Follows every output; returns the first event that matters.
    pub(super) fn service_outputs(&mut self) -> Option<EngineEvent> {
        let secrets = self.secrets.clone();
        let scrub = move |t: &str| scrub_all(t, &secrets);
        for i in 0..self.slots.len() {
            match self.slots[i].output.service(&scrub) {
                Some(EngineEvent::OutputFailed { error, .. }) => {
                    return Some(self.output_failed(i, error));
                }
                Some(event) => return Some(event),
                None => {}
            }
        }
        None
    }

    /// Records an output's failure; the session fails only when no output is left.
    pub(super) fn output_failed(&mut self, i: usize, error: MediaError) -> EngineEvent {
        if self.is_removed(i) {
            // Its end was asked for: what goes wrong while it is torn down does not matter.
            log::info!("a removed output ended with: {error}");
            return EngineEvent::Woken;
        }
        self.slots[i].failed = true;
        let target = self.slots[i].output.label().target.clone();
        let left = self.slots.iter().any(|s| !s.failed && s.removed.is_none());
        if !left && !self.preview {
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

    /// True when output `i` was removed by [`Engine::remove_output`].
    pub(super) fn is_removed(&self, i: usize) -> bool {
        self.slots.get(i).is_some_and(|s| s.removed.is_some())
    }

    /// Fails the outputs that have not started publishing `waited` after each of them
    /// started: with the session, or later when added to it. Each output is checked once;
    /// call this on every turn of the session loop.
    pub fn fail_start_timeout(&mut self, waited: Duration) -> Vec<EngineEvent> {
        let mut pending = Vec::new();
        for (i, slot) in self.slots.iter_mut().enumerate() {
            if slot.unchecked_since.is_some_and(|t| t.elapsed() >= waited) {
                slot.unchecked_since = None;
                if slot.state() == OutputState::Connecting {
                    pending.push(i);
                }
            }
        }
        let mut events = Vec::new();
        for i in pending {
            let message = self.slots[i].output.give_up(waited);
            let error = MediaError::Stream {
                kind: FailureKind::Timeout,
                element: String::new(),
                message,
                detail: String::new(),
            };
            events.push(self.output_failed(i, error));
        }
        self.advance(super::Step::Turn(&events));
        events
    }
}
