//! The interaction hub: viewers join from their phones, ask questions, like, vote, rate and
//! enter draws; the host moderates and puts things on the stream. axum on tokio, SQLite
//! storage, live updates over server-sent events, the API in `docs/hub-api.md`.
//!
//! Embedded in the app ([`Hub::start`] on the app's tokio runtime, or [`Hub::start_background`]
//! with a runtime of its own) or standalone (`kaibo hub`). What is on stream comes out as
//! [`kaibo_model::OverlayState`] through [`Hub::overlay`] and [`Hub::subscribe_overlay`]; its text
//! is masked and plain. The host's actions live in one place, [`HostDesk`]: the host API's
//! routes call it, and an app that runs the hub in its own process calls it directly
//! ([`Hub::desk`]), with no HTTP request and no token.

mod api;
mod desk;
pub mod draw;
pub mod error;
pub mod moderation;
mod state;
pub mod store;
pub mod text;
mod views;

pub use desk::{
    Audit, HostDesk, NewDraw, NewOffer, NewPoll, PanelKind, QuestionAction, QuestionFilter,
};
pub use error::{ApiError, HubError, StoreError};
pub use state::Limits;
pub use store::{SqliteStore, Store};
pub use views::{Display, LotteryView, LowerThird, Offer, PollView, QuestionView};

/// What [`Hub::subscribe_overlay`] returns: `borrow()` for the state now, `changed().await` (or
/// `has_changed()` from a non-async loop) to learn of the next change.
pub type OverlayWatch = tokio::sync::watch::Receiver<OverlayState>;

use kaibo_model::{OverlayState, Secret, WordList};
use state::{Inner, Shared, now_ms};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;

/// How often batched live updates go out.
const FLUSH_EVERY: Duration = Duration::from_millis(200);
/// How often the hub records that it is alive (the leave time after a crash).
const HEARTBEAT_EVERY: Duration = Duration::from_secs(10);

/// How to start a hub.
#[derive(Clone, Debug)]
pub struct HubConfig {
    /// Where to listen, e.g. `0.0.0.0:8080` (LAN) or `127.0.0.1:8080` behind a reverse proxy.
    pub listen: SocketAddr,
    /// The SQLite file; created when missing, resumed when it holds an open session.
    pub db_path: PathBuf,
    /// The address viewers open (the join QR); default `http://LISTEN/`.
    pub public_url: Option<String>,
    /// Title of a new session.
    pub session_title: String,
    /// Moderation lists ([`moderation::load_dir`] or [`moderation::built_in`]).
    pub word_lists: Vec<WordList>,
    pub limits: Limits,
    /// The host's token; `None`: a fresh one from the OS CSPRNG. A caller that logs should
    /// make it first and give it to its log scrubber.
    pub host_token: Option<Secret>,
}

impl HubConfig {
    /// A config with the built-in moderation list and default limits.
    pub fn new(listen: SocketAddr, db_path: impl Into<PathBuf>) -> Result<Self, HubError> {
        Ok(Self {
            listen,
            db_path: db_path.into(),
            public_url: None,
            session_title: "直播互动 Live session".into(),
            word_lists: moderation::built_in()?,
            limits: Limits::default(),
            host_token: None,
        })
    }
}

/// A running hub. Dropping it stops the server (in the background); [`Hub::shutdown`] waits.
pub struct Hub {
    shared: Arc<Shared>,
    addr: SocketAddr,
    join_url: String,
    stop: watch::Sender<bool>,
    server: Option<tokio::task::JoinHandle<()>>,
}

impl Hub {
    /// Opens the database, resumes or starts the session, binds and serves on the current
    /// tokio runtime. The host token is fresh (CSPRNG) for each start.
    pub async fn start(config: HubConfig) -> Result<Hub, HubError> {
        let path = config.db_path.clone();
        let title = config.session_title.clone();
        let opened = tokio::task::spawn_blocking(move || {
            let mut store = SqliteStore::open(&path)?;
            let session = store.open_session(&title, now_ms())?;
            let display = store.display(session)?;
            Ok::<_, StoreError>((store, session, display))
        })
        .await
        .map_err(|e| HubError::Worker(e.to_string()))?;
        let (store, session, display) = opened.map_err(|source| HubError::Database {
            path: config.db_path.display().to_string(),
            source,
        })?;
        // A damaged display blob is not worth refusing to start over: show nothing.
        let display: Display = serde_json::from_str(&display).unwrap_or_default();

        let listener = tokio::net::TcpListener::bind(config.listen)
            .await
            .map_err(|source| HubError::Listen {
                addr: config.listen.to_string(),
                source,
            })?;
        let addr = listener.local_addr().map_err(|source| HubError::Listen {
            addr: config.listen.to_string(),
            source,
        })?;
        let join_url = config
            .public_url
            .clone()
            .unwrap_or_else(|| format!("http://{addr}/"));
        let host_token = match config.host_token.clone() {
            Some(token) if token.expose().len() >= 16 => token,
            Some(token) => return Err(HubError::WeakToken(token.expose().len())),
            None => Secret::new(draw::random_token(32)?),
        };
        let (stop, stop_rx) = watch::channel(false);
        let shared = Arc::new(Shared::new(
            Inner {
                store: Box::new(store),
                display,
            },
            session,
            config.limits.clone(),
            join_url.clone(),
            config.word_lists.clone(),
            host_token,
            OverlayState::default(),
            stop_rx.clone(),
        ));
        {
            let s = Arc::clone(&shared);
            tokio::task::spawn_blocking(move || s.db_blocking(|inner, s| s.refresh_overlay(inner)))
                .await
                .map_err(|e| HubError::Worker(e.to_string()))?
                .map_err(|source| HubError::Database {
                    path: config.db_path.display().to_string(),
                    source,
                })?;
        }
        tokio::spawn(ticker(Arc::clone(&shared), stop_rx.clone()));
        let app = api::router(Arc::clone(&shared));
        let mut stop_serve = stop_rx;
        let server = tokio::spawn(async move {
            let result = axum::serve(listener, app)
                .with_graceful_shutdown(async move {
                    state::stopped(&mut stop_serve).await;
                })
                .await;
            if let Err(e) = result {
                log::error!("hub server stopped: {e}");
            }
        });
        log::info!("hub listening on {addr}, session {session}, viewers join at {join_url}");
        Ok(Hub {
            shared,
            addr,
            join_url,
            stop,
            server: Some(server),
        })
    }

    /// Starts a hub on a runtime of its own (two named worker threads), for callers without
    /// tokio such as the desktop app. Stop it with [`BackgroundHub::stop`] or by dropping it.
    pub fn start_background(config: HubConfig) -> Result<BackgroundHub, HubError> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("kaibo-hub")
            .enable_all()
            .build()
            .map_err(|e| HubError::Worker(e.to_string()))?;
        let hub = runtime.block_on(Hub::start(config))?;
        Ok(BackgroundHub {
            hub: Some(hub),
            runtime: Some(runtime),
        })
    }

    /// The address actually bound (useful with port 0).
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// What viewers open (and the join QR shows).
    pub fn join_url(&self) -> &str {
        &self.join_url
    }

    /// The host's token for `/api/v1/host/…`; show it only to the host.
    pub fn host_token(&self) -> &Secret {
        &self.shared.host_token
    }

    /// What is on stream now (masked, plain text).
    pub fn overlay(&self) -> OverlayState {
        self.shared.overlay.borrow().clone()
    }

    /// A receiver that changes whenever the on-stream state does.
    pub fn subscribe_overlay(&self) -> OverlayWatch {
        self.shared.overlay.subscribe()
    }

    /// The host's actions on this hub, called in-process (no HTTP, no token).
    pub fn desk(&self) -> HostDesk {
        HostDesk::new(Arc::clone(&self.shared))
    }

    /// Requests the host routes have received over HTTP since the hub started.
    pub fn host_requests(&self) -> u64 {
        self.shared
            .host_requests
            .load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Stops serving (live-update streams end, viewers' watch time closes) and waits for it.
    pub async fn shutdown(mut self) {
        let _ = self.stop.send(true);
        let _ = self.shared.heartbeat();
        // Graceful, but not forever: a client that stopped reading (a link test's download,
        // say) would hold its connection, and with it the shutdown, for minutes.
        if let Some(mut server) = self.server.take() {
            match tokio::time::timeout(SHUTDOWN_GRACE, &mut server).await {
                Ok(Err(e)) => log::warn!("hub server task: {e}"),
                Ok(Ok(())) => {}
                Err(_) => {
                    log::warn!(
                        "hub: connections still open {} s after stopping; closing them",
                        SHUTDOWN_GRACE.as_secs()
                    );
                    server.abort();
                }
            }
        }
    }
}

impl Drop for Hub {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
    }
}

/// How long stopping waits for open requests to finish.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(3);

/// A hub with its own runtime.
pub struct BackgroundHub {
    hub: Option<Hub>,
    runtime: Option<tokio::runtime::Runtime>,
}

impl BackgroundHub {
    /// The running hub (address, token, overlay).
    pub fn hub(&self) -> &Hub {
        // Invariant: `hub` is Some until `stop` consumes self.
        self.hub.as_ref().expect("hub present until stopped")
    }

    /// Stops the hub and its runtime, waiting for both.
    pub fn stop(mut self) {
        self.stop_inner();
    }

    fn stop_inner(&mut self) {
        if let (Some(hub), Some(runtime)) = (self.hub.take(), self.runtime.take()) {
            runtime.block_on(hub.shutdown());
            runtime.shutdown_timeout(Duration::from_secs(2));
        }
    }
}

impl Drop for BackgroundHub {
    fn drop(&mut self) {
        self.stop_inner();
    }
}

impl Shared {
    fn heartbeat(&self) -> Result<(), StoreError> {
        self.db_blocking(|inner, s| inner.store.heartbeat(s.session, now_ms()))
    }
}

/// Flushes live updates, follows countdowns on the overlay and records heartbeats.
async fn ticker(shared: Arc<Shared>, mut stop: watch::Receiver<bool>) {
    let mut flush = tokio::time::interval(FLUSH_EVERY);
    let mut second = tokio::time::interval(Duration::from_secs(1));
    let mut heartbeat = tokio::time::interval(HEARTBEAT_EVERY);
    loop {
        tokio::select! {
            _ = flush.tick() => shared.updates.flush(),
            _ = second.tick() => {
                let r = shared.db(|inner, s| s.refresh_overlay(inner)).await;
                if let Err(e) = r {
                    log::warn!("hub: overlay refresh failed: {}", e.message);
                }
            }
            _ = heartbeat.tick() => {
                let r = shared.db(|inner, s| inner.store.heartbeat(s.session, now_ms())).await;
                if let Err(e) = r {
                    log::warn!("hub: heartbeat failed: {}", e.message);
                }
            }
            _ = state::stopped(&mut stop) => break,
        }
    }
}
