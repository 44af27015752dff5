//! The host's side of an interaction hub, one trait for both places a hub runs: in this
//! process ([`kaibo_hub::HostDesk`], direct calls) or elsewhere (`HostClient`, its HTTP API).
//! Answers are the hub's own view types, the ones its HTTP API serialises: one definition of
//! each, used by both ends.
//!
//! Blocking calls: call them from a thread of their own (the `HostWorker`), never from a
//! window's drawing thread (the HTTP one waits for the network).

use kaibo_hub::store::{DrawKind, PollState, Report};
use kaibo_hub::{
    ApiError, HostDesk, LotteryView, NewDraw, NewOffer, NewPoll, PanelKind, PollView,
    QuestionAction, QuestionFilter, QuestionView,
};
use kaibo_model::OverlayState;

/// A failed host call.
#[derive(Debug, thiserror::Error)]
pub enum HostError {
    /// The hub refused: its `message` says what to do.
    #[error("{message}")]
    Refused {
        status: u16,
        code: String,
        message: String,
    },
    #[error("cannot reach the interaction hub ({what}): {reason}")]
    Unreachable { what: String, reason: String },
    #[error("the interaction hub answered {what} with something unexpected: {reason}")]
    BadAnswer { what: String, reason: String },
}

impl HostError {
    /// The hub's error code (`not-visible`, `lottery-still-open`, …) when it refused.
    pub fn code(&self) -> Option<&str> {
        match self {
            Self::Refused { code, .. } => Some(code),
            _ => None,
        }
    }
}

impl From<ApiError> for HostError {
    fn from(e: ApiError) -> Self {
        Self::Refused {
            status: e.status.as_u16(),
            code: e.code.to_owned(),
            message: e.message,
        }
    }
}

/// What the host can do on a hub. The required methods are the hub's host actions; the
/// provided ones are the shapes the window and the tests use.
pub trait HostApi: Send + Sync {
    /// Questions sorted by likes.
    fn questions(&self, filter: QuestionFilter) -> Result<Vec<QuestionView>, HostError>;
    fn moderate(&self, id: i64, action: QuestionAction) -> Result<QuestionView, HostError>;
    /// All polls of the session.
    fn polls(&self) -> Result<Vec<PollView>, HostError>;
    /// A new poll, not yet open.
    fn create_poll(&self, poll: NewPoll) -> Result<PollView, HostError>;
    /// Opens (puts on stream) or closes a poll.
    fn set_poll(&self, id: i64, state: PollState) -> Result<PollView, HostError>;
    /// A lottery or red envelope; its countdown goes on stream.
    fn start_draw(&self, draw: NewDraw) -> Result<LotteryView, HostError>;
    /// Draws the winners after the window (once); they go on stream.
    fn draw(&self, id: i64) -> Result<LotteryView, HostError>;
    fn show_offer(&self, offer: NewOffer) -> Result<OverlayState, HostError>;
    fn show_lower_third(&self, title: &str, subtitle: &str) -> Result<OverlayState, HostError>;
    /// The join QR (the hub's public URL) on stream.
    fn show_join_qr(&self) -> Result<OverlayState, HostError>;
    /// Takes a panel off stream.
    fn hide(&self, kind: PanelKind) -> Result<OverlayState, HostError>;
    /// What is on stream now.
    fn overlay(&self) -> Result<OverlayState, HostError>;
    /// The session's figures so far.
    fn report(&self) -> Result<Report, HostError>;

    fn approve(&self, id: i64) -> Result<QuestionView, HostError> {
        self.moderate(id, QuestionAction::Approve)
    }

    /// Rejects (and takes off stream) a question.
    fn reject(&self, id: i64) -> Result<QuestionView, HostError> {
        self.moderate(id, QuestionAction::Reject)
    }

    /// Puts a visible question on stream.
    fn pin(&self, id: i64) -> Result<QuestionView, HostError> {
        self.moderate(id, QuestionAction::Pin)
    }

    fn unpin(&self, id: i64) -> Result<QuestionView, HostError> {
        self.moderate(id, QuestionAction::Unpin)
    }

    /// Marks a question answered.
    fn answer(&self, id: i64) -> Result<QuestionView, HostError> {
        self.moderate(id, QuestionAction::Answer)
    }

    /// Creates the ready-made satisfaction poll and opens it (it goes on stream).
    fn open_satisfaction(&self) -> Result<PollView, HostError> {
        let poll = self.create_poll(NewPoll::Satisfaction { title: None })?;
        self.set_poll(poll.id, PollState::Open)
    }

    fn close_poll(&self, id: i64) -> Result<PollView, HostError> {
        self.set_poll(id, PollState::Closed)
    }

    /// A lottery open now for `window_s` seconds.
    fn start_lottery(
        &self,
        title: &str,
        window_s: u32,
        winners: u32,
    ) -> Result<LotteryView, HostError> {
        self.start_draw(draw_now(DrawKind::Lottery, title, window_s, winners))
    }

    /// A red envelope open now for `window_s` seconds.
    fn start_red_envelope(
        &self,
        title: &str,
        window_s: u32,
        winners: u32,
    ) -> Result<LotteryView, HostError> {
        self.start_draw(draw_now(DrawKind::RedEnvelope, title, window_s, winners))
    }
}

fn draw_now(kind: DrawKind, title: &str, window_s: u32, winners: u32) -> NewDraw {
    NewDraw {
        title: title.to_owned(),
        kind,
        opens_at_ms: None,
        window_s: Some(u64::from(window_s)),
        winners: Some(winners),
    }
}

/// The hub in this process: direct calls under its lock, no HTTP and no token.
impl HostApi for HostDesk {
    fn questions(&self, filter: QuestionFilter) -> Result<Vec<QuestionView>, HostError> {
        Ok(HostDesk::questions(
            self,
            filter,
            kaibo_hub::store::QuestionOrder::Likes,
        )?)
    }

    fn moderate(&self, id: i64, action: QuestionAction) -> Result<QuestionView, HostError> {
        Ok(HostDesk::moderate(self, id, action)?)
    }

    fn polls(&self) -> Result<Vec<PollView>, HostError> {
        Ok(HostDesk::polls(self)?)
    }

    fn create_poll(&self, poll: NewPoll) -> Result<PollView, HostError> {
        Ok(HostDesk::create_poll(self, poll)?)
    }

    fn set_poll(&self, id: i64, state: PollState) -> Result<PollView, HostError> {
        Ok(HostDesk::set_poll(self, id, state)?)
    }

    fn start_draw(&self, draw: NewDraw) -> Result<LotteryView, HostError> {
        Ok(self.create_lottery(draw)?)
    }

    fn draw(&self, id: i64) -> Result<LotteryView, HostError> {
        Ok(HostDesk::draw(self, id)?.lottery)
    }

    fn show_offer(&self, offer: NewOffer) -> Result<OverlayState, HostError> {
        Ok(HostDesk::show_offer(self, offer)?)
    }

    fn show_lower_third(&self, title: &str, subtitle: &str) -> Result<OverlayState, HostError> {
        Ok(HostDesk::show_lower_third(self, title, subtitle)?)
    }

    fn show_join_qr(&self) -> Result<OverlayState, HostError> {
        Ok(HostDesk::show_join_qr(self, None)?)
    }

    fn hide(&self, kind: PanelKind) -> Result<OverlayState, HostError> {
        Ok(HostDesk::hide(self, kind)?)
    }

    fn overlay(&self) -> Result<OverlayState, HostError> {
        Ok(HostDesk::overlay(self))
    }

    fn report(&self) -> Result<Report, HostError> {
        Ok(HostDesk::report(self)?)
    }
}
