//! Stats in plain words (details on hover) and the audio mixer (meter, gain, mute).

use crate::i18n::Tr;
use crate::studio::{Studio, UiCommand};
use eframe::egui;
use kaibo_model::scene::{MAX_GAIN_DB, MIN_GAIN_DB};
use kaibo_model::{OutputState, SessionState};
use std::time::Instant;

const WARN: egui::Color32 = egui::Color32::from_rgb(230, 160, 30);
const DANGER: egui::Color32 = egui::Color32::from_rgb(230, 50, 50);
const GOOD: egui::Color32 = egui::Color32::from_rgb(60, 180, 90);

/// The process's CPU use, sampled about once a second.
#[derive(Debug, Default)]
pub struct CpuMeter {
    last: Option<(Instant, f64)>,
    /// Percent of one core.
    pub percent: Option<f64>,
}

impl CpuMeter {
    pub fn sample(&mut self) {
        let now = Instant::now();
        if self
            .last
            .is_some_and(|(t, _)| now.duration_since(t).as_secs_f64() < 1.0)
        {
            return;
        }
        let Some(cpu) = kaibo_runtime::process_cpu_seconds() else {
            return;
        };
        if let Some((t, before)) = self.last {
            let wall = now.duration_since(t).as_secs_f64();
            self.percent = Some((cpu - before) / wall * 100.0);
        }
        self.last = Some((now, cpu));
    }
}

/// The session state in the host's words.
pub(crate) fn state_word(tr: Tr, s: SessionState) -> &'static str {
    match s {
        SessionState::Idle => tr.t("Idle", "空闲"),
        SessionState::Starting => tr.t("Starting", "启动中"),
        SessionState::Live => tr.t("Running", "运行中"),
        SessionState::Reconnecting => tr.t("Reconnecting", "重连中"),
        SessionState::Stopping => tr.t("Stopping", "停止中"),
        SessionState::Stopped => tr.t("Stopped", "已停止"),
        SessionState::Failed => tr.t("Failed", "失败"),
    }
}

pub(crate) fn stats_panel(ui: &mut egui::Ui, studio: &Studio, cpu: &CpuMeter) {
    let tr = studio.tr();
    ui.heading(tr.t("Stats", "统计"));
    let stats = studio.stats();
    egui::Grid::new("stats-grid").num_columns(2).show(ui, |ui| {
            ui.label(tr.t("State", "状态"));
            ui.label(state_word(tr, studio.state()));
            ui.end_row();
            let Some(s) = &stats else {
                return;
            };
            ui.label(tr.t("Elapsed", "时长"));
            let secs = s.elapsed_s as u64;
            ui.label(format!("{:02}:{:02}:{:02}", secs / 3600, secs / 60 % 60, secs % 60));
            ui.end_row();
            ui.label(tr.t("Frame rate", "帧率"));
            ui.label(format!("{:.0} fps", s.fps));
            ui.end_row();
            ui.label(tr.t("Video bitrate", "视频码率"));
            ui.label(format!("{:.0} kbps", s.video_kbps)).on_hover_text(match s.target_kbps {
                Some(t) => format!(
                    "{} {t} kbps · {} {:.0} %",
                    tr.t("adaptive target", "自适应目标"),
                    tr.t("congestion", "拥塞"),
                    s.congestion * 100.0
                ),
                None => tr.t("fixed bitrate", "固定码率").into(),
            });
            ui.end_row();
            let total = s.frames_encoded + s.frames_dropped;
            let pct = if total == 0 {
                0.0
            } else {
                s.frames_dropped as f64 * 100.0 / total as f64
            };
            let color = if pct > 5.0 {
                DANGER
            } else if pct > 1.0 {
                WARN
            } else {
                GOOD
            };
            ui.label(tr.t("Dropped frames", "丢帧"));
            ui.colored_label(color, format!("{} ({pct:.1} %)", s.frames_dropped))
                .on_hover_text(tr.t(
                    "Frames that never reached the encoder. Over 1 %: close other programs or lower the resolution; over 5 %: viewers see stutter",
                    "未能送入编码器的帧。超过 1%：请关闭其他程序或降低分辨率；超过 5%：观众会看到卡顿",
                ));
            ui.end_row();
            ui.label("CPU");
            ui.label(cpu.percent.map_or("—".into(), |p| format!("{p:.0} %")))
                .on_hover_text(tr.t("Kaibo's share of one CPU core", "开播占用一个 CPU 核心的比例"));
            ui.end_row();
            ui.label(tr.t("Reconnects", "重连次数"));
            let color = if s.reconnects > 0 { WARN } else { GOOD };
            ui.colored_label(color, s.reconnects.to_string());
            ui.end_row();
            for o in &s.outputs {
                let word = match o.state {
                    OutputState::Connecting => tr.t("connecting", "连接中"),
                    OutputState::Live => tr.t("live", "正常"),
                    OutputState::Reconnecting => tr.t("reconnecting", "重连中"),
                    OutputState::Stopped => tr.t("stopped", "已停止"),
                    OutputState::Failed => tr.t("failed", "失败"),
                };
                ui.label(match o.kind {
                    kaibo_model::OutputKind::Rtmp => tr.t("Stream", "推流"),
                    kaibo_model::OutputKind::Whip => tr.t("Stream (WebRTC)", "推流（WebRTC）"),
                    kaibo_model::OutputKind::Record => tr.t("Recording", "录制"),
                })
                .on_hover_text(&o.target);
                ui.label(format!("{word} · {:.0} kbps", o.kbps));
                ui.end_row();
            }
        });
}

pub(crate) fn mixer(ui: &mut egui::Ui, studio: &Studio, out: &mut Vec<UiCommand>) {
    let tr = studio.tr();
    ui.heading(tr.t("Audio mixer", "混音器"));
    let levels = studio.levels();
    let Some(scene) = studio.scenes().scenes.get(studio.active_scene()) else {
        return;
    };
    let sounds: Vec<_> = scene
        .sources
        .iter()
        .filter(|s| s.input.has_audio())
        .collect();
    if sounds.is_empty() {
        ui.weak(tr.t(
            "No sound source in this scene: add a microphone",
            "此场景没有声音来源：请添加麦克风",
        ));
        return;
    }
    for source in sounds {
        let (name, input, audio) = (&source.name, &source.input, source.audio);
        let key = input.key();
        let level = levels.iter().find(|l| l.source == key);
        ui.horizontal(|ui| {
            ui.add_sized([140.0, 18.0], egui::Label::new(name).truncate());
            let db = level.map_or(-100.0, |l| l.peak_db);
            // -60 dBFS → empty, 0 dBFS → full.
            let fill = ((db + 60.0) / 60.0).clamp(0.0, 1.0) as f32;
            let color = if db > -3.0 {
                DANGER
            } else if db > -12.0 {
                WARN
            } else {
                GOOD
            };
            ui.add(
                egui::ProgressBar::new(fill)
                    .desired_width(220.0)
                    .fill(color)
                    .text(if level.is_some() {
                        format!("{db:.0} dB")
                    } else {
                        "—".to_string()
                    }),
            )
            .on_hover_text(tr.t(
                "Peak level. Keep speech around -12 dB; red means it clips",
                "峰值电平。讲话保持在 -12 dB 左右；红色表示削波失真",
            ));
            let mut gain = audio.gain_db;
            let mut muted = audio.muted;
            let g = ui.add(
                egui::Slider::new(&mut gain, MIN_GAIN_DB..=MAX_GAIN_DB)
                    .suffix(" dB")
                    .text(tr.t("gain", "增益")),
            );
            let m = ui.checkbox(&mut muted, tr.t("mute", "静音"));
            if g.changed() || m.changed() {
                out.push(UiCommand::SetAudio {
                    input: input.clone(),
                    gain_db: gain,
                    muted,
                });
            }
        });
    }
}
