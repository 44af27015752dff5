//! The pre-stream checklist's evaluators: plain functions from measurements to
//! [`CheckItem`]s, with the hint in the interface language.
//!
//! Nothing here captures, opens or downloads: frames (RGBA), samples (f32), probe results,
//! texts and figures come from the runtime, which runs the measurements and calls these.

pub mod audio;
pub mod compliance;
pub mod lighting;
pub mod network;
pub mod system;

pub use audio::{AudioProblem, AudioStats, analyse_audio, evaluate_audio};
pub use compliance::{CheckedText, check_compliance, overlay_texts, scene_texts};
pub use kaibo_model::{CheckItem, CheckReport, CheckStatus, Language};
pub use lighting::{Frame, LightingProblem, LightingStats, analyse_frame, evaluate_lighting};
pub use network::{DestinationOutcome, evaluate_destination, evaluate_probe};
pub use system::{
    EncodeMeasure, ProcessTraffic, SourceCheck, evaluate_devices, evaluate_disk, evaluate_headroom,
    evaluate_hogs,
};

/// Rounds to one decimal for display.
pub(crate) fn one_decimal(v: f64) -> f64 {
    (v * 10.0).round() / 10.0
}
