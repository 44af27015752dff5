//! Ending a session: EOS first, wait for it at every output, then tear down.

use super::*;

impl Engine {
    /// Stops: EOS first, waits (at most `timeout`) for it to reach the outputs, then tears down.
    pub fn stop(&mut self, timeout: Duration) -> Summary {
        let failed = self.state == SessionState::Failed;
        if !failed {
            self.state = SessionState::Stopping;
        }
        self.dump_graph("stopping");
        let final_stats = self.snapshot();
        if failed {
            // Upstream may have stopped with the error: push EOS straight into each
            // recording so its muxer finalises the file.
            for o in &self.built.outputs {
                if let Output::Record(r) = o {
                    for pad in r.queues.iter().filter_map(|q| q.static_pad("sink")) {
                        pad.send_event(gst::event::Eos::new());
                    }
                }
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
        self.fail_unrecovered_links();
        let states = self.output_states();
        let outputs = self
            .output_stats(&states)
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
        for o in &mut self.built.outputs {
            match o {
                Output::Rtmp(link) => link.shutdown(),
                Output::Whip(link) => link.shutdown(),
                Output::Record(_) => {}
            }
        }
        let _ = self.built.pipeline.set_state(gst::State::Null);
        for clip in &self.built.clips {
            let _ = clip.set_state(gst::State::Null);
        }
        if !failed {
            self.state = SessionState::Stopped;
        }
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
    fn fail_unrecovered_links(&mut self) {
        for i in 0..self.built.outputs.len() {
            let Output::Rtmp(link) = &self.built.outputs[i] else {
                continue;
            };
            if self.failed[i] || !link.reconnecting() {
                continue;
            }
            let message = format!(
                "the connection to {} was lost ({}) and did not come back after {} reconnect attempts. Check the network and the server, then go live again",
                link.label.target,
                link.last_error.as_deref().unwrap_or("no reason given"),
                link.reconnects
            );
            self.failed[i] = true;
            self.failures.push(MediaError::Stream {
                kind: FailureKind::ConnectionLost,
                element: String::new(),
                message,
                detail: String::new(),
            });
        }
    }

    fn has_links(&self) -> bool {
        self.built
            .outputs
            .iter()
            .any(|o| matches!(o, Output::Rtmp(_) | Output::Whip(_)))
    }

    fn all_outputs_ended(&self) -> bool {
        self.built
            .outputs
            .iter()
            .zip(&self.failed)
            .enumerate()
            .all(|(i, (o, failed))| {
                *failed
                    || self.is_removed(i)
                    || match o {
                        Output::Record(r) => r.eos.load(Ordering::SeqCst),
                        Output::Rtmp(l) => l.finished(),
                        Output::Whip(l) => l.finished(),
                    }
            })
    }
}
