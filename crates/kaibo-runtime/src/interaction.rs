//! The interaction hub beside a live session: viewers ask, like, vote and enter draws through
//! the hub; whatever the host puts on stream there reaches the session's panels at once.

use crate::live::Sender;
use kaibo_hub::{BackgroundHub, HubConfig, HubError};
use kaibo_model::{Command, OverlayState};
use std::thread::JoinHandle;

/// A hub serving viewers while a session runs, and the thread that carries its on-stream
/// state into the session. Dropping it stops both.
pub struct Interaction {
    hub: Option<BackgroundHub>,
    forwarder: Option<JoinHandle<()>>,
}

impl Interaction {
    /// Starts a hub for `config` and forwards its on-stream panels to `session`.
    pub fn start(config: HubConfig, session: Sender) -> Result<Self, HubError> {
        let hub = kaibo_hub::Hub::start_background(config)?;
        let forwarder = forward_overlay(&hub, session)?;
        Ok(Self {
            hub: Some(hub),
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
/// own; it ends when the hub stops or the session has ended.
pub fn forward_overlay(hub: &BackgroundHub, session: Sender) -> Result<JoinHandle<()>, HubError> {
    let mut changes = hub.hub().subscribe_overlay();
    let waiter = tokio::runtime::Builder::new_current_thread()
        .build()
        .map_err(|e| HubError::Worker(e.to_string()))?;
    std::thread::Builder::new()
        .name("kaibo-hub-panels".into())
        .spawn(move || {
            loop {
                let state: OverlayState = changes.borrow_and_update().clone();
                if !session.send(Command::SetOverlay(state)) {
                    log::warn!("hub panels: the session did not take the panels");
                }
                if waiter.block_on(changes.changed()).is_err() {
                    return;
                }
            }
        })
        .map_err(|e| HubError::Worker(e.to_string()))
}
