//! What panels ask of the studio. A panel draws from a read-only `&Studio` and pushes these;
//! the app applies them once per frame, after drawing ([`super::Studio::apply`]).

use kaibo_model::{AppSettings, Layout, PreviewFormat, Secret, SourceKind};
use kaibo_runtime::HostAction;

/// A window besides the main one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Window {
    Settings,
    Checklist,
    Interactions,
}

/// One thing the host did in a panel.
#[derive(Clone, Debug, PartialEq)]
pub enum UiCommand {
    /// Put scene `index` on air, with the transition from the settings.
    SwitchScene(usize),
    /// A new empty scene named `base N` (the smallest N free).
    AddScene {
        base: String,
    },
    DuplicateScene(usize),
    DeleteScene(usize),
    /// Move a scene up (-1) or down (+1) the list.
    MoveScene {
        index: usize,
        by: isize,
    },
    RenameScene {
        index: usize,
        name: String,
    },

    /// Add a source to the active scene and select it.
    AddSource {
        name: String,
        input: SourceKind,
    },
    SelectSource(Option<usize>),
    RemoveSource(usize),
    ToggleSource(usize),
    /// Swap two sources of the active scene (drawing order follows).
    SwapSources(usize, usize),
    /// A source's place; `settled` once the host let go (a drag in progress is not saved).
    SetLayout {
        source: usize,
        layout: Layout,
        settled: bool,
    },
    /// Gain and mute for a sound input, in every scene that uses it.
    SetAudio {
        input: SourceKind,
        gain_db: f64,
        muted: bool,
    },
    /// List the machine's screens, windows, cameras and microphones again.
    RefreshDevices,

    /// Go Live (through the checklist) or stop streaming.
    SetLive(bool),
    /// The answer to "some checks failed, go live anyway?".
    GoLiveAnyway(bool),
    SetRecording(bool),
    /// Rebuild the session with the edited scenes (the stream restarts briefly).
    ApplyScenes,
    /// The preview pictures the window wants (its area's size and byte order).
    PreviewFormat(PreviewFormat),

    /// Save the settings; a new stream key goes to the keyring.
    SaveSettings {
        settings: Box<AppSettings>,
        key: Option<Secret>,
    },
    /// The show script's path as typed in the checklist (empty: none).
    SetScript(String),

    Open(Window),
    Close(Window),
    /// Run the checklist again.
    RunCheck,
    /// Go Live no longer waits for the running check.
    StayOffAir,
    /// Start the interaction hub again after it failed to start.
    RetryHub,
    /// Something for the hub (pin, rating, red envelope, offer, …).
    Host(HostAction),

    DismissNotice(usize),
}
