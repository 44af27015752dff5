//! What the CLI and the GUI drive: loads scene files, resolves devices, runs live sessions on
//! their own thread and reports [`Event`]s over bounded channels.

mod check;
mod downlink;
mod host;
mod hub_probe;
mod interaction;
mod live;
mod probe;
mod profiles;
mod scenes;
mod sealed;
mod store;
mod sysinfo;

pub use check::{CheckRequest, load_word_lists, run_check, user_word_list_dir};
pub use downlink::{DownlinkError, measure_downlink};
pub use host::{
    HostClient, HostError, HostLottery, HostPoll, HostQuestion, HostReport, PanelKind, PollChoice,
    QuestionFilter, lan_join_url,
};
pub use hub_probe::HubLink;
pub use interaction::{Interaction, forward_overlay};
pub use kaibo_devices::list_all as list_devices;
/// The interaction hub (viewers' questions, polls, draws), for faces that embed it.
pub use kaibo_hub as hub;
pub use kaibo_model::devices::DeviceList;
pub use live::{LiveHandle, Sender, resolve_windows};
pub use probe::{ProbeError, run_probe};
pub use profiles::platform_profiles;
pub use scenes::load_scene_file;
pub use store::{KeyPlace, Store, StoreError, write_atomic};
pub use sysinfo::process_cpu_seconds;

/// A failure before a session could run.
#[derive(Debug, thiserror::Error)]
pub enum RuntimeError {
    #[error("cannot read the scene file {path}: {reason}")]
    Io { path: String, reason: String },
    #[error("{0}")]
    SceneFile(#[from] kaibo_model::DataFileError),
    #[error("{0}")]
    Invalid(String),
}
