//! The active scene's sources: add from live device lists, remove, reorder, show/hide; the
//! selected source's position, size and crop by numbers or by dragging it in the preview.

use crate::studio::{Studio, UiCommand};
use eframe::egui;
use kaibo_model::{Crop, SourceKind};

/// Words in the titles of presentation windows (PowerPoint, WPS, LibreOffice Impress).
const PRESENTATION_TITLES: &[&str] = &["PowerPoint", "WPS", "Impress", "演示", "幻灯片"];

/// The "add source" form's fields.
#[derive(Default)]
pub(crate) struct AddForm {
    pub text: String,
    pub path: String,
}

pub(crate) fn sources_panel(
    ui: &mut egui::Ui,
    studio: &Studio,
    form: &mut AddForm,
    out: &mut Vec<UiCommand>,
) {
    let tr = studio.tr();
    ui.heading(tr.t("Sources", "来源"));
    let Some(scene) = studio.scenes().scenes.get(studio.active_scene()) else {
        return;
    };
    let n = scene.sources.len();
    if n == 0 {
        ui.weak(tr.t(
            "No sources yet: add a screen, window, camera or text below",
            "还没有来源：在下方添加屏幕、窗口、摄像头或文字",
        ));
    }
    // Drawn top first: the last source is drawn over the others.
    for (i, source) in scene.sources.iter().enumerate().rev() {
        ui.horizontal(|ui| {
            let visible = source.layout.is_none_or(|l| l.visible);
            let mut v = visible;
            if source.input.has_video()
                && ui
                    .add(egui::Checkbox::without_text(&mut v))
                    .on_hover_text(tr.t("Show / hide", "显示 / 隐藏"))
                    .changed()
            {
                out.push(UiCommand::ToggleSource(i));
            }
            let label = format!("{} · {}", source.name, kind_label(tr, &source.input));
            if ui
                .selectable_label(studio.selected_source() == Some(i), label)
                .clicked()
            {
                out.push(UiCommand::SelectSource(Some(i)));
            }
            if ui.small_button("↑").clicked() && i + 1 < n {
                out.push(UiCommand::SwapSources(i, i + 1));
            }
            if ui.small_button("↓").clicked() && i > 0 {
                out.push(UiCommand::SwapSources(i, i - 1));
            }
            if ui
                .small_button("×")
                .on_hover_text(tr.t("Remove", "移除"))
                .clicked()
            {
                out.push(UiCommand::RemoveSource(i));
            }
        });
    }
    ui.add_space(4.0);
    add_menu(ui, studio, form, out);
}

fn add_menu(ui: &mut egui::Ui, studio: &Studio, form: &mut AddForm, out: &mut Vec<UiCommand>) {
    let tr = studio.tr();
    let mut added: Option<(String, SourceKind)> = None;
    // The menu holds text fields: only a click outside closes it.
    let config = egui::containers::menu::MenuConfig::new()
        .close_behavior(egui::PopupCloseBehavior::CloseOnClickOutside);
    egui::containers::menu::MenuButton::new(tr.t("＋ Add source", "＋ 添加来源"))
        .config(config)
        .ui(ui, |ui| {
            if studio.devices().is_none()
                || ui.button(tr.t("Refresh devices", "刷新设备")).clicked()
            {
                out.push(UiCommand::RefreshDevices);
            }
            let Some(devices) = studio.devices() else {
                return;
            };
            // The PowerPoint window is one click.
            let presentation = devices.windows.iter().find_map(|w| {
                PRESENTATION_TITLES
                    .iter()
                    .find(|t| w.title.contains(*t))
                    .map(|t| (w.title.clone(), *t))
            });
            if let Some((title, keyword)) = presentation
                && ui
                    .button(format!("{} — {title}", tr.t("Presentation", "演示文稿")))
                    .clicked()
            {
                added = Some((
                    title.clone(),
                    SourceKind::Window {
                        title: Some(keyword.to_string()),
                        xid: None,
                        display: None,
                    },
                ));
            }
            ui.menu_button(tr.t("Screen", "屏幕"), |ui| {
                for s in &devices.screens {
                    if ui
                        .button(format!("{} ({}×{})", s.name, s.width, s.height))
                        .clicked()
                    {
                        added = Some((
                            tr.t("Screen", "屏幕").into(),
                            SourceKind::Screen {
                                display: Some(s.display.clone()),
                            },
                        ));
                    }
                }
            });
            ui.menu_button(tr.t("Window", "窗口"), |ui| {
                egui::ScrollArea::vertical()
                    .max_height(300.0)
                    .show(ui, |ui| {
                        for w in devices.windows.iter().filter(|w| !w.title.is_empty()) {
                            if ui.button(&w.title).clicked() {
                                added = Some((
                                    w.title.clone(),
                                    SourceKind::Window {
                                        title: Some(w.title.clone()),
                                        xid: None,
                                        display: Some(w.display.clone()),
                                    },
                                ));
                            }
                        }
                    });
            });
            ui.menu_button(tr.t("Camera", "摄像头"), |ui| {
                if devices.cameras.is_empty() {
                    ui.weak(tr.t("No camera found", "未找到摄像头"));
                }
                for c in &devices.cameras {
                    if ui.button(&c.name).clicked() {
                        added = Some((
                            c.name.clone(),
                            SourceKind::Camera {
                                device: Some(c.device.clone()),
                            },
                        ));
                    }
                }
            });
            ui.menu_button(tr.t("Microphone", "麦克风"), |ui| {
                if devices.microphones.is_empty() {
                    ui.weak(tr.t("No microphone found", "未找到麦克风"));
                }
                for m in &devices.microphones {
                    if ui.button(&m.name).clicked() {
                        added = Some((
                            m.name.clone(),
                            SourceKind::Mic {
                                device: (!m.is_default).then(|| m.id.clone()),
                            },
                        ));
                    }
                }
            });
            ui.separator();
            let label = ui.label(tr.t("Text", "文字"));
            ui.text_edit_singleline(&mut form.text)
                .labelled_by(label.id);
            if ui.button(tr.t("Add text", "添加文字")).clicked() && !form.text.trim().is_empty()
            {
                let text = form.text.trim().to_string();
                added = Some((
                    text.chars().take(12).collect(),
                    SourceKind::Text {
                        text,
                        font: None,
                        color: None,
                    },
                ));
            }
            let label = ui.label(tr.t("Image or clip file", "图片或视频文件"));
            ui.text_edit_singleline(&mut form.path)
                .labelled_by(label.id);
            ui.horizontal(|ui| {
                let path = form.path.trim().to_string();
                let name = std::path::Path::new(&path)
                    .file_name()
                    .map(|n| n.to_string_lossy().to_string())
                    .unwrap_or_default();
                if ui.button(tr.t("Add image", "添加图片")).clicked() && !path.is_empty() {
                    added = Some((name.clone(), SourceKind::Image { path: path.clone() }));
                }
                if ui.button(tr.t("Add clip", "添加视频")).clicked() && !path.is_empty() {
                    added = Some((name, SourceKind::Media { path }));
                }
            });
            ui.separator();
            if ui.button(tr.t("Test pattern", "测试图案")).clicked() {
                added = Some((tr.t("Test pattern", "测试图案").into(), SourceKind::Test));
            }
            for problem in &devices.problems {
                ui.weak(problem);
            }
        });
    if let Some((name, input)) = added {
        let exists = match &input {
            SourceKind::Image { path } | SourceKind::Media { path } => {
                std::path::Path::new(path).is_file()
            }
            _ => true,
        };
        out.push(UiCommand::AddSource { name, input });
        // A missing file gets the studio's notice and the menu stays for a new path.
        if exists {
            ui.close();
        }
    }
}

/// Numbers for the selected source: position, size, crop, opacity.
pub(crate) fn properties_panel(ui: &mut egui::Ui, studio: &Studio, out: &mut Vec<UiCommand>) {
    let tr = studio.tr();
    ui.heading(tr.t("Properties", "属性"));
    let canvas = studio.scenes().canvas;
    let Some(i) = studio.selected_source() else {
        ui.weak(tr.t("Select a source to edit it", "选择一个来源进行编辑"));
        return;
    };
    let Some(scene) = studio.scenes().scenes.get(studio.active_scene()) else {
        return;
    };
    let layouts = scene.resolved_layouts(canvas);
    let Some(source) = scene.sources.get(i) else {
        return;
    };
    ui.label(&source.name);
    let Some(Some(mut l)) = layouts.get(i).copied() else {
        ui.weak(tr.t("Sound only: see the mixer", "仅声音：请在混音器中调节"));
        return;
    };
    let before = l;
    egui::Grid::new("layout-grid")
        .num_columns(2)
        .show(ui, |ui| {
            let (w, h) = (canvas.width as i32, canvas.height as i32);
            let row = |ui: &mut egui::Ui, name: &str, widget: egui::DragValue<'_>| {
                let label = ui.label(name);
                ui.add(widget).labelled_by(label.id);
                ui.end_row();
            };
            row(ui, "X", egui::DragValue::new(&mut l.x).range(-w..=w));
            row(ui, "Y", egui::DragValue::new(&mut l.y).range(-h..=h));
            row(
                ui,
                tr.t("Width", "宽"),
                egui::DragValue::new(&mut l.width).range(2..=canvas.width * 2),
            );
            row(
                ui,
                tr.t("Height", "高"),
                egui::DragValue::new(&mut l.height).range(2..=canvas.height * 2),
            );
            let Crop {
                left,
                right,
                top,
                bottom,
            } = &mut l.crop;
            for (name, v) in [
                (tr.t("Crop left", "左裁剪"), left),
                (tr.t("Crop right", "右裁剪"), right),
                (tr.t("Crop top", "上裁剪"), top),
                (tr.t("Crop bottom", "下裁剪"), bottom),
            ] {
                row(ui, name, egui::DragValue::new(v).range(0..=4000));
            }
            let label = ui.label(tr.t("Opacity", "不透明度"));
            ui.add(egui::Slider::new(&mut l.opacity, 0.0..=1.0).show_value(false))
                .labelled_by(label.id);
            ui.end_row();
        });
    if l != before {
        out.push(UiCommand::SetLayout {
            source: i,
            layout: l,
            settled: true,
        });
    }
}

/// A short name of a source kind in the interface language.
pub(crate) fn kind_label(tr: crate::i18n::Tr, input: &SourceKind) -> &'static str {
    match input {
        SourceKind::Test => tr.t("test pattern", "测试图案"),
        SourceKind::Screen { .. } => tr.t("screen", "屏幕"),
        SourceKind::Window { .. } => tr.t("window", "窗口"),
        SourceKind::Camera { .. } => tr.t("camera", "摄像头"),
        SourceKind::Mic { .. } => tr.t("microphone", "麦克风"),
        SourceKind::Image { .. } => tr.t("image", "图片"),
        SourceKind::Media { .. } => tr.t("clip", "视频"),
        SourceKind::Text { .. } => tr.t("text", "文字"),
    }
}
