//! Settings: destination (server URL and stream key, the key masked and kept in the keyring),
//! platform profile, video, recording folder, transition, language.

use crate::studio::{Studio, UiCommand, Window};
use eframe::egui;
use kaibo_model::{AppSettings, EncoderChoice, Language, Secret, TransitionKind};

const RESOLUTIONS: &[(u32, u32)] = &[(1920, 1080), (1280, 720), (960, 540), (854, 480)];
const FRAME_RATES: &[u32] = &[24, 25, 30, 60];

/// The settings being edited; applied with Save.
pub(crate) struct SettingsForm {
    pub settings: AppSettings,
    /// A new stream key typed or pasted; empty keeps the saved one.
    pub key: String,
    pub folder: String,
}

impl SettingsForm {
    pub fn from_settings(s: &AppSettings) -> Self {
        Self {
            settings: s.clone(),
            key: String::new(),
            folder: s
                .recording_folder
                .as_ref()
                .map(|p| p.display().to_string())
                .unwrap_or_default(),
        }
    }
}

pub(crate) fn settings_window(
    ctx: &egui::Context,
    studio: &Studio,
    f: &mut SettingsForm,
    out: &mut Vec<UiCommand>,
) {
    let tr = studio.tr();
    let mut open = true;
    let mut save = false;
    let has_key = studio.has_stream_key();
    egui::Window::new(tr.t("Settings", "设置"))
        .open(&mut open)
        .resizable(true)
        .default_width(460.0)
        .show(ctx, |ui| {
            ui.heading(tr.t("Destination", "推流目标"));
            egui::Grid::new("dest-grid").num_columns(2).show(ui, |ui| {
                ui.label(tr.t("Server URL", "推流服务器地址"));
                ui.add(
                    egui::TextEdit::singleline(&mut f.settings.server_url)
                        .hint_text("rtmp://push.example.com/live")
                        .desired_width(280.0),
                );
                ui.end_row();
                ui.label(tr.t("Stream key", "推流码"));
                ui.add(
                    egui::TextEdit::singleline(&mut f.key)
                        .password(true)
                        .hint_text(if has_key {
                            tr.t(
                                "saved (hidden); paste to replace",
                                "已保存（隐藏）；粘贴可替换",
                            )
                        } else {
                            tr.t("paste the stream key", "粘贴推流码")
                        })
                        .desired_width(280.0),
                );
                ui.end_row();
                let label = ui.label(tr.t("Platform", "平台"));
                let profiles = kaibo_runtime::platform_profiles()
                    .map(|p| p.platforms.clone())
                    .unwrap_or_default();
                let current = f.settings.profile.clone().unwrap_or_default();
                egui::ComboBox::from_id_salt("profile")
                    .selected_text(
                        profiles
                            .iter()
                            .find(|p| p.id == current)
                            .map_or(tr.t("Custom", "自定义").to_string(), |p| p.name.clone()),
                    )
                    .show_ui(ui, |ui| {
                        for p in &profiles {
                            if ui.selectable_label(p.id == current, &p.name).clicked() {
                                f.settings.profile = Some(p.id.clone());
                                f.settings.video = p.video();
                            }
                        }
                    })
                    .response
                    .labelled_by(label.id);
                ui.end_row();
            });
            ui.separator();
            ui.heading(tr.t("Video", "视频"));
            egui::Grid::new("video-grid").num_columns(2).show(ui, |ui| {
                let v = &mut f.settings.video;
                let label = ui.label(tr.t("Resolution", "分辨率"));
                egui::ComboBox::from_id_salt("resolution")
                    .selected_text(format!("{}×{}", v.width, v.height))
                    .show_ui(ui, |ui| {
                        for (w, h) in RESOLUTIONS {
                            if ui
                                .selectable_label(
                                    (v.width, v.height) == (*w, *h),
                                    format!("{w}×{h}"),
                                )
                                .clicked()
                            {
                                (v.width, v.height) = (*w, *h);
                            }
                        }
                    })
                    .response
                    .labelled_by(label.id);
                ui.end_row();
                let label = ui.label(tr.t("Frame rate", "帧率"));
                egui::ComboBox::from_id_salt("fps")
                    .selected_text(format!("{} fps", v.fps))
                    .show_ui(ui, |ui| {
                        for r in FRAME_RATES {
                            ui.selectable_value(&mut v.fps, *r, format!("{r} fps"));
                        }
                    })
                    .response
                    .labelled_by(label.id);
                ui.end_row();
                ui.label(tr.t("Bitrate", "码率"));
                ui.add(
                    egui::DragValue::new(&mut v.bitrate_kbps)
                        .range(300..=20_000)
                        .suffix(" kbps"),
                );
                ui.end_row();
                let label = ui.label(tr.t("Encoder", "编码器"));
                egui::ComboBox::from_id_salt("encoder")
                    .selected_text(format!("{:?}", v.encoder))
                    .show_ui(ui, |ui| {
                        ui.selectable_value(
                            &mut v.encoder,
                            EncoderChoice::Auto,
                            tr.t("Automatic", "自动"),
                        );
                        ui.selectable_value(&mut v.encoder, EncoderChoice::X264, "x264");
                        ui.selectable_value(&mut v.encoder, EncoderChoice::OpenH264, "OpenH264");
                    })
                    .response
                    .labelled_by(label.id);
                ui.end_row();
            });
            ui.separator();
            egui::Grid::new("misc-grid").num_columns(2).show(ui, |ui| {
                ui.label(tr.t("Recording folder", "录制文件夹"));
                ui.add(
                    egui::TextEdit::singleline(&mut f.folder)
                        .hint_text("~/Videos")
                        .desired_width(280.0),
                );
                ui.end_row();
                ui.label(tr.t("Scene transition", "场景转场"));
                ui.horizontal(|ui| {
                    ui.selectable_value(
                        &mut f.settings.transition,
                        TransitionKind::Cut,
                        tr.t("Cut", "直切"),
                    );
                    ui.selectable_value(
                        &mut f.settings.transition,
                        TransitionKind::Fade,
                        tr.t("Fade", "淡入淡出"),
                    );
                    ui.add_enabled(
                        f.settings.transition == TransitionKind::Fade,
                        egui::DragValue::new(&mut f.settings.fade_ms)
                            .range(50..=3000)
                            .suffix(" ms"),
                    );
                });
                ui.end_row();
                let label = ui.label(tr.t("Language", "语言"));
                egui::ComboBox::from_id_salt("language")
                    .selected_text(match f.settings.language {
                        None => tr.t("System", "跟随系统"),
                        Some(Language::Zh) => "简体中文",
                        Some(Language::En) => "English",
                    })
                    .show_ui(ui, |ui| {
                        ui.selectable_value(
                            &mut f.settings.language,
                            None,
                            tr.t("System", "跟随系统"),
                        );
                        ui.selectable_value(
                            &mut f.settings.language,
                            Some(Language::Zh),
                            "简体中文",
                        );
                        ui.selectable_value(
                            &mut f.settings.language,
                            Some(Language::En),
                            "English",
                        );
                    })
                    .response
                    .labelled_by(label.id);
                ui.end_row();
            });
            ui.separator();
            if ui.button(tr.t("Save", "保存")).clicked() {
                save = true;
            }
        });
    if save {
        let mut settings = f.settings.clone();
        let folder = f.folder.trim();
        settings.recording_folder = (!folder.is_empty()).then(|| folder.into());
        let key = std::mem::take(&mut f.key);
        let key = Some(key.trim()).filter(|k| !k.is_empty()).map(Secret::new);
        out.push(UiCommand::SaveSettings {
            settings: Box::new(settings),
            key,
        });
    }
    if !open {
        out.push(UiCommand::Close(Window::Settings));
    }
}
