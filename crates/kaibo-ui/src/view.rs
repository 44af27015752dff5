//! The window's layout: top bar (Go Live, Record, live indicator), scenes and sources on the
//! left, the preview in the middle, properties and stats on the right, the mixer below,
//! notifications in the corner.

use crate::app::{KaiboApp, Level};
use eframe::egui;
use kaibo_model::SessionState;

/// How often the window redraws by itself (the preview's frame rate).
const PREVIEW_INTERVAL: std::time::Duration = std::time::Duration::from_millis(66);
/// How often it redraws while the preview has its own child window and meters move.
const METERS_INTERVAL: std::time::Duration = std::time::Duration::from_millis(100);
/// How often it redraws while the preview has its own window and no meter moves: the
/// elapsed time and the stats change once a second.
const FIGURES_INTERVAL: std::time::Duration = std::time::Duration::from_millis(1000);
/// A spinner turns at 10 steps a second: egui's own asks for a redraw on every frame, which
/// on software OpenGL is as fast as the machine can draw.
const SPINNER_INTERVAL: std::time::Duration = std::time::Duration::from_millis(100);
/// Notices need a column at least this wide (points) to stay clear of the preview.
const NOTICE_MIN_WIDTH: f32 = 180.0;
const NOTICE_MARGIN: f32 = 8.0;

impl KaiboApp {
    /// Draws the whole window and handles its input.
    pub fn show(&mut self, ui: &mut egui::Ui) {
        let ctx = ui.ctx().clone();
        self.tick(&ctx);
        self.hotkeys(&ctx);
        // Panels draw no background of their own: the window is cleared to the panel colour
        // (`clear_color`), which saves filling every pixel twice on each redraw — on software
        // OpenGL, filling pixels is what a redraw costs.
        let style = ctx.global_style();
        let side = egui::Frame::side_top_panel(&style).fill(egui::Color32::TRANSPARENT);
        let central = egui::Frame::central_panel(&style).fill(egui::Color32::TRANSPARENT);
        egui::Panel::top("top-bar")
            .frame(side)
            .show(ui, |ui| self.top_bar(ui));
        egui::Panel::bottom("mixer")
            .frame(side)
            .resizable(true)
            .default_size(120.0)
            .show(ui, |ui| self.mixer(ui));
        egui::Panel::left("scenes-sources")
            .frame(side)
            .resizable(true)
            .default_size(260.0)
            .show(ui, |ui| {
                egui::ScrollArea::vertical().show(ui, |ui| {
                    self.scenes_panel(ui);
                    ui.separator();
                    self.sources_panel(ui);
                });
            });
        let column = egui::Panel::right("properties-stats")
            .frame(side)
            .resizable(true)
            .default_size(250.0)
            .show(ui, |ui| {
                egui::ScrollArea::vertical().show(ui, |ui| {
                    self.stats_panel(ui);
                    ui.separator();
                    self.properties_panel(ui);
                });
            });
        egui::CentralPanel::default()
            .frame(central)
            .show(ui, |ui| self.preview_panel(ui));
        if self.show_settings {
            self.settings_window(&ctx);
        }
        if self.checklist.open {
            self.checklist_window(&ctx);
        }
        if self.checklist.confirm {
            self.confirm_go_live(&ctx);
        }
        if self.interactions.open {
            self.interactions_window(&ctx);
        }
        self.notices_area(&ctx, column.response.rect);
        // The preview is drawn at 15 fps (the engine sends 15): smooth enough to follow the
        // program, and half the drawing of the session's 30 (on software OpenGL the window's
        // drawing is most of its cost). Input repaints at once. (Waking on each new picture
        // through `request_repaint` from the engine's thread drew about twice as often.)
        // With the preview in its own child window the window redraws only for the
        // interface: the meters when there are any, otherwise the once-a-second figures.
        let every = if !self.native_active {
            PREVIEW_INTERVAL
        } else if self.meters_moved() {
            METERS_INTERVAL
        } else {
            FIGURES_INTERVAL
        };
        ctx.request_repaint_after(every);
    }

    fn hotkeys(&mut self, ctx: &egui::Context) {
        if ctx.egui_wants_keyboard_input() {
            return;
        }
        use egui::Key::*;
        let keys = [Num1, Num2, Num3, Num4, Num5, Num6, Num7, Num8, Num9];
        let pressed = ctx.input(|i| keys.iter().position(|k| i.key_pressed(*k)));
        if let Some(index) = pressed {
            self.switch_to(index);
        }
    }

    fn top_bar(&mut self, ui: &mut egui::Ui) {
        let tr = self.tr();
        ui.horizontal(|ui| {
            ui.heading("Kaibo 开播");
            ui.separator();
            let live = self.wanted.live;
            let label = if live {
                tr.t("Stop streaming", "结束直播")
            } else {
                tr.t("Go Live", "开始直播")
            };
            let button = egui::Button::new(egui::RichText::new(label).strong()).fill(if live {
                egui::Color32::from_rgb(90, 90, 90)
            } else {
                egui::Color32::from_rgb(200, 40, 40)
            });
            if ui.add(button).clicked() {
                self.set_live(!live);
            }
            let mut record = self.wanted.record;
            if ui
                .toggle_value(&mut record, tr.t("● Record", "● 录制"))
                .clicked()
            {
                self.set_recording(record);
            }
            ui.separator();
            self.live_indicator(ui);
            ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
                if ui.button(tr.t("Settings", "设置")).clicked() {
                    self.show_settings = !self.show_settings;
                }
                if ui.button(tr.t("Interactions", "互动")).clicked() {
                    if self.interactions.open {
                        self.interactions.open = false;
                    } else {
                        self.open_interactions();
                    }
                }
                if ui.button(tr.t("Checklist", "开播检查")).clicked() {
                    if self.checklist.open {
                        self.checklist.open = false;
                        self.checklist.go_live_after = false;
                    } else {
                        self.open_checklist();
                    }
                }
                if self.pending_apply
                    && ui
                        .button(tr.t(
                            "Apply scene changes (stream restarts briefly)",
                            "应用场景修改（直播会短暂重连）",
                        ))
                        .clicked()
                {
                    self.apply_now();
                }
            });
        });
    }

    fn live_indicator(&self, ui: &mut egui::Ui) {
        let tr = self.tr();
        let (text, color) = match (self.is_live(), self.state) {
            (true, SessionState::Live) => {
                let secs = self.live_since.map_or(0, |t| t.elapsed().as_secs());
                (
                    format!(
                        "● {} {:02}:{:02}:{:02}",
                        tr.t("LIVE", "直播中"),
                        secs / 3600,
                        secs / 60 % 60,
                        secs % 60
                    ),
                    egui::Color32::from_rgb(230, 50, 50),
                )
            }
            (true, SessionState::Reconnecting) => (
                tr.t("● Reconnecting…", "● 正在重连…").into(),
                egui::Color32::from_rgb(230, 160, 30),
            ),
            (true, _) => (
                tr.t("● Connecting…", "● 正在连接…").into(),
                egui::Color32::from_rgb(230, 160, 30),
            ),
            (false, _) if self.checklist.go_live_after => (
                tr.t("Checking before going live…", "开播前检查中…").into(),
                egui::Color32::from_rgb(230, 160, 30),
            ),
            (false, _) => (
                tr.t("Off air", "未开播").into(),
                ui.visuals().weak_text_color(),
            ),
        };
        ui.colored_label(color, egui::RichText::new(text).strong());
        if self.wanted.record {
            ui.colored_label(
                egui::Color32::from_rgb(230, 50, 50),
                tr.t("● Recording", "● 录制中"),
            )
            .on_hover_text(
                self.recording_path
                    .as_ref()
                    .map(|p| p.display().to_string())
                    .unwrap_or_default(),
            );
        }
    }

    fn preview_panel(&mut self, ui: &mut egui::Ui) {
        let tr = self.tr();
        if self.preview_held {
            ui.label(tr.t(
                "The preview is paused while the checklist tests the devices",
                "开播检查正在测试设备，预览暂停",
            ));
        }
        let avail = ui.available_size();
        let ppp = ui.ctx().pixels_per_point();
        let avail_px = ((avail.x * ppp) as u32, (avail.y * ppp) as u32);
        if self.gl_preview.is_some() {
            // Pictures the size of the area: drawn 1:1, and the child window needs that.
            self.ask_preview_size(avail_px);
        }
        let gl = self.gl_preview.clone().filter(|g| g.works());
        let size = match (&gl, &self.preview) {
            (Some(gl), _) => gl.size(),
            (None, Some(texture)) => Some(texture.size_vec2()),
            (None, None) => None,
        };
        let Some(size) = size else {
            self.show_native(None);
            ui.centered_and_justified(|ui| {
                ui.label(tr.t("Starting the preview…", "正在启动预览…"));
            });
            return;
        };
        // The child window shows the picture when a session sends pictures in the area's size
        // and nothing of egui's (a window, menu, notice or a source being dragged) lies over
        // the area; otherwise OpenGL draws the last picture.
        let fills = |have: f32, room: u32| (have - room as f32).abs() <= 2.0;
        let native = self.native_preview.as_ref().is_some_and(|n| n.works())
            && self.monitor().is_some()
            && !self.preview_held
            && self.selected_source.is_none()
            && size.x <= avail_px.0 as f32 + 1.0
            && size.y <= avail_px.1 as f32 + 1.0
            && (fills(size.x, avail_px.0) || fills(size.y, avail_px.1))
            && !egui_over(ui.ctx(), ui.available_rect_before_wrap());
        let scale = (avail.x / size.x).min(avail.y / size.y).max(0.01);
        let shown = if native { size / ppp } else { size * scale };
        let (picture, response) = ui
            .centered_and_justified(|ui| match (&gl, &self.preview) {
                (Some(gl), _) => {
                    let (rect, response) =
                        ui.allocate_exact_size(shown, egui::Sense::click_and_drag());
                    if !native {
                        gl.paint(ui.painter(), rect);
                    }
                    (rect, response)
                }
                (None, Some(texture)) => {
                    let response = ui.add(
                        egui::Image::new((texture.id(), shown))
                            .sense(egui::Sense::click_and_drag()),
                    );
                    (response.rect, response)
                }
                (None, None) => {
                    let response = ui.allocate_response(shown, egui::Sense::hover());
                    (response.rect, response)
                }
            })
            .inner;
        let placement = native.then(|| {
            let r = picture;
            crate::native_preview::Placement {
                x: (r.min.x * ppp).round() as i32,
                y: (r.min.y * ppp).round() as i32,
                width: size.x as u32,
                height: size.y as u32,
            }
        });
        self.show_native(placement);
        self.drag_in_preview(ui, picture, &response);
    }

    /// Whether a level meter moved by a decibel or more since the last redraw.
    fn meters_moved(&mut self) -> bool {
        let now: Vec<(String, i32)> = self
            .levels()
            .into_iter()
            .map(|l| (l.source, l.rms_db.round() as i32))
            .collect();
        let moved = now != self.meters_drawn;
        self.meters_drawn = now;
        moved
    }

    /// Shows the preview's child window at `placement`, or hides it.
    fn show_native(&mut self, placement: Option<crate::native_preview::Placement>) {
        let Some(native) = &self.native_preview else {
            return;
        };
        let monitor = placement.and_then(|_| self.monitor());
        let was_active = self.native_active;
        self.native_active = monitor.is_some() && native.works();
        native.show(monitor, placement);
        // OpenGL takes over: it gets the newest picture for this very redraw (its paint
        // callback reads it after this pass), not the one it last drew.
        if was_active && !self.native_active {
            let newest = self.monitor().and_then(|m| m.frame_after(0));
            if let (Some(gl), Some(frame)) = (self.gl_preview.as_mut(), newest) {
                gl.set_frame(frame);
            }
        }
    }

    /// The notices, at the foot of `column` (the right-hand one, as laid out this pass).
    fn notices_area(&mut self, ctx: &egui::Context, column: egui::Rect) {
        if self.notices.is_empty() {
            return;
        }
        let mut dismiss = None;
        // At the foot of the right-hand column, where they leave the preview uncovered (a
        // notice over the preview hides its child window, and OpenGL draws the pictures
        // instead); in a column too narrow for them, over the preview's corner.
        let area = egui::Area::new(egui::Id::unique("kaibo-notices"));
        let (area, width) = if column.width() >= NOTICE_MIN_WIDTH + 2.0 * NOTICE_MARGIN {
            (
                area.pivot(egui::Align2::RIGHT_BOTTOM)
                    .fixed_pos(column.right_bottom() - egui::vec2(NOTICE_MARGIN, NOTICE_MARGIN)),
                column.width() - 2.0 * NOTICE_MARGIN,
            )
        } else {
            (
                area.anchor(egui::Align2::RIGHT_BOTTOM, egui::vec2(-12.0, -140.0)),
                420.0,
            )
        };
        area.show(ctx, |ui| {
            for (i, n) in self.notices.iter().enumerate().rev().take(4) {
                let color = match n.level {
                    Level::Error => egui::Color32::from_rgb(120, 20, 20),
                    Level::Warn => egui::Color32::from_rgb(110, 80, 10),
                    Level::Info => egui::Color32::from_rgb(30, 60, 100),
                };
                egui::Frame::popup(ui.style()).fill(color).show(ui, |ui| {
                    let spacing = ui.spacing();
                    let text_width = width
                        - spacing.menu_margin.sum().x
                        - spacing.interact_size.y
                        - spacing.item_spacing.x;
                    ui.horizontal_top(|ui| {
                        let text = egui::RichText::new(&n.text).color(egui::Color32::WHITE);
                        ui.allocate_ui(egui::vec2(text_width, 0.0), |ui| {
                            ui.add(egui::Label::new(text).wrap());
                        });
                        if ui.small_button("×").clicked() {
                            dismiss = Some(i);
                        }
                    });
                });
            }
        });
        if let Some(i) = dismiss {
            self.notices.remove(i);
        }
    }
}

/// Whether a window, menu, tooltip or notice of egui's (as of the last frame) lies over `rect`.
fn egui_over(ctx: &egui::Context, rect: egui::Rect) -> bool {
    ctx.memory(|m| {
        m.areas()
            .visible_layer_ids()
            .into_iter()
            .filter(|layer| layer.order != egui::Order::Background)
            .any(|layer| m.area_rect(layer.id).is_some_and(|r| r.intersects(rect)))
    })
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

/// The widest texture egui is told it may make (see `raw_input_hook`).
const MAX_TEXTURE_SIDE: usize = 2048;

/// A busy sign that redraws at 10 steps a second: an arc going round.
pub(crate) fn spinner(ui: &mut egui::Ui) {
    let side = ui.spacing().interact_size.y;
    let (rect, _) = ui.allocate_exact_size(egui::vec2(side, side), egui::Sense::hover());
    if ui.is_rect_visible(rect) {
        let turn = ui.input(|i| i.time).fract() * std::f64::consts::TAU;
        let radius = rect.height() / 2.0 - 2.0;
        let points: Vec<egui::Pos2> = (0..=24)
            .map(|k| {
                let angle = (turn + f64::from(k) / 24.0 * 1.5 * std::f64::consts::PI) as f32;
                rect.center() + radius * egui::vec2(angle.cos(), angle.sin())
            })
            .collect();
        let stroke = egui::Stroke::new(2.5, ui.visuals().strong_text_color());
        ui.painter().add(egui::Shape::line(points, stroke));
    }
    ui.ctx().request_repaint_after(SPINNER_INTERVAL);
}
