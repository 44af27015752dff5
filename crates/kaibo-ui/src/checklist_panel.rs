//! The checklist window: each item as it arrives while the check runs, then the report, with
//! the show script to scan; and the "go live anyway?" question when items failed. The check
//! itself runs in the studio (`studio/checklist.rs`).

use crate::i18n::Tr;
use crate::studio::{Studio, UiCommand, Window};
use eframe::egui;
use kaibo_model::checklist::ids;
use kaibo_model::{CheckItem, CheckStatus};

const PASS: egui::Color32 = egui::Color32::from_rgb(40, 140, 70);
const WARN: egui::Color32 = egui::Color32::from_rgb(190, 120, 10);
const FAIL: egui::Color32 = egui::Color32::from_rgb(190, 40, 40);

/// The status in words (the badge's text: colour is never the only sign).
pub(crate) fn status_word(tr: Tr, s: CheckStatus) -> &'static str {
    match s {
        CheckStatus::Pass => tr.t("Pass", "通过"),
        CheckStatus::Warn => tr.t("Warning", "注意"),
        CheckStatus::Fail => tr.t("Fail", "未通过"),
    }
}

fn status_color(s: CheckStatus) -> egui::Color32 {
    match s {
        CheckStatus::Pass => PASS,
        CheckStatus::Warn => WARN,
        CheckStatus::Fail => FAIL,
    }
}

/// An item's name in the interface language; an id this window does not know shows as is.
pub(crate) fn item_name(tr: Tr, id: &str) -> String {
    let name = match id {
        ids::DESTINATION => tr.t("Destination", "推流目标"),
        ids::NETWORK_UPLINK => tr.t("Uplink", "上行带宽"),
        ids::NETWORK_DOWNLINK => tr.t("Downlink", "下行带宽"),
        ids::NETWORK_RTT => tr.t("Network latency", "网络延迟"),
        ids::BANDWIDTH_HOGS => tr.t("Other programs' traffic", "其他程序的网络占用"),
        ids::DEVICES => tr.t("Devices", "采集设备"),
        ids::LIGHTING => tr.t("Lighting", "光线"),
        ids::AUDIO => tr.t("Microphone sound", "麦克风声音"),
        ids::HEADROOM => tr.t("Encoding headroom", "编码余量"),
        ids::DISK => tr.t("Disk space", "磁盘空间"),
        ids::COMPLIANCE => tr.t("Wording (compliance)", "内容合规"),
        other => return other.to_owned(),
    };
    name.to_owned()
}

/// The badge and the name as one text, so a screen reader (and a test) reads them together:
/// "Pass  Disk space".
pub(crate) fn row_title(tr: Tr, style: &egui::Style, item: &CheckItem) -> egui::text::LayoutJob {
    let mut job = egui::text::LayoutJob::default();
    let font = egui::TextStyle::Body.resolve(style);
    job.append(
        status_word(tr, item.status),
        0.0,
        egui::TextFormat {
            font_id: font.clone(),
            color: egui::Color32::WHITE,
            background: status_color(item.status),
            ..Default::default()
        },
    );
    job.append(
        &format!("  {}", item_name(tr, &item.id)),
        0.0,
        egui::TextFormat {
            font_id: font,
            color: egui::Color32::PLACEHOLDER,
            ..Default::default()
        },
    );
    job
}

pub(crate) fn checklist_window(
    ctx: &egui::Context,
    studio: &Studio,
    script: &mut Option<String>,
    out: &mut Vec<UiCommand>,
) {
    let tr = studio.tr();
    let mut open = true;
    let mut script_text = script.take().unwrap_or_else(|| {
        studio
            .settings()
            .script
            .as_ref()
            .map(|p| p.display().to_string())
            .unwrap_or_default()
    });
    let mut script_done = false;
    let c = studio.checklist();
    egui::Window::new(tr.t("Checklist", "开播检查"))
        .id(egui::Id::unique("checklist-window"))
        .open(&mut open)
        // Over the preview, clear of the top bar (Go Live stays in reach).
        .pivot(egui::Align2::CENTER_TOP)
        .default_pos(egui::pos2(ctx.content_rect().center().x, 80.0))
        .resizable(true)
        .default_width(520.0)
        .default_height(560.0)
        .show(ctx, |ui| {
            if let Some(started) = c.running_since {
                ui.horizontal(|ui| {
                    crate::widgets::spinner(ui);
                    ui.label(format!(
                        "{} {} s",
                        tr.t("Checking…", "正在检查…"),
                        started.elapsed().as_secs()
                    ));
                });
                if c.listens {
                    ui.label(
                        egui::RichText::new(tr.t(
                            "Speak now: the microphone is listening",
                            "请说话：正在收听麦克风",
                        ))
                        .strong(),
                    );
                }
            } else if let Some((report, at)) = c.report {
                let mins = at.elapsed().as_secs() / 60;
                ui.horizontal(|ui| {
                    ui.label(tr.t("Overall:", "总体结果："));
                    ui.colored_label(
                        status_color(report.overall),
                        egui::RichText::new(status_word(tr, report.overall)).strong(),
                    );
                    ui.weak(match tr.lang() {
                        kaibo_model::Language::Zh => format!("（{mins} 分钟前检查）"),
                        kaibo_model::Language::En => format!("(checked {mins} min ago)"),
                    });
                });
            }
            if c.skipped_destination {
                ui.weak(tr.t(
                    "On air: the destination and the network are not tested while streaming",
                    "直播中：不测试推流目标和网络（测试推流会干扰直播）",
                ));
            }
            if c.go_live_after {
                ui.horizontal(|ui| {
                    ui.label(tr.t("Goes live when the checks pass", "检查通过后自动开播"));
                    if ui.button(tr.t("Don't go live", "暂不开播")).clicked() {
                        out.push(UiCommand::StayOffAir);
                    }
                });
            }
            ui.separator();
            egui::ScrollArea::vertical()
                .max_height(ui.available_height() - 36.0)
                .auto_shrink([false, true])
                .show(ui, |ui| {
                    if c.items.is_empty() && c.running_since.is_none() {
                        ui.weak(tr.t("Not checked yet", "尚未检查"));
                    }
                    for item in c.items {
                        item_row(ui, tr, item);
                    }
                });
            ui.separator();
            ui.horizontal(|ui| {
                let label = ui.label(tr.t("Show script", "直播脚本"));
                let edit = egui::TextEdit::singleline(&mut script_text)
                    .hint_text(tr.t(
                        "a text file to scan for banned words (optional)",
                        "用于检查违禁词的文本文件（可选）",
                    ))
                    .desired_width(320.0);
                script_done = ui.add(edit).labelled_by(label.id).lost_focus();
            });
            let again = egui::Button::new(tr.t("Run again", "重新检查"));
            if ui.add_enabled(c.running_since.is_none(), again).clicked() {
                out.push(UiCommand::RunCheck);
            }
        });
    if script_done {
        out.push(UiCommand::SetScript(script_text.clone()));
    }
    *script = Some(script_text);
    if !open {
        out.push(UiCommand::Close(Window::Checklist));
    }
}

/// "Some checks failed. Go live anyway?"
pub(crate) fn confirm_go_live(ctx: &egui::Context, studio: &Studio, out: &mut Vec<UiCommand>) {
    let tr = studio.tr();
    let failed: Vec<String> = studio
        .checklist()
        .report
        .map(|(r, _)| {
            r.items
                .iter()
                .filter(|i| i.status == CheckStatus::Fail)
                .map(|i| item_name(tr, &i.id))
                .collect()
        })
        .unwrap_or_default();
    let mut choice = None;
    let modal = egui::Modal::new(egui::Id::unique("confirm-go-live")).show(ctx, |ui| {
        ui.set_max_width(400.0);
        ui.label(
            egui::RichText::new(tr.t(
                "Some checks failed. Go live anyway?",
                "有检查项未通过，仍要开播吗？",
            ))
            .strong(),
        );
        ui.label(format!(
            "{} {}",
            tr.t("Failed:", "未通过："),
            failed.join(tr.t(", ", "、"))
        ));
        ui.add_space(8.0);
        ui.horizontal(|ui| {
            let anyway = egui::Button::new(
                egui::RichText::new(tr.t("Go live anyway", "仍然开播")).color(egui::Color32::WHITE),
            )
            .fill(egui::Color32::from_rgb(200, 40, 40));
            if ui.add(anyway).clicked() {
                choice = Some(true);
            }
            if ui.button(tr.t("Cancel", "取消")).clicked() {
                choice = Some(false);
            }
        });
    });
    if choice.is_none() && modal.should_close() {
        choice = Some(false);
    }
    if let Some(go) = choice {
        out.push(UiCommand::GoLiveAnyway(go));
    }
}

/// One item: badge and name, the measured value, the hint, details folded.
fn item_row(ui: &mut egui::Ui, tr: Tr, item: &CheckItem) {
    ui.label(row_title(tr, ui.style(), item));
    if !item.value.is_empty() {
        ui.add(egui::Label::new(&item.value).wrap());
    }
    if !item.hint.is_empty() {
        ui.add(egui::Label::new(egui::RichText::new(&item.hint).weak()).wrap());
    }
    if !item.details.is_empty() {
        egui::CollapsingHeader::new(format!(
            "{} ({})",
            tr.t("Details", "详情"),
            item.details.len()
        ))
        .id_salt(("check-details", &item.id))
        .default_open(false)
        .show(ui, |ui| {
            for d in &item.details {
                ui.add(egui::Label::new(format!("· {d}")).wrap());
            }
        });
    }
    ui.add_space(4.0);
}

#[cfg(test)]
mod tests {
    use super::*;
    use kaibo_model::Language;

    #[test]
    fn every_item_has_a_distinct_name_in_both_languages() {
        for lang in [Language::En, Language::Zh] {
            let names: Vec<String> = ids::IN_ORDER
                .iter()
                .map(|id| item_name(Tr(lang), id))
                .collect();
            for (id, name) in ids::IN_ORDER.iter().zip(&names) {
                assert_ne!(name, id, "{id} has no {lang:?} name");
            }
            let mut unique = names.clone();
            unique.sort();
            unique.dedup();
            assert_eq!(unique.len(), names.len(), "{names:?}");
        }
        assert_eq!(item_name(Tr(Language::Zh), ids::NETWORK_UPLINK), "上行带宽");
        assert_eq!(item_name(Tr(Language::En), "future.item"), "future.item");
    }

    #[test]
    fn the_badge_and_name_read_as_one_text() {
        let item = CheckItem::new(ids::DISK, CheckStatus::Warn, "3 GB", "free some space");
        assert_eq!(
            row_title(Tr(Language::En), &egui::Style::default(), &item).text,
            "Warning  Disk space"
        );
        assert_eq!(
            row_title(Tr(Language::Zh), &egui::Style::default(), &item).text,
            "注意  磁盘空间"
        );
    }
}
