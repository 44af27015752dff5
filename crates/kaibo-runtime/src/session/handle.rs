//! The session handle: runs a live session on its own thread (commands in, events out).

use kaibo_media::{Engine, EngineEvent, MediaError, Waker};
use kaibo_model::Monitor;
use kaibo_model::{Command, Event, Failure, SessionPlan, SessionState, Summary};
use std::sync::Arc;
use std::sync::mpsc::{Receiver, SyncSender, TryRecvError, sync_channel};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// How long an output may take to start publishing, from the start of the session or from
/// when it joined it, before it is failed.
pub const START_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a stop may wait for the end of stream to reach every output.
const STOP_TIMEOUT: Duration = Duration::from_secs(5);
const STATS_INTERVAL: Duration = Duration::from_secs(1);
/// A debug hook for `cargo xtask bench abr`: stats every N ms (250 to 1000) instead of every
/// second, so the benchmark times the controller to a quarter second.
const STATS_ENV: &str = "KAIBO_DEBUG_STATS_MS";

fn stats_interval() -> Duration {
    std::env::var(STATS_ENV)
        .ok()
        .and_then(|v| v.parse::<u64>().ok())
        .map_or(STATS_INTERVAL, |ms| {
            Duration::from_millis(ms.clamp(250, 1000))
        })
}

/// A running session: send commands, read events; `Event::Ended` is always the last.
pub struct LiveHandle {
    sender: Sender,
    events: Receiver<Event>,
    monitor: Option<Arc<Monitor>>,
    thread: Option<JoinHandle<()>>,
}

/// Sends commands to a running session from any thread, waking it so they act at once.
#[derive(Clone)]
pub struct Sender {
    commands: SyncSender<Command>,
    /// Interrupts the session's wait (arrives once the engine is up).
    waker: Arc<std::sync::Mutex<WakerSlot>>,
}

/// The session's waker once known, and where it arrives from until then.
type WakerSlot = (Option<Waker>, Option<Receiver<Waker>>);

impl Sender {
    /// Asks the session to do something; false when it has ended or is too busy to listen.
    pub fn send(&self, command: Command) -> bool {
        let sent = self.commands.try_send(command).is_ok();
        if let Ok(mut w) = self.waker.lock() {
            if w.0.is_none()
                && let Some(Ok(waker)) = w.1.as_ref().map(Receiver::try_recv)
            {
                w.0 = Some(waker);
            }
            if let Some(waker) = &w.0 {
                waker.wake();
            }
        }
        sent
    }
}

impl LiveHandle {
    /// Starts a session for `plan` on a thread named `kaibo-live`.
    pub fn spawn(plan: SessionPlan) -> std::io::Result<Self> {
        let (commands, command_rx) = sync_channel(16);
        let (event_tx, events) = sync_channel(64);
        let monitor = plan.preview.map(|_| Arc::new(Monitor::default()));
        let for_engine = monitor.clone();
        let (waker_tx, waker_rx) = sync_channel(1);
        let thread = std::thread::Builder::new()
            .name("kaibo-live".into())
            .spawn(move || run(plan, for_engine, waker_tx, &command_rx, &event_tx))?;
        Ok(Self {
            sender: Sender {
                commands,
                waker: Arc::new(std::sync::Mutex::new((None, Some(waker_rx)))),
            },
            events,
            monitor,
            thread: Some(thread),
        })
    }

    /// The program picture and sound levels, for a plan with `preview`.
    pub fn monitor(&self) -> Option<&Arc<Monitor>> {
        self.monitor.as_ref()
    }

    /// Asks the session to do something; false when it has ended or is too busy to listen.
    pub fn send(&self, command: Command) -> bool {
        self.sender.send(command)
    }

    /// A sender for other threads (e.g. the hub's overlay forwarder).
    pub fn sender(&self) -> Sender {
        self.sender.clone()
    }

    /// The next event if one is waiting.
    pub fn try_event(&self) -> Option<Event> {
        self.events.try_recv().ok()
    }

    /// A sender for commands, e.g. for a Ctrl-C handler.
    pub fn commander(&self) -> SyncSender<Command> {
        self.sender.commands.clone()
    }

    /// Waits for the next event; `None` once the session thread has ended.
    pub fn next_event(&self) -> Option<Event> {
        self.events.recv().ok()
    }

    /// Waits for the next event for at most `timeout`.
    pub fn next_event_timeout(&self, timeout: Duration) -> Option<Event> {
        self.events.recv_timeout(timeout).ok()
    }
}

impl Drop for LiveHandle {
    fn drop(&mut self) {
        let _ = self.sender.commands.try_send(Command::Stop);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn failure(e: &MediaError) -> Failure {
    Failure {
        kind: e.kind(),
        message: e.to_string(),
    }
}

fn empty_summary() -> Summary {
    Summary {
        duration_s: 0.0,
        frames_encoded: 0,
        frames_dropped: 0,
        avg_video_kbps: 0.0,
        reconnects: 0,
        outputs: Vec::new(),
    }
}

fn run(
    plan: SessionPlan,
    monitor: Option<Arc<Monitor>>,
    waker: SyncSender<Waker>,
    commands: &Receiver<Command>,
    events: &SyncSender<Event>,
) {
    let duration = plan.duration_s.map(Duration::from_secs_f64);
    let mut engine = match Engine::with_monitor(&plan, monitor) {
        Ok(e) => {
            if let Some(w) = e.waker() {
                let _ = waker.try_send(w);
            }
            e
        }
        Err(e) => {
            let _ = events.send(Event::Ended {
                summary: empty_summary(),
                failure: Some(failure(&e)),
            });
            return;
        }
    };
    drop(plan);
    let _ = events.send(Event::State(SessionState::Starting));
    let mut fail = engine.start().err();
    let mut last_state = engine.state();
    let every = stats_interval();
    let mut next_stats = Instant::now() + every;
    let mut ended = false;
    while fail.is_none() {
        match commands.try_recv() {
            Ok(Command::Stop) | Err(TryRecvError::Disconnected) => break,
            Ok(Command::SwitchScene { index, transition }) => {
                if let Err(e) = engine.switch_scene(index, transition) {
                    let _ = events.try_send(Event::Notice(e.to_string()));
                }
                continue;
            }
            Ok(Command::AddOutput(spec)) => {
                if let Err(e) = engine.add_output(&spec) {
                    let target = spec.target();
                    let _ = events.try_send(Event::OutputFailed {
                        target,
                        failure: failure(&e),
                    });
                }
                continue;
            }
            Ok(Command::RemoveOutput { target }) => {
                if let Err(e) = engine.remove_output(&target) {
                    let _ = events.try_send(Event::Notice(e.to_string()));
                }
                continue;
            }
            Ok(Command::SetAudio {
                source,
                gain_db,
                muted,
            }) => {
                if let Err(e) = engine.set_audio(&source, gain_db, muted) {
                    let _ = events.try_send(Event::Notice(e.to_string()));
                }
                continue;
            }
            Ok(Command::SetPreviewFormat(format)) => {
                engine.set_preview_format(format);
                continue;
            }
            Ok(Command::SetOverlay(state)) => {
                if let Err(e) = engine.set_overlay(state) {
                    let _ = events.try_send(Event::Notice(e.to_string()));
                }
                continue;
            }
            Err(TryRecvError::Empty) => {}
        }
        let mut happened: Vec<EngineEvent> = engine
            .poll(Duration::from_millis(100))
            .into_iter()
            .collect();
        happened.extend(engine.fail_start_timeout(START_TIMEOUT));
        for event in happened {
            match event {
                EngineEvent::Failed(e) => fail = Some(e),
                EngineEvent::Finished => ended = true,
                EngineEvent::Woken => {}
                EngineEvent::OutputFailed { target, error } => {
                    let _ = events.send(Event::OutputFailed {
                        target,
                        failure: failure(&error),
                    });
                }
                EngineEvent::Reconnecting {
                    target,
                    attempt,
                    in_s,
                    reason,
                } => {
                    let _ = events.send(Event::Reconnecting {
                        target,
                        attempt,
                        in_s,
                        reason,
                    });
                }
            }
        }
        if fail.is_some() || ended {
            break;
        }
        if Instant::now() >= next_stats {
            next_stats += every;
            let snapshot = engine.snapshot();
            if snapshot.state != last_state {
                last_state = snapshot.state;
                let _ = events.try_send(Event::State(last_state));
            }
            let _ = events.try_send(Event::Stats(snapshot));
        }
        if duration.is_some_and(|d| engine.elapsed() >= d) {
            break;
        }
    }
    if fail.is_none() {
        let _ = events.try_send(Event::State(SessionState::Stopping));
    }
    let summary = engine.stop(STOP_TIMEOUT);
    // The session did not run as asked when it failed, or when any output failed on the way.
    let failure = fail.as_ref().map(failure).or_else(|| {
        let failed = engine.output_failures();
        let first = failed.first()?;
        Some(Failure {
            kind: first.kind(),
            message: failed
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("; "),
        })
    });
    let _ = events.send(Event::Ended { summary, failure });
}
