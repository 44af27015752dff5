//! The engine's figures: per-output states and stats, and the session's snapshot.

use super::*;

impl Engine {
    pub(super) fn output_states(&self) -> Vec<OutputState> {
        self.built
            .outputs
            .iter()
            .zip(&self.failed)
            .zip(&self.removed)
            .map(|((o, failed), removed)| {
                if *failed {
                    return OutputState::Failed;
                }
                if removed.is_some() {
                    return OutputState::Stopped;
                }
                match o {
                    Output::Record(r) if r.bytes.load(Ordering::Relaxed) > 0 => OutputState::Live,
                    Output::Record(_) => OutputState::Connecting,
                    Output::Rtmp(link) => link_state(link.state),
                    Output::Whip(link) => link_state(link.state),
                }
            })
            .collect()
    }

    /// Figures since the last snapshot; moves between Starting, Live and Reconnecting.
    pub fn snapshot(&mut self) -> StatsSnapshot {
        let states = self.output_states();
        let working: Vec<OutputState> = states
            .iter()
            .enumerate()
            .filter(|(i, s)| **s != OutputState::Failed && !self.is_removed(*i))
            .map(|(_, s)| *s)
            .collect();
        if matches!(
            self.state,
            SessionState::Starting | SessionState::Live | SessionState::Reconnecting
        ) {
            if working.contains(&OutputState::Reconnecting) {
                self.state = SessionState::Reconnecting;
            } else if !working.is_empty() && working.iter().all(|s| *s == OutputState::Live) {
                self.state = SessionState::Live;
            } else if working.is_empty()
                && self.preview
                && self.built.counters.frames_encoded.load(Ordering::Relaxed) > 0
            {
                // A preview session without outputs is running once pictures flow.
                self.state = SessionState::Live;
            }
        }
        let c = &self.built.counters;
        let frames = c.frames_encoded.load(Ordering::Relaxed);
        let bytes = c.video_bytes.load(Ordering::Relaxed);
        let (then, f0, b0) = self.last_sample;
        let dt = then.elapsed().as_secs_f64();
        if dt >= 0.2 {
            self.rates = (
                (frames - f0) as f64 / dt,
                (bytes - b0) as f64 * 8.0 / 1000.0 / dt,
            );
            self.last_sample = (Instant::now(), frames, bytes);
            // Each output's rate since the previous sample (the progress line and the UI).
            for (o, sample) in self.built.outputs.iter().zip(&mut self.output_sample) {
                let now = output_bytes(o);
                *sample = (now, now.saturating_sub(sample.0) as f64 * 8.0 / 1000.0 / dt);
            }
        }
        StatsSnapshot {
            state: self.state,
            elapsed_s: self.elapsed().as_secs_f64(),
            fps: self.rates.0,
            video_kbps: self.rates.1,
            frames_encoded: frames,
            frames_dropped: self.frames_dropped(),
            reconnects: self.reconnects(),
            target_kbps: self.abr.adapts().then(|| self.abr.target_kbps()),
            congestion: self.abr.congestion(),
            queue_s: self.abr.backlog_s(),
            outputs: self.output_stats(&states),
        }
    }

    pub(super) fn reconnects(&self) -> u32 {
        self.built
            .outputs
            .iter()
            .map(|o| match o {
                Output::Rtmp(l) => l.reconnects,
                Output::Whip(l) => l.reconnects,
                Output::Record(_) => 0,
            })
            .sum()
    }

    /// Frames missing from the encoder's timeline plus the most any destination missed.
    pub(super) fn frames_dropped(&self) -> u64 {
        let missing = self.built.counters.frames_missing.load(Ordering::Relaxed);
        let worst_output = self
            .built
            .outputs
            .iter()
            .map(|o| match o {
                Output::Rtmp(l) => l.dropped_frames(),
                Output::Whip(l) => l.dropped_frames(),
                Output::Record(_) => 0,
            })
            .max()
            .unwrap_or(0);
        missing + worst_output
    }

    pub(super) fn output_stats(&self, states: &[OutputState]) -> Vec<OutputStats> {
        self.built
            .outputs
            .iter()
            .zip(states)
            .zip(&self.output_sample)
            .enumerate()
            .filter(|(i, _)| !self.is_removed(*i))
            .map(|(_, ((o, state), sample))| {
                let (kind, reconnects) = match o {
                    Output::Rtmp(l) => (OutputKind::Rtmp, l.reconnects),
                    Output::Whip(l) => (OutputKind::Whip, l.reconnects),
                    Output::Record(_) => (OutputKind::Record, 0),
                };
                OutputStats {
                    kind,
                    target: o.label().target.clone(),
                    state: *state,
                    bytes_sent: output_bytes(o),
                    kbps: sample.1,
                    reconnects,
                }
            })
            .collect()
    }
}

/// Bytes an output has written (to the server, or to the file).
pub(super) fn output_bytes(o: &Output) -> u64 {
    match o {
        Output::Rtmp(l) => l.bytes(),
        Output::Whip(l) => l.bytes(),
        Output::Record(r) => r.bytes.load(Ordering::Relaxed),
    }
}

pub(super) fn link_state(state: LinkState) -> OutputState {
    match state {
        LinkState::Connecting => OutputState::Connecting,
        LinkState::Live => OutputState::Live,
        LinkState::Waiting => OutputState::Reconnecting,
        LinkState::Stopped => OutputState::Stopped,
        LinkState::Failed => OutputState::Failed,
    }
}
