//! The Kaibo desktop window (eframe/egui, glow renderer).
//!
//! No media code lives here: panels draw from the [`Studio`] (the controller, no egui in it)
//! and queue [`UiCommand`]s that the app applies once per frame; the studio drives a session,
//! the checklist and the interaction hub through `kaibo-runtime`.
//!
//! - `studio/`: the controller (scenes, session, checklist, hub);
//! - `app.rs`: [`KaiboApp`], the studio plus the window's own state (`forms.rs`,
//!   `preview_area.rs`);
//! - `layout.rs` and the `*_panel.rs` files: what is drawn, each from `&Studio`;
//! - `gl_preview.rs`, `native_preview.rs`: how the preview's pictures reach the screen.

mod app;
mod checklist_panel;
mod fonts;
mod forms;
mod gl_preview;
mod i18n;
mod icon;
mod interactions_panel;
mod layout;
mod native_preview;
mod preview_area;
mod scenes_panel;
mod settings_panel;
mod sources_panel;
mod stats_panel;
mod studio;
mod widgets;

pub use app::KaiboApp;
pub use fonts::{FontFile, find_cjk_font, install_cjk};
pub use i18n::{Tr, system_language};
pub use studio::{
    CheckView, DEFAULT_HUB_LISTEN, Level, Notice, Studio, UiCommand, Window, default_collection,
};

use eframe::egui;
use kaibo_runtime::ConfigStore;

/// Why the window could not run.
#[derive(Debug, thiserror::Error)]
pub enum UiError {
    #[error(
        "could not open the Kaibo window: {0}. Kaibo needs a desktop session (DISPLAY or WAYLAND_DISPLAY) with OpenGL 2+ (Mesa's llvmpipe works); for streaming without a window use `kaibo live`"
    )]
    Window(String),
}

/// Sets the app's look: CJK font (with a notice when missing) and a readable size.
pub fn setup_context(ctx: &egui::Context, app: &mut KaiboApp) {
    if let Err(e) = install_cjk(ctx) {
        app.notify_error(e);
    }
}

/// The preview's own child window when the Kaibo window is an X11 one, unless
/// `KAIBO_PREVIEW=opengl` asks for the preview to be drawn by OpenGL inside the window.
fn native_preview_for(cc: &eframe::CreationContext<'_>) -> Option<native_preview::NativePreview> {
    use raw_window_handle::{HasWindowHandle, RawWindowHandle};
    if std::env::var("KAIBO_PREVIEW").is_ok_and(|v| v == "opengl") {
        return None;
    }
    let xid = match cc.window_handle().ok()?.as_raw() {
        RawWindowHandle::Xlib(h) => u32::try_from(h.window).ok()?,
        RawWindowHandle::Xcb(h) => h.window.get(),
        _ => return None,
    };
    native_preview::NativePreview::start(xid)
        .inspect_err(|e| log::info!("the preview is drawn by OpenGL: {e}"))
        .ok()
}

/// Opens the window and runs until it is closed.
pub fn run_window(store: ConfigStore) -> Result<(), UiError> {
    let options = eframe::NativeOptions {
        viewport: egui::ViewportBuilder::default()
            .with_title("Kaibo")
            .with_app_id("kaibo")
            .with_inner_size([1280.0, 800.0])
            .with_min_inner_size([900.0, 600.0])
            .with_icon(std::sync::Arc::new(icon::kaibo_icon())),
        renderer: eframe::Renderer::Glow,
        // Dithering is a per-pixel shader cost that software OpenGL pays on every redraw.
        dithering: false,
        ..Default::default()
    };
    eframe::run_native(
        "Kaibo",
        options,
        Box::new(move |cc| {
            let mut app = KaiboApp::new(store);
            if cc.gl.is_some() {
                app.set_preview(preview_area::PreviewArea::new(
                    gl_preview::GlPreview::default(),
                    native_preview_for(cc),
                ));
            }
            setup_context(&cc.egui_ctx, &mut app);
            Ok(Box::new(app))
        }),
    )
    .map_err(|e| UiError::Window(e.to_string()))
}
