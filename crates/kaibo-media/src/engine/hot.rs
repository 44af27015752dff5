//! Outputs added to and removed from a running session, while the others go on: Record
//! toggled during a live stream, or the stream stopped while the recording continues.
//!
//! A new output joins the tees and starts at the encoder's next keyframe (at most one
//! keyframe interval), so the exact keyframe cadence of the running outputs is kept. A
//! removed output is cut from the tees when they are idle, gets its own end of stream (the
//! recording is finalised, the server sees the stream end) and is torn down once that
//! arrived.

use super::Engine;
use crate::error::MediaError;
use crate::pipeline::{Output, add_output};
use gst::prelude::*;
use kaibo_model::OutputSpec;
use std::time::{Duration, Instant};

/// How long a removed output may take to finish before it is torn down anyway.
const REMOVE_TIMEOUT: Duration = Duration::from_secs(5);

impl Engine {
    /// Adds an output to the running session. The session must already encode (it was
    /// started with at least one output); otherwise start a new session with the output.
    pub fn add_output(&mut self, spec: &OutputSpec) -> Result<(), MediaError> {
        let pipeline = self.built.pipeline.clone();
        let (Some(vtee), Some(atee)) = (pipeline.by_name("vtee"), pipeline.by_name("atee")) else {
            return Err(MediaError::State(
                "this session encodes nothing yet: start a new session with the output".into(),
            ));
        };
        if let OutputSpec::Rtmp(d) = spec {
            self.secrets.push(d.key.clone());
        }
        let index = self.built.outputs.len();
        let mut output = add_output(
            &pipeline,
            index,
            spec,
            (&vtee, &atee),
            false,
            pipeline.by_name("otee"),
        )?;
        if let Output::Record(r) = &output
            && let Some(pad) = r.queues.first().and_then(|q| q.static_pad("src"))
        {
            // Joining mid-GOP: the file starts at the next keyframe.
            pad.add_probe(gst::PadProbeType::BUFFER, |_, info| match info.buffer() {
                Some(b) if b.flags().contains(gst::BufferFlags::DELTA_UNIT) => {
                    gst::PadProbeReturn::Drop
                }
                _ => gst::PadProbeReturn::Remove,
            });
        }
        let prefix = format!("out{index}-");
        let mut added: Vec<gst::Element> = pipeline
            .iterate_elements()
            .into_iter()
            .flatten()
            .filter(|e| e.name().starts_with(&prefix))
            .collect();
        // Downstream first, so nothing pushes into an element that is not running yet.
        added.reverse();
        for e in &added {
            e.sync_state_with_parent().map_err(|_| {
                MediaError::State(format!("{}: the new output did not start", e.name()))
            })?;
        }
        // Only now, with every new element running, join the tees: a tee pushing into an
        // element that is not running yet would fail that buffer for every branch.
        let queues = match &output {
            Output::Record(r) => r.queues.clone(),
            Output::Rtmp(l) => l.session_queues(),
            Output::Whip(_) => Vec::new(),
        };
        for (tee, queue) in [&vtee, &atee].into_iter().zip(&queues) {
            tee.link(queue)?;
        }
        if let Output::Rtmp(link) = &mut output {
            let clock = pipeline.clock().unwrap_or_else(gst::SystemClock::obtain);
            let base_time = pipeline.base_time().unwrap_or(gst::ClockTime::ZERO);
            link.start(clock, base_time)?;
        }
        log::info!("output added: {}", output.label().target);
        self.built.outputs.push(output);
        self.failed.push(false);
        self.removed.push(None);
        self.unchecked_since.push(Some(Instant::now()));
        self.output_sample.push((0, 0.0));
        Ok(())
    }

    /// Ends the output whose target is `target` (as in the stats); the others go on.
    pub fn remove_output(&mut self, target: &str) -> Result<(), MediaError> {
        let i = (0..self.built.outputs.len())
            .find(|i| self.removed[*i].is_none() && self.built.outputs[*i].label().target == target)
            .ok_or_else(|| MediaError::Invalid(format!("no running output is {target}")))?;
        let queues: Vec<gst::Element> = match &self.built.outputs[i] {
            Output::Record(r) => r.queues.clone(),
            Output::Rtmp(l) => l.session_queues(),
            Output::Whip(_) => {
                return Err(MediaError::State(
                    "a WHIP destination cannot leave a running session yet; stop the session"
                        .into(),
                ));
            }
        };
        for queue in queues {
            let Some(sink) = queue.static_pad("sink") else {
                continue;
            };
            let Some(tee_pad) = sink.peer() else {
                continue;
            };
            tee_pad.add_probe(gst::PadProbeType::IDLE, move |pad, _| {
                let _ = pad.unlink(&sink);
                if let Some(tee) = pad.parent_element() {
                    tee.release_request_pad(pad);
                }
                sink.send_event(gst::event::Eos::new());
                gst::PadProbeReturn::Remove
            });
        }
        self.removed[i] = Some(Instant::now());
        log::info!("output removed: {target}");
        Ok(())
    }

    /// Tears down removed outputs once their end of stream arrived (or they took too long).
    pub(super) fn finish_removals(&mut self) {
        for i in 0..self.built.outputs.len() {
            let Some(since) = self.removed[i] else {
                continue;
            };
            let output = &mut self.built.outputs[i];
            let ended = match output {
                Output::Record(r) => r.eos.load(std::sync::atomic::Ordering::SeqCst),
                Output::Rtmp(l) => l.finished(),
                Output::Whip(l) => l.finished(),
            };
            let prefix = format!("out{i}-");
            let pipeline = &self.built.pipeline;
            let leftovers: Vec<gst::Element> = pipeline
                .iterate_elements()
                .into_iter()
                .flatten()
                .filter(|e| e.name().starts_with(&prefix))
                .collect();
            if leftovers.is_empty() || !(ended || since.elapsed() > REMOVE_TIMEOUT) {
                continue;
            }
            if let Output::Rtmp(l) = output {
                l.shutdown();
            }
            for e in leftovers {
                let _ = e.set_state(gst::State::Null);
                let _ = pipeline.remove(&e);
            }
        }
    }

    /// True when output `i` was removed by [`Engine::remove_output`].
    pub(super) fn is_removed(&self, i: usize) -> bool {
        self.removed.get(i).is_some_and(Option::is_some)
    }
}
