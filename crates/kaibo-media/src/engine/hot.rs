//! Outputs added to and removed from a running session, while the others go on: Record
//! toggled during a live stream, or the stream stopped while the recording continues.
//!
//! A new output joins the tees and starts at the encoder's next keyframe (at most one
//! keyframe interval), so the exact keyframe cadence of the running outputs is kept. A
//! removed output is cut from the tees when they are idle, gets its own end of stream (the
//! recording is finalised, the server sees the stream end) and is torn down once that
//! arrived.

use super::{Engine, Slot};
use crate::error::MediaError;
use crate::output::Timeline;
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
        let index = self.slots.len();
        let mut output = crate::output::build(
            &pipeline,
            index,
            spec,
            (&vtee, &atee),
            false,
            pipeline.by_name("otee"),
        )?;
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
        for (tee, queue) in [&vtee, &atee].into_iter().zip(&output.tee_queues()) {
            tee.link(queue)?;
        }
        output.start(&Timeline::of(&pipeline))?;
        log::info!("output added: {}", output.label().target);
        let mut slot = Slot::new(output);
        slot.unchecked_since = Some(Instant::now());
        self.slots.push(slot);
        Ok(())
    }

    /// Ends the output whose target is `target` (as in the stats); the others go on.
    pub fn remove_output(&mut self, target: &str) -> Result<(), MediaError> {
        let slot = self
            .slots
            .iter_mut()
            .find(|s| s.removed.is_none() && s.output.label().target == target)
            .ok_or_else(|| MediaError::Invalid(format!("no running output is {target}")))?;
        for queue in slot.output.leave()? {
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
        slot.removed = Some(Instant::now());
        log::info!("output removed: {target}");
        Ok(())
    }

    /// Tears down removed outputs once their end of stream arrived (or they took too long).
    pub(super) fn finish_removals(&mut self) {
        for (i, slot) in self.slots.iter_mut().enumerate() {
            let Some(since) = slot.removed else {
                continue;
            };
            let ended = slot.output.ended();
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
            slot.output.shutdown();
            for e in leftovers {
                let _ = e.set_state(gst::State::Null);
                let _ = pipeline.remove(&e);
            }
        }
    }
}
