//! The one shape of the runtime's background jobs (the checklist run, the hub worker): a named
//! thread, commands in, events out, read without waiting. Dropping the handle closes its
//! command channel; the thread sees that and ends on its own (nobody waits for it).

use std::cell::Cell;
use std::sync::mpsc::{Receiver, Sender, TryRecvError, channel};

/// A job running on a thread of its own.
pub(crate) struct Job<C, E> {
    commands: Sender<C>,
    events: Receiver<E>,
    gone: Cell<bool>,
}

impl<C: Send + 'static, E: Send + 'static> Job<C, E> {
    /// Starts `body` on a thread named `name`: it reads commands and sends events until the
    /// commands close (or it is done).
    pub(crate) fn spawn(
        name: &str,
        body: impl FnOnce(Receiver<C>, Sender<E>) + Send + 'static,
    ) -> std::io::Result<Self> {
        let (commands, command_rx) = channel();
        let (event_tx, events) = channel();
        std::thread::Builder::new()
            .name(name.into())
            .spawn(move || body(command_rx, event_tx))?;
        Ok(Self {
            commands,
            events,
            gone: Cell::new(false),
        })
    }

    /// Hands the job a command; false when it has ended.
    pub fn send(&self, command: C) -> bool {
        self.commands.send(command).is_ok()
    }

    /// The next event if one is waiting.
    pub fn try_event(&self) -> Option<E> {
        match self.events.try_recv() {
            Ok(e) => Some(e),
            Err(TryRecvError::Empty) => None,
            Err(TryRecvError::Disconnected) => {
                self.gone.set(true);
                None
            }
        }
    }

    /// The thread has ended and every event it sent was read.
    pub fn is_gone(&self) -> bool {
        self.gone.get()
    }
}
