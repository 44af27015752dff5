//! A clock burned into frames as a QR code, and the meter that reads it back.
//!
//! The sender writes into `qroverlay` the capture time of each frame on the system clock
//! (`CLOCK_MONOTONIC`, the same in every process on the machine); the receiver decodes the
//! picture, reads the QR code with `zbar` and takes `now − capture time`.

use gst::prelude::*;
use std::sync::{Arc, Mutex};

/// Now on the system clock, in nanoseconds.
pub fn system_now_ns() -> u64 {
    gst::SystemClock::obtain().time().nseconds()
}

/// Writes each frame's capture time (on the system clock) into `qroverlay`'s data before it
/// draws the frame.
pub fn stamp_capture_time(qroverlay: &gst::Element) {
    let Some(pad) = qroverlay.static_pad("sink") else {
        return;
    };
    let weak = qroverlay.downgrade();
    pad.add_probe(gst::PadProbeType::BUFFER, move |pad, info| {
        let (Some(qr), Some(pts)) = (weak.upgrade(), info.buffer().and_then(|b| b.pts())) else {
            return gst::PadProbeReturn::Ok;
        };
        let running = pad
            .sticky_event::<gst::event::Segment>(0)
            .and_then(|s| {
                s.segment()
                    .downcast_ref::<gst::ClockTime>()?
                    .to_running_time(pts)
            })
            .unwrap_or(pts);
        if let (Some(clock), Some(base)) = (qr.clock(), qr.base_time()) {
            // The capture instant on the pipeline's clock, moved onto the system clock.
            let age = clock.time().nseconds() as i128 - (base + running).nseconds() as i128;
            let captured = system_now_ns() as i128 - age;
            set_qr_data(info, &captured.max(0).to_string());
        }
        gst::PadProbeReturn::Ok
    });
}

/// Latency samples read from QR codes, in milliseconds.
#[derive(Clone, Default)]
pub struct Meter {
    samples: Arc<Mutex<Vec<f64>>>,
}

impl Meter {
    /// Reads `zbar`'s `barcode` messages on `pipeline`'s bus as they are posted (in the
    /// streaming thread, right after the frame was decoded).
    pub fn watch(&self, pipeline: &gst::Pipeline) {
        let Some(bus) = pipeline.bus() else { return };
        let samples = Arc::clone(&self.samples);
        bus.set_sync_handler(move |_, msg| {
            if let gst::MessageView::Element(e) = msg.view()
                && let Some(s) = e.structure()
                && s.name() == "barcode"
                && let Ok(symbol) = s.get::<String>("symbol")
                && let Ok(captured) = symbol.trim().parse::<u64>()
            {
                let ms = (system_now_ns() as f64 - captured as f64) / 1e6;
                if let Ok(mut v) = samples.lock() {
                    v.push(ms);
                }
                return gst::BusSyncReply::Drop;
            }
            gst::BusSyncReply::Pass
        });
    }

    /// Every sample so far.
    pub fn samples(&self) -> Vec<f64> {
        self.samples.lock().map(|v| v.clone()).unwrap_or_default()
    }

    /// Forgets the samples so far (after a warm-up).
    pub fn clear(&self) {
        if let Ok(mut v) = self.samples.lock() {
            v.clear();
        }
    }
}

/// `videoconvert ! videocrop (top-left 320×240) ! zbar`, for the decoded picture.
pub fn qr_reader(prefix: &str, width: i32, height: i32) -> Result<Vec<gst::Element>, String> {
    let make = |f: &str| {
        gst::ElementFactory::make(f)
            .name(format!("{prefix}-{f}"))
            .build()
            .map_err(|_| {
                format!("the GStreamer element {f} is missing (gstreamer1.0-plugins-bad / -good)")
            })
    };
    let crop = make("videocrop")?;
    crop.set_property("right", (width - 320).max(0));
    crop.set_property("bottom", (height - 240).max(0));
    let zbar = make("zbar")?;
    zbar.set_property("attach-frame", false);
    Ok(vec![crop, make("videoconvert")?, zbar])
}

/// Median and 95th percentile.
pub fn median_p95(samples: &[f64]) -> Option<(f64, f64)> {
    if samples.is_empty() {
        return None;
    }
    let mut v = samples.to_vec();
    v.sort_by(f64::total_cmp);
    let at = |q: f64| v[((v.len() - 1) as f64 * q).round() as usize];
    Some((at(0.5), at(0.95)))
}

/// Gives this buffer its own QR content: `qroverlay` reads a `GstQROverlayMeta` custom meta
/// with a `data` field before its `data` property (which it draws once and then reuses).
fn set_qr_data(info: &mut gst::PadProbeInfo, data: &str) {
    if let Some(gst::PadProbeData::Buffer(buffer)) = &mut info.data
        && let Ok(mut meta) = gst::meta::CustomMeta::add(buffer.make_mut(), "GstQROverlayMeta")
    {
        meta.mut_structure().set("data", data);
    }
}
