//! What the engine tells its caller ([`EngineEvent`]): outputs report their own failures and
//! reconnects with it, the engine its own end. Apart from the engine so that outputs can
//! speak it without importing the engine that owns them.

use crate::error::MediaError;

/// Something the caller should react to. Outputs report `OutputFailed` and `Reconnecting`
/// themselves; the engine turns the last output's failure into `Failed`.
#[derive(Debug)]
pub enum EngineEvent {
    /// The session cannot go on (every output failed, or the pipeline did); call `stop`.
    Failed(MediaError),
    /// One output failed for good; the others go on.
    OutputFailed { target: String, error: MediaError },
    /// A destination dropped and is retried.
    Reconnecting {
        target: String,
        attempt: u32,
        in_s: f64,
        reason: String,
    },
    /// Every source ended (only clips and tests end by themselves).
    Finished,
    /// [`crate::Waker::wake`] was called: a command is waiting.
    Woken,
}
