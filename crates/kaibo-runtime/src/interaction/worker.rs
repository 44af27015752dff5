//! The host's hub work as a background job: actions go to a thread of their own over a
//! channel, and it fetches the hub's lists about once a second; results come back as events
//! read without waiting, so a window never waits on the hub (or on the network, for a remote
//! one).

use super::host_api::{HostApi, HostError};
use crate::job::Job;
use kaibo_hub::QuestionView;
use kaibo_hub::store::{PollState, Report};
use kaibo_hub::{LotteryView, NewOffer, PanelKind, PollView, QuestionAction, QuestionFilter};
use kaibo_model::{OverlayState, PanelContent};
use std::sync::Arc;
use std::sync::mpsc::RecvTimeoutError;
use std::time::Duration;

/// How often the lists are fetched again.
const REFRESH_EVERY: Duration = Duration::from_secs(1);

/// Something the host asked the hub to do.
#[derive(Clone, Debug, PartialEq)]
pub enum HostAction {
    Question(i64, QuestionAction),
    OpenSatisfaction,
    ClosePoll(i64),
    /// A red envelope open now for `window_s` seconds, one winner.
    RedEnvelope {
        title: String,
        window_s: u32,
    },
    Draw(i64),
    Offer(NewOffer),
    LowerThird {
        title: String,
        subtitle: String,
    },
    JoinQr,
    Hide(PanelKind),
}

/// What the worker sends back.
#[derive(Debug)]
pub enum HostEvent {
    /// The lists as fetched just now.
    Snapshot(Box<HubSnapshot>),
    /// A draw started or drawn.
    Lottery(LotteryView),
    /// An action failed (the hub's words).
    Failed(String),
    /// A refresh failed (the lists shown are older).
    Stale(String),
}

/// The hub as last fetched.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct HubSnapshot {
    pub questions: Vec<QuestionView>,
    pub polls: Vec<PollView>,
    pub overlay: OverlayState,
    pub report: Report,
}

impl HubSnapshot {
    fn fetch(host: &dyn HostApi) -> Result<Self, HostError> {
        Ok(Self {
            questions: host.questions(QuestionFilter::Open)?,
            polls: host.polls()?,
            overlay: host.overlay()?,
            report: host.report()?,
        })
    }

    /// Whether a panel of `kind` is on stream (the kinds the window toggles).
    pub fn showing(&self, kind: PanelKind) -> bool {
        self.overlay.panels.iter().any(|p| {
            matches!(
                (&p.content, kind),
                (PanelContent::JoinQr { .. }, PanelKind::JoinQr)
                    | (PanelContent::Offer { .. }, PanelKind::Offer)
                    | (PanelContent::LowerThird { .. }, PanelKind::LowerThird)
            )
        })
    }

    /// The poll that is open now, if any.
    pub fn open_poll(&self) -> Option<&PollView> {
        self.polls.iter().find(|p| p.state == PollState::Open)
    }
}

/// The worker: send [`HostAction`]s, read [`HostEvent`]s. Dropping it ends the thread.
pub struct HostWorker {
    job: Job<HostAction, HostEvent>,
}

impl HostWorker {
    /// Starts the worker for `host` (in-process or over HTTP) on a thread named `kaibo-host`.
    pub fn spawn(host: Arc<dyn HostApi>) -> std::io::Result<Self> {
        let job = Job::spawn("kaibo-host", move |actions, events| {
            let mut wait = Duration::ZERO;
            loop {
                match actions.recv_timeout(wait) {
                    Ok(action) => {
                        if let Err(e) = act(host.as_ref(), action, &events) {
                            let _ = events.send(HostEvent::Failed(e.to_string()));
                        }
                    }
                    Err(RecvTimeoutError::Timeout) => {}
                    Err(RecvTimeoutError::Disconnected) => return,
                }
                let event = match HubSnapshot::fetch(host.as_ref()) {
                    Ok(s) => HostEvent::Snapshot(Box::new(s)),
                    Err(e) => HostEvent::Stale(e.to_string()),
                };
                if events.send(event).is_err() {
                    return;
                }
                wait = REFRESH_EVERY;
            }
        })?;
        Ok(Self { job })
    }

    /// Queues an action; the next snapshot shows its effect.
    pub fn send(&self, action: HostAction) -> bool {
        self.job.send(action)
    }

    /// The next result if one is waiting.
    pub fn try_event(&self) -> Option<HostEvent> {
        self.job.try_event()
    }
}

fn act(
    host: &dyn HostApi,
    action: HostAction,
    events: &std::sync::mpsc::Sender<HostEvent>,
) -> Result<(), HostError> {
    let lottery = match action {
        HostAction::Question(id, what) => return host.moderate(id, what).map(drop),
        HostAction::OpenSatisfaction => return host.open_satisfaction().map(drop),
        HostAction::ClosePoll(id) => return host.close_poll(id).map(drop),
        HostAction::RedEnvelope { title, window_s } => {
            host.start_red_envelope(&title, window_s, 1)?
        }
        HostAction::Draw(id) => host.draw(id)?,
        HostAction::Offer(offer) => return host.show_offer(offer).map(drop),
        HostAction::LowerThird { title, subtitle } => {
            return host.show_lower_third(&title, &subtitle).map(drop);
        }
        HostAction::JoinQr => return host.show_join_qr().map(drop),
        HostAction::Hide(kind) => return host.hide(kind).map(drop),
    };
    let _ = events.send(HostEvent::Lottery(lottery));
    Ok(())
}
