//! The Interactions window: the interaction hub (`kaibo_runtime::Interaction`) started when the
//! host first opens it, its panels following whichever session runs. The window lists viewers'
//! questions (held ones first, for approval), pins them on stream, runs the satisfaction
//! rating and a 10-second red envelope, shows an offer banner, a lower third and the join QR,
//! and reports viewers, questions and conversion.
//!
//! Every HTTP call runs on a worker thread of its own (a `HostClient`): actions go to it over a
//! channel, and it refreshes the lists about once a second; results come back over a channel
//! read in `tick`, so the window never waits on the network.

use crate::app::{KaiboApp, Level};
use crate::i18n::Tr;
use eframe::egui;
use kaibo_model::{OverlayState, PanelContent};
use kaibo_runtime::hub::HubConfig;
use kaibo_runtime::hub::store::{PollState, QuestionStatus};
use kaibo_runtime::{
    HostClient, HostLottery, HostPoll, HostQuestion, HostReport, Interaction, PanelKind,
    QuestionFilter,
};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::mpsc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Where the hub listens unless told otherwise: every address, so phones on the LAN reach it.
pub const DEFAULT_HUB_LISTEN: &str = "0.0.0.0:8080";
/// How often the lists are fetched again.
const REFRESH_EVERY: Duration = Duration::from_secs(1);
/// The red envelope's entry window.
const ENVELOPE_WINDOW_S: u32 = 10;
/// How long an offer banner stays by default, minutes.
const OFFER_MINUTES: u32 = 10;

/// Something the host asked the hub to do.
enum Job {
    Approve(i64),
    Reject(i64),
    Pin(i64),
    Unpin(i64),
    OpenSatisfaction,
    ClosePoll(i64),
    RedEnvelope(String),
    Draw(i64),
    Offer {
        title: String,
        detail: String,
        duration_s: Option<u32>,
    },
    LowerThird {
        title: String,
        subtitle: String,
    },
    JoinQr,
    Hide(PanelKind),
}

/// What the worker sends back.
enum Msg {
    Snapshot(Box<Snapshot>),
    Lottery(HostLottery),
    /// An action failed (the hub's words).
    Failed(String),
    /// A refresh failed.
    Stale(String),
}

/// The hub as last fetched.
#[derive(Default)]
struct Snapshot {
    questions: Vec<HostQuestion>,
    polls: Vec<HostPoll>,
    overlay: OverlayState,
    report: HostReport,
}

impl Snapshot {
    fn fetch(host: &HostClient) -> Result<Self, kaibo_runtime::HostError> {
        Ok(Self {
            questions: host.questions(QuestionFilter::Open)?,
            polls: host.polls()?,
            overlay: host.overlay()?,
            report: host.report()?,
        })
    }

    fn showing(&self, kind: PanelKind) -> bool {
        self.overlay.panels.iter().any(|p| {
            matches!(
                (&p.content, kind),
                (PanelContent::JoinQr { .. }, PanelKind::JoinQr)
                    | (PanelContent::Offer { .. }, PanelKind::Offer)
                    | (PanelContent::LowerThird { .. }, PanelKind::LowerThird)
            )
        })
    }

    fn open_poll(&self) -> Option<&HostPoll> {
        self.polls.iter().find(|p| p.state == PollState::Open)
    }
}

/// The worker thread's ends; dropping it lets the thread finish.
struct Worker {
    jobs: mpsc::Sender<Job>,
    results: mpsc::Receiver<Msg>,
}

impl Worker {
    fn spawn(host: HostClient) -> std::io::Result<Self> {
        let (jobs, job_rx) = mpsc::channel::<Job>();
        let (tx, results) = mpsc::channel();
        std::thread::Builder::new()
            .name("kaibo-ui-hub".into())
            .spawn(move || {
                let mut wait = Duration::ZERO;
                loop {
                    match job_rx.recv_timeout(wait) {
                        Ok(job) => {
                            if let Err(e) = run_job(&host, job, &tx) {
                                let _ = tx.send(Msg::Failed(e.to_string()));
                            }
                        }
                        Err(mpsc::RecvTimeoutError::Timeout) => {}
                        Err(mpsc::RecvTimeoutError::Disconnected) => return,
                    }
                    let msg = match Snapshot::fetch(&host) {
                        Ok(s) => Msg::Snapshot(Box::new(s)),
                        Err(e) => Msg::Stale(e.to_string()),
                    };
                    if tx.send(msg).is_err() {
                        return;
                    }
                    wait = REFRESH_EVERY;
                }
            })?;
        Ok(Self { jobs, results })
    }
}

fn run_job(
    host: &HostClient,
    job: Job,
    tx: &mpsc::Sender<Msg>,
) -> Result<(), kaibo_runtime::HostError> {
    match job {
        Job::Approve(id) => host.approve(id).map(drop),
        Job::Reject(id) => host.reject(id).map(drop),
        Job::Pin(id) => host.pin(id).map(drop),
        Job::Unpin(id) => host.unpin(id).map(drop),
        Job::OpenSatisfaction => host.open_satisfaction().map(drop),
        Job::ClosePoll(id) => host.close_poll(id).map(drop),
        Job::RedEnvelope(title) => {
            let l = host.start_red_envelope(&title, ENVELOPE_WINDOW_S, 1)?;
            let _ = tx.send(Msg::Lottery(l));
            Ok(())
        }
        Job::Draw(id) => {
            let l = host.draw(id)?;
            let _ = tx.send(Msg::Lottery(l));
            Ok(())
        }
        Job::Offer {
            title,
            detail,
            duration_s,
        } => host.show_offer(&title, &detail, duration_s).map(drop),
        Job::LowerThird { title, subtitle } => host.show_lower_third(&title, &subtitle).map(drop),
        Job::JoinQr => host.show_join_qr().map(drop),
        Job::Hide(kind) => host.hide(kind).map(drop),
    }
}

/// The Interactions window's state.
pub(crate) struct Interactions {
    pub(crate) open: bool,
    listen: Option<SocketAddr>,
    db_path: Option<PathBuf>,
    hub: Option<Interaction>,
    worker: Option<Worker>,
    /// Why the hub did not start.
    start_error: Option<String>,
    /// Why the last refresh failed.
    stale: Option<String>,
    snapshot: Option<Snapshot>,
    lottery: Option<HostLottery>,
    offer_title: String,
    offer_detail: String,
    offer_minutes: u32,
    lower_title: String,
    lower_subtitle: String,
}

impl Interactions {
    /// What the program shows, as last fetched from the hub (empty without a hub).
    pub(crate) fn overlay(&self) -> OverlayState {
        self.snapshot
            .as_ref()
            .map(|s| s.overlay.clone())
            .unwrap_or_default()
    }
}

impl Default for Interactions {
    fn default() -> Self {
        Self {
            open: false,
            listen: None,
            db_path: None,
            hub: None,
            worker: None,
            start_error: None,
            stale: None,
            snapshot: None,
            lottery: None,
            offer_title: String::new(),
            offer_detail: String::new(),
            offer_minutes: OFFER_MINUTES,
            lower_title: String::new(),
            lower_subtitle: String::new(),
        }
    }
}

impl Interactions {
    fn send(&self, job: Job) {
        if let Some(w) = &self.worker {
            // The worker ends only with the window's state; a lost job has nobody to tell.
            let _ = w.jobs.send(job);
        }
    }

    /// Stops the worker and the hub.
    pub(crate) fn stop(&mut self) {
        self.worker = None;
        self.hub = None;
    }
}

/// The hub's database in the XDG state folder (`~/.local/state/kaibo/hub.sqlite`).
fn default_db_path() -> Result<PathBuf, String> {
    let state = std::env::var_os("XDG_STATE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".local/state")))
        .ok_or_else(|| "no state folder: HOME is not set".to_owned())?;
    let dir = state.join("kaibo");
    std::fs::create_dir_all(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    Ok(dir.join("hub.sqlite"))
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

/// A button whose accessible name also says what it acts on ("Pin: How do I sign up?").
fn row_button(ui: &mut egui::Ui, label: &str, about: &str) -> bool {
    let enabled = ui.is_enabled();
    let response = ui.button(label);
    let name = format!("{label}: {about}");
    response
        .widget_info(|| egui::WidgetInfo::labeled(egui::accesskit::Role::Button, enabled, &name));
    response.clicked()
}

/// A text field named by the label before it.
fn field(ui: &mut egui::Ui, label: &str, text: &mut String) {
    ui.horizontal(|ui| {
        let l = ui.label(label);
        ui.add(egui::TextEdit::singleline(text).desired_width(260.0))
            .labelled_by(l.id);
    });
}

fn status_line(tr: Tr, q: &HostQuestion) -> String {
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

impl KaiboApp {
    /// Where the interaction hub listens and keeps its database (default: every address on
    /// port 8080, the database in the XDG state folder). Takes effect when the hub starts.
    pub fn set_hub_listen(&mut self, listen: SocketAddr, db_path: impl Into<PathBuf>) {
        self.interactions.listen = Some(listen);
        self.interactions.db_path = Some(db_path.into());
    }

    /// Opens the Interactions window, starting the hub the first time.
    pub fn open_interactions(&mut self) {
        self.interactions.open = true;
        if self.interactions.hub.is_none() {
            self.start_hub();
        }
    }

    /// The running interaction hub, once the window started it.
    pub fn interaction(&self) -> Option<&Interaction> {
        self.interactions.hub.as_ref()
    }

    fn start_hub(&mut self) {
        let tr = self.tr();
        let started = (|| {
            let listen = match self.interactions.listen {
                Some(a) => a,
                None => DEFAULT_HUB_LISTEN
                    .parse()
                    .map_err(|e| format!("{DEFAULT_HUB_LISTEN}: {e}"))?,
            };
            let db = match &self.interactions.db_path {
                Some(p) => p.clone(),
                None => default_db_path()?,
            };
            let mut config = HubConfig::new(listen, db).map_err(|e| e.to_string())?;
            config.public_url = kaibo_runtime::lan_join_url(listen);
            let hub = Interaction::start_with(config, self.session_sender())
                .map_err(|e| e.to_string())?;
            let worker = Worker::spawn(hub.host()).map_err(|e| e.to_string())?;
            Ok::<_, String>((hub, worker))
        })();
        match started {
            Ok((hub, worker)) => {
                self.interactions.hub = Some(hub);
                self.interactions.worker = Some(worker);
                self.interactions.start_error = None;
            }
            Err(e) => {
                let text = format!(
                    "{} {e}",
                    tr.t("The interaction hub did not start:", "互动服务未能启动：")
                );
                self.notify(Level::Error, text.clone());
                self.interactions.start_error = Some(text);
            }
        }
    }

    /// The session changed (rebuilt, stopped): the hub's panels follow it.
    pub(crate) fn retarget_hub(&self) {
        if let Some(hub) = &self.interactions.hub {
            hub.retarget(self.session_sender());
        }
    }

    /// Reads what the hub worker sent.
    pub(crate) fn poll_interactions(&mut self) {
        let mut failures = Vec::new();
        if let Some(w) = &self.interactions.worker {
            while let Ok(msg) = w.results.try_recv() {
                match msg {
                    Msg::Snapshot(s) => {
                        self.interactions.snapshot = Some(*s);
                        self.interactions.stale = None;
                    }
                    Msg::Lottery(l) => self.interactions.lottery = Some(l),
                    Msg::Failed(e) => failures.push(e),
                    Msg::Stale(e) => self.interactions.stale = Some(e),
                }
            }
        }
        for e in failures {
            self.notify(Level::Warn, e);
        }
    }

    pub(crate) fn interactions_window(&mut self, ctx: &egui::Context) {
        let tr = self.tr();
        let mut open = true;
        let mut retry = false;
        let join_url = self.interaction().map(|i| i.hub().join_url().to_owned());
        let it = &mut self.interactions;
        egui::Window::new(tr.t("Interactions", "互动"))
            .id(egui::Id::unique("interactions-window"))
            .open(&mut open)
            .pivot(egui::Align2::CENTER_TOP)
            .default_pos(egui::pos2(ctx.content_rect().center().x, 80.0))
            .resizable(true)
            .default_width(540.0)
            .default_height(600.0)
            .show(ctx, |ui| {
                if let Some(e) = &it.start_error {
                    ui.colored_label(egui::Color32::from_rgb(190, 40, 40), e);
                    if ui.button(tr.t("Try again", "重试")).clicked() {
                        retry = true;
                    }
                    return;
                }
                let Some(url) = join_url else {
                    return;
                };
                egui::ScrollArea::vertical()
                    .auto_shrink([false, true])
                    .show(ui, |ui| window_body(ui, tr, it, &url));
            });
        if retry {
            self.interactions.start_error = None;
            self.start_hub();
        }
        if !open {
            self.interactions.open = false;
        }
    }
}

fn window_body(ui: &mut egui::Ui, tr: Tr, it: &mut Interactions, url: &str) {
    ui.horizontal_wrapped(|ui| {
        ui.label(tr.t("Viewers join at:", "观众加入地址："));
        ui.add(egui::Label::new(egui::RichText::new(url).monospace()).selectable(true));
    });
    let Some(snap) = &it.snapshot else {
        ui.horizontal(|ui| {
            crate::view::spinner(ui);
            ui.label(tr.t("Connecting to the hub…", "正在连接互动服务…"));
        });
        return;
    };
    let mut jobs = Vec::new();
    let mut qr = snap.showing(PanelKind::JoinQr);
    if ui
        .checkbox(
            &mut qr,
            tr.t("Show join QR on stream", "在直播画面显示二维码"),
        )
        .changed()
    {
        jobs.push(if qr {
            Job::JoinQr
        } else {
            Job::Hide(PanelKind::JoinQr)
        });
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
    if let Some(e) = &it.stale {
        ui.colored_label(egui::Color32::from_rgb(190, 120, 10), e);
    }
    ui.separator();

    let held: Vec<&HostQuestion> = snap
        .questions
        .iter()
        .filter(|q| q.status == QuestionStatus::Held)
        .collect();
    let shown: Vec<&HostQuestion> = snap
        .questions
        .iter()
        .filter(|q| q.status == QuestionStatus::Visible)
        .collect();
    if !held.is_empty() {
        ui.label(egui::RichText::new(tr.t("Waiting for approval", "待审核")).strong());
        for q in held {
            question_row(ui, tr, q, &mut jobs);
        }
        ui.separator();
    }
    ui.label(egui::RichText::new(tr.t("Questions", "提问")).strong());
    if shown.is_empty() {
        ui.weak(tr.t("No questions yet", "暂无提问"));
    }
    for q in shown {
        question_row(ui, tr, q, &mut jobs);
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
                    jobs.push(Job::ClosePoll(p.id));
                }
            }
            None => {
                if ui.button(tr.t("Open rating", "开启评分")).clicked() {
                    jobs.push(Job::OpenSatisfaction);
                }
            }
        }
    });

    // The red envelope.
    ui.horizontal_wrapped(|ui| {
        let now = now_ms();
        let running = it
            .lottery
            .as_ref()
            .is_some_and(|l| now < l.closes_at_ms || l.winners.is_none());
        let start = egui::Button::new(tr.t("Red envelope in 10 s", "10 秒红包"));
        if ui.add_enabled(!running, start).clicked() {
            jobs.push(Job::RedEnvelope(tr.t("Red envelope", "红包").to_owned()));
        }
        if let Some(l) = &it.lottery {
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
                jobs.push(Job::Draw(l.id));
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
            jobs.push(Job::Offer {
                title: title.to_owned(),
                detail: it.offer_detail.trim().to_owned(),
                duration_s: (it.offer_minutes > 0).then_some(it.offer_minutes * 60),
            });
        }
        if ui
            .add_enabled(
                snap.showing(PanelKind::Offer),
                egui::Button::new(tr.t("Hide offer", "隐藏优惠")),
            )
            .clicked()
        {
            jobs.push(Job::Hide(PanelKind::Offer));
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
            jobs.push(Job::LowerThird {
                title: title.to_owned(),
                subtitle: it.lower_subtitle.trim().to_owned(),
            });
        }
        if ui
            .add_enabled(
                snap.showing(PanelKind::LowerThird),
                egui::Button::new(tr.t("Hide lower third", "隐藏字幕条")),
            )
            .clicked()
        {
            jobs.push(Job::Hide(PanelKind::LowerThird));
        }
    });
    for job in jobs {
        it.send(job);
    }
}

/// A question: its text, the masked asker, likes and status, and what the host can do.
fn question_row(ui: &mut egui::Ui, tr: Tr, q: &HostQuestion, jobs: &mut Vec<Job>) {
    ui.push_id(("question", q.id), |ui| {
        ui.add(egui::Label::new(&q.text).wrap());
        ui.horizontal(|ui| {
            ui.weak(status_line(tr, q));
            if q.status == QuestionStatus::Held {
                if row_button(ui, tr.t("Approve", "通过"), &q.text) {
                    jobs.push(Job::Approve(q.id));
                }
            } else if q.pinned {
                if row_button(ui, tr.t("Unpin", "取消置顶"), &q.text) {
                    jobs.push(Job::Unpin(q.id));
                }
            } else if row_button(ui, tr.t("Pin", "置顶"), &q.text) {
                jobs.push(Job::Pin(q.id));
            }
            if row_button(ui, tr.t("Reject", "拒绝"), &q.text) {
                jobs.push(Job::Reject(q.id));
            }
        });
        ui.add_space(4.0);
    });
}
