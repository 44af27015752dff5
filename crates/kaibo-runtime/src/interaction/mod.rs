//! Interactions: the hub beside a session ([`Interaction`]), the host's side of it as one
//! trait ([`HostApi`], in-process or over HTTP) and the worker that runs host actions off the
//! caller's thread ([`HostWorker`]).

mod host_api;
mod http_host;
mod hub;
mod worker;

pub use host_api::{HostApi, HostError};
pub use http_host::{HostClient, lan_join_url};
pub use hub::{Interaction, forward_overlay};
pub use worker::{HostAction, HostEvent, HostWorker, HubSnapshot};

/// The hub's own types that the host's side speaks: one definition, shared with the hub.
pub use kaibo_hub::store::{PollState, QuestionStatus, Report as HubReport};
pub use kaibo_hub::{
    LotteryView, NewOffer, PanelKind, PollView, QuestionAction, QuestionFilter, QuestionView,
};
