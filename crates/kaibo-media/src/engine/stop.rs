//! Ending a session: EOS first, wait for it at every output, then tear down.

use super::{Engine, EngineEvent, Step};
use gst::prelude::*;
use kaibo_model::{OutputState, SessionState, Summary};
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

impl Engine {
    /// Stops: EOS first, waits (at most `timeout`) for it to reach the outputs, then tears down.
    pub fn stop(&mut self, timeout: Duration) -> Summary {
        let failed = self.state == SessionState::Failed;
        self.advance(Step::Stop);
        self.dump_graph("stopping");
        let final_stats = self.snapshot();
        if failed {
            // Upstream may have stopped with the error: push EOS straight into each
            // recording so its muxer finalises the file.
            for slot in &self.slots {
                slot.output.end_at_input();
            }
        } else {
            self.built.pipeline.send_event(gst::event::Eos::new());
        }
        let deadline = Instant::now() + timeout;
        while Instant::now() < deadline && !self.all_outputs_ended() {
            match self.poll(Duration::from_millis(50)) {
                Some(EngineEvent::Failed(e) | EngineEvent::OutputFailed { error: e, .. }) => {
                    log::warn!("while stopping: {e}")
                }
                Some(EngineEvent::Finished) if !self.has_links() => break,
                _ => {}
            }
        }
        if !self.all_outputs_ended() {
            log::warn!(
                "stopping: not every output confirmed the end of stream within {} s",
                timeout.as_secs()
            );
        }
        self.fail_unrecovered();
        let outputs = self
            .output_stats()
            .into_iter()
            .map(|mut o| {
                if o.state != OutputState::Failed {
                    o.state = OutputState::Stopped;
                }
                // In the summary: the average over the session.
                o.kbps =
                    o.bytes_sent as f64 * 8.0 / 1000.0 / self.elapsed().as_secs_f64().max(0.001);
                o
            })
            .collect();
        for slot in &mut self.slots {
            slot.output.shutdown();
        }
        let _ = self.built.pipeline.set_state(gst::State::Null);
        for clip in &self.built.clips {
            let _ = clip.set_state(gst::State::Null);
        }
        self.advance(Step::Stopped);
        let c = &self.built.counters;
        let frames = c.frames_encoded.load(Ordering::Relaxed);
        // The stream's own length: encoded frames at the frame rate.
        let stream_s = (frames as f64 / f64::from(self.fps)).max(0.001);
        Summary {
            duration_s: self.elapsed().as_secs_f64(),
            frames_encoded: frames,
            frames_dropped: final_stats.frames_dropped.max(self.frames_dropped()),
            avg_video_kbps: c.video_bytes.load(Ordering::Relaxed) as f64 * 8.0 / 1000.0 / stream_s,
            reconnects: self.reconnects(),
            outputs,
        }
    }

    /// A destination still reconnecting when the session ends never came back: a failure.
    fn fail_unrecovered(&mut self) {
        for slot in &mut self.slots {
            if slot.failed {
                continue;
            }
            if let Some(error) = slot.output.unrecovered() {
                slot.failed = true;
                self.failures.push(error);
            }
        }
    }

    fn has_links(&self) -> bool {
        self.slots.iter().any(|s| s.output.is_link())
    }

    fn all_outputs_ended(&self) -> bool {
        self.slots
            .iter()
            .all(|s| s.failed || s.removed.is_some() || s.output.ended())
    }
}
