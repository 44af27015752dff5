//! `GET /api/v1/events`: live updates as server-sent events. Each `update` event carries a JSON
//! array of changes (`{"type": "question" | "question-removed" | "poll" | "lottery" | "overlay",
//! "data": …}`); `resync` asks the page to fetch `/api/v1/state` again (it fell behind). A
//! viewer's connection counts as watching: join and leave times are stored for the report.

use super::{HostAuth, ViewerAuth};
use crate::error::ApiError;
use crate::state::{Shared, now_ms};
use crate::store::Id;
use axum::extract::{FromRequestParts, State};
use axum::http::request::Parts;
use axum::response::sse::{Event, KeepAlive, Sse};
use futures_util::stream::{self, Stream, StreamExt};
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
    rx: tokio::sync::broadcast::Receiver<Arc<str>>,
    shutdown: tokio::sync::watch::Receiver<bool>,
    _presence: Option<Presence>,
}

pub async fn events(
    State(shared): State<Arc<Shared>>,
    listener: Listener,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, ApiError> {
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
    let feed = Feed {
        rx: shared.updates.subscribe(),
        shutdown: shared.shutdown.clone(),
        _presence: presence,
    };
    let ready = stream::once(async { Ok(Event::default().event("ready").data("{}")) });
    let updates = stream::unfold(feed, |mut feed| async move {
        let event = tokio::select! {
            msg = feed.rx.recv() => match msg {
                Ok(batch) => Event::default().event("update").data(&*batch),
                Err(RecvError::Lagged(_)) => Event::default().event("resync").data("{}"),
                Err(RecvError::Closed) => return None,
            },
            _ = crate::state::stopped(&mut feed.shutdown) => return None,
        };
        Some((Ok(event), feed))
    });
    Ok(Sse::new(ready.chain(updates))
        .keep_alive(KeepAlive::new().interval(Duration::from_secs(15))))
}
