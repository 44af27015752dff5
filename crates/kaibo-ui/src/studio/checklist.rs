//! The pre-stream checklist and the Go Live gate: the runtime's `CheckRun` for the active
//! scene, the destination and the recording folder; its items arrive while it runs. Go Live
//! runs it first when there is no recent report, and a failing item asks before going on air.

use super::{Level, Studio};
use kaibo_model::{CheckItem, CheckReport, CheckStatus, SourceKind};
use kaibo_runtime::{CheckEvent, CheckRequest, CheckRun};
use std::time::{Duration, Instant};

/// A report older than this is run again when the host presses Go Live.
pub(crate) const FRESH_FOR: Duration = Duration::from_secs(10 * 60);
/// How long the microphone is listened to while the host speaks.
const LISTEN: Duration = Duration::from_secs(3);
/// The show length the disk space is judged for.
const PLANNED_S: u32 = 2 * 3600;
/// The profile judged against when the settings name none ("Custom").
const DEFAULT_PROFILE: &str = "custom-rtmp";

/// A check in progress.
struct Running {
    run: CheckRun,
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

/// The checklist's part of the studio.
#[derive(Default)]
pub(super) struct Checklist {
    running: Option<Running>,
    /// What the window lists: the items of the run in progress as they arrive, then the report's.
    items: Vec<CheckItem>,
    last: Option<Finished>,
    /// Go Live waits for the run in progress.
    pub go_live_after: bool,
    /// Asking whether to go live although items failed.
    confirm: bool,
    /// The run left the destination out (the stream was on air).
    skipped_destination: bool,
}

/// What the checklist window shows.
pub struct CheckView<'a> {
    pub items: &'a [CheckItem],
    /// When the run in progress started.
    pub running_since: Option<Instant>,
    /// The run in progress listens to a microphone.
    pub listens: bool,
    /// The last finished report and when it finished.
    pub report: Option<(&'a CheckReport, Instant)>,
    pub skipped_destination: bool,
    /// Go Live waits for the run in progress.
    pub go_live_after: bool,
    /// "Some checks failed. Go live anyway?" is asked.
    pub confirm: bool,
}

impl Studio {
    /// What the checklist window shows.
    pub fn checklist(&self) -> CheckView<'_> {
        let c = &self.check;
        CheckView {
            items: &c.items,
            running_since: c.running.as_ref().map(|r| r.run.started()),
            listens: c.running.as_ref().is_some_and(|r| r.listens),
            report: c.last.as_ref().map(|f| (&f.report, f.at)),
            skipped_destination: c.skipped_destination,
            go_live_after: c.go_live_after,
            confirm: c.confirm,
        }
    }

    /// Opens the checklist window; runs the check when there is no recent report.
    pub(super) fn open_checklist(&mut self) {
        self.windows.checklist = true;
        let stale = self
            .check
            .last
            .as_ref()
            .is_none_or(|f| f.at.elapsed() >= FRESH_FOR);
        if self.check.running.is_none() && stale {
            self.start_check();
        }
    }

    /// Starts a check for the active scene, the destination (unless on air: a test publish
    /// would disturb the stream) and the recording folder. False when it could not start.
    pub(super) fn start_check(&mut self) -> bool {
        if self.check.running.is_some() {
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
            let text = format!(
                "{} {id}",
                tr.t("Unknown platform profile:", "未知的平台配置：")
            );
            self.notify(Level::Error, text);
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
        let request = CheckRequest {
            lang: tr.lang(),
            destination,
            whip: None,
            profile: profile.clone(),
            download_url: None,
            hub: None,
            scene,
            video: self.settings.video,
            audio_kbps: kaibo_runtime::DEFAULT_AUDIO_KBPS,
            script,
            overlay: self.hub_overlay(),
            lighting_image: None,
            audio_file: None,
            listen: LISTEN,
            record_dir: self.recording_folder(),
            planned_s: PLANNED_S,
            word_list_dirs: Vec::new(),
        };
        let run = match CheckRun::spawn(request) {
            Ok(run) => run,
            Err(e) => {
                let text = format!(
                    "{}: {e}",
                    tr.t("Could not start the checklist", "无法启动开播检查")
                );
                self.notify(Level::Error, text);
                return false;
            }
        };
        self.check.items.clear();
        self.check.skipped_destination = on_air;
        self.check.running = Some(Running {
            run,
            target,
            listens,
        });
        // The devices are tested by opening them: the preview lets go of them meanwhile.
        self.hold_preview();
        true
    }

    /// The Go Live gate: true to go on air now (after a recent check without failures).
    /// Otherwise it runs the check first (Go Live follows when it passes) or asks.
    pub(super) fn check_gate(&mut self) -> bool {
        if self.check.running.is_some() {
            self.windows.checklist = true;
            self.check.go_live_after = true;
            return false;
        }
        let target = self.destination().ok().map(|d| d.redacted());
        let recent = self
            .check
            .last
            .as_ref()
            .filter(|f| f.at.elapsed() < FRESH_FOR && f.target == target);
        match recent.map(|f| f.report.overall) {
            Some(CheckStatus::Fail) => {
                self.windows.checklist = true;
                self.check.confirm = true;
                false
            }
            Some(_) => true,
            None => {
                if !self.start_check() {
                    // A checklist that cannot run does not keep the host off air.
                    return true;
                }
                self.windows.checklist = true;
                self.check.go_live_after = true;
                false
            }
        }
    }

    /// The host's answer to "some checks failed, go live anyway?".
    pub(super) fn go_live_anyway(&mut self, go: bool) {
        self.check.confirm = false;
        if go {
            self.windows.checklist = false;
            self.go_live_now();
        }
    }

    /// Reads what the check sent; at the end, goes live or asks if Go Live waited.
    pub(super) fn poll_check(&mut self) {
        let Some(running) = &self.check.running else {
            return;
        };
        let mut finished = None;
        while let Some(event) = running.run.try_event() {
            match event {
                CheckEvent::Item(item) => self.check.items.push(item),
                CheckEvent::Done(report) => {
                    finished = Some(report);
                    break;
                }
            }
        }
        if finished.is_none() && !running.run.is_lost() {
            return;
        }
        let target = self.check.running.take().and_then(|r| r.target);
        self.live.preview_held = false;
        let waiting = std::mem::take(&mut self.check.go_live_after);
        let Some(report) = finished else {
            let text = self.tr().t(
                "The checklist stopped unexpectedly; run it again",
                "开播检查意外中止，请重新检查",
            );
            self.notify(Level::Error, text);
            return;
        };
        self.check.items = report.items.clone();
        let overall = report.overall;
        self.check.last = Some(Finished {
            report,
            at: Instant::now(),
            target,
        });
        if !waiting {
            return;
        }
        if overall == CheckStatus::Fail {
            self.check.confirm = true;
            return;
        }
        // Nothing failed: the window gives the preview back (it stays a click away).
        self.windows.checklist = false;
        if overall == CheckStatus::Warn {
            let text = self.tr().t(
                "Checklist: some items need attention (see Checklist). Going live",
                "开播检查：部分项目需要注意（见开播检查），正在开播",
            );
            self.notify(Level::Warn, text);
        }
        self.go_live_now();
    }

    /// Takes the show script's path as typed: saved in the settings (empty: none).
    pub(super) fn set_script(&mut self, text: &str) {
        let path = Some(text.trim())
            .filter(|t| !t.is_empty())
            .map(std::path::PathBuf::from);
        if path == self.settings.script {
            return;
        }
        if let Some(p) = path.as_ref().filter(|p| !p.is_file()) {
            let text = format!(
                "{} {}",
                self.tr().t("No such file:", "找不到文件："),
                p.display()
            );
            self.notify(Level::Warn, text);
        }
        self.settings.script = path;
        self.save_settings();
    }
}
