//! The interaction hub: started when the host first opens the Interactions window, inside
//! this process; its panels follow whichever session runs. The host's actions go through the
//! runtime's `HostWorker` to the hub's desk in-process (no HTTP request, no token), and the
//! worker's snapshots come back about once a second.

use super::{Level, Studio};
use kaibo_model::OverlayState;
use kaibo_runtime::{HostAction, HostEvent, HostWorker, HubSnapshot, Interaction, LotteryView};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

/// Where the hub listens unless told otherwise: every address, so phones on the LAN reach it.
pub const DEFAULT_HUB_LISTEN: &str = "0.0.0.0:8080";

/// The hub's part of the studio.
#[derive(Default)]
pub(super) struct Interactions {
    listen: Option<SocketAddr>,
    db_path: Option<PathBuf>,
    hub: Option<Interaction>,
    worker: Option<HostWorker>,
    /// Why the hub did not start.
    start_error: Option<String>,
    /// Why the last refresh failed.
    stale: Option<String>,
    snapshot: Option<HubSnapshot>,
    lottery: Option<LotteryView>,
}

impl Studio {
    /// Where the interaction hub listens and keeps its database (default: every address on
    /// port 8080, the database in the XDG state folder). Takes effect when the hub starts.
    pub fn set_hub_listen(&mut self, listen: SocketAddr, db_path: impl Into<PathBuf>) {
        self.hub.listen = Some(listen);
        self.hub.db_path = Some(db_path.into());
    }

    /// The running interaction hub, once the Interactions window started it.
    pub fn interaction(&self) -> Option<&Interaction> {
        self.hub.hub.as_ref()
    }

    /// Why the hub did not start, if it did not.
    pub fn hub_start_error(&self) -> Option<&str> {
        self.hub.start_error.as_deref()
    }

    /// Why the lists shown are older than a second, if they are.
    pub fn hub_stale(&self) -> Option<&str> {
        self.hub.stale.as_deref()
    }

    /// The hub's questions, polls, panels and figures as last fetched.
    pub fn hub_snapshot(&self) -> Option<&HubSnapshot> {
        self.hub.snapshot.as_ref()
    }

    /// The red envelope or lottery started last.
    pub fn lottery(&self) -> Option<&LotteryView> {
        self.hub.lottery.as_ref()
    }

    /// What the program shows, as last fetched from the hub (empty without a hub).
    pub(super) fn hub_overlay(&self) -> OverlayState {
        self.hub
            .snapshot
            .as_ref()
            .map(|s| s.overlay.clone())
            .unwrap_or_default()
    }

    /// Opens the Interactions window, starting the hub the first time.
    pub(super) fn open_interactions(&mut self) {
        self.windows.interactions = true;
        if self.hub.hub.is_none() {
            self.start_hub();
        }
    }

    pub(super) fn start_hub(&mut self) {
        self.hub.start_error = None;
        let started = (|| {
            let listen = match self.hub.listen {
                Some(a) => a,
                None => DEFAULT_HUB_LISTEN
                    .parse()
                    .map_err(|e| format!("{DEFAULT_HUB_LISTEN}: {e}"))?,
            };
            let db = match &self.hub.db_path {
                Some(p) => p.clone(),
                None => kaibo_runtime::default_hub_db()?,
            };
            let hub = Interaction::start_local(listen, db, self.session_sender())
                .map_err(|e| e.to_string())?;
            // The hub runs in this process: its desk, not its HTTP API.
            let worker = HostWorker::spawn(Arc::new(hub.desk())).map_err(|e| e.to_string())?;
            Ok::<_, String>((hub, worker))
        })();
        match started {
            Ok((hub, worker)) => {
                self.hub.hub = Some(hub);
                self.hub.worker = Some(worker);
            }
            Err(e) => {
                let text = format!(
                    "{} {e}",
                    self.tr()
                        .t("The interaction hub did not start:", "互动服务未能启动：")
                );
                self.notify(Level::Error, text.clone());
                self.hub.start_error = Some(text);
            }
        }
    }

    /// Hands an action to the hub's worker.
    pub(super) fn host(&mut self, action: HostAction) {
        if let Some(w) = &self.hub.worker {
            // The worker ends only with the studio; a lost action has nobody to tell.
            let _ = w.send(action);
        }
    }

    /// The session changed (rebuilt, stopped): the hub's panels follow it.
    pub(super) fn retarget_hub(&self) {
        if let Some(hub) = &self.hub.hub {
            hub.retarget(self.session_sender());
        }
    }

    /// Reads what the hub's worker sent.
    pub(super) fn poll_hub(&mut self) {
        let mut failures = Vec::new();
        if let Some(w) = &self.hub.worker {
            while let Some(event) = w.try_event() {
                match event {
                    HostEvent::Snapshot(s) => {
                        self.hub.snapshot = Some(*s);
                        self.hub.stale = None;
                    }
                    HostEvent::Lottery(l) => self.hub.lottery = Some(l),
                    HostEvent::Failed(e) => failures.push(e),
                    HostEvent::Stale(e) => self.hub.stale = Some(e),
                }
            }
        }
        for e in failures {
            self.notify(Level::Warn, e);
        }
    }

    /// Stops the worker and the hub.
    pub(super) fn stop_hub(&mut self) {
        self.hub.worker = None;
        self.hub.hub = None;
    }
}
