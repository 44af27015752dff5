//! The GStreamer broadcast engine: sources → compositor → one H.264/AAC encode → a tee per
//! stream → isolated outputs (RTMP, crash-safe recording), with a state machine and stats.

mod abr;
mod check;
mod debug_clock;
mod encoder;
mod engine;
mod error;
mod output;
mod panels;
mod pipeline;
mod probe;
mod program;
mod sources;
mod tcp_queue;
mod whip;

pub use check::{
    EncodeSpeed, GrabbedFrame, SOUND_RATE, encode_speed, grab_frame, open_media, record_sound,
};
pub use engine::{Engine, EngineEvent, Waker, init};
pub use error::{FailureKind, MediaError};
pub use pipeline::preview_size_within;
pub use probe::{AckMeter, UplinkMeasure, probe_uplink};
pub use tcp_queue::{TcpSocket, TcpStats, sockets_to, tcp_stats};
pub use whip::check_whip;
