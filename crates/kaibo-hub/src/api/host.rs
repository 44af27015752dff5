//! Host routes: moderation, polls, draws and the report. Each parses the request and calls the
//! host's desk (`crate::desk`), where the actions live for HTTP and in-process callers alike.

use super::{ApiJson, ApiPath, ApiQuery, HostAuth};
use crate::desk::{Audit, HostDesk, NewDraw, NewPoll, QuestionAction, QuestionFilter};
use crate::error::ApiError;
use crate::state::Shared;
use crate::store::{DrawKind, Id, PollState, QuestionOrder, Report};
use crate::views::{LotteryView, PollView, QuestionView};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::Deserialize;
use std::sync::Arc;

pub(super) fn desk(shared: &Arc<Shared>) -> HostDesk {
    HostDesk::new(Arc::clone(shared))
}

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
    let filter = match q.status.as_deref() {
        None => QuestionFilter::Open,
        Some(s) => QuestionFilter::parse(s).ok_or_else(|| {
            ApiError::bad_request("bad-query", "status is held, visible, rejected or all")
        })?,
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
    Ok(Json(desk(&shared).questions(filter, order)?))
}

/// `approve`, `reject`, `pin`, `unpin` or `answer` a question.
pub async fn moderate(
    _: HostAuth,
    State(shared): State<Arc<Shared>>,
    ApiPath((id, action)): ApiPath<(Id, String)>,
) -> Result<Json<QuestionView>, ApiError> {
    let action =
        QuestionAction::parse(&action).ok_or_else(|| ApiError::not_found("question action"))?;
    Ok(Json(desk(&shared).moderate(id, action)?))
}

pub async fn polls(
    _: HostAuth,
    State(shared): State<Arc<Shared>>,
) -> Result<Json<Vec<PollView>>, ApiError> {
    Ok(Json(desk(&shared).polls()?))
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
    let poll = match body.preset.as_deref() {
        Some("satisfaction") => NewPoll::Satisfaction { title: body.title },
        Some(_) => {
            return Err(ApiError::bad_request(
                "bad-preset",
                "the only preset is `satisfaction`",
            ));
        }
        None => NewPoll::Custom {
            title: body.title.unwrap_or_default(),
            options: body.options.unwrap_or_default(),
        },
    };
    Ok((StatusCode::CREATED, Json(desk(&shared).create_poll(poll)?)))
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
    Ok(Json(desk(&shared).set_poll(id, state)?))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewLotteryBody {
    title: String,
    #[serde(default)]
    kind: Option<DrawKind>,
    #[serde(default)]
    opens_at_ms: Option<u64>,
    #[serde(default)]
    window_s: Option<u64>,
    #[serde(default)]
    winners: Option<u32>,
}

/// Creates a draw and shows its countdown.
pub async fn create_lottery(
    _: HostAuth,
    State(shared): State<Arc<Shared>>,
    ApiJson(body): ApiJson<NewLotteryBody>,
) -> Result<(StatusCode, Json<LotteryView>), ApiError> {
    let draw = NewDraw {
        title: body.title,
        kind: body.kind.unwrap_or(DrawKind::Lottery),
        opens_at_ms: body.opens_at_ms,
        window_s: body.window_s,
        winners: body.winners,
    };
    Ok((
        StatusCode::CREATED,
        Json(desk(&shared).create_lottery(draw)?),
    ))
}

/// Ends the entry window now.
pub async fn close_lottery(
    _: HostAuth,
    State(shared): State<Arc<Shared>>,
    ApiPath(id): ApiPath<Id>,
) -> Result<Json<LotteryView>, ApiError> {
    Ok(Json(desk(&shared).close_lottery(id)?))
}

/// Draws the winners once the window has closed (CSPRNG seed, recorded) and shows them.
pub async fn draw(
    _: HostAuth,
    State(shared): State<Arc<Shared>>,
    ApiPath(id): ApiPath<Id>,
) -> Result<Json<Audit>, ApiError> {
    Ok(Json(desk(&shared).draw(id)?))
}

pub async fn audit(
    _: HostAuth,
    State(shared): State<Arc<Shared>>,
    ApiPath(id): ApiPath<Id>,
) -> Result<Json<Audit>, ApiError> {
    Ok(Json(desk(&shared).audit(id)?))
}

pub async fn report(
    _: HostAuth,
    State(shared): State<Arc<Shared>>,
) -> Result<Json<Report>, ApiError> {
    Ok(Json(desk(&shared).report()?))
}

/// Ends the session (watch times close now); the next hub start opens a new one.
pub async fn end_session(
    _: HostAuth,
    State(shared): State<Arc<Shared>>,
) -> Result<Json<Report>, ApiError> {
    Ok(Json(desk(&shared).end_session()?))
}
