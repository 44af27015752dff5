//! Host routes: moderation, polls, draws and the report.

use super::{ApiJson, ApiPath, ApiQuery, HostAuth};
use crate::draw::{ALGORITHM, fresh_seed, hex, pick_winners};
use crate::error::{ApiError, StoreError};
use crate::live::{LotteryView, PollView, QuestionView, winner_names};
use crate::state::{Shared, now_ms};
use crate::store::{
    DrawKind, DrawRecord, Id, NewLottery, PollState, QuestionOrder, QuestionStatus, Report,
};
use crate::text::clean;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// Longest host-written title or option, in characters.
const TITLE_CHARS: usize = 100;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HostListQuery {
    #[serde(default)]
    status: Option<String>,
    #[serde(default)]
    sort: Option<String>,
}

/// Questions for moderation: `status=held|visible|rejected|all` (default all but rejected),
/// `sort=likes|newest`. Askers masked; flags show which list terms were hit.
pub async fn questions(
    _: HostAuth,
    State(shared): State<Arc<Shared>>,
    ApiQuery(q): ApiQuery<HostListQuery>,
) -> Result<Json<Vec<QuestionView>>, ApiError> {
    use QuestionStatus::{Held, Rejected, Visible};
    let statuses: Vec<QuestionStatus> = match q.status.as_deref() {
        None => vec![Visible, Held],
        Some("all") => vec![Visible, Held, Rejected],
        Some(s) => vec![QuestionStatus::parse(s).ok_or_else(|| {
            ApiError::bad_request("bad-query", "status is held, visible, rejected or all")
        })?],
    };
    let order = match q.sort.as_deref() {
        None | Some("likes") => QuestionOrder::Likes,
        Some("newest") => QuestionOrder::Newest,
        Some(_) => {
            return Err(ApiError::bad_request(
                "bad-query",
                "sort is likes or newest",
            ));
        }
    };
    let list = shared
        .db(move |inner, s| {
            let qs = inner.store.questions(s.session, &statuses, order)?;
            Ok(qs
                .iter()
                .map(|q| QuestionView {
                    flags: Some(q.flags.clone()),
                    ..QuestionView::new(q, &inner.display)
                })
                .collect())
        })
        .await?;
    Ok(Json(list))
}

/// `approve`, `reject`, `pin`, `unpin` or `answer` a question.
pub async fn moderate(
    _: HostAuth,
    State(shared): State<Arc<Shared>>,
    ApiPath((id, action)): ApiPath<(Id, String)>,
) -> Result<Json<QuestionView>, ApiError> {
    if !["approve", "reject", "pin", "unpin", "answer"].contains(&action.as_str()) {
        return Err(ApiError::not_found("question action"));
    }
    let view = shared
        .db(move |inner, s| {
            let sess = s.session;
            let q = match action.as_str() {
                "approve" => inner
                    .store
                    .set_question_status(sess, id, QuestionStatus::Visible)?,
                "reject" => {
                    let q = inner
                        .store
                        .set_question_status(sess, id, QuestionStatus::Rejected)?;
                    s.change_display(inner, |d| {
                        if d.pinned == Some(id) {
                            d.pinned = None;
                        }
                    })?;
                    q
                }
                "pin" => {
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
                "unpin" => {
                    let q = inner.store.question(sess, id)?;
                    s.change_display(inner, |d| {
                        if d.pinned == Some(id) {
                            d.pinned = None;
                        }
                    })?;
                    q
                }
                _ => inner.store.set_answered(sess, id)?,
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
        .await?;
    Ok(Json(view))
}

pub async fn polls(
    _: HostAuth,
    State(shared): State<Arc<Shared>>,
) -> Result<Json<Vec<PollView>>, ApiError> {
    let polls = shared
        .db(|inner, s| {
            Ok(inner
                .store
                .polls(s.session)?
                .iter()
                .map(PollView::new)
                .collect())
        })
        .await?;
    Ok(Json(polls))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewPollBody {
    #[serde(default)]
    title: Option<String>,
    #[serde(default)]
    options: Option<Vec<String>>,
    /// `satisfaction`: the ready-made 1–5 star poll.
    #[serde(default)]
    preset: Option<String>,
}

pub async fn create_poll(
    _: HostAuth,
    State(shared): State<Arc<Shared>>,
    ApiJson(body): ApiJson<NewPollBody>,
) -> Result<(StatusCode, Json<PollView>), ApiError> {
    let (title, options) = match body.preset.as_deref() {
        Some("satisfaction") => (
            body.title
                .unwrap_or_else(|| "本场满意度 How satisfied are you?".into()),
            ["★", "★★", "★★★", "★★★★", "★★★★★"]
                .map(String::from)
                .to_vec(),
        ),
        Some(_) => {
            return Err(ApiError::bad_request(
                "bad-preset",
                "the only preset is `satisfaction`",
            ));
        }
        None => (
            body.title.unwrap_or_default(),
            body.options.unwrap_or_default(),
        ),
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
    let poll = shared
        .db(move |inner, s| {
            inner
                .store
                .create_poll(s.session, &title, &options, now_ms())
        })
        .await?;
    Ok((StatusCode::CREATED, Json(PollView::new(&poll))))
}

/// `open` (shows it on stream, closes any other open poll), `close` (keeps the results shown).
pub async fn poll_action(
    _: HostAuth,
    State(shared): State<Arc<Shared>>,
    ApiPath((id, action)): ApiPath<(Id, String)>,
) -> Result<Json<PollView>, ApiError> {
    let state = match action.as_str() {
        "open" => PollState::Open,
        "close" => PollState::Closed,
        _ => return Err(ApiError::not_found("poll action")),
    };
    let view = shared
        .db(move |inner, s| {
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
        .await?;
    Ok(Json(view))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewLotteryBody {
    title: String,
    #[serde(default)]
    kind: Option<DrawKind>,
    /// When entries open (Unix ms); default now. E.g. the next full hour.
    #[serde(default)]
    opens_at_ms: Option<u64>,
    /// How long entries stay open, seconds (default 10).
    #[serde(default)]
    window_s: Option<u64>,
    /// How many winners (default 1).
    #[serde(default)]
    winners: Option<u32>,
}

/// Creates a draw and shows its countdown.
pub async fn create_lottery(
    _: HostAuth,
    State(shared): State<Arc<Shared>>,
    ApiJson(body): ApiJson<NewLotteryBody>,
) -> Result<(StatusCode, Json<LotteryView>), ApiError> {
    let now = now_ms();
    let title = clean(&body.title, TITLE_CHARS, "the draw title")?;
    let opens_at_ms = body.opens_at_ms.unwrap_or(now);
    if opens_at_ms + 60_000 < now || opens_at_ms > now + 24 * 3_600_000 {
        return Err(ApiError::bad_request(
            "bad-time",
            "opens_at_ms must be between a minute ago and 24 hours from now (Unix ms)",
        ));
    }
    let window_s = body.window_s.unwrap_or(10);
    if !(1..=3600).contains(&window_s) {
        return Err(ApiError::bad_request(
            "bad-window",
            "window_s is 1 to 3600 seconds",
        ));
    }
    let winners = body.winners.unwrap_or(1);
    if !(1..=100).contains(&winners) {
        return Err(ApiError::bad_request("bad-winners", "winners is 1 to 100"));
    }
    let new = NewLottery {
        title,
        kind: body.kind.unwrap_or(DrawKind::Lottery),
        opens_at_ms,
        closes_at_ms: opens_at_ms + window_s * 1000,
        winners,
    };
    let view = shared
        .db(move |inner, s| {
            let l = inner.store.create_lottery(s.session, &new)?;
            s.change_display(inner, |d| {
                d.lottery = Some(l.id);
                d.winners = None;
            })?;
            let view = LotteryView::new(&l, None);
            s.updates.push(format!("l{}", l.id), "lottery", &view);
            Ok(view)
        })
        .await?;
    Ok((StatusCode::CREATED, Json(view)))
}

/// Ends the entry window now.
pub async fn close_lottery(
    _: HostAuth,
    State(shared): State<Arc<Shared>>,
    ApiPath(id): ApiPath<Id>,
) -> Result<Json<LotteryView>, ApiError> {
    let view = shared
        .db(move |inner, s| {
            let l = inner.store.close_lottery(s.session, id, now_ms())?;
            s.refresh_overlay(inner)?;
            let view = LotteryView::new(&l, None);
            s.updates.push(format!("l{id}"), "lottery", &view);
            Ok(view)
        })
        .await?;
    Ok(Json(view))
}

/// The audit of a draw: seed, entrants and winners, enough to redo it.
#[derive(Serialize)]
pub struct Audit {
    lottery: LotteryView,
    record: DrawRecord,
}

/// Draws the winners once the window has closed (CSPRNG seed, recorded) and shows them.
pub async fn draw(
    _: HostAuth,
    State(shared): State<Arc<Shared>>,
    ApiPath(id): ApiPath<Id>,
) -> Result<Json<Audit>, ApiError> {
    let seed = fresh_seed().map_err(|e| StoreError::Storage(e.to_string()))?;
    let audit = shared
        .db(move |inner, s| {
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
        .await?;
    Ok(Json(audit))
}

pub async fn audit(
    _: HostAuth,
    State(shared): State<Arc<Shared>>,
    ApiPath(id): ApiPath<Id>,
) -> Result<Json<Audit>, ApiError> {
    let audit = shared
        .db(move |inner, s| {
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
        .await?;
    Ok(Json(audit))
}

pub async fn report(
    _: HostAuth,
    State(shared): State<Arc<Shared>>,
) -> Result<Json<Report>, ApiError> {
    let report = shared
        .db(|inner, s| inner.store.report(s.session, now_ms()))
        .await?;
    Ok(Json(report))
}

/// Ends the session (watch times close now); the next hub start opens a new one.
pub async fn end_session(
    _: HostAuth,
    State(shared): State<Arc<Shared>>,
) -> Result<Json<Report>, ApiError> {
    let report = shared
        .db(|inner, s| {
            let now = now_ms();
            inner.store.end_session(s.session, now)?;
            inner.store.report(s.session, now)
        })
        .await?;
    Ok(Json(report))
}
