//! The interaction hub beside a live session: viewers ask, like, vote and enter draws through
//! the hub; whatever the host puts on stream there reaches the session's panels at once.
//!
//! The desktop app rebuilds its session (preview to live, scene edits) while the hub keeps
//! running: [`Interaction::retarget`] points the forwarding at whichever session is current.

use super::http_host::{HostClient, lan_join_url};
use crate::session::Sender;
use kaibo_hub::{BackgroundHub, HostDesk, HubConfig, HubError, OverlayWatch};
use kaibo_model::{Command, OverlayState};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::JoinHandle;

/// The session the hub's panels go to, if any.
type Target = Arc<Mutex<Option<Sender>>>;

/// A hub serving viewers while a session runs, and the thread that carries its on-stream
/// state into the session. Dropping it stops both.
pub struct Interaction {
    hub: Option<BackgroundHub>,
    target: Target,
    forwarder: Option<JoinHandle<()>>,
}

impl Interaction {
    /// Starts a hub for `config` and forwards its on-stream panels to `session`.
    pub fn start(config: HubConfig, session: Sender) -> Result<Self, HubError> {
        Self::start_with(config, Some(session))
    }

    /// The desktop app's hub: listening on `listen` with its database at `db_path`, the
    /// built-in moderation lists, viewers joining at this machine's LAN address when it
    /// listens on every address.
    pub fn start_local(
        listen: SocketAddr,
        db_path: impl Into<PathBuf>,
        session: Option<Sender>,
    ) -> Result<Self, HubError> {
        let mut config = HubConfig::new(listen, db_path)?;
        config.public_url = lan_join_url(listen);
        Self::start_with(config, session)
    }

    /// Starts a hub for `config`; its panels go to `session` when there is one (see
    /// [`Interaction::retarget`]).
    pub fn start_with(config: HubConfig, session: Option<Sender>) -> Result<Self, HubError> {
        let hub = kaibo_hub::Hub::start_background(config)?;
        let target: Target = Arc::new(Mutex::new(session));
        let forwarder = spawn_forwarder(hub.hub().subscribe_overlay(), Arc::clone(&target))?;
        Ok(Self {
            hub: Some(hub),
            target,
            forwarder: Some(forwarder),
        })
    }

    /// The running hub: where viewers join, the host token, what is on stream.
    pub fn hub(&self) -> &kaibo_hub::Hub {
        // Invariant: `hub` is Some until drop.
        self.hub
            .as_ref()
            .map(BackgroundHub::hub)
            .expect("hub until drop")
    }

    /// Sends the panels to `session` from now on (none: to no session), and what is on stream
    /// now to the new session at once.
    pub fn retarget(&self, session: Option<Sender>) {
        let mut target = self.target.lock().unwrap_or_else(PoisonError::into_inner);
        // Read under the lock: the forwarder reads and sends under it too, so the new session
        // never ends on an older state than the hub's.
        if let Some(s) = &session
            && !s.send(Command::SetOverlay(self.hub().overlay()))
        {
            log::warn!("hub panels: the new session did not take the panels");
        }
        *target = session;
    }

    /// The host's side of this hub, called in-process: no HTTP request, no token.
    pub fn desk(&self) -> HostDesk {
        self.hub().desk()
    }

    /// A client for the host's side of this hub over its HTTP API (on this machine, with the
    /// host token), as a remote host would reach it.
    pub fn host(&self) -> HostClient {
        let hub = self.hub();
        let port = hub.local_addr().port();
        HostClient::new(format!("http://127.0.0.1:{port}"), hub.host_token().clone())
    }
}

impl Drop for Interaction {
    fn drop(&mut self) {
        // Stopping the hub drops its state sender; the forwarder sees that and ends.
        if let Some(hub) = self.hub.take() {
            hub.stop();
        }
        if let Some(forwarder) = self.forwarder.take() {
            let _ = forwarder.join();
        }
    }
}

/// Sends the hub's on-stream state to `session` now and on every change, from a thread of its
/// own; it ends when the hub stops.
pub fn forward_overlay(hub: &BackgroundHub, session: Sender) -> Result<JoinHandle<()>, HubError> {
    spawn_forwarder(
        hub.hub().subscribe_overlay(),
        Arc::new(Mutex::new(Some(session))),
    )
}

fn spawn_forwarder(mut changes: OverlayWatch, target: Target) -> Result<JoinHandle<()>, HubError> {
    let waiter = tokio::runtime::Builder::new_current_thread()
        .build()
        .map_err(|e| HubError::Worker(e.to_string()))?;
    std::thread::Builder::new()
        .name("kaibo-hub-panels".into())
        .spawn(move || {
            loop {
                {
                    let session = target.lock().unwrap_or_else(PoisonError::into_inner);
                    let state: OverlayState = changes.borrow_and_update().clone();
                    if let Some(s) = session.as_ref()
                        && !s.send(Command::SetOverlay(state))
                    {
                        log::warn!("hub panels: the session did not take the panels");
                    }
                }
                if waiter.block_on(changes.changed()).is_err() {
                    return;
                }
            }
        })
        .map_err(|e| HubError::Worker(e.to_string()))
}
