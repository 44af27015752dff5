//! The Interactions window: viewers' questions (held ones first, for approval) to pin on
//! stream, the satisfaction rating, a 10-second red envelope, an offer banner, a lower third
//! and the join QR, with viewers, questions and conversion. The hub and its worker live in the
//! studio (`studio/hub.rs`); this window shows its last snapshot and queues host actions.

use crate::i18n::Tr;
use crate::studio::{Studio, UiCommand, Window};
use crate::widgets::{field, row_button};
use eframe::egui;
use kaibo_runtime::{
    HostAction, NewOffer, PanelKind, QuestionAction, QuestionStatus, QuestionView,
};
use std::time::{SystemTime, UNIX_EPOCH};

/// The red envelope's entry window.
const ENVELOPE_WINDOW_S: u32 = 10;
/// How long an offer banner stays by default, minutes.
const OFFER_MINUTES: u32 = 10;

/// The window's text fields.
pub(crate) struct InteractionsForm {
    offer_title: String,
    offer_detail: String,
    offer_minutes: u32,
    lower_title: String,
    lower_subtitle: String,
}

impl Default for InteractionsForm {
    fn default() -> Self {
        Self {
            offer_title: String::new(),
            offer_detail: String::new(),
            offer_minutes: OFFER_MINUTES,
            lower_title: String::new(),
            lower_subtitle: String::new(),
        }
    }
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

pub(crate) fn interactions_window(
    ctx: &egui::Context,
    studio: &Studio,
    form: &mut InteractionsForm,
    out: &mut Vec<UiCommand>,
) {
    let tr = studio.tr();
    let mut open = true;
    let join_url = studio.interaction().map(|i| i.hub().join_url().to_owned());
    egui::Window::new(tr.t("Interactions", "互动"))
        .id(egui::Id::unique("interactions-window"))
        .open(&mut open)
        .pivot(egui::Align2::CENTER_TOP)
        .default_pos(egui::pos2(ctx.content_rect().center().x, 80.0))
        .resizable(true)
        .default_width(540.0)
        .default_height(600.0)
        .show(ctx, |ui| {
            if let Some(e) = studio.hub_start_error() {
                ui.colored_label(egui::Color32::from_rgb(190, 40, 40), e);
                if ui.button(tr.t("Try again", "重试")).clicked() {
                    out.push(UiCommand::RetryHub);
                }
                return;
            }
            let Some(url) = join_url else {
                return;
            };
            egui::ScrollArea::vertical()
                .auto_shrink([false, true])
                .show(ui, |ui| window_body(ui, studio, form, &url, out));
        });
    if !open {
        out.push(UiCommand::Close(Window::Interactions));
    }
}

fn status_line(tr: Tr, q: &QuestionView) -> String {
    let status = if q.pinned {
        tr.t("on stream", "已上屏")
    } else if q.answered {
        tr.t("answered", "已回答")
    } else {
        match q.status {
            QuestionStatus::Visible => tr.t("shown to viewers", "观众可见"),
            QuestionStatus::Held => tr.t("waiting for approval", "待审核"),
            QuestionStatus::Rejected => tr.t("rejected", "已拒绝"),
        }
    };
    match tr.lang() {
        kaibo_model::Language::Zh => format!("{} · {} 赞 · {status}", q.asker, q.likes),
        kaibo_model::Language::En => format!("{} · {} likes · {status}", q.asker, q.likes),
    }
}

fn window_body(
    ui: &mut egui::Ui,
    studio: &Studio,
    it: &mut InteractionsForm,
    url: &str,
    out: &mut Vec<UiCommand>,
) {
    let tr = studio.tr();
    ui.horizontal_wrapped(|ui| {
        ui.label(tr.t("Viewers join at:", "观众加入地址："));
        ui.add(egui::Label::new(egui::RichText::new(url).monospace()).selectable(true));
    });
    let Some(snap) = studio.hub_snapshot() else {
        ui.horizontal(|ui| {
            crate::widgets::spinner(ui);
            ui.label(tr.t("Connecting to the hub…", "正在连接互动服务…"));
        });
        return;
    };
    let mut qr = snap.showing(PanelKind::JoinQr);
    if ui
        .checkbox(
            &mut qr,
            tr.t("Show join QR on stream", "在直播画面显示二维码"),
        )
        .changed()
    {
        out.push(UiCommand::Host(if qr {
            HostAction::JoinQr
        } else {
            HostAction::Hide(PanelKind::JoinQr)
        }));
    }
    let r = &snap.report;
    let conversion = (r.interaction_conversion * 100.0).round();
    ui.label(match tr.lang() {
        kaibo_model::Language::Zh => format!(
            "观众 {} · 提问 {} · 互动转化 {conversion}%",
            r.views, r.questions
        ),
        kaibo_model::Language::En => format!(
            "Viewers {} · Questions {} · Conversion {conversion}%",
            r.views, r.questions
        ),
    });
    if let Some(e) = studio.hub_stale() {
        ui.colored_label(egui::Color32::from_rgb(190, 120, 10), e);
    }
    ui.separator();

    let held: Vec<&QuestionView> = snap
        .questions
        .iter()
        .filter(|q| q.status == QuestionStatus::Held)
        .collect();
    let shown: Vec<&QuestionView> = snap
        .questions
        .iter()
        .filter(|q| q.status == QuestionStatus::Visible)
        .collect();
    if !held.is_empty() {
        ui.label(egui::RichText::new(tr.t("Waiting for approval", "待审核")).strong());
        for q in held {
            question_row(ui, tr, q, out);
        }
        ui.separator();
    }
    ui.label(egui::RichText::new(tr.t("Questions", "提问")).strong());
    if shown.is_empty() {
        ui.weak(tr.t("No questions yet", "暂无提问"));
    }
    for q in shown {
        question_row(ui, tr, q, out);
    }
    ui.separator();

    // The satisfaction rating.
    ui.horizontal(|ui| {
        ui.label(tr.t("Satisfaction rating", "满意度评分"));
        match snap.open_poll() {
            Some(p) => {
                let votes: u32 = p.options.iter().map(|o| o.votes).sum();
                ui.weak(match tr.lang() {
                    kaibo_model::Language::Zh => format!("{votes} 票"),
                    kaibo_model::Language::En => format!("{votes} votes"),
                });
                if ui.button(tr.t("Close rating", "结束评分")).clicked() {
                    out.push(UiCommand::Host(HostAction::ClosePoll(p.id)));
                }
            }
            None => {
                if ui.button(tr.t("Open rating", "开启评分")).clicked() {
                    out.push(UiCommand::Host(HostAction::OpenSatisfaction));
                }
            }
        }
    });

    // The red envelope.
    ui.horizontal_wrapped(|ui| {
        let now = now_ms();
        let running = studio
            .lottery()
            .is_some_and(|l| now < l.closes_at_ms || l.winners.is_none());
        let start = egui::Button::new(tr.t("Red envelope in 10 s", "10 秒红包"));
        if ui.add_enabled(!running, start).clicked() {
            out.push(UiCommand::Host(HostAction::RedEnvelope {
                title: tr.t("Red envelope", "红包").to_owned(),
                window_s: ENVELOPE_WINDOW_S,
            }));
        }
        if let Some(l) = studio.lottery() {
            if now < l.closes_at_ms {
                let left = (l.closes_at_ms - now).div_ceil(1000);
                ui.label(match tr.lang() {
                    kaibo_model::Language::Zh => format!("还剩 {left} 秒"),
                    kaibo_model::Language::En => format!("{left} s left"),
                });
            }
            let draw = egui::Button::new(tr.t("Draw", "开奖"));
            if ui
                .add_enabled(now >= l.closes_at_ms && l.winners.is_none(), draw)
                .clicked()
            {
                out.push(UiCommand::Host(HostAction::Draw(l.id)));
            }
            if let Some(w) = &l.winners {
                let names = if w.is_empty() {
                    tr.t("nobody entered", "无人参与").to_owned()
                } else {
                    w.join(tr.t(", ", "、"))
                };
                ui.label(format!("{} {names}", tr.t("Winners:", "中奖者：")));
            }
        }
    });
    ui.separator();

    // The offer banner.
    ui.label(egui::RichText::new(tr.t("Offer banner", "优惠横幅")).strong());
    field(ui, tr.t("Title", "标题"), &mut it.offer_title);
    field(ui, tr.t("Detail", "详情"), &mut it.offer_detail);
    ui.horizontal(|ui| {
        let l = ui.label(tr.t("Minutes", "分钟"));
        ui.add(egui::DragValue::new(&mut it.offer_minutes).range(0..=240))
            .labelled_by(l.id);
        let title = it.offer_title.trim();
        if ui
            .add_enabled(
                !title.is_empty(),
                egui::Button::new(tr.t("Show offer", "显示优惠")),
            )
            .clicked()
        {
            out.push(UiCommand::Host(HostAction::Offer(NewOffer {
                title: title.to_owned(),
                detail: it.offer_detail.trim().to_owned(),
                ends_at_ms: None,
                duration_s: (it.offer_minutes > 0).then_some(u64::from(it.offer_minutes) * 60),
            })));
        }
        if ui
            .add_enabled(
                snap.showing(PanelKind::Offer),
                egui::Button::new(tr.t("Hide offer", "隐藏优惠")),
            )
            .clicked()
        {
            out.push(UiCommand::Host(HostAction::Hide(PanelKind::Offer)));
        }
    });

    // The lower third.
    ui.label(egui::RichText::new(tr.t("Lower third", "字幕条")).strong());
    field(ui, tr.t("Name", "名称"), &mut it.lower_title);
    field(ui, tr.t("Subtitle", "副标题"), &mut it.lower_subtitle);
    ui.horizontal(|ui| {
        let title = it.lower_title.trim();
        if ui
            .add_enabled(
                !title.is_empty(),
                egui::Button::new(tr.t("Show lower third", "显示字幕条")),
            )
            .clicked()
        {
            out.push(UiCommand::Host(HostAction::LowerThird {
                title: title.to_owned(),
                subtitle: it.lower_subtitle.trim().to_owned(),
            }));
        }
        if ui
            .add_enabled(
                snap.showing(PanelKind::LowerThird),
                egui::Button::new(tr.t("Hide lower third", "隐藏字幕条")),
            )
            .clicked()
        {
            out.push(UiCommand::Host(HostAction::Hide(PanelKind::LowerThird)));
        }
    });
}

/// A question: its text, the masked asker, likes and status, and what the host can do.
fn question_row(ui: &mut egui::Ui, tr: Tr, q: &QuestionView, out: &mut Vec<UiCommand>) {
    let act = |what| UiCommand::Host(HostAction::Question(q.id, what));
    ui.push_id(("question", q.id), |ui| {
        ui.add(egui::Label::new(&q.text).wrap());
        ui.horizontal(|ui| {
            ui.weak(status_line(tr, q));
            if q.status == QuestionStatus::Held {
                if row_button(ui, tr.t("Approve", "通过"), &q.text) {
                    out.push(act(QuestionAction::Approve));
                }
            } else if q.pinned {
                if row_button(ui, tr.t("Unpin", "取消置顶"), &q.text) {
                    out.push(act(QuestionAction::Unpin));
                }
            } else if row_button(ui, tr.t("Pin", "置顶"), &q.text) {
                out.push(act(QuestionAction::Pin));
            }
            if row_button(ui, tr.t("Reject", "拒绝"), &q.text) {
                out.push(act(QuestionAction::Reject));
            }
        });
        ui.add_space(4.0);
    });
}
