//! Pure data for Kaibo: what a session is made of, with validation and no I/O.
//!
//! Everything here is plain serde data. Files are read elsewhere (the runtime); this crate only
//! turns text into checked values and back, and says precisely what is wrong when it cannot.

pub mod checklist;
pub mod destination;
pub mod devices;
pub mod event;
pub mod i18n;
pub mod layout;
pub mod monitor;
pub mod overlay;
pub mod privacy;
pub mod probe_report;
pub mod profile;
pub mod scene;
pub mod scene_file;
pub mod secret;
pub mod session;
pub mod settings;
pub mod spec;
pub mod stats;
pub mod toml_check;
pub mod whip;
pub mod wordlist;

pub use checklist::{CheckItem, CheckReport, CheckStatus};
pub use destination::{Destination, DestinationError, Protocol};
pub use event::{Command, Event, Failure, FailureKind, Transition};
pub use i18n::Tr;
pub use layout::{Crop, Layout};
pub use monitor::{AudioLevel, Monitor, PixelLayout, Pixels, PreviewFormat, PreviewFrame};
pub use overlay::{Anchor, OverlayState, Panel, PanelContent, PollOption};
pub use profile::{PlatformProfile, PlatformProfiles};
pub use scene::{Audio, Canvas, Scene, SceneCollection, SceneSource, SourceKind};
pub use secret::Secret;
pub use session::{EncoderChoice, OutputSpec, SessionPlan, VideoSettings, parse_resolution};
pub use settings::{AppSettings, Language, TransitionKind};
pub use spec::{SpecError, parse_source_spec};
pub use stats::{OutputKind, OutputState, OutputStats, SessionState, StatsSnapshot, Summary};
pub use toml_check::DataFileError;
pub use whip::WhipEndpoint;
pub use wordlist::{Hit, Purpose, Severity, WordList};
