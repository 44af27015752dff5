//! The window's layout: top bar (Go Live, Record, live indicator), scenes and sources on the
//! left, the preview in the middle, stats and properties on the right, the mixer below,
//! notices at the foot of the right-hand column, and the windows over it all. Every panel
//! draws from `&Studio` and queues commands.

use crate::forms::Forms;
use crate::preview_area::PreviewArea;
use crate::stats_panel::CpuMeter;
use crate::studio::{Level, Studio, UiCommand, Window};
use eframe::egui;
use kaibo_model::SessionState;
use std::time::Duration;

/// How often the window redraws by itself (the preview's frame rate).
const PREVIEW_INTERVAL: Duration = Duration::from_millis(66);
/// How often it redraws while the preview has its own child window and meters move.
const METERS_INTERVAL: Duration = Duration::from_millis(100);
/// How often it redraws while the preview has its own window and no meter moves: the
/// elapsed time and the stats change once a second.
const FIGURES_INTERVAL: Duration = Duration::from_millis(1000);
/// Notices need a column at least this wide (points) to stay clear of the preview.
const NOTICE_MIN_WIDTH: f32 = 180.0;
const NOTICE_MARGIN: f32 = 8.0;

/// Draws the whole window; returns how soon it should redraw by itself.
pub(crate) fn window(
    ui: &mut egui::Ui,
    studio: &Studio,
    forms: &mut Forms,
    preview: &mut PreviewArea,
    cpu: &CpuMeter,
    out: &mut Vec<UiCommand>,
) -> Duration {
    let ctx = ui.ctx().clone();
    // Panels draw no background of their own: the window is cleared to the panel colour
    // (`clear_color`), which saves filling every pixel twice on each redraw — on software
    // OpenGL, filling pixels is what a redraw costs.
    let style = ctx.global_style();
    let side = egui::Frame::side_top_panel(&style).fill(egui::Color32::TRANSPARENT);
    let central = egui::Frame::central_panel(&style).fill(egui::Color32::TRANSPARENT);
    egui::Panel::top("top-bar")
        .frame(side)
        .show(ui, |ui| top_bar(ui, studio, out));
    egui::Panel::bottom("mixer")
        .frame(side)
        .resizable(true)
        .default_size(120.0)
        .show(ui, |ui| crate::stats_panel::mixer(ui, studio, out));
    egui::Panel::left("scenes-sources")
        .frame(side)
        .resizable(true)
        .default_size(260.0)
        .show(ui, |ui| {
            egui::ScrollArea::vertical().show(ui, |ui| {
                crate::scenes_panel::scenes_panel(ui, studio, forms, out);
                ui.separator();
                crate::sources_panel::sources_panel(ui, studio, &mut forms.add_source, out);
            });
        });
    let column = egui::Panel::right("properties-stats")
        .frame(side)
        .resizable(true)
        .default_size(250.0)
        .show(ui, |ui| {
            egui::ScrollArea::vertical().show(ui, |ui| {
                crate::stats_panel::stats_panel(ui, studio, cpu);
                ui.separator();
                crate::sources_panel::properties_panel(ui, studio, out);
            });
        });
    egui::CentralPanel::default()
        .frame(central)
        .show(ui, |ui| preview.panel(ui, studio, out));
    if studio.is_open(Window::Settings) {
        crate::settings_panel::settings_window(&ctx, studio, &mut forms.settings, out);
    }
    if studio.is_open(Window::Checklist) {
        crate::checklist_panel::checklist_window(&ctx, studio, &mut forms.script, out);
    }
    if studio.checklist().confirm {
        crate::checklist_panel::confirm_go_live(&ctx, studio, out);
    }
    if studio.is_open(Window::Interactions) {
        crate::interactions_panel::interactions_window(&ctx, studio, &mut forms.interactions, out);
    }
    notices_area(&ctx, studio, column.response.rect, out);
    // The preview is drawn at 15 fps (the engine sends 15): smooth enough to follow the
    // program, and half the drawing of the session's 30 (on software OpenGL the window's
    // drawing is most of its cost). Input repaints at once. (Waking on each new picture
    // through `request_repaint` from the engine's thread drew about twice as often.)
    // With the preview in its own child window the window redraws only for the
    // interface: the meters when there are any, otherwise the once-a-second figures.
    if !preview.native_active() {
        PREVIEW_INTERVAL
    } else if preview.meters_moved(studio) {
        METERS_INTERVAL
    } else {
        FIGURES_INTERVAL
    }
}

/// 1–9 put a scene on air (unless a text field has the keyboard).
pub(crate) fn hotkeys(ctx: &egui::Context, out: &mut Vec<UiCommand>) {
    if ctx.egui_wants_keyboard_input() {
        return;
    }
    use egui::Key::*;
    let keys = [Num1, Num2, Num3, Num4, Num5, Num6, Num7, Num8, Num9];
    if let Some(index) = ctx.input(|i| keys.iter().position(|k| i.key_pressed(*k))) {
        out.push(UiCommand::SwitchScene(index));
    }
}

fn top_bar(ui: &mut egui::Ui, studio: &Studio, out: &mut Vec<UiCommand>) {
    let tr = studio.tr();
    ui.horizontal(|ui| {
        ui.heading("Kaibo 开播");
        ui.separator();
        let live = studio.wants_live();
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
            out.push(UiCommand::SetLive(!live));
        }
        let mut record = studio.wants_record();
        if ui
            .toggle_value(&mut record, tr.t("● Record", "● 录制"))
            .clicked()
        {
            out.push(UiCommand::SetRecording(record));
        }
        ui.separator();
        live_indicator(ui, studio);
        ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
            let toggle = |window| {
                if studio.is_open(window) {
                    UiCommand::Close(window)
                } else {
                    UiCommand::Open(window)
                }
            };
            if ui.button(tr.t("Settings", "设置")).clicked() {
                out.push(toggle(Window::Settings));
            }
            if ui.button(tr.t("Interactions", "互动")).clicked() {
                out.push(toggle(Window::Interactions));
            }
            if ui.button(tr.t("Checklist", "开播检查")).clicked() {
                out.push(toggle(Window::Checklist));
            }
            if studio.pending_apply()
                && ui
                    .button(tr.t(
                        "Apply scene changes (stream restarts briefly)",
                        "应用场景修改（直播会短暂重连）",
                    ))
                    .clicked()
            {
                out.push(UiCommand::ApplyScenes);
            }
        });
    });
}

fn live_indicator(ui: &mut egui::Ui, studio: &Studio) {
    let tr = studio.tr();
    let amber = egui::Color32::from_rgb(230, 160, 30);
    let (text, color) = match (studio.is_live(), studio.state()) {
        (true, SessionState::Live) => {
            let secs = studio.live_since().map_or(0, |t| t.elapsed().as_secs());
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
        (true, SessionState::Reconnecting) => {
            (tr.t("● Reconnecting…", "● 正在重连…").into(), amber)
        }
        (true, _) => (tr.t("● Connecting…", "● 正在连接…").into(), amber),
        (false, _) if studio.checklist().go_live_after => (
            tr.t("Checking before going live…", "开播前检查中…").into(),
            amber,
        ),
        (false, _) => (
            tr.t("Off air", "未开播").into(),
            ui.visuals().weak_text_color(),
        ),
    };
    ui.colored_label(color, egui::RichText::new(text).strong());
    if studio.wants_record() {
        ui.colored_label(
            egui::Color32::from_rgb(230, 50, 50),
            tr.t("● Recording", "● 录制中"),
        )
        .on_hover_text(
            studio
                .recording_path()
                .map(|p| p.display().to_string())
                .unwrap_or_default(),
        );
    }
}

/// The notices, at the foot of `column` (the right-hand one, as laid out this pass).
fn notices_area(
    ctx: &egui::Context,
    studio: &Studio,
    column: egui::Rect,
    out: &mut Vec<UiCommand>,
) {
    if studio.notices().is_empty() {
        return;
    }
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
        for (i, n) in studio.notices().iter().enumerate().rev().take(4) {
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
                        out.push(UiCommand::DismissNotice(i));
                    }
                });
            });
        }
    });
}
