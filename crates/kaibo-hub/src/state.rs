//! The hub's shared state: the store (with the display choices) behind one lock, the overlay
//! watch, live updates, the per-viewer rate limiter and the host token.

use crate::error::{ApiError, StoreError};
use crate::store::{Id, Store, Viewer};
use crate::views::{Display, Updates, build_overlay};
use kaibo_model::{OverlayState, Secret, WordList};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Instant;
use tokio::sync::watch;

/// Limits on what viewers send.
#[derive(Clone, Debug, PartialEq)]
pub struct Limits {
    /// Longest question, in characters.
    pub text_chars: usize,
    /// Longest nickname, in characters.
    pub nickname_chars: usize,
    /// Largest request body, bytes (larger: 413).
    pub body_bytes: usize,
    /// Actions a viewer may send at once …
    pub burst: u32,
    /// … and how many more per minute after that (more: 429).
    pub per_minute: u32,
    /// Hold every question for approval, not only those hitting a list.
    pub premoderate: bool,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            text_chars: 300,
            nickname_chars: 24,
            body_bytes: 16 * 1024,
            burst: 10,
            per_minute: 60,
            premoderate: false,
        }
    }
}

/// Milliseconds since the Unix epoch.
pub fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

/// What the store lock guards: the store and the display choices that go with it.
pub struct Inner {
    pub store: Box<dyn Store>,
    pub display: Display,
}

struct Bucket {
    tokens: f64,
    at: Instant,
}

/// State shared by every request.
pub struct Shared {
    inner: Mutex<Inner>,
    pub session: Id,
    pub limits: Limits,
    pub join_url: String,
    pub lists: Vec<WordList>,
    pub host_token: Secret,
    pub overlay: watch::Sender<OverlayState>,
    pub updates: Updates,
    viewers: Mutex<HashMap<String, Viewer>>,
    buckets: Mutex<HashMap<Id, Bucket>>,
    pub shutdown: watch::Receiver<bool>,
    /// Requests the host routes received (tests tell in-process calls from HTTP ones).
    pub host_requests: std::sync::atomic::AtomicU64,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic while holding the lock leaves plain data behind; carry on with it.
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Shared {
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        inner: Inner,
        session: Id,
        limits: Limits,
        join_url: String,
        lists: Vec<WordList>,
        host_token: Secret,
        overlay: OverlayState,
        shutdown: watch::Receiver<bool>,
    ) -> Self {
        Self {
            inner: Mutex::new(inner),
            session,
            limits,
            join_url,
            lists,
            host_token,
            overlay: watch::channel(overlay).0,
            updates: Updates::new(),
            viewers: Mutex::new(HashMap::new()),
            buckets: Mutex::new(HashMap::new()),
            shutdown,
            host_requests: Default::default(),
        }
    }

    /// Runs `f` on the store. Store calls are short (no fsync: checkpoints run on their own
    /// thread), so they run inline on the worker under the lock: `cargo xtask bench hub`'s p99
    /// is far lower this way than through `spawn_blocking` (docs/benchmarks.md, the hub).
    pub async fn db<T, F>(self: &Arc<Self>, f: F) -> Result<T, ApiError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Inner, &Shared) -> Result<T, StoreError> + Send + 'static,
    {
        let mut inner = lock(&self.inner);
        Ok(f(&mut inner, self)?)
    }

    /// Runs `f` on the store from blocking code (shutdown, the presence guard).
    pub fn db_blocking<T>(
        &self,
        f: impl FnOnce(&mut Inner, &Shared) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let mut inner = lock(&self.inner);
        f(&mut inner, self)
    }

    /// Rebuilds the overlay; watchers are told only when it changed.
    pub fn refresh_overlay(&self, inner: &mut Inner) -> Result<(), StoreError> {
        let state = build_overlay(
            inner.store.as_mut(),
            self.session,
            &inner.display,
            &self.join_url,
            now_ms(),
        )?;
        let changed = self.overlay.send_if_modified(|old| {
            if *old == state {
                false
            } else {
                *old = state.clone();
                true
            }
        });
        if changed {
            self.updates.push("overlay".into(), "overlay", &state);
        }
        Ok(())
    }

    /// Changes the display choices, stores them and rebuilds the overlay.
    pub fn change_display(
        &self,
        inner: &mut Inner,
        change: impl FnOnce(&mut Display),
    ) -> Result<(), StoreError> {
        let mut display = inner.display.clone();
        change(&mut display);
        if display != inner.display {
            inner
                .store
                .set_display(self.session, &serde_json::to_string(&display)?)?;
            inner.display = display;
        }
        self.refresh_overlay(inner)
    }

    /// The viewer with this token, from memory or the store.
    pub async fn viewer(self: &Arc<Self>, token: &str) -> Result<Option<Viewer>, ApiError> {
        if let Some(v) = lock(&self.viewers).get(token) {
            return Ok(Some(v.clone()));
        }
        let owned = token.to_owned();
        let found = self
            .db(move |inner, shared| inner.store.viewer_by_token(shared.session, &owned))
            .await?;
        if let Some(v) = &found {
            self.remember(token, v.clone());
        }
        Ok(found)
    }

    pub fn remember(&self, token: &str, viewer: Viewer) {
        lock(&self.viewers).insert(token.to_owned(), viewer);
    }

    /// Takes one action from the viewer's allowance (token bucket), or refuses with 429.
    pub fn spend(&self, viewer: Id) -> Result<(), ApiError> {
        let now = Instant::now();
        let mut buckets = lock(&self.buckets);
        let b = buckets.entry(viewer).or_insert(Bucket {
            tokens: f64::from(self.limits.burst),
            at: now,
        });
        let refill =
            now.duration_since(b.at).as_secs_f64() * f64::from(self.limits.per_minute) / 60.0;
        b.tokens = (b.tokens + refill).min(f64::from(self.limits.burst));
        b.at = now;
        if b.tokens < 1.0 {
            return Err(ApiError::new(
                axum::http::StatusCode::TOO_MANY_REQUESTS,
                "rate-limited",
                "too many actions at once; wait a few seconds",
            ));
        }
        b.tokens -= 1.0;
        Ok(())
    }

    /// True when `token` is the host's (compared in constant time).
    pub fn is_host(&self, token: &str) -> bool {
        let a = self.host_token.expose().as_bytes();
        let b = token.as_bytes();
        a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
    }
}

/// Resolves once the hub is told to stop (or its owner is gone).
pub async fn stopped(rx: &mut watch::Receiver<bool>) {
    loop {
        if *rx.borrow_and_update() {
            return;
        }
        if rx.changed().await.is_err() {
            return;
        }
    }
}
