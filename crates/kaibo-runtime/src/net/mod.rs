//! The network probes: the uplink test publish, the timed download and the link test against a
//! Kaibo hub, judged for a platform's requirement.

mod downlink;
mod hub_link;
mod probe_error;
mod uplink;

pub use downlink::{DownlinkError, measure_downlink};
pub use hub_link::HubLink;
pub use probe_error::ProbeError;
pub(crate) use uplink::measure_down;
pub use uplink::run_probe;
