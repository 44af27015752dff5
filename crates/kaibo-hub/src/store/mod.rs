//! Storage behind a small trait: SQLite by default ([`SqliteStore`]), so a larger deployment can
//! put PostgreSQL behind the same calls. Every call commits before it returns, so a restart
//! loses nothing that a viewer was told succeeded. Raw nicknames live only here.

mod report;
mod sqlite;

pub use report::Report;
pub use sqlite::SqliteStore;

use crate::error::StoreError;
use serde::{Deserialize, Serialize};

/// Row id.
pub type Id = i64;

/// A pseudonymous viewer of one session.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Viewer {
    pub id: Id,
    /// As typed (may be empty); shown only masked.
    pub nickname: String,
    pub joined_ms: u64,
}

/// Where a question stands in moderation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum QuestionStatus {
    /// Shown to viewers; the host may pin it.
    Visible,
    /// Hit a moderation list (or pre-moderation is on): only the host sees it.
    Held,
    /// Refused by the host: shown to nobody.
    Rejected,
}

impl QuestionStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Visible => "visible",
            Self::Held => "held",
            Self::Rejected => "rejected",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "visible" => Some(Self::Visible),
            "held" => Some(Self::Held),
            "rejected" => Some(Self::Rejected),
            _ => None,
        }
    }
}

/// A question with its likes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Question {
    pub id: Id,
    pub viewer_id: Id,
    /// The asker's raw nickname.
    pub nickname: String,
    pub text: String,
    pub status: QuestionStatus,
    /// Moderation hits, `list-id:term`.
    pub flags: Vec<String>,
    pub likes: u32,
    pub answered: bool,
    pub created_ms: u64,
}

/// Order of a question list.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum QuestionOrder {
    /// Most likes first, then oldest first.
    Likes,
    /// Newest first.
    Newest,
}

/// A poll's lifecycle.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PollState {
    Draft,
    Open,
    Closed,
}

impl PollState {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Draft => "draft",
            Self::Open => "open",
            Self::Closed => "closed",
        }
    }

    fn parse(s: &str) -> Option<Self> {
        match s {
            "draft" => Some(Self::Draft),
            "open" => Some(Self::Open),
            "closed" => Some(Self::Closed),
            _ => None,
        }
    }
}

/// A poll with its vote counts per option.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Poll {
    pub id: Id,
    pub title: String,
    pub options: Vec<String>,
    pub votes: Vec<u32>,
    pub state: PollState,
}

/// Lottery or red envelope: the same draw, shown differently.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DrawKind {
    Lottery,
    RedEnvelope,
}

impl DrawKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Lottery => "lottery",
            Self::RedEnvelope => "red-envelope",
        }
    }

    fn parse(s: &str) -> Option<Self> {
        match s {
            "lottery" => Some(Self::Lottery),
            "red-envelope" => Some(Self::RedEnvelope),
            _ => None,
        }
    }
}

/// A lottery to create: entries are accepted in `[opens_at_ms, closes_at_ms)`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewLottery {
    pub title: String,
    pub kind: DrawKind,
    pub opens_at_ms: u64,
    pub closes_at_ms: u64,
    pub winners: u32,
}

/// A lottery, its entrant count and its draw once made.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Lottery {
    pub id: Id,
    pub title: String,
    pub kind: DrawKind,
    pub opens_at_ms: u64,
    pub closes_at_ms: u64,
    pub winners: u32,
    pub entrants: u32,
    pub draw: Option<DrawRecord>,
}

/// A made draw, kept for audit: anyone with the seed and entrants can redo it
/// ([`crate::draw::pick_winners`]).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DrawRecord {
    /// The 32-byte ChaCha20 seed, hex.
    pub seed_hex: String,
    /// Entrant viewer ids in ascending order, as fed to the draw.
    pub entrants: Vec<Id>,
    /// Winner viewer ids in draw order.
    pub winners: Vec<Id>,
    pub algorithm: String,
    pub drawn_ms: u64,
}

/// The storage the hub needs. Calls are short and synchronous; the hub runs them off the
/// async workers. `session` scopes every call to the live session.
pub trait Store: Send {
    /// The open session (the one not ended), or a new one titled `title`; open presence
    /// rows of a resumed session are closed at its last heartbeat.
    fn open_session(&mut self, title: &str, now_ms: u64) -> Result<Id, StoreError>;
    fn end_session(&mut self, session: Id, now_ms: u64) -> Result<(), StoreError>;
    /// Records that the hub is alive (the leave time of viewers cut off by a crash).
    fn heartbeat(&mut self, session: Id, now_ms: u64) -> Result<(), StoreError>;
    /// The host's display state (opaque JSON) and its replacement.
    fn display(&mut self, session: Id) -> Result<String, StoreError>;
    fn set_display(&mut self, session: Id, json: &str) -> Result<(), StoreError>;

    fn add_viewer(
        &mut self,
        session: Id,
        token: &str,
        nickname: &str,
        now_ms: u64,
    ) -> Result<Viewer, StoreError>;
    fn viewer_by_token(&mut self, session: Id, token: &str) -> Result<Option<Viewer>, StoreError>;
    /// Raw nicknames of these viewers, in the same order (empty when unknown).
    fn nicknames(&mut self, ids: &[Id]) -> Result<Vec<String>, StoreError>;
    /// A viewer started watching (live updates connected); returns the presence id.
    fn presence_start(&mut self, viewer: Id, now_ms: u64) -> Result<Id, StoreError>;
    fn presence_end(&mut self, presence: Id, now_ms: u64) -> Result<(), StoreError>;

    fn add_question(
        &mut self,
        session: Id,
        viewer: Id,
        text: &str,
        status: QuestionStatus,
        flags: &[String],
        now_ms: u64,
    ) -> Result<Question, StoreError>;
    fn question(&mut self, session: Id, id: Id) -> Result<Question, StoreError>;
    /// Questions of the session; `statuses` filters, `viewer` adds that viewer's own ones.
    fn questions(
        &mut self,
        session: Id,
        statuses: &[QuestionStatus],
        order: QuestionOrder,
    ) -> Result<Vec<Question>, StoreError>;
    fn set_question_status(
        &mut self,
        session: Id,
        id: Id,
        status: QuestionStatus,
    ) -> Result<Question, StoreError>;
    fn set_answered(&mut self, session: Id, id: Id) -> Result<Question, StoreError>;
    /// One like per viewer per visible question; returns the question with its new count.
    fn like(
        &mut self,
        session: Id,
        question: Id,
        viewer: Id,
        now_ms: u64,
    ) -> Result<Question, StoreError>;
    /// Ids of the questions this viewer liked.
    fn liked_by(&mut self, session: Id, viewer: Id) -> Result<Vec<Id>, StoreError>;

    fn create_poll(
        &mut self,
        session: Id,
        title: &str,
        options: &[String],
        now_ms: u64,
    ) -> Result<Poll, StoreError>;
    fn poll(&mut self, session: Id, id: Id) -> Result<Poll, StoreError>;
    fn polls(&mut self, session: Id) -> Result<Vec<Poll>, StoreError>;
    /// Opening a poll closes any other open one.
    fn set_poll_state(&mut self, session: Id, id: Id, state: PollState)
    -> Result<Poll, StoreError>;
    /// One vote per viewer per open poll.
    fn vote(
        &mut self,
        session: Id,
        poll: Id,
        viewer: Id,
        option: usize,
        now_ms: u64,
    ) -> Result<Poll, StoreError>;
    /// The option this viewer chose in this poll.
    fn vote_of(&mut self, poll: Id, viewer: Id) -> Result<Option<usize>, StoreError>;

    /// A viewer's 1–5 star rating of the session; rating again replaces it.
    fn rate(&mut self, session: Id, viewer: Id, stars: u8, now_ms: u64) -> Result<(), StoreError>;
    /// Average stars and how many rated.
    fn rating(&mut self, session: Id) -> Result<(f32, u32), StoreError>;

    fn create_lottery(&mut self, session: Id, new: &NewLottery) -> Result<Lottery, StoreError>;
    fn lottery(&mut self, session: Id, id: Id) -> Result<Lottery, StoreError>;
    /// The newest lottery of the session.
    fn latest_lottery(&mut self, session: Id) -> Result<Option<Lottery>, StoreError>;
    /// Ends the entry window now (if it is still open).
    fn close_lottery(&mut self, session: Id, id: Id, now_ms: u64) -> Result<Lottery, StoreError>;
    /// One entry per viewer, only inside the window.
    fn enter_lottery(
        &mut self,
        session: Id,
        lottery: Id,
        viewer: Id,
        now_ms: u64,
    ) -> Result<Lottery, StoreError>;
    fn entered(&mut self, lottery: Id, viewer: Id) -> Result<bool, StoreError>;
    /// Entrant viewer ids, ascending.
    fn entrants(&mut self, lottery: Id) -> Result<Vec<Id>, StoreError>;
    /// Stores the draw; a lottery is drawn once.
    fn record_draw(
        &mut self,
        session: Id,
        lottery: Id,
        draw: &DrawRecord,
    ) -> Result<(), StoreError>;

    /// The figures of the session for the host's report.
    fn report(&mut self, session: Id, now_ms: u64) -> Result<Report, StoreError>;
}
