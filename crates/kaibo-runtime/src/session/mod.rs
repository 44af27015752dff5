//! Sessions: building the plan, running it on a thread of its own ([`LiveHandle`]), and the
//! data files a plan is made from (scene collections, platform profiles).

mod handle;
mod plan;
mod profiles;
mod scenes;

pub use handle::{LiveHandle, Sender};
pub use plan::{DEFAULT_AUDIO_KBPS, PlanBuilder};
pub use profiles::platform_profiles;
pub use scenes::{RuntimeError, load_scene_file};
