//! The studio: the window's controller, with no egui in it. It holds what the host is working
//! on (scenes, settings, the stream key), the running session, the checklist run and the
//! interaction hub, and changes them only through [`UiCommand`]s (applied once per frame) and
//! [`Studio::tick`] (once per frame: reads what the background jobs sent). Panels read it
//! through `&Studio` and never change it.
//!
//! Its parts live beside this file: `scenes.rs` (scene and source edits), `session.rs` (the
//! live session), `checklist.rs` (the pre-stream checklist and the Go Live gate) and `hub.rs`
//! (the interaction hub and its worker).

mod checklist;
mod command;
mod hub;
mod outputs;
mod scenes;
mod session;
#[cfg(test)]
mod tests;

pub use checklist::CheckView;
pub use command::{UiCommand, Window};
pub use hub::DEFAULT_HUB_LISTEN;
pub use scenes::default_collection;

use crate::i18n::{Tr, system_language};
use kaibo_model::devices::DeviceList;
use kaibo_model::{AppSettings, SceneCollection, Secret};
use kaibo_runtime::{ConfigStore, KeyPlace};
use std::time::{Duration, Instant};

/// How long a notification stays.
const NOTICE_FOR: Duration = Duration::from_secs(12);

/// How serious a notification is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Level {
    Info,
    Warn,
    Error,
}

/// A message for the host, shown at the foot of the right-hand column.
#[derive(Clone, Debug)]
pub struct Notice {
    pub level: Level,
    pub text: String,
    pub at: Instant,
}

/// Which windows besides the main one are open.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Windows {
    settings: bool,
    checklist: bool,
    interactions: bool,
}

/// The window's controller.
pub struct Studio {
    store: ConfigStore,
    collection: SceneCollection,
    settings: AppSettings,
    stream_key: Option<Secret>,
    /// The active (program) scene.
    active: usize,
    selected: Option<usize>,
    devices: Option<DeviceList>,
    notices: Vec<Notice>,
    windows: Windows,
    live: session::Session,
    check: checklist::Checklist,
    hub: hub::Interactions,
}

impl Studio {
    /// Loads the saved scenes and settings (defaults when there are none or they are broken,
    /// with a notice); the session starts on the first tick.
    pub fn new(store: ConfigStore) -> Self {
        let mut notices = Vec::new();
        let mut note = |text: String| {
            log::error!("{text}");
            notices.push(Notice {
                level: Level::Error,
                text,
                at: Instant::now(),
            })
        };
        let settings = store
            .load_settings()
            .unwrap_or_else(|e| {
                note(e.to_string());
                None
            })
            .unwrap_or_default();
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
        Self {
            store,
            collection,
            settings,
            stream_key,
            active: 0,
            selected: None,
            devices: None,
            notices,
            windows: Windows::default(),
            live: session::Session::default(),
            check: checklist::Checklist::default(),
            hub: hub::Interactions::default(),
        }
    }

    /// A studio that runs no session (snapshots and tests of the panels alone).
    pub fn without_sessions(store: ConfigStore) -> Self {
        let mut studio = Self::new(store);
        studio.live.enabled = false;
        studio
    }

    /// Applies what a panel asked for.
    pub fn apply(&mut self, command: UiCommand) {
        use UiCommand as C;
        match command {
            C::SwitchScene(i) => self.switch_to(i),
            C::AddScene { base } => self.add_scene(&base),
            C::DuplicateScene(i) => self.duplicate_scene(i),
            C::DeleteScene(i) => self.delete_scene(i),
            C::MoveScene { index, by } => self.move_scene(index, by),
            C::RenameScene { index, name } => self.rename_scene(index, &name),
            C::AddSource { name, input } => self.add_source(name, input),
            C::SelectSource(i) => self.selected = i,
            C::RemoveSource(i) => self.remove_source(i),
            C::ToggleSource(i) => self.toggle_source(i),
            C::SwapSources(a, b) => self.swap_sources(a, b),
            C::SetLayout {
                source,
                layout,
                settled,
            } => self.set_layout(source, layout, settled),
            C::SetAudio {
                input,
                gain_db,
                muted,
            } => self.set_audio(&input, gain_db, muted),
            C::RefreshDevices => self.devices = Some(kaibo_runtime::list_devices(None)),
            C::SetLive(live) => self.set_live(live),
            C::GoLiveAnyway(go) => self.go_live_anyway(go),
            C::SetRecording(record) => self.set_recording(record),
            C::ApplyScenes => self.apply_now(),
            C::PreviewFormat(format) => self.set_preview_format(format),
            C::SaveSettings { settings, key } => self.save_settings_form(*settings, key),
            C::SetScript(text) => self.set_script(&text),
            C::Open(w) => self.open(w),
            C::Close(w) => self.close(w),
            C::RunCheck => {
                self.start_check();
            }
            C::StayOffAir => self.check.go_live_after = false,
            C::RetryHub => self.start_hub(),
            C::Host(action) => self.host(action),
            C::DismissNotice(i) => {
                if i < self.notices.len() {
                    self.notices.remove(i);
                }
            }
        }
    }

    /// Once per frame: keeps the session in line with what the host wants and reads what the
    /// session, the checklist and the hub sent.
    pub fn tick(&mut self) {
        self.read_session_events();
        self.poll_check();
        self.poll_hub();
        self.keep_session();
        self.notices.retain(|n| n.at.elapsed() < NOTICE_FOR);
    }

    fn open(&mut self, window: Window) {
        match window {
            Window::Settings => self.windows.settings = true,
            Window::Checklist => self.open_checklist(),
            Window::Interactions => self.open_interactions(),
        }
    }

    fn close(&mut self, window: Window) {
        match window {
            Window::Settings => self.windows.settings = false,
            Window::Checklist => {
                // Closing the checklist while Go Live waits for it stays off air.
                self.windows.checklist = false;
                self.check.go_live_after = false;
            }
            Window::Interactions => self.windows.interactions = false,
        }
    }

    /// Whether `window` is open.
    pub fn is_open(&self, window: Window) -> bool {
        match window {
            Window::Settings => self.windows.settings,
            Window::Checklist => self.windows.checklist,
            Window::Interactions => self.windows.interactions,
        }
    }

    /// The interface language in effect.
    pub fn tr(&self) -> Tr {
        Tr(self.settings.language.unwrap_or_else(system_language))
    }

    pub fn scenes(&self) -> &SceneCollection {
        &self.collection
    }

    pub fn settings(&self) -> &AppSettings {
        &self.settings
    }

    /// Whether a stream key is saved.
    pub fn has_stream_key(&self) -> bool {
        self.stream_key.as_ref().is_some_and(|k| !k.is_empty())
    }

    pub fn active_scene(&self) -> usize {
        self.active
    }

    /// The source of the active scene being edited.
    pub fn selected_source(&self) -> Option<usize> {
        self.selected
    }

    /// The machine's devices, once listed ([`UiCommand::RefreshDevices`]).
    pub fn devices(&self) -> Option<&DeviceList> {
        self.devices.as_ref()
    }

    pub fn notices(&self) -> &[Notice] {
        &self.notices
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

    fn save_scenes(&mut self) {
        if let Err(e) = self.store.save_scenes(&self.collection) {
            self.notify(Level::Error, e.to_string());
        }
    }

    fn save_settings(&mut self) {
        if let Err(e) = self.store.save_settings(&self.settings) {
            self.notify(Level::Error, e.to_string());
        }
    }

    /// Takes the settings form: saved, a new key to the keyring (or the sealed file), the
    /// session rebuilt when the video changed. Invalid video settings keep the window open.
    fn save_settings_form(&mut self, mut next: AppSettings, key: Option<Secret>) {
        let tr = self.tr();
        if let Err(e) = next.video.validate() {
            self.notify(Level::Error, e);
            return;
        }
        if let Some(secret) = key.filter(|k| !k.is_empty()) {
            match self.store.save_stream_key(&secret) {
                Ok(place) => {
                    let where_ = match place {
                        KeyPlace::Keyring => tr.t("in the system keyring", "于系统密钥环"),
                        KeyPlace::EncryptedFile => tr.t(
                            "in an encrypted file (no system keyring is running)",
                            "于加密文件（系统密钥环未运行）",
                        ),
                    };
                    self.notify(
                        Level::Info,
                        format!("{} {where_}", tr.t("Stream key saved", "推流码已保存")),
                    );
                    self.stream_key = Some(secret);
                }
                Err(e) => self.notify(Level::Error, e.to_string()),
            }
        }
        // The script is the checklist's field, not the form's.
        next.script = self.settings.script.clone();
        let video_changed = next.video != self.settings.video;
        self.settings = next;
        self.save_settings();
        if video_changed {
            self.scenes_changed();
        }
        self.windows.settings = false;
    }

    /// Stops everything (the window is closing).
    pub fn shutdown(&mut self) {
        self.stop_hub();
        self.stop_session();
    }
}

impl Drop for Studio {
    fn drop(&mut self) {
        self.shutdown();
    }
}
