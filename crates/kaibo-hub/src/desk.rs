//! The host's desk: every host action (moderation, polls, draws, on-stream panels, the report)
//! in one place. The HTTP host routes (`api/host.rs`) are thin adapters over it, and an app
//! that runs the hub in its own process calls it directly ([`crate::Hub::desk`]): no HTTP, no
//! token, the same checks and the same answers.
//!
//! Store calls are short and run inline under the hub's lock (see `Shared::db`), so every
//! method here is a plain blocking call that returns in well under a millisecond.

use crate::draw::{ALGORITHM, fresh_seed, hex, pick_winners};
use crate::error::{ApiError, StoreError};
use crate::state::{Shared, now_ms};
use crate::store::{
    DrawKind, DrawRecord, Id, NewLottery, PollState, QuestionOrder, QuestionStatus, Report,
};
use crate::text::clean;
use crate::views::{LotteryView, LowerThird, Offer, PollView, QuestionView, winner_names};
use kaibo_model::OverlayState;
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// Longest host-written title or option, in characters.
const TITLE_CHARS: usize = 100;

/// Which questions to list.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum QuestionFilter {
    /// Visible and held (the default).
    #[default]
    Open,
    Held,
    Visible,
    Rejected,
    All,
}

impl QuestionFilter {
    /// The API's `status=` value (`None` for the default).
    pub fn as_query(self) -> Option<&'static str> {
        match self {
            Self::Open => None,
            Self::Held => Some("held"),
            Self::Visible => Some("visible"),
            Self::Rejected => Some("rejected"),
            Self::All => Some("all"),
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [Self::Held, Self::Visible, Self::Rejected, Self::All]
            .into_iter()
            .find(|f| f.as_query() == Some(s))
    }

    fn statuses(self) -> Vec<QuestionStatus> {
        use QuestionStatus::{Held, Rejected, Visible};
        match self {
            Self::Open => vec![Visible, Held],
            Self::Held => vec![Held],
            Self::Visible => vec![Visible],
            Self::Rejected => vec![Rejected],
            Self::All => vec![Visible, Held, Rejected],
        }
    }
}

/// What the host does with a question.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum QuestionAction {
    Approve,
    /// Rejects it and takes it off stream.
    Reject,
    /// Puts a visible question on stream.
    Pin,
    Unpin,
    /// Marks it answered.
    Answer,
}

impl QuestionAction {
    pub const ALL: [Self; 5] = [
        Self::Approve,
        Self::Reject,
        Self::Pin,
        Self::Unpin,
        Self::Answer,
    ];

    /// The name in the API (`questions/{id}/{action}`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Approve => "approve",
            Self::Reject => "reject",
            Self::Pin => "pin",
            Self::Unpin => "unpin",
            Self::Answer => "answer",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.as_str() == s)
    }
}

/// A kind of on-stream panel, to take off stream.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PanelKind {
    Question,
    Poll,
    Rating,
    Countdown,
    Offer,
    Winners,
    JoinQr,
    LowerThird,
}

impl PanelKind {
    pub const ALL: [Self; 8] = [
        Self::Question,
        Self::Poll,
        Self::Rating,
        Self::Countdown,
        Self::Offer,
        Self::Winners,
        Self::JoinQr,
        Self::LowerThird,
    ];

    /// The name in the API (`panels/{kind}`: `join-qr`, `lower-third`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Question => "question",
            Self::Poll => "poll",
            Self::Rating => "rating",
            Self::Countdown => "countdown",
            Self::Offer => "offer",
            Self::Winners => "winners",
            Self::JoinQr => "join-qr",
            Self::LowerThird => "lower-third",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// A new poll: the ready-made satisfaction rating, or a title with 2 to 10 options.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NewPoll {
    /// The 1–5 star poll; the title is optional.
    Satisfaction {
        title: Option<String>,
    },
    Custom {
        title: String,
        options: Vec<String>,
    },
}

/// A new lottery or red envelope.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewDraw {
    pub title: String,
    pub kind: DrawKind,
    /// When entries open (Unix ms); default now. E.g. the next full hour.
    pub opens_at_ms: Option<u64>,
    /// How long entries stay open, seconds (default 10).
    pub window_s: Option<u64>,
    /// How many winners (default 1).
    pub winners: Option<u32>,
}

/// A limited-time offer banner: counting down to `ends_at_ms` or for `duration_s`, or neither.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NewOffer {
    pub title: String,
    pub detail: String,
    pub ends_at_ms: Option<u64>,
    pub duration_s: Option<u64>,
}

/// The audit of a draw: seed, entrants and winners, enough to redo it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Audit {
    pub lottery: LotteryView,
    pub record: DrawRecord,
}

/// The host's actions on one running hub. Cheap to clone.
#[derive(Clone)]
pub struct HostDesk {
    shared: Arc<Shared>,
}

impl std::fmt::Debug for HostDesk {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HostDesk")
            .field("session", &self.shared.session)
            .finish()
    }
}

impl HostDesk {
    pub(crate) fn new(shared: Arc<Shared>) -> Self {
        Self { shared }
    }

    fn db<T>(
        &self,
        f: impl FnOnce(&mut crate::state::Inner, &Shared) -> Result<T, StoreError>,
    ) -> Result<T, ApiError> {
        Ok(self.shared.db_blocking(f)?)
    }

    /// Questions for moderation, askers masked; flags show which list terms were hit.
    pub fn questions(
        &self,
        filter: QuestionFilter,
        order: QuestionOrder,
    ) -> Result<Vec<QuestionView>, ApiError> {
        let statuses = filter.statuses();
        self.db(move |inner, s| {
            let qs = inner.store.questions(s.session, &statuses, order)?;
            Ok(qs
                .iter()
                .map(|q| QuestionView {
                    flags: Some(q.flags.clone()),
                    ..QuestionView::new(q, &inner.display)
                })
                .collect())
        })
    }

    pub fn moderate(&self, id: Id, action: QuestionAction) -> Result<QuestionView, ApiError> {
        self.db(move |inner, s| {
            let sess = s.session;
            let unpin = |d: &mut crate::views::Display| {
                if d.pinned == Some(id) {
                    d.pinned = None;
                }
            };
            let q = match action {
                QuestionAction::Approve => {
                    inner
                        .store
                        .set_question_status(sess, id, QuestionStatus::Visible)?
                }
                QuestionAction::Reject => {
                    let q = inner
                        .store
                        .set_question_status(sess, id, QuestionStatus::Rejected)?;
                    s.change_display(inner, unpin)?;
                    q
                }
                QuestionAction::Pin => {
                    let q = inner.store.question(sess, id)?;
                    if q.status != QuestionStatus::Visible {
                        return Err(StoreError::conflict(
                            "not-visible",
                            "approve the question before pinning it",
                        ));
                    }
                    s.change_display(inner, |d| d.pinned = Some(id))?;
                    q
                }
                QuestionAction::Unpin => {
                    let q = inner.store.question(sess, id)?;
                    s.change_display(inner, unpin)?;
                    q
                }
                QuestionAction::Answer => inner.store.set_answered(sess, id)?,
            };
            if inner.display.pinned == Some(id) {
                s.refresh_overlay(inner)?;
            }
            let view = QuestionView::new(&q, &inner.display);
            if q.status == QuestionStatus::Visible {
                s.updates.push(format!("q{id}"), "question", &view);
            } else {
                s.updates.push(
                    format!("q{id}"),
                    "question-removed",
                    serde_json::json!({ "id": id }),
                );
            }
            Ok(QuestionView {
                flags: Some(q.flags.clone()),
                ..view
            })
        })
    }

    /// All polls of the session.
    pub fn polls(&self) -> Result<Vec<PollView>, ApiError> {
        self.db(|inner, s| {
            Ok(inner
                .store
                .polls(s.session)?
                .iter()
                .map(PollView::new)
                .collect())
        })
    }

    /// Creates a poll (a draft: [`HostDesk::set_poll`] opens it).
    pub fn create_poll(&self, poll: NewPoll) -> Result<PollView, ApiError> {
        let (title, options) = match poll {
            NewPoll::Satisfaction { title } => (
                title.unwrap_or_else(|| "本场满意度 How satisfied are you?".into()),
                ["★", "★★", "★★★", "★★★★", "★★★★★"]
                    .map(String::from)
                    .to_vec(),
            ),
            NewPoll::Custom { title, options } => (title, options),
        };
        let title = clean(&title, TITLE_CHARS, "the poll title")?;
        if !(2..=10).contains(&options.len()) {
            return Err(ApiError::bad_request(
                "bad-options",
                "a poll has 2 to 10 options",
            ));
        }
        let options = options
            .iter()
            .map(|o| clean(o, TITLE_CHARS, "a poll option"))
            .collect::<Result<Vec<_>, _>>()?;
        let poll = self.db(move |inner, s| {
            inner
                .store
                .create_poll(s.session, &title, &options, now_ms())
        })?;
        Ok(PollView::new(&poll))
    }

    /// `Open` shows it on stream (closing any other open poll); `Closed` keeps the results
    /// shown.
    pub fn set_poll(&self, id: Id, state: PollState) -> Result<PollView, ApiError> {
        self.db(move |inner, s| {
            let previous = inner.display.poll;
            let p = inner.store.set_poll_state(s.session, id, state)?;
            if let Some(prev) = previous.filter(|p| *p != id) {
                let old = inner.store.poll(s.session, prev)?;
                s.updates
                    .push(format!("p{prev}"), "poll", PollView::new(&old));
            }
            if state == PollState::Open {
                s.change_display(inner, |d| d.poll = Some(id))?;
            } else {
                s.refresh_overlay(inner)?;
            }
            let view = PollView::new(&p);
            s.updates.push(format!("p{id}"), "poll", &view);
            Ok(view)
        })
    }

    /// Creates a draw and shows its countdown.
    pub fn create_lottery(&self, draw: NewDraw) -> Result<LotteryView, ApiError> {
        let now = now_ms();
        let title = clean(&draw.title, TITLE_CHARS, "the draw title")?;
        let opens_at_ms = draw.opens_at_ms.unwrap_or(now);
        if opens_at_ms + 60_000 < now || opens_at_ms > now + 24 * 3_600_000 {
            return Err(ApiError::bad_request(
                "bad-time",
                "opens_at_ms must be between a minute ago and 24 hours from now (Unix ms)",
            ));
        }
        let window_s = draw.window_s.unwrap_or(10);
        if !(1..=3600).contains(&window_s) {
            return Err(ApiError::bad_request(
                "bad-window",
                "window_s is 1 to 3600 seconds",
            ));
        }
        let winners = draw.winners.unwrap_or(1);
        if !(1..=100).contains(&winners) {
            return Err(ApiError::bad_request("bad-winners", "winners is 1 to 100"));
        }
        let new = NewLottery {
            title,
            kind: draw.kind,
            opens_at_ms,
            closes_at_ms: opens_at_ms + window_s * 1000,
            winners,
        };
        self.db(move |inner, s| {
            let l = inner.store.create_lottery(s.session, &new)?;
            s.change_display(inner, |d| {
                d.lottery = Some(l.id);
                d.winners = None;
            })?;
            let view = LotteryView::new(&l, None);
            s.updates.push(format!("l{}", l.id), "lottery", &view);
            Ok(view)
        })
    }

    /// Ends the entry window now.
    pub fn close_lottery(&self, id: Id) -> Result<LotteryView, ApiError> {
        self.db(move |inner, s| {
            let l = inner.store.close_lottery(s.session, id, now_ms())?;
            s.refresh_overlay(inner)?;
            let view = LotteryView::new(&l, None);
            s.updates.push(format!("l{id}"), "lottery", &view);
            Ok(view)
        })
    }

    /// Draws the winners once the window has closed (CSPRNG seed, recorded) and shows them.
    pub fn draw(&self, id: Id) -> Result<Audit, ApiError> {
        let seed = fresh_seed().map_err(|e| StoreError::Storage(e.to_string()))?;
        self.db(move |inner, s| {
            let now = now_ms();
            let l = inner.store.lottery(s.session, id)?;
            if now < l.closes_at_ms {
                return Err(StoreError::conflict(
                    "lottery-still-open",
                    "entries are still open; wait for the countdown or close it first",
                ));
            }
            if l.draw.is_some() {
                return Err(StoreError::conflict(
                    "already-drawn",
                    "this draw was already made",
                ));
            }
            let entrants = inner.store.entrants(id)?;
            let winners = pick_winners(seed, &entrants, l.winners as usize);
            let record = DrawRecord {
                seed_hex: hex(&seed),
                entrants,
                winners,
                algorithm: ALGORITHM.into(),
                drawn_ms: now,
            };
            inner.store.record_draw(s.session, id, &record)?;
            s.change_display(inner, |d| {
                d.winners = Some(id);
                if d.lottery == Some(id) {
                    d.lottery = None;
                }
            })?;
            let l = inner.store.lottery(s.session, id)?;
            let view = LotteryView::new(&l, winner_names(inner.store.as_mut(), &l)?);
            s.updates.push(format!("l{id}"), "lottery", &view);
            Ok(Audit {
                lottery: view,
                record,
            })
        })
    }

    pub fn audit(&self, id: Id) -> Result<Audit, ApiError> {
        self.db(move |inner, s| {
            let l = inner.store.lottery(s.session, id)?;
            let record = l.draw.clone().ok_or_else(|| {
                StoreError::conflict("not-drawn", "this draw has not been made yet")
            })?;
            let view = LotteryView::new(&l, winner_names(inner.store.as_mut(), &l)?);
            Ok(Audit {
                lottery: view,
                record,
            })
        })
    }

    /// The session's figures so far.
    pub fn report(&self) -> Result<Report, ApiError> {
        self.db(|inner, s| inner.store.report(s.session, now_ms()))
    }

    /// Ends the session (watch times close now); the next hub start opens a new one.
    pub fn end_session(&self) -> Result<Report, ApiError> {
        self.db(|inner, s| {
            let now = now_ms();
            inner.store.end_session(s.session, now)?;
            inner.store.report(s.session, now)
        })
    }

    fn overlay_after(
        &self,
        change: impl FnOnce(&mut crate::views::Display),
    ) -> Result<OverlayState, ApiError> {
        self.db(move |inner, s| s.change_display(inner, change))?;
        Ok(self.overlay())
    }

    /// Shows the live star rating (average and count).
    pub fn show_rating(&self, title: Option<&str>) -> Result<OverlayState, ApiError> {
        let title = clean(title.unwrap_or("观众评分 Rating"), TITLE_CHARS, "the title")?;
        self.overlay_after(move |d| d.rating = Some(title))
    }

    /// Shows a limited-time offer banner, optionally counting down.
    pub fn show_offer(&self, offer: NewOffer) -> Result<OverlayState, ApiError> {
        let title = clean(&offer.title, TITLE_CHARS, "the offer title")?;
        let detail = if offer.detail.trim().is_empty() {
            String::new()
        } else {
            clean(&offer.detail, TITLE_CHARS * 2, "the offer detail")?
        };
        let now = now_ms();
        let ends_at_ms = match (offer.ends_at_ms, offer.duration_s) {
            (Some(_), Some(_)) => {
                return Err(ApiError::bad_request(
                    "bad-time",
                    "give ends_at_ms or duration_s, not both",
                ));
            }
            (Some(end), None) if end > now && end <= now + 24 * 3_600_000 => Some(end),
            (None, Some(s)) if (1..=24 * 3600).contains(&s) => Some(now + s * 1000),
            (None, None) => None,
            _ => {
                return Err(ApiError::bad_request(
                    "bad-time",
                    "the offer must end within the next 24 hours",
                ));
            }
        };
        let offer = Offer {
            title,
            detail,
            ends_at_ms,
        };
        self.overlay_after(move |d| d.offer = Some(offer))
    }

    pub fn show_lower_third(&self, title: &str, subtitle: &str) -> Result<OverlayState, ApiError> {
        let title = clean(title, TITLE_CHARS, "the lower third")?;
        let subtitle = if subtitle.trim().is_empty() {
            String::new()
        } else {
            clean(subtitle, TITLE_CHARS, "the subtitle")?
        };
        self.overlay_after(move |d| d.lower_third = Some(LowerThird { title, subtitle }))
    }

    /// Shows the join QR (the hub's public URL) with a caption.
    pub fn show_join_qr(&self, caption: Option<&str>) -> Result<OverlayState, ApiError> {
        let caption = clean(
            caption.unwrap_or("扫码互动 Scan to join"),
            TITLE_CHARS,
            "the caption",
        )?;
        self.overlay_after(move |d| d.join_qr = Some(caption))
    }

    /// Takes a panel off the stream.
    pub fn hide(&self, kind: PanelKind) -> Result<OverlayState, ApiError> {
        self.overlay_after(move |d| match kind {
            PanelKind::Question => d.pinned = None,
            PanelKind::Poll => d.poll = None,
            PanelKind::Rating => d.rating = None,
            PanelKind::Countdown => d.lottery = None,
            PanelKind::Offer => d.offer = None,
            PanelKind::Winners => d.winners = None,
            PanelKind::JoinQr => d.join_qr = None,
            PanelKind::LowerThird => d.lower_third = None,
        })
    }

    /// What is on stream now (masked, plain text).
    pub fn overlay(&self) -> OverlayState {
        self.shared.overlay.borrow().clone()
    }
}
