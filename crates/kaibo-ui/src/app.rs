//! The app's state and what it does: the running session (preview, live, recording), scene
//! and source edits, persistence and notifications. Drawing lives in the panel modules; media
//! lives behind `kaibo-runtime`.

use crate::i18n::{Tr, system_language};
use eframe::egui;
use kaibo_model::{
    AppSettings, Command, Destination, Event, Layout, OutputSpec, PreviewFormat, Scene,
    SceneCollection, SceneSource, Secret, SessionPlan, SessionState, SourceKind, StatsSnapshot,
};
use kaibo_runtime::{LiveHandle, Store, resolve_windows};
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// How long edits settle before the preview session is rebuilt.
const REBUILD_AFTER: Duration = Duration::from_millis(300);
/// How long a notification stays.
const NOTICE_FOR: Duration = Duration::from_secs(12);
/// The stream's audio bitrate.
pub(crate) const AUDIO_KBPS: u32 = 128;

mod session;

/// How serious a notification is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Level {
    Info,
    Warn,
    Error,
}

/// A message for the host, shown in the corner.
#[derive(Clone, Debug)]
pub struct Notice {
    pub level: Level,
    pub text: String,
    pub at: Instant,
}

/// Which outputs the session runs besides the preview.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Outputs {
    pub live: bool,
    pub record: bool,
}

/// The desktop app.
pub struct KaiboApp {
    pub(crate) store: Store,
    pub(crate) collection: SceneCollection,
    pub(crate) settings: AppSettings,
    pub(crate) stream_key: Option<Secret>,
    /// The active (program) scene.
    pub(crate) active: usize,
    pub(crate) selected_source: Option<usize>,
    pub(crate) renaming: Option<(usize, String)>,
    pub(crate) rename_focused: bool,
    session: Option<LiveHandle>,
    running: Outputs,
    pub(crate) wanted: Outputs,
    /// Set when the scenes changed in a way the running session cannot follow.
    rebuild_at: Option<Instant>,
    /// While live, structural edits wait for the host to apply them.
    pub(crate) pending_apply: bool,
    /// The last attempt failed; wait for a change before trying again.
    blocked: bool,
    pub(crate) state: SessionState,
    pub(crate) stats: Option<StatsSnapshot>,
    pub(crate) live_since: Option<Instant>,
    pub(crate) recording_path: Option<PathBuf>,
    /// The stream's target as the session names it (key masked).
    live_target: Option<String>,
    pub(crate) notices: Vec<Notice>,
    pub(crate) preview: Option<egui::TextureHandle>,
    /// The preview drawn with OpenGL directly (on eframe's glow backend), else egui's texture.
    pub(crate) gl_preview: Option<crate::gl_preview::GlPreview>,
    /// The preview's own X11 child window, used while nothing of egui's lies over it.
    pub(crate) native_preview: Option<crate::native_preview::NativePreview>,
    /// The child window shows the preview now: the window need not redraw for it.
    pub(crate) native_active: bool,
    /// The meters' levels at the last redraw (source, whole dB).
    pub(crate) meters_drawn: Vec<(String, i32)>,
    /// The preview pictures the window wants (its preview area's size, the child window's
    /// byte order), once the area was laid out.
    pub(crate) preview_format: Option<PreviewFormat>,
    /// The sequence number of the last picture taken (numbers run on across sessions).
    preview_seq: u64,
    /// Pictures taken for the preview, over all sessions.
    preview_shown: u64,
    pub(crate) show_settings: bool,
    pub(crate) settings_form: crate::settings_panel::Form,
    pub(crate) add_form: crate::sources_panel::AddForm,
    pub(crate) cpu: crate::stats_panel::CpuMeter,
    /// Frames the UI drew; tests and benchmarks read it.
    pub frames_drawn: u64,
    /// When false no session runs (snapshot tests of the panels alone).
    sessions_enabled: bool,
    pub(crate) checklist: crate::checklist::Checklist,
    /// The preview session is stopped while the checklist opens the devices.
    pub(crate) preview_held: bool,
    /// The interaction hub and its window.
    pub(crate) interactions: crate::interactions::Interactions,
}

impl KaiboApp {
    /// Loads the saved scenes and settings (defaults when there are none or they are broken,
    /// with a notice) and starts the preview on the first frame.
    pub fn new(store: Store) -> Self {
        let mut notices = Vec::new();
        let mut note = |text: String| {
            notices.push(Notice {
                level: Level::Error,
                text,
                at: Instant::now(),
            })
        };
        let settings = store.load_settings().unwrap_or_else(|e| {
            note(e.to_string());
            None
        });
        let settings = settings.unwrap_or_default();
        let tr = Tr(settings.language.unwrap_or_else(system_language));
        let collection = store
            .load_scenes()
            .unwrap_or_else(|e| {
                note(e.to_string());
                None
            })
            .unwrap_or_else(|| default_collection(tr));
        let stream_key = store.stream_key().unwrap_or_else(|e| {
            note(e.to_string());
            None
        });
        let settings_form = crate::settings_panel::Form::from_settings(&settings);
        Self {
            store,
            collection,
            settings,
            stream_key,
            active: 0,
            selected_source: None,
            renaming: None,
            rename_focused: false,
            session: None,
            running: Outputs::default(),
            wanted: Outputs::default(),
            rebuild_at: None,
            pending_apply: false,
            blocked: false,
            state: SessionState::Idle,
            stats: None,
            live_since: None,
            recording_path: None,
            live_target: None,
            notices,
            preview: None,
            gl_preview: None,
            native_preview: None,
            native_active: false,
            meters_drawn: Vec::new(),
            preview_format: None,
            preview_seq: 0,
            preview_shown: 0,
            show_settings: false,
            settings_form,
            add_form: Default::default(),
            cpu: Default::default(),
            frames_drawn: 0,
            sessions_enabled: true,
            checklist: Default::default(),
            preview_held: false,
            interactions: Default::default(),
        }
    }

    /// An app that draws its panels but runs no session: for snapshots of the layout.
    pub fn without_sessions(store: Store) -> Self {
        let mut app = Self::new(store);
        app.sessions_enabled = false;
        app
    }

    /// The interface language in effect.
    pub fn tr(&self) -> Tr {
        Tr(self.settings.language.unwrap_or_else(system_language))
    }

    pub fn scenes(&self) -> &SceneCollection {
        &self.collection
    }

    pub fn settings(&self) -> &kaibo_model::AppSettings {
        &self.settings
    }

    pub fn active_scene(&self) -> usize {
        self.active
    }

    pub fn state(&self) -> SessionState {
        self.state
    }

    pub fn is_live(&self) -> bool {
        self.running.live
    }

    pub fn notices(&self) -> &[Notice] {
        &self.notices
    }

    /// The session's latest stats.
    pub fn stats(&self) -> Option<&StatsSnapshot> {
        self.stats.as_ref()
    }

    /// Preview pictures received so far, over all sessions.
    pub fn preview_frames(&self) -> u64 {
        self.preview_shown
    }

    pub(crate) fn notify(&mut self, level: Level, text: impl Into<String>) {
        let text = text.into();
        match level {
            Level::Error => log::error!("{text}"),
            Level::Warn => log::warn!("{text}"),
            Level::Info => log::info!("{text}"),
        }
        self.notices.push(Notice {
            level,
            text,
            at: Instant::now(),
        });
    }

    /// Shows an error notification.
    pub fn notify_error(&mut self, text: impl Into<String>) {
        self.notify(Level::Error, text);
    }

    pub(crate) fn save_scenes(&mut self) {
        if let Err(e) = self.store.save_scenes(&self.collection) {
            self.notify(Level::Error, e.to_string());
        }
    }

    pub(crate) fn save_settings(&mut self) {
        if let Err(e) = self.store.save_settings(&self.settings) {
            self.notify(Level::Error, e.to_string());
        }
    }

    /// The scenes changed in a way that needs the session rebuilt: saved now, rebuilt soon
    /// (while live, only when the host applies it).
    pub(crate) fn scenes_changed(&mut self) {
        self.save_scenes();
        self.blocked = false;
        if self.running.live || self.running.record {
            self.pending_apply = true;
        } else {
            self.rebuild_at = Some(Instant::now() + REBUILD_AFTER);
        }
    }

    /// Rebuilds the session now with the current scenes (the stream restarts briefly).
    pub(crate) fn apply_now(&mut self) {
        self.pending_apply = false;
        self.blocked = false;
        self.rebuild_at = Some(Instant::now());
    }

    /// Shows scene `index` on the program, with the transition from the settings.
    pub fn switch_to(&mut self, index: usize) {
        if index >= self.collection.scenes.len() || index == self.active {
            return;
        }
        if self.pending_apply {
            // The session does not know the edited scenes yet.
            self.notify(
                Level::Warn,
                self.tr().t(
                    "Apply your scene changes first: the running session still has the old scenes",
                    "请先应用场景修改：当前直播仍在使用修改前的场景",
                ),
            );
            return;
        }
        self.active = index;
        self.selected_source = None;
        let transition = self.settings.transition();
        if self.rebuild_at.is_some() {
            // The session being rebuilt starts on the active scene.
            return;
        }
        if let Some(s) = &self.session {
            s.send(Command::SwitchScene { index, transition });
        }
    }

    /// Go Live (or stop streaming) with the destination from the settings. Going live runs
    /// the checklist first when there is no recent report, and asks when items failed.
    pub fn set_live(&mut self, live: bool) {
        if live && self.destination().is_err() {
            let e = self.destination().err().unwrap_or_default();
            self.notify(Level::Error, e);
            self.show_settings = true;
            return;
        }
        if live && !self.wanted.live {
            use crate::checklist::Gate;
            match self.check_gate() {
                Gate::Go => {}
                Gate::Wait | Gate::Ask => return,
            }
        }
        self.wanted.live = live;
        self.blocked = false;
    }

    /// On air without asking the checklist (it passed, or the host chose to go anyway).
    pub(crate) fn go_live_now(&mut self) {
        if let Err(e) = self.destination() {
            self.notify(Level::Error, e);
            self.show_settings = true;
            return;
        }
        self.wanted.live = true;
        self.blocked = false;
    }

    /// The stream or the recording runs.
    pub(crate) fn on_air(&self) -> bool {
        self.running.live || self.running.record
    }

    /// Stops the preview session while the checklist tests the devices (it holds the camera
    /// and the microphone); when the stream or the recording runs, it is left alone.
    pub(crate) fn hold_preview_for_check(&mut self) {
        if self.on_air() || !self.sessions_enabled {
            return;
        }
        self.preview_held = true;
        if let Some(old) = self.session.take() {
            drop(old);
            self.read_ended();
        }
        self.retarget_hub();
    }

    /// The checklist is done with the devices: the preview comes back on the next frame.
    pub(crate) fn release_preview_after_check(&mut self) {
        self.preview_held = false;
    }

    /// Start or stop the local recording.
    pub fn set_recording(&mut self, record: bool) {
        self.wanted.record = record;
        self.blocked = false;
    }

    /// The RTMP destination from the settings and the saved key.
    pub(crate) fn destination(&self) -> Result<Destination, String> {
        let tr = self.tr();
        let url = self.settings.server_url.trim().trim_end_matches('/');
        if url.is_empty() {
            return Err(tr
                .t(
                    "No destination yet: enter the push server URL and stream key in Settings",
                    "尚未设置推流地址：请在“设置”中填写推流服务器地址和推流码",
                )
                .into());
        }
        let key = self
            .stream_key
            .as_ref()
            .filter(|k| !k.is_empty())
            .ok_or_else(|| {
                tr.t(
                    "No stream key yet: paste the stream key in Settings",
                    "尚未设置推流码：请在“设置”中粘贴推流码",
                )
                .to_string()
            })?;
        Destination::parse(&format!("{url}/{}", key.expose())).map_err(|e| e.to_string())
    }

    /// Where recordings go: the settings' folder, else ~/Videos, else home.
    pub(crate) fn recording_folder(&self) -> PathBuf {
        self.settings.recording_folder.clone().unwrap_or_else(|| {
            let home = std::env::var_os("HOME").map_or_else(|| PathBuf::from("."), PathBuf::from);
            let videos = home.join("Videos");
            if videos.is_dir() { videos } else { home }
        })
    }

    fn recording_file(&self) -> PathBuf {
        self.recording_folder()
            .join(format!("kaibo-{}.mkv", timestamp()))
    }

    /// Adds a source to the active scene and selects it.
    pub fn add_source(&mut self, name: String, input: SourceKind) {
        let canvas = self.collection.canvas;
        let Some(scene) = self.collection.scenes.get_mut(self.active) else {
            return;
        };
        // Give it the place the default arrangement would, made explicit so it can be edited.
        let mut probe = scene.clone();
        probe.sources.push(SceneSource {
            name: name.clone(),
            input: input.clone(),
            layout: None,
            audio: Default::default(),
        });
        let layout: Option<Layout> = probe.resolved_layouts(canvas).pop().flatten();
        scene.sources.push(SceneSource {
            name,
            input,
            layout,
            audio: Default::default(),
        });
        self.selected_source = Some(scene.sources.len() - 1);
        self.scenes_changed();
    }

    /// Stops everything (the window is closing).
    pub fn shutdown(&mut self) {
        self.interactions.stop();
        self.session.take();
    }
}

impl Drop for KaiboApp {
    fn drop(&mut self) {
        self.shutdown();
    }
}

/// The collection a first start shows: one scene with the screen.
pub fn default_collection(tr: Tr) -> SceneCollection {
    SceneCollection {
        version: 1,
        canvas: Default::default(),
        scenes: vec![Scene {
            name: tr.t("Scene 1", "场景 1").into(),
            sources: vec![SceneSource {
                name: tr.t("Screen", "屏幕").into(),
                input: SourceKind::Screen { display: None },
                layout: None,
                audio: Default::default(),
            }],
        }],
    }
}

/// `YYYYMMDD-HHMMSS` in UTC, for file names.
fn timestamp() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let (days, rem) = (secs / 86_400, secs % 86_400);
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}{m:02}{d:02}-{:02}{:02}{:02}",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}
