//! The pre-stream checklist: `kaibo_runtime::run_check` for the active scene, the destination
//! and the recording folder, on a thread of its own (items come back over a channel read in
//! `tick`, so the window never waits); the window shows each item as it arrives. Go Live runs
//! it first when there is no recent report, and a failing item asks before going on air.

use crate::app::{KaiboApp, Level};
use crate::i18n::Tr;
use eframe::egui;
use kaibo_model::check::ids;
use kaibo_model::{CheckItem, CheckReport, CheckStatus, SourceKind};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// A report older than this is run again when the host presses Go Live.
pub(crate) const FRESH_FOR: Duration = Duration::from_secs(10 * 60);
/// How long the microphone is listened to while the host speaks.
const LISTEN: Duration = Duration::from_secs(3);
/// The show length the disk space is judged for.
const PLANNED_S: u32 = 2 * 3600;
/// The profile judged against when the settings name none ("Custom").
const DEFAULT_PROFILE: &str = "custom-rtmp";

const PASS: egui::Color32 = egui::Color32::from_rgb(40, 140, 70);
const WARN: egui::Color32 = egui::Color32::from_rgb(190, 120, 10);
const FAIL: egui::Color32 = egui::Color32::from_rgb(190, 40, 40);

enum Msg {
    Item(CheckItem),
    Done(CheckReport),
}

/// A check in progress.
struct Run {
    rx: mpsc::Receiver<Msg>,
    started: Instant,
    /// The destination it tests (masked), if any.
    target: Option<String>,
    /// It listens to a microphone: the host should speak.
    listens: bool,
}

/// A finished check.
struct Finished {
    report: CheckReport,
    at: Instant,
    target: Option<String>,
}

/// The checklist's state.
#[derive(Default)]
pub(crate) struct Checklist {
    pub(crate) open: bool,
    run: Option<Run>,
    /// What the window lists: the items of the run in progress as they arrive, then the report's.
    items: Vec<CheckItem>,
    last: Option<Finished>,
    /// Go Live waits for the run in progress.
    pub(crate) go_live_after: bool,
    /// Asking whether to go live although items failed.
    pub(crate) confirm: bool,
    /// The run left the destination out (the stream was on air).
    skipped_destination: bool,
    /// The show script's path as typed (saved in the settings when it names a file).
    script_text: Option<String>,
}

/// What Go Live does, given the checklist.
pub(crate) enum Gate {
    /// Go on air now.
    Go,
    /// A check runs first; it goes live (or asks) when it ends.
    Wait,
    /// Items failed: the host is asked.
    Ask,
}

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

impl Checklist {
    pub(crate) fn running(&self) -> bool {
        self.run.is_some()
    }

    pub(crate) fn report(&self) -> Option<&CheckReport> {
        self.last.as_ref().map(|f| &f.report)
    }
}

impl KaiboApp {
    /// Opens the checklist window; runs the check when there is no recent report.
    pub fn open_checklist(&mut self) {
        self.checklist.open = true;
        let stale = self
            .checklist
            .last
            .as_ref()
            .is_none_or(|f| f.at.elapsed() >= FRESH_FOR);
        if !self.checklist.running() && stale {
            self.start_check();
        }
    }

    /// Whether the checklist window is open.
    pub fn checklist_open(&self) -> bool {
        self.checklist.open
    }

    /// Whether a check is running.
    pub fn check_running(&self) -> bool {
        self.checklist.running()
    }

    /// The last finished check.
    pub fn check_report(&self) -> Option<&CheckReport> {
        self.checklist.report()
    }

    /// Whether the host asked to be on air (the stream may still be starting).
    pub fn wants_live(&self) -> bool {
        self.wanted.live
    }

    /// Whether the "go live anyway?" question is showing.
    pub fn asking_to_go_live(&self) -> bool {
        self.checklist.confirm
    }

    /// Starts a check for the active scene, the destination (unless on air: a test publish
    /// would disturb the stream) and the recording folder. False when it could not start.
    pub(crate) fn start_check(&mut self) -> bool {
        if self.checklist.running() {
            return true;
        }
        let tr = self.tr();
        let profiles = match kaibo_runtime::platform_profiles() {
            Ok(p) => p,
            Err(e) => {
                self.notify(Level::Error, e.to_string());
                return false;
            }
        };
        let id = self.settings.profile.as_deref().unwrap_or(DEFAULT_PROFILE);
        let Some(profile) = profiles.get(id).or_else(|| profiles.get(DEFAULT_PROFILE)) else {
            self.notify(
                Level::Error,
                format!(
                    "{} {id}",
                    tr.t("Unknown platform profile:", "未知的平台配置：")
                ),
            );
            return false;
        };
        let on_air = self.on_air();
        let destination = if on_air {
            None
        } else {
            self.destination().ok()
        };
        let target = destination.as_ref().map(|d| d.redacted());
        let scene = self.collection.scenes.get(self.active).cloned();
        let listens = scene.as_ref().is_some_and(|s| {
            s.sources
                .iter()
                .any(|x| matches!(x.input, SourceKind::Mic { .. }))
        });
        let script = self.settings.script.clone().filter(|p| {
            let there = p.is_file();
            if !there {
                log::warn!("the show script {} is not there", p.display());
            }
            there
        });
        if script.is_none() && self.settings.script.is_some() {
            self.notify(
                Level::Warn,
                tr.t(
                    "The show script set in the checklist was not found; it is not scanned",
                    "开播检查中设置的直播脚本找不到，本次不检查脚本",
                ),
            );
        }
        let overlay = self.interactions.overlay();
        let req = kaibo_runtime::CheckRequest {
            lang: tr.lang(),
            destination,
            whip: None,
            profile: profile.clone(),
            download_url: None,
            hub: None,
            scene,
            video: self.settings.video,
            audio_kbps: crate::app::AUDIO_KBPS,
            script,
            overlay,
            lighting_image: None,
            audio_file: None,
            listen: LISTEN,
            record_dir: self.recording_folder(),
            planned_s: PLANNED_S,
            word_list_dirs: Vec::new(),
        };
        let (tx, rx) = mpsc::channel();
        let spawned = std::thread::Builder::new()
            .name("kaibo-ui-check".into())
            .spawn(move || {
                let items = tx.clone();
                let report = kaibo_runtime::run_check(&req, |item| {
                    // The window may be gone; then nobody needs the item.
                    let _ = items.send(Msg::Item(item.clone()));
                });
                let _ = tx.send(Msg::Done(report));
            });
        if let Err(e) = spawned {
            self.notify(
                Level::Error,
                format!(
                    "{}: {e}",
                    tr.t("Could not start the checklist", "无法启动开播检查")
                ),
            );
            return false;
        }
        self.checklist.items.clear();
        self.checklist.skipped_destination = on_air;
        self.checklist.run = Some(Run {
            rx,
            started: Instant::now(),
            target,
            listens,
        });
        // The devices are tested by opening them: the preview lets go of them meanwhile.
        self.hold_preview_for_check();
        true
    }

    /// What Go Live does: on air at once after a recent check without failures; otherwise
    /// it runs the check first or asks.
    pub(crate) fn check_gate(&mut self) -> Gate {
        if self.checklist.running() {
            self.checklist.open = true;
            self.checklist.go_live_after = true;
            return Gate::Wait;
        }
        let target = self.destination().ok().map(|d| d.redacted());
        let recent = self
            .checklist
            .last
            .as_ref()
            .filter(|f| f.at.elapsed() < FRESH_FOR && f.target == target);
        match recent {
            Some(f) if f.report.overall == CheckStatus::Fail => {
                self.checklist.open = true;
                self.checklist.confirm = true;
                Gate::Ask
            }
            Some(_) => Gate::Go,
            None => {
                if !self.start_check() {
                    // A checklist that cannot run does not keep the host off air.
                    return Gate::Go;
                }
                self.checklist.open = true;
                self.checklist.go_live_after = true;
                Gate::Wait
            }
        }
    }

    /// Reads what the check thread sent; at the end, goes live or asks if Go Live waited.
    pub(crate) fn poll_check(&mut self) {
        let Some(run) = &self.checklist.run else {
            return;
        };
        let mut finished = None;
        let mut lost = false;
        loop {
            match run.rx.try_recv() {
                Ok(Msg::Item(item)) => self.checklist.items.push(item),
                Ok(Msg::Done(report)) => {
                    finished = Some(report);
                    break;
                }
                Err(mpsc::TryRecvError::Empty) => break,
                Err(mpsc::TryRecvError::Disconnected) => {
                    lost = true;
                    break;
                }
            }
        }
        if finished.is_none() && !lost {
            return;
        }
        let run = self.checklist.run.take();
        self.release_preview_after_check();
        let waiting = std::mem::take(&mut self.checklist.go_live_after);
        let Some(report) = finished else {
            let tr = self.tr();
            self.notify(
                Level::Error,
                tr.t(
                    "The checklist stopped unexpectedly; run it again",
                    "开播检查意外中止，请重新检查",
                ),
            );
            return;
        };
        self.checklist.items = report.items.clone();
        let overall = report.overall;
        let failed = overall == CheckStatus::Fail;
        self.checklist.last = Some(Finished {
            report,
            at: Instant::now(),
            target: run.and_then(|r| r.target),
        });
        if waiting {
            if failed {
                self.checklist.confirm = true;
            } else {
                // Nothing failed: the window gives the preview back (it stays a click away).
                self.checklist.open = false;
                if overall == CheckStatus::Warn {
                    let tr = self.tr();
                    self.notify(
                        Level::Warn,
                        tr.t(
                            "Checklist: some items need attention (see Checklist). Going live",
                            "开播检查：部分项目需要注意（见开播检查），正在开播",
                        ),
                    );
                }
                self.go_live_now();
            }
        }
    }

    pub(crate) fn checklist_window(&mut self, ctx: &egui::Context) {
        let tr = self.tr();
        let mut open = true;
        let mut run_again = false;
        let mut stay_off = false;
        let mut script_text = self.checklist.script_text.take().unwrap_or_else(|| {
            self.settings
                .script
                .as_ref()
                .map(|p| p.display().to_string())
                .unwrap_or_default()
        });
        let mut script_done = false;
        let c = &self.checklist;
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
                if let Some(run) = &c.run {
                    ui.horizontal(|ui| {
                        crate::view::spinner(ui);
                        ui.label(format!(
                            "{} {} s",
                            tr.t("Checking…", "正在检查…"),
                            run.started.elapsed().as_secs()
                        ));
                    });
                    if run.listens {
                        ui.label(
                            egui::RichText::new(tr.t(
                                "Speak now: the microphone is listening",
                                "请说话：正在收听麦克风",
                            ))
                            .strong(),
                        );
                    }
                } else if let Some(f) = &c.last {
                    let mins = f.at.elapsed().as_secs() / 60;
                    ui.horizontal(|ui| {
                        ui.label(tr.t("Overall:", "总体结果："));
                        ui.colored_label(
                            status_color(f.report.overall),
                            egui::RichText::new(status_word(tr, f.report.overall)).strong(),
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
                            stay_off = true;
                        }
                    });
                }
                ui.separator();
                egui::ScrollArea::vertical()
                    .max_height(ui.available_height() - 36.0)
                    .auto_shrink([false, true])
                    .show(ui, |ui| {
                        if c.items.is_empty() && c.run.is_none() {
                            ui.weak(tr.t("Not checked yet", "尚未检查"));
                        }
                        for item in &c.items {
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
                if ui.add_enabled(c.run.is_none(), again).clicked() {
                    run_again = true;
                }
            });
        if script_done {
            self.set_script(&script_text);
        }
        self.checklist.script_text = Some(script_text);
        if run_again {
            self.start_check();
        }
        if stay_off || !open {
            // Closing the checklist while Go Live waits for it stays off air.
            self.checklist.go_live_after = false;
        }
        if !open {
            self.checklist.open = false;
        }
    }

    /// Takes the show script's path as typed: saved in the settings (empty: none).
    fn set_script(&mut self, text: &str) {
        let path = Some(text.trim())
            .filter(|t| !t.is_empty())
            .map(std::path::PathBuf::from);
        if path == self.settings.script {
            return;
        }
        if let Some(p) = path.as_ref().filter(|p| !p.is_file()) {
            let tr = self.tr();
            self.notify(
                Level::Warn,
                format!("{} {}", tr.t("No such file:", "找不到文件："), p.display()),
            );
        }
        self.settings.script = path;
        self.save_settings();
    }

    /// "Some checks failed. Go live anyway?"
    pub(crate) fn confirm_go_live(&mut self, ctx: &egui::Context) {
        let tr = self.tr();
        let failed: Vec<String> = self
            .checklist
            .report()
            .map(|r| {
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
                    egui::RichText::new(tr.t("Go live anyway", "仍然开播"))
                        .color(egui::Color32::WHITE),
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
        match choice {
            Some(true) => {
                self.checklist.confirm = false;
                self.checklist.open = false;
                self.go_live_now();
            }
            Some(false) => self.checklist.confirm = false,
            None => {}
        }
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

    const ALL: &[&str] = &[
        ids::DESTINATION,
        ids::NETWORK_UPLINK,
        ids::NETWORK_DOWNLINK,
        ids::NETWORK_RTT,
        ids::BANDWIDTH_HOGS,
        ids::DEVICES,
        ids::LIGHTING,
        ids::AUDIO,
        ids::HEADROOM,
        ids::DISK,
        ids::COMPLIANCE,
    ];

    #[test]
    fn every_item_has_a_distinct_name_in_both_languages() {
        for lang in [Language::En, Language::Zh] {
            let names: Vec<String> = ALL.iter().map(|id| item_name(Tr(lang), id)).collect();
            for (id, name) in ALL.iter().zip(&names) {
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
