//! A debug hook for `cargo xtask bench latency`: with `KAIBO_DEBUG_QR_CLOCK=1` the program
//! picture carries a QR code (top-left) holding each frame's capture time on the system
//! clock (CLOCK_MONOTONIC, shared by every process on the machine), so a receiver can take
//! `now − capture time` where it decodes. Off by default; never set in normal use.

use crate::error::MediaError;
use crate::sources::make;
use gst::prelude::*;

/// The environment variable that turns the QR clock on.
pub const ENV: &str = "KAIBO_DEBUG_QR_CLOCK";

/// The `qroverlay` to put after the canvas, when the debug clock is asked for.
pub(crate) fn qr_clock() -> Result<Option<gst::Element>, MediaError> {
    if std::env::var_os(ENV).is_none_or(|v| v != "1") {
        return Ok(None);
    }
    let qr = make("qroverlay", "debug-qroverlay")?;
    qr.set_property("x", 1.0f32);
    qr.set_property("y", 1.0f32);
    qr.set_property("pixel-size", 4.0f32);
    let Some(pad) = qr.static_pad("sink") else {
        return Ok(Some(qr));
    };
    let weak = qr.downgrade();
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
            // The frame's capture instant on the pipeline clock, moved onto the system clock.
            let age = clock.time().nseconds() as i128 - (base + running).nseconds() as i128;
            let now = gst::SystemClock::obtain().time().nseconds() as i128;
            set_qr_data(info, &(now - age).max(0).to_string());
        }
        gst::PadProbeReturn::Ok
    });
    Ok(Some(qr))
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
