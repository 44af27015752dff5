//! What is shown: the host's display choices ([`Display`], stored with the session), the views
//! sent to viewers and the host (always masked), the overlay state built from them, and the
//! live-update batches sent over server-sent events.

use crate::error::StoreError;
use crate::store::{Id, Lottery, Poll, PollState, Question, QuestionStatus, Store};
use axum::body::Bytes;
use kaibo_model::privacy::{mask_nickname, mask_text};
use kaibo_model::{Anchor, OverlayState, Panel, PanelContent, PollOption};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::sync::Mutex;
use tokio::sync::broadcast;

/// A limited-time offer banner.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Offer {
    pub title: String,
    pub detail: String,
    pub ends_at_ms: Option<u64>,
}

/// A lower third.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct LowerThird {
    pub title: String,
    pub subtitle: String,
}

/// What the host has put on the stream; stored as JSON with the session so a restart keeps it.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Display {
    pub pinned: Option<Id>,
    pub poll: Option<Id>,
    /// The rating panel's title when shown.
    pub rating: Option<String>,
    /// The lottery whose countdown is shown.
    pub lottery: Option<Id>,
    pub offer: Option<Offer>,
    /// The lottery whose winners are shown.
    pub winners: Option<Id>,
    /// The join QR's caption when shown.
    pub join_qr: Option<String>,
    pub lower_third: Option<LowerThird>,
}

/// How a viewer is named to others: the masked nickname, or a pseudonym from the id.
pub fn display_name(nickname: &str, viewer: Id) -> String {
    let masked = mask_nickname(nickname);
    if masked.is_empty() {
        format!("观众{viewer}")
    } else {
        masked
    }
}

/// A question as shown (masked asker, personal data in the text masked).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct QuestionView {
    pub id: Id,
    pub text: String,
    pub asker: String,
    pub likes: u32,
    pub status: QuestionStatus,
    pub pinned: bool,
    pub answered: bool,
    /// Moderation hits (host views only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub flags: Option<Vec<String>>,
    /// The requesting viewer asked it / liked it (viewer views only).
    #[serde(default)]
    pub mine: bool,
    #[serde(default)]
    pub liked: bool,
}

impl QuestionView {
    pub fn new(q: &Question, display: &Display) -> Self {
        Self {
            id: q.id,
            text: mask_text(&q.text),
            asker: display_name(&q.nickname, q.viewer_id),
            likes: q.likes,
            status: q.status,
            pinned: display.pinned == Some(q.id),
            answered: q.answered,
            flags: None,
            mine: false,
            liked: false,
        }
    }
}

/// A poll as shown.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PollView {
    pub id: Id,
    pub title: String,
    pub options: Vec<PollOption>,
    pub state: PollState,
    /// The requesting viewer's choice.
    #[serde(default)]
    pub voted: Option<usize>,
}

impl PollView {
    pub fn new(p: &Poll) -> Self {
        Self {
            id: p.id,
            title: p.title.clone(),
            options: poll_options(p),
            state: p.state,
            voted: None,
        }
    }
}

fn poll_options(p: &Poll) -> Vec<PollOption> {
    p.options
        .iter()
        .zip(&p.votes)
        .map(|(label, votes)| PollOption {
            label: label.clone(),
            votes: *votes,
        })
        .collect()
}

/// A lottery as shown; winners masked.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LotteryView {
    pub id: Id,
    pub title: String,
    pub kind: crate::store::DrawKind,
    pub opens_at_ms: u64,
    pub closes_at_ms: u64,
    pub winners_wanted: u32,
    pub entrants: u32,
    #[serde(default)]
    pub entered: bool,
    pub winners: Option<Vec<String>>,
}

impl LotteryView {
    /// `winner_names` are raw nicknames with ids; they are masked here.
    pub fn new(l: &Lottery, winner_names: Option<Vec<(Id, String)>>) -> Self {
        Self {
            id: l.id,
            title: l.title.clone(),
            kind: l.kind,
            opens_at_ms: l.opens_at_ms,
            closes_at_ms: l.closes_at_ms,
            winners_wanted: l.winners,
            entrants: l.entrants,
            entered: false,
            winners: winner_names
                .map(|names| names.iter().map(|(id, n)| display_name(n, *id)).collect()),
        }
    }
}

/// Masked names of a drawn lottery's winners, in draw order.
pub fn winner_names(
    store: &mut dyn Store,
    l: &Lottery,
) -> Result<Option<Vec<(Id, String)>>, StoreError> {
    let Some(draw) = &l.draw else {
        return Ok(None);
    };
    let names = store.nicknames(&draw.winners)?;
    Ok(Some(draw.winners.iter().copied().zip(names).collect()))
}

/// Builds the overlay from the display choices and the stored data, as of `now_ms`.
pub fn build_overlay(
    store: &mut dyn Store,
    session: Id,
    display: &Display,
    join_url: &str,
    now_ms: u64,
) -> Result<OverlayState, StoreError> {
    let mut panels = Vec::new();
    let mut push = |id: String, anchor, content| {
        panels.push(Panel {
            id,
            anchor,
            content,
        })
    };
    if let Some(id) = display.pinned {
        match store.question(session, id) {
            Ok(q) if q.status == QuestionStatus::Visible => push(
                format!("question-{id}"),
                Anchor::BottomLeft,
                PanelContent::Question {
                    text: mask_text(&q.text),
                    asker: display_name(&q.nickname, q.viewer_id),
                    likes: q.likes,
                },
            ),
            Ok(_) | Err(StoreError::NotFound(_)) => {}
            Err(e) => return Err(e),
        }
    }
    if let Some(id) = display.poll {
        let p = store.poll(session, id)?;
        push(
            format!("poll-{id}"),
            Anchor::TopRight,
            PanelContent::Poll {
                title: mask_text(&p.title),
                options: poll_options(&p),
                open: p.state == PollState::Open,
            },
        );
    }
    if let Some(title) = &display.rating {
        let (average, count) = store.rating(session)?;
        push(
            "rating".into(),
            Anchor::TopRight,
            PanelContent::Rating {
                title: mask_text(title),
                average,
                count,
            },
        );
    }
    if let Some(id) = display.lottery {
        let l = store.lottery(session, id)?;
        if now_ms < l.closes_at_ms && l.draw.is_none() {
            let ends_at_ms = if now_ms < l.opens_at_ms {
                l.opens_at_ms
            } else {
                l.closes_at_ms
            };
            push(
                format!("countdown-{id}"),
                Anchor::Center,
                PanelContent::Countdown {
                    label: mask_text(&l.title),
                    ends_at_ms,
                },
            );
        }
    }
    if let Some(offer) = &display.offer
        && offer.ends_at_ms.is_none_or(|end| end > now_ms)
    {
        push(
            "offer".into(),
            Anchor::TopLeft,
            PanelContent::Offer {
                title: mask_text(&offer.title),
                detail: mask_text(&offer.detail),
                ends_at_ms: offer.ends_at_ms,
            },
        );
    }
    if let Some(id) = display.winners {
        let l = store.lottery(session, id)?;
        if let Some(names) = winner_names(store, &l)? {
            push(
                format!("winners-{id}"),
                Anchor::Center,
                PanelContent::Winners {
                    title: mask_text(&l.title),
                    names: names.iter().map(|(id, n)| display_name(n, *id)).collect(),
                },
            );
        }
    }
    if let Some(caption) = &display.join_qr {
        push(
            "join-qr".into(),
            Anchor::BottomRight,
            PanelContent::JoinQr {
                url: join_url.to_owned(),
                caption: mask_text(caption),
            },
        );
    }
    if let Some(lt) = &display.lower_third {
        push(
            "lower-third".into(),
            Anchor::BottomBand,
            PanelContent::LowerThird {
                title: mask_text(&lt.title),
                subtitle: mask_text(&lt.subtitle),
            },
        );
    }
    Ok(OverlayState { panels })
}

/// Live updates: changes are collected by key (the newest wins) and sent as one batch per
/// flush, so 2,000 viewers get a few messages a second however many actions arrive.
pub struct Updates {
    pending: Mutex<BTreeMap<String, serde_json::Value>>,
    tx: broadcast::Sender<Bytes>,
}

impl Updates {
    pub fn new() -> Self {
        Self {
            pending: Mutex::new(BTreeMap::new()),
            tx: broadcast::channel(64).0,
        }
    }

    /// Queues one update (`{"type": kind, "data": value}`) under `key`.
    pub fn push(&self, key: String, kind: &str, value: impl Serialize) {
        let value = serde_json::json!({ "type": kind, "data": value });
        self.pending
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .insert(key, value);
    }

    /// Sends the pending updates as one JSON array; nothing when none are pending.
    pub fn flush(&self) {
        let batch: Vec<serde_json::Value> = {
            let mut pending = self
                .pending
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            std::mem::take(&mut *pending).into_values().collect()
        };
        if batch.is_empty() {
            return;
        }
        // One server-sent event; JSON has no raw newlines, so it is one data line.
        let frame = format!(
            "event: update\ndata: {}\n\n",
            serde_json::Value::Array(batch)
        );
        // No receiver is fine: nobody is watching.
        let _ = self.tx.send(Bytes::from(frame));
    }

    pub fn subscribe(&self) -> broadcast::Receiver<Bytes> {
        self.tx.subscribe()
    }
}

impl Default for Updates {
    fn default() -> Self {
        Self::new()
    }
}
