//! `GET /api/v1/events`: live updates as server-sent events. Each `update` event carries a JSON
//! array of changes (`{"type": "question" | "question-removed" | "poll" | "lottery" | "overlay",
//! "data": …}`); `resync` asks the page to fetch `/api/v1/state` again (it fell behind). A
//! viewer's connection counts as watching: join and leave times are stored for the report.

use super::{HostAuth, ViewerAuth};
use crate::error::ApiError;
use crate::state::{Shared, now_ms};
use crate::store::Id;
use axum::body::{Body, Bytes};
use axum::extract::{FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{HeaderName, header};
use axum::response::{IntoResponse, Response};
use futures_util::stream::{self, StreamExt};
use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::broadcast::error::RecvError;

/// Ends a viewer's presence when the stream is dropped (disconnect or shutdown).
struct Presence {
    shared: Arc<Shared>,
    id: Id,
}

impl Drop for Presence {
    fn drop(&mut self) {
        let id = self.id;
        if let Err(e) = self
            .shared
            .db_blocking(|inner, _| inner.store.presence_end(id, now_ms()))
        {
            log::warn!("hub: could not record a viewer leaving: {e}");
        }
    }
}

/// Who is listening: a viewer (presence recorded) or the host.
pub enum Listener {
    Viewer(Id),
    Host,
}

impl FromRequestParts<Arc<Shared>> for Listener {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, shared: &Arc<Shared>) -> Result<Self, ApiError> {
        if HostAuth::from_request_parts(parts, shared).await.is_ok() {
            return Ok(Self::Host);
        }
        let ViewerAuth(v) = ViewerAuth::from_request_parts(parts, shared).await?;
        Ok(Self::Viewer(v.id))
    }
}

struct Feed {
    rx: tokio::sync::broadcast::Receiver<Bytes>,
    shutdown: tokio::sync::watch::Receiver<bool>,
    keep_alive: tokio::time::Interval,
    _presence: Option<Presence>,
}

/// Keeps proxies from closing an idle stream.
const KEEP_ALIVE: Duration = Duration::from_secs(15);

pub async fn events(
    State(shared): State<Arc<Shared>>,
    listener: Listener,
) -> Result<Response, ApiError> {
    let presence = match listener {
        Listener::Viewer(viewer) => {
            let id = shared
                .db(move |inner, _| inner.store.presence_start(viewer, now_ms()))
                .await?;
            Some(Presence {
                shared: Arc::clone(&shared),
                id,
            })
        }
        Listener::Host => None,
    };
    let mut keep_alive = tokio::time::interval(KEEP_ALIVE);
    keep_alive.reset();
    let feed = Feed {
        rx: shared.updates.subscribe(),
        shutdown: shared.shutdown.clone(),
        keep_alive,
        _presence: presence,
    };
    let ready = stream::once(async {
        Ok::<_, Infallible>(Bytes::from_static(b"event: ready\ndata: {}\n\n"))
    });
    // Each batch is one shared, pre-formatted frame: writing it to 2,000 viewers copies nothing.
    let updates = stream::unfold(feed, |mut feed| async move {
        let frame = tokio::select! {
            msg = feed.rx.recv() => match msg {
                Ok(frame) => frame,
                Err(RecvError::Lagged(_)) => Bytes::from_static(b"event: resync\ndata: {}\n\n"),
                Err(RecvError::Closed) => return None,
            },
            _ = feed.keep_alive.tick() => Bytes::from_static(b": keep-alive\n\n"),
            _ = crate::state::stopped(&mut feed.shutdown) => return None,
        };
        Some((Ok::<_, Infallible>(frame), feed))
    });
    Ok((
        [
            (header::CONTENT_TYPE, "text/event-stream"),
            (header::CACHE_CONTROL, "no-cache"),
            // nginx: do not buffer the stream.
            (HeaderName::from_static("x-accel-buffering"), "no"),
        ],
        Body::from_stream(ready.chain(updates)),
    )
        .into_response())
}
