//! The HTTP surface: viewer API, host API (`/api/v1/host/…`), live events and the viewer page.
//! Every refusal is JSON `{"error", "message"}`; bad input is always a 4xx.

mod assets;
mod events;
mod host;
mod host_show;
mod link_test;
mod viewer;

use crate::error::ApiError;
use crate::state::Shared;
use crate::store::Viewer;
use axum::Router;
use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::{DefaultBodyLimit, FromRequest, FromRequestParts, Request};
use axum::http::{HeaderValue, StatusCode, header, request::Parts};
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::{delete, get, post};
use serde::de::DeserializeOwned;
use std::sync::Arc;

/// The whole router.
pub fn router(shared: Arc<Shared>) -> Router {
    let body_limit = shared.limits.body_bytes;
    let host = Router::new()
        .route("/questions", get(host::questions))
        .route("/questions/{id}/{action}", post(host::moderate))
        .route("/polls", get(host::polls).post(host::create_poll))
        .route("/polls/{id}/{action}", post(host::poll_action))
        .route("/lottery", post(host::create_lottery))
        .route("/lottery/{id}/close", post(host::close_lottery))
        .route("/lottery/{id}/draw", post(host::draw))
        .route("/lottery/{id}/audit", get(host::audit))
        .route("/rating/show", post(host_show::rating))
        .route("/offer", post(host_show::offer))
        .route("/lower-third", post(host_show::lower_third))
        .route("/join-qr", post(host_show::join_qr))
        .route("/panels/{kind}", delete(host_show::hide))
        .route("/overlay", get(host_show::overlay))
        .route("/report", get(host::report))
        .route("/session/end", post(host::end_session))
        .route("/probe/down", get(link_test::down))
        // A link test's body is as long as the link carries in its seconds.
        .route(
            "/probe/up",
            post(link_test::up).layer(DefaultBodyLimit::disable()),
        )
        .layer(middleware::from_fn_with_state(
            Arc::clone(&shared),
            count_host_request,
        ));
    let api = Router::new()
        .route("/join", post(viewer::join))
        .route("/state", get(viewer::state))
        .route("/questions", get(viewer::questions).post(viewer::ask))
        .route("/questions/{id}/like", post(viewer::like))
        .route("/polls/{id}/vote", post(viewer::vote))
        .route("/rating", post(viewer::rate))
        .route("/lottery/enter", post(viewer::enter_lottery))
        .route("/events", get(events::events))
        .nest("/host", host);
    Router::new()
        .nest("/api/v1", api)
        .merge(assets::routes())
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(DefaultBodyLimit::max(body_limit))
        .layer(middleware::from_fn(security_headers))
        .with_state(shared)
}

async fn not_found() -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "not-found",
        "no such page or API route; see docs/hub-api.md",
    )
}

async fn method_not_allowed() -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method-not-allowed",
        "this route does not take that method; see docs/hub-api.md",
    )
}

/// Counts a request to the host routes (see `Hub::host_requests`).
async fn count_host_request(
    axum::extract::State(shared): axum::extract::State<Arc<Shared>>,
    req: Request,
    next: Next,
) -> Response {
    shared
        .host_requests
        .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    next.run(req).await
}

/// Strict headers on every answer: only our own scripts run, nothing is sniffed or framed.
async fn security_headers(req: Request, next: Next) -> Response {
    let mut res = next.run(req).await;
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
             object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'",
        ),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    res
}

/// A JSON body whose refusals are the API's JSON errors (400, 413, 415).
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        match axum::Json::<T>::from_request(req, state).await {
            Ok(axum::Json(v)) => Ok(Self(v)),
            Err(rejection) => Err(json_refusal(&rejection)),
        }
    }
}

fn json_refusal(rejection: &JsonRejection) -> ApiError {
    let status = rejection.status();
    match status {
        StatusCode::PAYLOAD_TOO_LARGE => ApiError::new(
            status,
            "body-too-large",
            "the request body is too large; questions are at most 300 characters",
        ),
        StatusCode::UNSUPPORTED_MEDIA_TYPE => ApiError::new(
            status,
            "wrong-content-type",
            "send JSON with `Content-Type: application/json`",
        ),
        _ => ApiError::bad_request(
            "bad-json",
            format!(
                "the body is not what this route takes: {}",
                rejection.body_text()
            ),
        ),
    }
}

/// A path parameter whose refusal is a JSON 400.
pub struct ApiPath<T>(pub T);

impl<T: DeserializeOwned + Send, S: Send + Sync> FromRequestParts<S> for ApiPath<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        axum::extract::Path::<T>::from_request_parts(parts, state)
            .await
            .map(|p| Self(p.0))
            .map_err(|e: PathRejection| ApiError::bad_request("bad-path", e.body_text()))
    }
}

/// A query string whose refusal is a JSON 400.
pub struct ApiQuery<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        axum::extract::Query::<T>::from_request_parts(parts, state)
            .await
            .map(|q| Self(q.0))
            .map_err(|e: QueryRejection| ApiError::bad_request("bad-query", e.body_text()))
    }
}

fn bearer(parts: &Parts) -> Result<&str, ApiError> {
    parts
        .headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
        .filter(|t| !t.is_empty() && t.len() <= 128)
        .ok_or_else(ApiError::unauthorized)
}

/// A viewer, from `Authorization: Bearer VIEWER-TOKEN`.
pub struct ViewerAuth(pub Viewer);

impl FromRequestParts<Arc<Shared>> for ViewerAuth {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, shared: &Arc<Shared>) -> Result<Self, ApiError> {
        let token = bearer(parts)?;
        if shared.is_host(token) {
            return Err(ApiError::new(
                StatusCode::FORBIDDEN,
                "not-a-viewer",
                "the host token is not a viewer; join from the viewer page to take part",
            ));
        }
        shared
            .viewer(token)
            .await?
            .map(Self)
            .ok_or_else(ApiError::unauthorized)
    }
}

/// The host, from `Authorization: Bearer HOST-TOKEN`; a viewer token gets 403.
pub struct HostAuth;

impl FromRequestParts<Arc<Shared>> for HostAuth {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, shared: &Arc<Shared>) -> Result<Self, ApiError> {
        let token = bearer(parts)?;
        if shared.is_host(token) {
            return Ok(Self);
        }
        match shared.viewer(token).await? {
            Some(_) => Err(ApiError::forbidden()),
            None => Err(ApiError::unauthorized()),
        }
    }
}
