//! The desktop app: the [`Studio`] (the controller) and the window's own state (forms, the
//! preview area). Each frame the studio reads what its jobs sent, the panels draw from a
//! read-only `&Studio` and queue [`UiCommand`]s, and the app applies them.

use crate::forms::Forms;
use crate::i18n::Tr;
use crate::preview_area::PreviewArea;
use crate::stats_panel::CpuMeter;
use crate::studio::{Notice, Studio, UiCommand, Window};
use eframe::egui;
use kaibo_model::{AppSettings, CheckReport, SceneCollection, SessionState, StatsSnapshot};
use kaibo_runtime::{ConfigStore, Interaction};
use std::net::SocketAddr;
use std::path::PathBuf;

/// The widest texture egui is told it may make (see `raw_input_hook`).
const MAX_TEXTURE_SIDE: usize = 2048;

/// The desktop app.
pub struct KaiboApp {
    studio: Studio,
    forms: Forms,
    preview: PreviewArea,
    /// What the panels asked for this frame.
    commands: Vec<UiCommand>,
    cpu: CpuMeter,
    /// Frames the UI drew; tests and benchmarks read it.
    pub frames_drawn: u64,
}

impl KaiboApp {
    /// Loads the saved scenes and settings (defaults when there are none or they are broken,
    /// with a notice) and starts the preview on the first frame.
    pub fn new(store: ConfigStore) -> Self {
        Self::with_studio(Studio::new(store))
    }

    /// An app that draws its panels but runs no session: for snapshots of the layout.
    pub fn without_sessions(store: ConfigStore) -> Self {
        Self::with_studio(Studio::without_sessions(store))
    }

    fn with_studio(studio: Studio) -> Self {
        Self {
            forms: Forms::new(studio.settings()),
            studio,
            preview: PreviewArea::default(),
            commands: Vec::new(),
            cpu: CpuMeter::default(),
            frames_drawn: 0,
        }
    }

    /// The window's preview: OpenGL inside the window, and the child window when there is one.
    pub(crate) fn set_preview(&mut self, preview: PreviewArea) {
        if preview.has_gl() {
            // A real window: the first session waits for the preview area's size.
            self.studio.wait_for_preview_format();
        }
        self.preview = preview;
    }

    /// The controller, read-only.
    pub fn studio(&self) -> &Studio {
        &self.studio
    }

    /// Applies a command as a panel would (tests, hotkeys of a host application).
    pub fn apply(&mut self, command: UiCommand) {
        self.studio.apply(command);
    }

    pub fn tr(&self) -> Tr {
        self.studio.tr()
    }

    pub fn scenes(&self) -> &SceneCollection {
        self.studio.scenes()
    }

    pub fn settings(&self) -> &AppSettings {
        self.studio.settings()
    }

    pub fn active_scene(&self) -> usize {
        self.studio.active_scene()
    }

    pub fn state(&self) -> SessionState {
        self.studio.state()
    }

    pub fn is_live(&self) -> bool {
        self.studio.is_live()
    }

    pub fn wants_live(&self) -> bool {
        self.studio.wants_live()
    }

    pub fn notices(&self) -> &[Notice] {
        self.studio.notices()
    }

    pub fn stats(&self) -> Option<&StatsSnapshot> {
        self.studio.stats()
    }

    /// Preview pictures received so far, over all sessions.
    pub fn preview_frames(&self) -> u64 {
        self.preview.frames_taken()
    }

    pub fn checklist_open(&self) -> bool {
        self.studio.is_open(Window::Checklist)
    }

    pub fn check_running(&self) -> bool {
        self.studio.checklist().running_since.is_some()
    }

    pub fn check_report(&self) -> Option<&CheckReport> {
        self.studio.checklist().report.map(|(r, _)| r)
    }

    /// Whether the "go live anyway?" question is showing.
    pub fn asking_to_go_live(&self) -> bool {
        self.studio.checklist().confirm
    }

    /// The running interaction hub, once the Interactions window started it.
    pub fn interaction(&self) -> Option<&Interaction> {
        self.studio.interaction()
    }

    /// Where the interaction hub listens and keeps its database (before it starts).
    pub fn set_hub_listen(&mut self, listen: SocketAddr, db_path: impl Into<PathBuf>) {
        self.studio.set_hub_listen(listen, db_path);
    }

    /// Shows an error notification.
    pub fn notify_error(&mut self, text: impl Into<String>) {
        self.studio.notify_error(text);
    }

    /// Draws the whole window and handles its input: the studio catches up with its jobs, the
    /// panels draw and queue commands, and the commands are applied.
    pub fn show(&mut self, ui: &mut egui::Ui) {
        let ctx = ui.ctx().clone();
        self.frames_drawn += 1;
        self.studio.tick();
        self.preview.take_picture(&ctx, &self.studio);
        self.cpu.sample();
        crate::layout::hotkeys(&ctx, &mut self.commands);
        let every = crate::layout::window(
            ui,
            &self.studio,
            &mut self.forms,
            &mut self.preview,
            &self.cpu,
            &mut self.commands,
        );
        let acted = !self.commands.is_empty();
        for command in self.commands.drain(..) {
            self.studio.apply(command);
        }
        if acted {
            // Draw again with what the commands changed, in this very frame (egui runs a
            // second pass without the input), and once more should egui decline.
            ctx.request_discard("a panel's command changed the studio");
            ctx.request_repaint();
        } else {
            ctx.request_repaint_after(every);
        }
    }

    /// Stops everything (the window is closing).
    pub fn shutdown(&mut self) {
        self.studio.shutdown();
    }
}

impl eframe::App for KaiboApp {
    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        self.show(ui);
    }

    fn clear_color(&self, visuals: &egui::Visuals) -> [f32; 4] {
        visuals.panel_fill.to_normalized_gamma_f32()
    }

    fn on_exit(&mut self, _gl: Option<&eframe::glow::Context>) {
        self.shutdown();
    }

    /// egui makes its glyph atlas as wide as the largest texture the driver takes: 16384
    /// pixels on software OpenGL, so 2 MiB before the first glyph, held twice (egui's copy and
    /// the driver's). The interface's glyphs fit in far less; 2048 is what every driver takes.
    fn raw_input_hook(&mut self, _ctx: &egui::Context, raw_input: &mut egui::RawInput) {
        raw_input.max_texture_side = Some(
            raw_input
                .max_texture_side
                .map_or(MAX_TEXTURE_SIDE, |s| s.min(MAX_TEXTURE_SIDE)),
        );
    }
}
