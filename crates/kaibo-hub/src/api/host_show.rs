//! Host routes that put panels on the stream or take them off: rating, offer, lower third,
//! join QR; and the overlay state itself.

use super::{ApiJson, ApiPath, HostAuth};
use crate::error::ApiError;
use crate::live::{LowerThird, Offer};
use crate::state::{Shared, now_ms};
use crate::text::clean;
use axum::Json;
use axum::extract::State;
use kaibo_model::OverlayState;
use serde::Deserialize;
use std::sync::Arc;

const TITLE_CHARS: usize = 100;

async fn overlay_after(
    shared: &Arc<Shared>,
    change: impl FnOnce(&mut crate::live::Display) + Send + 'static,
) -> Result<Json<OverlayState>, ApiError> {
    shared
        .db(move |inner, s| s.change_display(inner, change))
        .await?;
    Ok(Json(shared.overlay.borrow().clone()))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RatingBody {
    #[serde(default)]
    title: Option<String>,
}

/// Shows the live star rating (average and count).
pub async fn rating(
    _: HostAuth,
    State(shared): State<Arc<Shared>>,
    ApiJson(body): ApiJson<RatingBody>,
) -> Result<Json<OverlayState>, ApiError> {
    let title = clean(
        body.title.as_deref().unwrap_or("观众评分 Rating"),
        TITLE_CHARS,
        "the title",
    )?;
    overlay_after(&shared, move |d| d.rating = Some(title)).await
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OfferBody {
    title: String,
    #[serde(default)]
    detail: String,
    /// Counts down to this time (Unix ms) …
    #[serde(default)]
    ends_at_ms: Option<u64>,
    /// … or for this many seconds from now.
    #[serde(default)]
    duration_s: Option<u64>,
}

/// Shows a limited-time offer banner, optionally counting down.
pub async fn offer(
    _: HostAuth,
    State(shared): State<Arc<Shared>>,
    ApiJson(body): ApiJson<OfferBody>,
) -> Result<Json<OverlayState>, ApiError> {
    let title = clean(&body.title, TITLE_CHARS, "the offer title")?;
    let detail = if body.detail.trim().is_empty() {
        String::new()
    } else {
        clean(&body.detail, TITLE_CHARS * 2, "the offer detail")?
    };
    let now = now_ms();
    let ends_at_ms = match (body.ends_at_ms, body.duration_s) {
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
    overlay_after(&shared, move |d| d.offer = Some(offer)).await
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LowerThirdBody {
    title: String,
    #[serde(default)]
    subtitle: String,
}

pub async fn lower_third(
    _: HostAuth,
    State(shared): State<Arc<Shared>>,
    ApiJson(body): ApiJson<LowerThirdBody>,
) -> Result<Json<OverlayState>, ApiError> {
    let title = clean(&body.title, TITLE_CHARS, "the lower third")?;
    let subtitle = if body.subtitle.trim().is_empty() {
        String::new()
    } else {
        clean(&body.subtitle, TITLE_CHARS, "the subtitle")?
    };
    overlay_after(&shared, move |d| {
        d.lower_third = Some(LowerThird { title, subtitle })
    })
    .await
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JoinQrBody {
    #[serde(default)]
    caption: Option<String>,
}

/// Shows the join QR (the hub's public URL) with a caption.
pub async fn join_qr(
    _: HostAuth,
    State(shared): State<Arc<Shared>>,
    ApiJson(body): ApiJson<JoinQrBody>,
) -> Result<Json<OverlayState>, ApiError> {
    let caption = clean(
        body.caption.as_deref().unwrap_or("扫码互动 Scan to join"),
        TITLE_CHARS,
        "the caption",
    )?;
    overlay_after(&shared, move |d| d.join_qr = Some(caption)).await
}

/// Takes a panel off the stream: question, poll, rating, countdown, offer, winners, join-qr,
/// lower-third.
pub async fn hide(
    _: HostAuth,
    State(shared): State<Arc<Shared>>,
    ApiPath(kind): ApiPath<String>,
) -> Result<Json<OverlayState>, ApiError> {
    let known = [
        "question",
        "poll",
        "rating",
        "countdown",
        "offer",
        "winners",
        "join-qr",
        "lower-third",
    ];
    if !known.contains(&kind.as_str()) {
        return Err(ApiError::not_found("panel kind"));
    }
    overlay_after(&shared, move |d| match kind.as_str() {
        "question" => d.pinned = None,
        "poll" => d.poll = None,
        "rating" => d.rating = None,
        "countdown" => d.lottery = None,
        "offer" => d.offer = None,
        "winners" => d.winners = None,
        "join-qr" => d.join_qr = None,
        _ => d.lower_third = None,
    })
    .await
}

pub async fn overlay(_: HostAuth, State(shared): State<Arc<Shared>>) -> Json<OverlayState> {
    Json(shared.overlay.borrow().clone())
}
