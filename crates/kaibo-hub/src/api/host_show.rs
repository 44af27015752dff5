//! Host routes that put panels on the stream or take them off: rating, offer, lower third,
//! join QR; and the overlay state itself. Thin adapters over the host's desk.

use super::host::desk;
use super::{ApiJson, ApiPath, HostAuth};
use crate::desk::{NewOffer, PanelKind};
use crate::error::ApiError;
use crate::state::Shared;
use axum::Json;
use axum::extract::State;
use kaibo_model::OverlayState;
use serde::Deserialize;
use std::sync::Arc;

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
    Ok(Json(desk(&shared).show_rating(body.title.as_deref())?))
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
    let offer = NewOffer {
        title: body.title,
        detail: body.detail,
        ends_at_ms: body.ends_at_ms,
        duration_s: body.duration_s,
    };
    Ok(Json(desk(&shared).show_offer(offer)?))
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
    Ok(Json(
        desk(&shared).show_lower_third(&body.title, &body.subtitle)?,
    ))
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
    Ok(Json(desk(&shared).show_join_qr(body.caption.as_deref())?))
}

/// Takes a panel off the stream: question, poll, rating, countdown, offer, winners, join-qr,
/// lower-third.
pub async fn hide(
    _: HostAuth,
    State(shared): State<Arc<Shared>>,
    ApiPath(kind): ApiPath<String>,
) -> Result<Json<OverlayState>, ApiError> {
    let kind = PanelKind::parse(&kind).ok_or_else(|| ApiError::not_found("panel kind"))?;
    Ok(Json(desk(&shared).hide(kind)?))
}

pub async fn overlay(_: HostAuth, State(shared): State<Arc<Shared>>) -> Json<OverlayState> {
    Json(desk(&shared).overlay())
}
