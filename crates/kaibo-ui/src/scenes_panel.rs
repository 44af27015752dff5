//! The scene list: click (or 1–9) to put a scene on air; add, rename, duplicate, delete,
//! reorder.

use crate::app::KaiboApp;
use eframe::egui;
use kaibo_model::Scene;

/// What the host asked of the scene list this frame.
enum Action {
    Switch(usize),
    Add,
    Duplicate(usize),
    Delete(usize),
    Move(usize, isize),
    StartRename(usize),
    FinishRename,
}

impl KaiboApp {
    pub(crate) fn scenes_panel(&mut self, ui: &mut egui::Ui) {
        let tr = self.tr();
        ui.heading(tr.t("Scenes", "场景"));
        let mut action = None;
        let count = self.collection.scenes.len();
        for (i, scene) in self.collection.scenes.iter().enumerate() {
            ui.horizontal(|ui| {
                if let Some((at, text)) = &mut self.renaming
                    && *at == i
                {
                    let edit = ui.add(
                        egui::TextEdit::singleline(text)
                            .desired_width(150.0)
                            .id_salt("scene-rename"),
                    );
                    if !self.rename_focused {
                        edit.request_focus();
                        self.rename_focused = true;
                    }
                    if edit.lost_focus() || ui.button(tr.t("OK", "确定")).clicked() {
                        action = Some(Action::FinishRename);
                    }
                    return;
                }
                let hotkey = if i < 9 {
                    format!("{}  ", i + 1)
                } else {
                    String::new()
                };
                let on_air = i == self.active;
                let label = ui
                    .selectable_label(on_air, format!("{hotkey}{}", scene.name))
                    .on_hover_text(tr.t(
                        "Click or press the number key to switch; double-click to rename",
                        "单击或按数字键切换；双击重命名",
                    ));
                if label.double_clicked() {
                    action = Some(Action::StartRename(i));
                } else if label.clicked() {
                    action = Some(Action::Switch(i));
                }
            });
        }
        ui.horizontal_wrapped(|ui| {
            let i = self.active;
            if ui.button(tr.t("＋ Add scene", "＋ 添加场景")).clicked() {
                action = Some(Action::Add);
            }
            if ui.button(tr.t("Rename", "重命名")).clicked() {
                action = Some(Action::StartRename(i));
            }
            if ui.button(tr.t("Duplicate", "复制")).clicked() {
                action = Some(Action::Duplicate(i));
            }
            if ui
                .add_enabled(count > 1, egui::Button::new(tr.t("Delete", "删除")))
                .clicked()
            {
                action = Some(Action::Delete(i));
            }
            if ui
                .add_enabled(i > 0, egui::Button::new("↑"))
                .on_hover_text(tr.t("Move up", "上移"))
                .clicked()
            {
                action = Some(Action::Move(i, -1));
            }
            if ui
                .add_enabled(i + 1 < count, egui::Button::new("↓"))
                .on_hover_text(tr.t("Move down", "下移"))
                .clicked()
            {
                action = Some(Action::Move(i, 1));
            }
        });
        if let Some(a) = action {
            self.scene_action(a);
        }
    }

    fn scene_action(&mut self, action: Action) {
        let tr = self.tr();
        match action {
            Action::Switch(i) => self.switch_to(i),
            Action::StartRename(i) => {
                self.rename_focused = false;
                self.renaming = self.collection.scenes.get(i).map(|s| (i, s.name.clone()));
            }
            Action::FinishRename => {
                if let Some((i, name)) = self.renaming.take() {
                    let name = name.trim().to_string();
                    if let Some(scene) = self.collection.scenes.get_mut(i)
                        && !name.is_empty()
                    {
                        // Names mean nothing to the running session: no rebuild.
                        scene.name = name;
                        self.save_scenes();
                    }
                }
            }
            Action::Add => {
                let name = self.unique_name(tr.t("Scene", "场景"));
                self.collection.scenes.push(Scene {
                    name,
                    sources: vec![],
                });
                self.scenes_changed();
            }
            Action::Duplicate(i) => {
                let Some(mut copy) = self.collection.scenes.get(i).cloned() else {
                    return;
                };
                copy.name = self.unique_name(&copy.name);
                self.collection.scenes.insert(i + 1, copy);
                self.scenes_changed();
            }
            Action::Delete(i) => {
                if self.collection.scenes.len() > 1 && i < self.collection.scenes.len() {
                    self.collection.scenes.remove(i);
                    self.active = self.active.min(self.collection.scenes.len() - 1);
                    self.selected_source = None;
                    self.scenes_changed();
                }
            }
            Action::Move(i, by) => {
                let j = i as isize + by;
                if j >= 0 && (j as usize) < self.collection.scenes.len() {
                    self.collection.scenes.swap(i, j as usize);
                    if self.active == i {
                        self.active = j as usize;
                    }
                    self.scenes_changed();
                }
            }
        }
    }

    /// `base N` with the smallest N no scene uses.
    fn unique_name(&self, base: &str) -> String {
        let base = base.trim_end_matches(|c: char| c.is_ascii_digit() || c == ' ');
        (1..)
            .map(|n| format!("{base} {n}"))
            .find(|name| self.collection.scenes.iter().all(|s| &s.name != name))
            .unwrap_or_else(|| base.to_string())
    }
}
