//! A local recording, inside the session pipeline:
//!
//! ```text
//! vtee → queue ─┐
//! atee → queue ─┴→ matroskamux → filesink
//! ```
//! Crash-safe: a killed recording plays up to its last written cluster. A slow disk gets 10 s
//! of slack in the queues; a recording never drops data.

use super::Output;
use crate::error::{MediaError, OutputLabel};
use crate::sources::make;
use gst::prelude::*;
use kaibo_model::{OutputKind, OutputState};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

pub(crate) struct Recording {
    label: OutputLabel,
    /// Video, then audio.
    queues: Vec<gst::Element>,
    /// Bytes written to the file.
    bytes: Arc<AtomicU64>,
    /// The end of stream reached the file.
    eos: Arc<AtomicBool>,
}

impl Recording {
    /// Adds `out{index}-…` writing to `path`. With `link_now` the queues join the tees at
    /// once; without, the recording joins a running session and its file starts at the next
    /// keyframe.
    pub fn attach(
        pipeline: &gst::Pipeline,
        index: usize,
        path: &Path,
        (vtee, atee): (&gst::Element, &gst::Element),
        link_now: bool,
    ) -> Result<Self, MediaError> {
        let p = format!("out{index}");
        let mux = make("matroskamux", &format!("{p}-matroskamux"))?;
        let sink = make("filesink", &format!("{p}-filesink"))?;
        sink.set_property("location", path.to_string_lossy().to_string());
        sink.set_property("sync", false);
        sink.set_property("async", false);
        let queue = |what: &str| -> Result<gst::Element, MediaError> {
            let q = make("queue", &format!("{p}-{what}-queue"))?;
            q.set_property("max-size-buffers", 0u32);
            q.set_property("max-size-bytes", 0u32);
            q.set_property("max-size-time", 10_000_000_000u64);
            Ok(q)
        };
        let vq = queue("video")?;
        let aq = queue("audio")?;
        pipeline.add_many([&vq, &aq, &mux, &sink])?;
        if link_now {
            vtee.link(&vq)?;
            atee.link(&aq)?;
        }
        let (Some(vpad), Some(apad)) = (
            mux.request_pad_simple("video_%u"),
            mux.request_pad_simple("audio_%u"),
        ) else {
            return Err(MediaError::Build(format!("{p}: the muxer gave no pads")));
        };
        for (q, pad) in [(&vq, &vpad), (&aq, &apad)] {
            q.static_pad("src")
                .ok_or_else(|| MediaError::Build("queue without src".into()))?
                .link(pad)
                .map_err(|e| MediaError::Build(format!("{p}: {e:?}")))?;
        }
        mux.link(&sink)?;
        let bytes = Arc::new(AtomicU64::new(0));
        let eos = Arc::new(AtomicBool::new(false));
        if let Some(pad) = sink.static_pad("sink") {
            let (b, e) = (Arc::clone(&bytes), Arc::clone(&eos));
            pad.add_probe(
                gst::PadProbeType::BUFFER | gst::PadProbeType::EVENT_DOWNSTREAM,
                move |_, info| {
                    if let Some(buffer) = info.buffer() {
                        b.fetch_add(buffer.size() as u64, Ordering::Relaxed);
                    } else if info
                        .event()
                        .is_some_and(|ev| ev.type_() == gst::EventType::Eos)
                    {
                        e.store(true, Ordering::SeqCst);
                    }
                    gst::PadProbeReturn::Ok
                },
            );
        }
        if !link_now && let Some(pad) = vq.static_pad("src") {
            // Joining mid-GOP: the file starts at the next keyframe.
            pad.add_probe(gst::PadProbeType::BUFFER, |_, info| match info.buffer() {
                Some(b) if b.flags().contains(gst::BufferFlags::DELTA_UNIT) => {
                    gst::PadProbeReturn::Drop
                }
                _ => gst::PadProbeReturn::Remove,
            });
        }
        Ok(Self {
            label: OutputLabel {
                target: path.display().to_string(),
                host_port: String::new(),
                is_rtmp: false,
            },
            queues: vec![vq, aq],
            bytes,
            eos,
        })
    }
}

impl Output for Recording {
    fn label(&self) -> &OutputLabel {
        &self.label
    }

    fn kind(&self) -> OutputKind {
        OutputKind::Record
    }

    /// Live once something was written.
    fn state(&self) -> OutputState {
        if self.bytes.load(Ordering::Relaxed) > 0 {
            OutputState::Live
        } else {
            OutputState::Connecting
        }
    }

    fn bytes(&self) -> u64 {
        self.bytes.load(Ordering::Relaxed)
    }

    fn tee_queues(&self) -> Vec<gst::Element> {
        self.queues.clone()
    }

    fn ended(&self) -> bool {
        self.eos.load(Ordering::SeqCst)
    }

    fn give_up(&mut self, waited: Duration) -> String {
        format!(
            "the recording {} wrote nothing within {} s. Check that the recording folder is writable and the disk has room, then record again",
            self.label.target,
            waited.as_secs()
        )
    }

    /// Pushes the end of stream straight into the queues, so the muxer finalises the file.
    fn end_at_input(&self) {
        for pad in self.queues.iter().filter_map(|q| q.static_pad("sink")) {
            pad.send_event(gst::event::Eos::new());
        }
    }
}
