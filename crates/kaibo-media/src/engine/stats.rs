//! The engine's figures: per-output stats and the session's snapshot.

use super::Engine;
use kaibo_model::{OutputStats, StatsSnapshot};
use std::sync::atomic::Ordering;
use std::time::Instant;

impl Engine {
    /// Figures since the last snapshot (the state as the last turn of `poll` left it).
    pub fn snapshot(&mut self) -> StatsSnapshot {
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
            for slot in &mut self.slots {
                let now = slot.output.bytes();
                let kbps = now.saturating_sub(slot.sample.0) as f64 * 8.0 / 1000.0 / dt;
                slot.sample = (now, kbps);
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
            outputs: self.output_stats(),
        }
    }

    pub(super) fn reconnects(&self) -> u32 {
        self.slots.iter().map(|s| s.output.reconnects()).sum()
    }

    /// Frames missing from the encoder's timeline plus the most any destination missed.
    pub(super) fn frames_dropped(&self) -> u64 {
        let missing = self.built.counters.frames_missing.load(Ordering::Relaxed);
        let worst_output = self
            .slots
            .iter()
            .map(|s| s.output.dropped_frames())
            .max()
            .unwrap_or(0);
        missing + worst_output
    }

    /// Every output still part of the session, as it is now.
    pub(super) fn output_stats(&self) -> Vec<OutputStats> {
        self.slots
            .iter()
            .filter(|s| s.removed.is_none())
            .map(|s| OutputStats {
                kind: s.output.kind(),
                target: s.output.label().target.clone(),
                state: s.state(),
                bytes_sent: s.output.bytes(),
                kbps: s.sample.1,
                reconnects: s.output.reconnects(),
            })
            .collect()
    }
}
