//! The GStreamer broadcast engine of a live session ([`Engine`]): every scene's sources in one
//! compositor (a scene switch or fade rebuilds nothing), images, text and the host's
//! interaction panels drawn over the canvas, one H.264/AAC encode (and one Opus encode when a
//! WHIP destination needs it), a tee per stream, and isolated outputs: RTMP and WHIP links in
//! pipelines of their own that reconnect with backoff (RTMP links feed adaptive bitrate), and
//! crash-safe recordings. A state machine, stats, and outputs added to or removed from a
//! running session. A preview-only session encodes nothing and feeds the window's `Monitor`.
//!
//! Beside the engine: the checklist's measurements ([`encode_speed`], [`grab_frame`],
//! [`open_media`], [`record_sound`], [`check_whip`]), the RTMP uplink probe
//! ([`probe_uplink`]), and the kernel's TCP figures for a connection ([`tcp_stats`]).

mod abr;
mod checklist_measures;
mod debug_clock;
mod encoder;
mod engine;
mod engine_event;
mod error;
mod output;
mod panel_layer;
mod pipeline;
mod program;
mod sources;
mod tcp_queue;
mod uplink_probe;
mod whip;

pub use checklist_measures::{
    EncodeSpeed, GrabbedFrame, SOUND_RATE, encode_speed, grab_frame, open_media, record_sound,
};
pub use engine::{Engine, Waker, init};
pub use engine_event::EngineEvent;
pub use error::{FailureKind, MediaError};
pub use pipeline::preview_size_within;
pub use tcp_queue::{TcpSocket, TcpStats, sockets_to, tcp_stats};
pub use uplink_probe::{AckMeter, UplinkMeasure, probe_uplink};
pub use whip::check_whip;
