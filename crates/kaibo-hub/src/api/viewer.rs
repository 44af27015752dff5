//! Viewer routes: join, ask, like, vote, rate, enter the draw, read the state.

use super::{ApiJson, ApiPath, ApiQuery, ViewerAuth};
use crate::draw::random_token;
use crate::error::{ApiError, StoreError};
use crate::moderation;
use crate::state::{Shared, now_ms};
use crate::store::{Id, QuestionOrder, QuestionStatus};
use crate::text::clean;
use crate::views::{LotteryView, PollView, QuestionView, display_name, winner_names};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use kaibo_model::OverlayState;
use serde::{Deserialize, Serialize};
use std::sync::Arc;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JoinBody {
    #[serde(default)]
    nickname: Option<String>,
    /// The viewer read the privacy notice and agreed.
    accept_privacy: bool,
}

#[derive(Serialize)]
pub struct Me {
    id: Id,
    name: String,
}

#[derive(Serialize)]
pub struct Joined {
    token: String,
    viewer: Me,
}

pub async fn join(
    State(shared): State<Arc<Shared>>,
    ApiJson(body): ApiJson<JoinBody>,
) -> Result<(StatusCode, Json<Joined>), ApiError> {
    if !body.accept_privacy {
        return Err(ApiError::bad_request(
            "privacy-not-accepted",
            "read the privacy notice and accept it (accept_privacy: true) to join",
        ));
    }
    let nickname = match body.nickname.as_deref().map(str::trim) {
        None | Some("") => String::new(),
        Some(raw) => clean(raw, shared.limits.nickname_chars, "nickname")?,
    };
    let token = random_token(32).map_err(|e| StoreError::Storage(e.to_string()))?;
    let stored_token = token.clone();
    let viewer = shared
        .db(move |inner, s| {
            inner
                .store
                .add_viewer(s.session, &stored_token, &nickname, now_ms())
        })
        .await?;
    shared.remember(&token, viewer.clone());
    let me = Me {
        id: viewer.id,
        name: display_name(&viewer.nickname, viewer.id),
    };
    Ok((StatusCode::CREATED, Json(Joined { token, viewer: me })))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    #[serde(default)]
    sort: Option<String>,
}

fn order(sort: Option<&str>) -> Result<QuestionOrder, ApiError> {
    match sort {
        None | Some("likes") => Ok(QuestionOrder::Likes),
        Some("newest") => Ok(QuestionOrder::Newest),
        Some(_) => Err(ApiError::bad_request(
            "bad-query",
            "sort is `likes` or `newest`",
        )),
    }
}

/// Visible questions plus the viewer's own held ones, marked mine/liked.
async fn questions_for(
    shared: &Arc<Shared>,
    viewer: Id,
    order: QuestionOrder,
) -> Result<Vec<QuestionView>, ApiError> {
    shared
        .db(move |inner, s| {
            let all = inner.store.questions(
                s.session,
                &[QuestionStatus::Visible, QuestionStatus::Held],
                order,
            )?;
            let liked = inner.store.liked_by(s.session, viewer)?;
            Ok(all
                .iter()
                .filter(|q| q.status == QuestionStatus::Visible || q.viewer_id == viewer)
                .map(|q| QuestionView {
                    mine: q.viewer_id == viewer,
                    liked: liked.contains(&q.id),
                    ..QuestionView::new(q, &inner.display)
                })
                .collect())
        })
        .await
}

pub async fn questions(
    State(shared): State<Arc<Shared>>,
    ViewerAuth(viewer): ViewerAuth,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> Result<Json<Vec<QuestionView>>, ApiError> {
    let order = order(q.sort.as_deref())?;
    Ok(Json(questions_for(&shared, viewer.id, order).await?))
}

#[derive(Serialize)]
pub struct StateView {
    me: Me,
    questions: Vec<QuestionView>,
    poll: Option<PollView>,
    lottery: Option<LotteryView>,
    overlay: OverlayState,
    now_ms: u64,
}

/// Everything the viewer page shows, for its first paint and after a resync.
pub async fn state(
    State(shared): State<Arc<Shared>>,
    ViewerAuth(viewer): ViewerAuth,
) -> Result<Json<StateView>, ApiError> {
    let questions = questions_for(&shared, viewer.id, QuestionOrder::Likes).await?;
    let vid = viewer.id;
    let (poll, lottery) = shared
        .db(move |inner, s| {
            let poll = match inner.display.poll {
                Some(id) => {
                    let p = inner.store.poll(s.session, id)?;
                    let voted = inner.store.vote_of(id, vid)?;
                    Some(PollView {
                        voted,
                        ..PollView::new(&p)
                    })
                }
                None => None,
            };
            let lottery = match inner.store.latest_lottery(s.session)? {
                Some(l) => {
                    let names = winner_names(inner.store.as_mut(), &l)?;
                    let entered = inner.store.entered(l.id, vid)?;
                    Some(LotteryView {
                        entered,
                        ..LotteryView::new(&l, names)
                    })
                }
                None => None,
            };
            Ok((poll, lottery))
        })
        .await?;
    Ok(Json(StateView {
        me: Me {
            id: viewer.id,
            name: display_name(&viewer.nickname, viewer.id),
        },
        questions,
        poll,
        lottery,
        overlay: shared.overlay.borrow().clone(),
        now_ms: now_ms(),
    }))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AskBody {
    text: String,
}

pub async fn ask(
    State(shared): State<Arc<Shared>>,
    ViewerAuth(viewer): ViewerAuth,
    ApiJson(body): ApiJson<AskBody>,
) -> Result<(StatusCode, Json<QuestionView>), ApiError> {
    let text = clean(&body.text, shared.limits.text_chars, "the question")?;
    shared.spend(viewer.id)?;
    let flags = moderation::flags(&shared.lists, &text);
    let status = if flags.is_empty() && !shared.limits.premoderate {
        QuestionStatus::Visible
    } else {
        QuestionStatus::Held
    };
    let view = shared
        .db(move |inner, s| {
            let q =
                inner
                    .store
                    .add_question(s.session, viewer.id, &text, status, &flags, now_ms())?;
            let view = QuestionView::new(&q, &inner.display);
            if status == QuestionStatus::Visible {
                s.updates.push(format!("q{}", q.id), "question", &view);
            }
            Ok(QuestionView { mine: true, ..view })
        })
        .await?;
    Ok((StatusCode::CREATED, Json(view)))
}

pub async fn like(
    State(shared): State<Arc<Shared>>,
    ViewerAuth(viewer): ViewerAuth,
    ApiPath(id): ApiPath<Id>,
) -> Result<Json<QuestionView>, ApiError> {
    shared.spend(viewer.id)?;
    let view = shared
        .db(move |inner, s| {
            let q = inner.store.like(s.session, id, viewer.id, now_ms())?;
            let view = QuestionView::new(&q, &inner.display);
            s.updates.push(format!("q{id}"), "question", &view);
            if inner.display.pinned == Some(id) {
                s.refresh_overlay(inner)?;
            }
            Ok(QuestionView {
                liked: true,
                mine: q.viewer_id == viewer.id,
                ..view
            })
        })
        .await?;
    Ok(Json(view))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VoteBody {
    option: usize,
}

pub async fn vote(
    State(shared): State<Arc<Shared>>,
    ViewerAuth(viewer): ViewerAuth,
    ApiPath(id): ApiPath<Id>,
    ApiJson(body): ApiJson<VoteBody>,
) -> Result<Json<PollView>, ApiError> {
    shared.spend(viewer.id)?;
    let view = shared
        .db(move |inner, s| {
            let p = inner
                .store
                .vote(s.session, id, viewer.id, body.option, now_ms())?;
            let view = PollView::new(&p);
            s.updates.push(format!("p{id}"), "poll", &view);
            if inner.display.poll == Some(id) {
                s.refresh_overlay(inner)?;
            }
            Ok(PollView {
                voted: Some(body.option),
                ..view
            })
        })
        .await?;
    Ok(Json(view))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RateBody {
    stars: u8,
}

#[derive(Serialize)]
pub struct RatingView {
    average: f32,
    count: u32,
    mine: u8,
}

pub async fn rate(
    State(shared): State<Arc<Shared>>,
    ViewerAuth(viewer): ViewerAuth,
    ApiJson(body): ApiJson<RateBody>,
) -> Result<Json<RatingView>, ApiError> {
    if !(1..=5).contains(&body.stars) {
        return Err(ApiError::bad_request(
            "bad-stars",
            "stars is a whole number from 1 to 5",
        ));
    }
    shared.spend(viewer.id)?;
    let stars = body.stars;
    let (average, count) = shared
        .db(move |inner, s| {
            inner.store.rate(s.session, viewer.id, stars, now_ms())?;
            if inner.display.rating.is_some() {
                s.refresh_overlay(inner)?;
            }
            inner.store.rating(s.session)
        })
        .await?;
    Ok(Json(RatingView {
        average,
        count,
        mine: stars,
    }))
}

pub async fn enter_lottery(
    State(shared): State<Arc<Shared>>,
    ViewerAuth(viewer): ViewerAuth,
) -> Result<Json<LotteryView>, ApiError> {
    shared.spend(viewer.id)?;
    let view = shared
        .db(move |inner, s| {
            let latest = inner
                .store
                .latest_lottery(s.session)?
                .ok_or(StoreError::NotFound("open draw"))?;
            let l = inner
                .store
                .enter_lottery(s.session, latest.id, viewer.id, now_ms())?;
            let view = LotteryView::new(&l, None);
            s.updates.push(format!("l{}", l.id), "lottery", &view);
            Ok(LotteryView {
                entered: true,
                ..view
            })
        })
        .await?;
    Ok(Json(view))
}
