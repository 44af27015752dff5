//! Small widgets the panels share.

use eframe::egui;
use std::time::Duration;

/// A spinner turns at 10 steps a second: egui's own asks for a redraw on every frame, which
/// on software OpenGL is as fast as the machine can draw.
const SPINNER_INTERVAL: Duration = Duration::from_millis(100);

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

/// A button whose accessible name also says what it acts on ("Pin: How do I sign up?").
pub(crate) fn row_button(ui: &mut egui::Ui, label: &str, about: &str) -> bool {
    let enabled = ui.is_enabled();
    let response = ui.button(label);
    let name = format!("{label}: {about}");
    response
        .widget_info(|| egui::WidgetInfo::labeled(egui::accesskit::Role::Button, enabled, &name));
    response.clicked()
}

/// A text field named by the label before it.
pub(crate) fn field(ui: &mut egui::Ui, label: &str, text: &mut String) {
    ui.horizontal(|ui| {
        let l = ui.label(label);
        ui.add(egui::TextEdit::singleline(text).desired_width(260.0))
            .labelled_by(l.id);
    });
}
