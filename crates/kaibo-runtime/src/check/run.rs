//! The checklist as a background job: [`crate::run_check`] on a thread of its own, each item
//! sent as it is judged, so a window shows the items as they arrive and never waits.

use super::{CheckRequest, run_check};
use crate::job::Job;
use kaibo_model::{CheckItem, CheckReport};
use std::time::Instant;

/// What a running check sends.
#[derive(Clone, Debug)]
pub enum CheckEvent {
    /// One item, as soon as it is judged.
    Item(CheckItem),
    /// The whole report; always the last event.
    Done(CheckReport),
}

/// A check in progress. Dropping it lets the check finish unseen.
pub struct CheckRun {
    job: Job<(), CheckEvent>,
    started: Instant,
}

impl CheckRun {
    /// Starts checking `request` on a thread named `kaibo-check`.
    pub fn spawn(request: CheckRequest) -> std::io::Result<Self> {
        let job = Job::spawn("kaibo-check", move |_, events| {
            let items = events.clone();
            let report = run_check(&request, |item| {
                // The caller may be gone; then nobody needs the item.
                let _ = items.send(CheckEvent::Item(item.clone()));
            });
            let _ = events.send(CheckEvent::Done(report));
        })?;
        Ok(Self {
            job,
            started: Instant::now(),
        })
    }

    /// The next item or the report, if one is waiting.
    pub fn try_event(&self) -> Option<CheckEvent> {
        self.job.try_event()
    }

    /// The check's thread ended without a report (it panicked).
    pub fn is_lost(&self) -> bool {
        self.job.is_gone()
    }

    pub fn started(&self) -> Instant {
        self.started
    }
}
