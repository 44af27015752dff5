//! The scene list: click (or 1–9) to put a scene on air; add, rename, duplicate, delete,
//! reorder.

use crate::forms::Forms;
use crate::studio::{Studio, UiCommand};
use eframe::egui;

pub(crate) fn scenes_panel(
    ui: &mut egui::Ui,
    studio: &Studio,
    forms: &mut Forms,
    out: &mut Vec<UiCommand>,
) {
    let tr = studio.tr();
    ui.heading(tr.t("Scenes", "场景"));
    let scenes = &studio.scenes().scenes;
    let count = scenes.len();
    let active = studio.active_scene();
    let mut start_rename = None;
    let mut finish_rename = false;
    for (i, scene) in scenes.iter().enumerate() {
        ui.horizontal(|ui| {
            if let Some((at, text)) = &mut forms.rename
                && *at == i
            {
                let edit = ui.add(
                    egui::TextEdit::singleline(text)
                        .desired_width(150.0)
                        .id_salt("scene-rename"),
                );
                if !forms.rename_focused {
                    edit.request_focus();
                    forms.rename_focused = true;
                }
                if edit.lost_focus() || ui.button(tr.t("OK", "确定")).clicked() {
                    finish_rename = true;
                }
                return;
            }
            let hotkey = if i < 9 {
                format!("{}  ", i + 1)
            } else {
                String::new()
            };
            let label = ui
                .selectable_label(i == active, format!("{hotkey}{}", scene.name))
                .on_hover_text(tr.t(
                    "Click or press the number key to switch; double-click to rename",
                    "单击或按数字键切换；双击重命名",
                ));
            if label.double_clicked() {
                start_rename = Some(i);
            } else if label.clicked() {
                out.push(UiCommand::SwitchScene(i));
            }
        });
    }
    ui.horizontal_wrapped(|ui| {
        let i = active;
        if ui.button(tr.t("＋ Add scene", "＋ 添加场景")).clicked() {
            out.push(UiCommand::AddScene {
                base: tr.t("Scene", "场景").into(),
            });
        }
        if ui.button(tr.t("Rename", "重命名")).clicked() {
            start_rename = Some(i);
        }
        if ui.button(tr.t("Duplicate", "复制")).clicked() {
            out.push(UiCommand::DuplicateScene(i));
        }
        if ui
            .add_enabled(count > 1, egui::Button::new(tr.t("Delete", "删除")))
            .clicked()
        {
            out.push(UiCommand::DeleteScene(i));
        }
        if ui
            .add_enabled(i > 0, egui::Button::new("↑"))
            .on_hover_text(tr.t("Move up", "上移"))
            .clicked()
        {
            out.push(UiCommand::MoveScene { index: i, by: -1 });
        }
        if ui
            .add_enabled(i + 1 < count, egui::Button::new("↓"))
            .on_hover_text(tr.t("Move down", "下移"))
            .clicked()
        {
            out.push(UiCommand::MoveScene { index: i, by: 1 });
        }
    });
    if finish_rename && let Some((index, name)) = forms.rename.take() {
        out.push(UiCommand::RenameScene { index, name });
    }
    if let Some(i) = start_rename {
        forms.rename_focused = false;
        forms.rename = scenes.get(i).map(|s| (i, s.name.clone()));
    }
}
