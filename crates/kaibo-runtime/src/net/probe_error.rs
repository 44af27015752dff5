//! What stops a link probe: shared by the uplink probe and the hub link test.

use kaibo_media::MediaError;

/// What stopped a probe.
#[derive(Debug, thiserror::Error)]
pub enum ProbeError {
    #[error("{0}")]
    Uplink(#[from] MediaError),
    #[error("{0}")]
    Downlink(#[from] super::downlink::DownlinkError),
    #[error("{0}")]
    Hub(String),
    #[error(
        "nothing to probe: give the platform's push URL (--to rtmp://…) or a Kaibo hub (--hub https://… with its host token)"
    )]
    NoTarget,
}
