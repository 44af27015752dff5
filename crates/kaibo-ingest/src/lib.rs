//! Test ingests that need GStreamer, kept out of `kaibo-testkit` (std only, built before
//! GStreamer is installed): a WHIP server whose answering peer is `webrtcbin` and which
//! decodes and counts what arrives, plus the QR clock used to measure latency.
//! The `kaibo-ingest` binary wraps them for `cargo xtask bench latency`.

pub mod clock;
mod http;
pub mod whip;

pub use clock::{Meter, median_p95};
pub use whip::WhipIngest;
