//! The session side of a link: a queue and an appsink on each tee, whose samples are handed to
//! the link pipeline's appsrcs (`forward`), GOP-safe.
//!
//! ```text
//! session: vtee → queue → appsink ─┐ (callbacks)   link: appsrc(video) → …
//!          atee → queue → appsink ─┘ ───────────→        appsrc(audio) → …
//! ```
//! The tap outlives the link pipelines: a reconnection plugs new appsrcs into the same feed.

use crate::error::MediaError;
use crate::sources::make;
use gst::prelude::*;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

/// Data queued for a link beyond this is a stalled destination: skip to the next keyframe.
const MAX_QUEUED: gst::ClockTime = gst::ClockTime::from_seconds(2);

/// State shared with the streaming threads that feed a link.
#[derive(Default)]
pub(crate) struct Feed {
    pub video: Mutex<Option<gst_app::AppSrc>>,
    pub audio: Mutex<Option<gst_app::AppSrc>>,
    /// Drop everything until the next video keyframe (after a (re)connect or a stall).
    pub await_keyframe: AtomicBool,
    /// A video frame reached the link's feeder: the encoder is running, so a (re)connect
    /// must ask it for a keyframe instead of waiting for its first.
    pub seen_video: AtomicBool,
    /// Bytes handed to the link (both streams), for the backlog.
    pub pushed_bytes: AtomicU64,
    /// Video frames skipped while connected (a stalled destination, or waiting for the
    /// keyframe after a reconnect).
    pub dropped_frames: AtomicU64,
    /// The session's end of stream reached the video appsink.
    pub ended: AtomicBool,
}

/// A link's queues and appsinks in the session pipeline, and the feed they push into.
pub(crate) struct Tap {
    pub feed: Arc<Feed>,
    /// Video, then audio.
    appsinks: Vec<gst_app::AppSink>,
}

impl Tap {
    /// Adds `out{index}-{video,audio}-{queue,appsink}` to the session. With `tees` (video,
    /// audio) the queues join them at once; without, the caller links [`Tap::session_queues`].
    /// With `pass_eos` the session's end of stream goes on into the link's appsrcs.
    pub fn attach(
        session: &gst::Pipeline,
        index: usize,
        tees: Option<[&gst::Element; 2]>,
        pass_eos: bool,
    ) -> Result<Self, MediaError> {
        let feed = Arc::new(Feed::default());
        feed.await_keyframe.store(true, Ordering::SeqCst);
        let mut appsinks = Vec::new();
        for (n, what) in ["video", "audio"].into_iter().enumerate() {
            let queue = make("queue", &format!("out{index}-{what}-queue"))?;
            let sink = make("appsink", &format!("out{index}-{what}-appsink"))?
                .downcast::<gst_app::AppSink>()
                .map_err(|_| MediaError::Build("appsink is not an AppSink".into()))?;
            sink.set_property("sync", false);
            sink.set_property("async", false);
            sink.set_property("enable-last-sample", false);
            session.add_many([&queue, sink.upcast_ref()])?;
            queue.link(&sink)?;
            if let Some(tees) = tees {
                tees[n].link(&queue)?;
            }
            let is_video = what == "video";
            let f = Arc::clone(&feed);
            let f_eos = Arc::clone(&feed);
            sink.set_callbacks(
                gst_app::AppSinkCallbacks::builder()
                    .new_sample(move |s| {
                        if let Ok(sample) = s.pull_sample() {
                            forward(&f, is_video, sample);
                        }
                        Ok(gst::FlowSuccess::Ok)
                    })
                    .eos(move |_| {
                        if is_video {
                            f_eos.ended.store(true, Ordering::SeqCst);
                        }
                        if !pass_eos {
                            return;
                        }
                        let slot = if is_video { &f_eos.video } else { &f_eos.audio };
                        let src = slot.lock().ok().and_then(|g| g.clone());
                        if let Some(src) = src {
                            let _ = src.end_of_stream();
                        }
                    })
                    .build(),
            );
            appsinks.push(sink);
        }
        Ok(Self { feed, appsinks })
    }

    /// A tap on nothing, for tests of the link lifecycle.
    #[cfg(test)]
    pub fn detached() -> Self {
        Self {
            feed: Arc::default(),
            appsinks: Vec::new(),
        }
    }

    /// The caps the session negotiated for stream `n` (0 video, 1 audio), once media flowed.
    /// A link's appsrc for one of this tap's feeds: live, in time, never blocking and
    /// unbounded (the tap's queue is the only buffer in front of the link), with `caps` when
    /// given.
    pub fn appsrc(name: &str, caps: Option<gst::Caps>) -> gst_app::AppSrc {
        let src = gst_app::AppSrc::builder()
            .name(name)
            .is_live(true)
            .format(gst::Format::Time)
            .block(false)
            .max_bytes(0)
            .max_buffers(0)
            .max_time(gst::ClockTime::ZERO)
            .build();
        if let Some(c) = caps {
            src.set_caps(Some(&c));
        }
        src
    }

    /// Starts a link's `pipeline` on the session's `timeline` and feeds its appsrcs (video,
    /// then audio) from this tap. `what` names the link for the error ("the RTMP link").
    pub fn start(
        &self,
        pipeline: &gst::Pipeline,
        timeline: &super::Timeline,
        srcs: &[gst_app::AppSrc],
        what: &str,
        target: &str,
    ) -> Result<(), MediaError> {
        timeline.apply(pipeline);
        pipeline
            .set_state(gst::State::Playing)
            .map_err(|_| MediaError::State(format!("{target}: {what} did not start")))?;
        self.plug(srcs.first().cloned(), srcs.get(1).cloned());
        Ok(())
    }

    pub fn caps(&self, n: usize) -> Option<gst::Caps> {
        self.appsinks.get(n)?.static_pad("sink")?.current_caps()
    }

    /// The video appsink's pad: upstream events from it reach the encoder.
    pub fn video_pad(&self) -> Option<gst::Pad> {
        self.appsinks.first()?.static_pad("sink")
    }

    /// Hands the feed to a new link pipeline's appsrcs. Its picture starts at a keyframe:
    /// the encoder's first at the start, a requested one when the encoder already runs (an
    /// extra one at the start would break the exact keyframe interval).
    pub fn plug(&self, video: Option<gst_app::AppSrc>, audio: Option<gst_app::AppSrc>) {
        self.feed.await_keyframe.store(true, Ordering::SeqCst);
        if let (Ok(mut v), Ok(mut a)) = (self.feed.video.lock(), self.feed.audio.lock()) {
            *v = video;
            *a = audio;
        }
        if self.feed.seen_video.load(Ordering::Relaxed) {
            self.request_keyframe();
        }
    }

    /// Stops feeding the link pipeline (it is being dropped).
    pub fn unplug(&self) {
        if let (Ok(mut v), Ok(mut a)) = (self.feed.video.lock(), self.feed.audio.lock()) {
            *v = None;
            *a = None;
        }
    }

    /// Asks the encoder for a keyframe with its headers, so the link can start at once.
    pub fn request_keyframe(&self) {
        if let Some(pad) = self.video_pad() {
            request_keyframe(&pad);
        }
    }

    /// The session-side queues feeding the appsinks.
    pub fn session_queues(&self) -> Vec<gst::Element> {
        self.appsinks
            .iter()
            .filter_map(|s| s.static_pad("sink")?.peer()?.parent_element())
            .collect()
    }

    /// Video frames this destination did not get.
    pub fn dropped_frames(&self) -> u64 {
        self.feed.dropped_frames.load(Ordering::Relaxed)
    }

    /// The session's end of stream reached the tap.
    pub fn ended(&self) -> bool {
        self.feed.ended.load(Ordering::SeqCst)
    }
}

/// Asks the encoder (upstream of an appsink's pad) for a keyframe with its headers.
pub(crate) fn request_keyframe(pad: &gst::Pad) {
    let event = gst_video::UpstreamForceKeyUnitEvent::builder()
        .all_headers(true)
        .build();
    pad.push_event(event);
}

/// Hands one encoded buffer to the link, GOP-safe: after a (re)connect or a stall, nothing is
/// sent until the next video keyframe.
fn forward(feed: &Feed, is_video: bool, sample: gst::Sample) {
    if is_video {
        feed.seen_video.store(true, Ordering::Relaxed);
    }
    let slot = if is_video { &feed.video } else { &feed.audio };
    // Disconnected: the link's state says so; these frames are not counted as dropped.
    let Some(src) = slot.lock().ok().and_then(|g| g.clone()) else {
        return;
    };
    let Some(buffer) = sample.buffer() else {
        return;
    };
    if is_video {
        let keyframe = !buffer.flags().contains(gst::BufferFlags::DELTA_UNIT);
        let stalled = src.current_level_time() > MAX_QUEUED;
        if stalled {
            feed.await_keyframe.store(true, Ordering::SeqCst);
        }
        if feed.await_keyframe.load(Ordering::SeqCst) {
            if keyframe && !stalled {
                feed.await_keyframe.store(false, Ordering::SeqCst);
            } else {
                feed.dropped_frames.fetch_add(1, Ordering::Relaxed);
                return;
            }
        }
    } else if feed.await_keyframe.load(Ordering::SeqCst) {
        return;
    }
    // The link's timeline is the session's running time: restate the timestamps in it (the
    // encoder's segment starts far from zero and does not cross to the link).
    let mut buffer = buffer.copy();
    if let Some(segment) = sample
        .segment()
        .and_then(|s| s.downcast_ref::<gst::ClockTime>())
    {
        let b = buffer.make_mut();
        let pts = b.pts().and_then(|t| segment.to_running_time(t));
        let dts = b.dts().and_then(|t| segment.to_running_time(t)).or(pts);
        b.set_pts(pts);
        b.set_dts(dts);
    }
    let caps = sample.caps().map(|c| c.to_owned());
    let mut restated = gst::Sample::builder().buffer(&buffer);
    if let Some(caps) = &caps {
        restated = restated.caps(caps);
    }
    let size = buffer.size() as u64;
    if src.push_sample(&restated.build()).is_ok() {
        feed.pushed_bytes.fetch_add(size, Ordering::Relaxed);
    }
}
