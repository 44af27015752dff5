//! What the CLI and the window drive, grouped by role:
//! - `session/`: the plan builder, live sessions on their own thread ([`LiveHandle`]), scene
//!   files and platform profiles;
//! - `check/`: the pre-stream checklist ([`run_check`], and [`CheckRun`] as a background job);
//! - `net/`: the uplink probe, the downlink download and the link test against a hub;
//! - `interaction/`: the hub beside a session, the host's side of it ([`HostApi`], in-process
//!   or over HTTP) and the [`HostWorker`];
//! - `store/`: settings, scene collections and the stream key on disk or in the keyring.
//!
//! Background jobs have one shape (`job.rs`): a thread, commands in, events out over channels
//! read without waiting.

mod check;
mod interaction;
mod job;
mod net;
mod session;
mod store;
mod sysinfo;

pub use check::{
    CheckEvent, CheckRequest, CheckRun, load_word_lists, run_check, user_word_list_dir,
};
pub use interaction::{
    HostAction, HostApi, HostClient, HostError, HostEvent, HostWorker, HubReport, HubSnapshot,
    Interaction, LotteryView, NewOffer, PanelKind, PollState, PollView, QuestionAction,
    QuestionFilter, QuestionStatus, QuestionView, forward_overlay, lan_join_url,
};
pub use kaibo_devices::list_all as list_devices;
pub use kaibo_model::devices::DeviceList;
pub use net::{DownlinkError, HubLink, ProbeError, measure_downlink, run_probe};
pub use session::{
    DEFAULT_AUDIO_KBPS, LiveHandle, PlanBuilder, RuntimeError, Sender, load_scene_file,
    platform_profiles,
};
pub use store::{ConfigError, ConfigStore, KeyPlace, default_hub_db, state_dir, write_atomic};
pub use sysinfo::process_cpu_seconds;
