//! A session's outputs, as the engine sees them: one [`Output`] trait over the recording
//! (`recording`, inside the session pipeline) and the links to destinations (`link`: a
//! pipeline of their own per connection, with RTMP in `rtmp` and WHIP in `crate::whip`).
//!
//! Every output's elements in the session pipeline are named `outN-…`, N being its index in
//! the engine's list of output slots.

mod link;
mod recording;
mod rtmp;
mod tap;

pub(crate) use link::{Happening, Link, LinkProtocol, LinkState, Policy, Status, Trouble};
pub(crate) use rtmp::{resolve, rtmp_sink};
pub(crate) use tap::{Tap, request_keyframe};

use crate::abr::LinkSignal;
use crate::engine_event::EngineEvent;
use crate::error::{MediaError, OutputLabel};
use gst::prelude::*;
use kaibo_model::{OutputKind, OutputSpec, OutputState};
use std::time::{Duration, Instant};

/// The session's clock and base time: a link pipeline on them stamps media as the session does.
#[derive(Clone)]
pub(crate) struct Timeline {
    pub clock: gst::Clock,
    pub base_time: gst::ClockTime,
}

impl Timeline {
    /// The running session's timeline.
    pub fn of(session: &gst::Pipeline) -> Self {
        Self {
            clock: session.clock().unwrap_or_else(gst::SystemClock::obtain),
            base_time: session.base_time().unwrap_or(gst::ClockTime::ZERO),
        }
    }

    /// Puts a link pipeline on this timeline.
    pub fn apply(&self, pipeline: &gst::Pipeline) {
        pipeline.use_clock(Some(&self.clock));
        pipeline.set_start_time(gst::ClockTime::NONE);
        pipeline.set_base_time(self.base_time);
    }
}

/// One output of a session.
pub(crate) trait Output: Send + Sync {
    fn label(&self) -> &OutputLabel;

    fn kind(&self) -> OutputKind;

    /// Starts it once the session runs.
    fn start(&mut self, _timeline: &Timeline) -> Result<(), MediaError> {
        Ok(())
    }

    /// Follows it: a failure (`OutputFailed`) or a reconnection for the caller, or nothing.
    fn service(&mut self, _secrets: &dyn Fn(&str) -> String) -> Option<EngineEvent> {
        None
    }

    /// Where it is (the engine knows better when it failed or was removed).
    fn state(&self) -> OutputState;

    /// Bytes it has written (to the server, or to the file).
    fn bytes(&self) -> u64;

    fn reconnects(&self) -> u32 {
        0
    }

    /// Video frames it did not get.
    fn dropped_frames(&self) -> u64 {
        0
    }

    /// What adaptive bitrate reads of it since the previous call (links that report a backlog).
    fn congestion(&mut self, _now: Instant) -> Option<LinkSignal> {
        None
    }

    /// Its session-side queues, which join the tees (an output added to a running session).
    fn tee_queues(&self) -> Vec<gst::Element>;

    /// Its session-side queues, to cut from the tees when it leaves a running session.
    fn leave(&self) -> Result<Vec<gst::Element>, MediaError> {
        Ok(self.tee_queues())
    }

    /// Its end of stream is through (or there is nothing left to end).
    fn ended(&self) -> bool;

    /// It did not start within `waited`: gives up on it; the host's sentence.
    fn give_up(&mut self, waited: Duration) -> String;

    /// Tears it down at the end.
    fn shutdown(&mut self) {}

    /// Its failure when the session ends while it is still down.
    fn unrecovered(&self) -> Option<MediaError> {
        None
    }

    /// It runs in a pipeline of its own: the session's end of stream is not its end.
    fn is_link(&self) -> bool {
        false
    }

    /// Ends it from its own input, for a session whose upstream may have stopped.
    fn end_at_input(&self) {}
}

/// Builds output `index`. With `link_now` its queues join the tees at once; without, the
/// caller links [`Output::tee_queues`] (a running session first starts the new elements).
pub(crate) fn build(
    pipeline: &gst::Pipeline,
    index: usize,
    spec: &OutputSpec,
    (vtee, atee): (&gst::Element, &gst::Element),
    link_now: bool,
    otee: Option<gst::Element>,
) -> Result<Box<dyn Output>, MediaError> {
    Ok(match spec {
        OutputSpec::Rtmp(dest) => {
            let tees = link_now.then_some([vtee, atee]);
            Box::new(rtmp::Rtmp::attach(pipeline, index, dest, tees)?)
        }
        OutputSpec::Whip(endpoint) => {
            if !link_now {
                return Err(MediaError::State(
                    "a WHIP destination cannot join a running session yet; start the session with it".into(),
                ));
            }
            let otee = otee.ok_or_else(|| MediaError::Build("no Opus encode for WHIP".into()))?;
            Box::new(crate::whip::Whip::attach(
                pipeline, index, endpoint, vtee, &otee,
            )?)
        }
        OutputSpec::Record(path) => Box::new(recording::Recording::attach(
            pipeline,
            index,
            path,
            (vtee, atee),
            link_now,
        )?),
    })
}
