//! The bridge: the bounded FIFO between the server's threads and the host's
//! main thread, with its lifecycle, accounting and event bus.

use std::collections::HashMap;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};

use crate::lock_order::{LockLevel, OrderedMutex};
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, Sender, TrySendError};

use crate::call::{CallHandle, CancelReason};
use crate::events::{EventBus, EventKind, Outcome};
use crate::lifecycle::{Lifecycle, LifecycleState};
use crate::message::{Message, RunTool, TaskFate, Work};
use crate::panel_questions::PanelQuestions;
use crate::stats::{Stats, StatsSnapshot};
use crate::wake::{WakeFd, WakeHandle};

/// How the bridge is sized and bounded.
#[derive(Debug, Clone)]
pub struct BridgeConfig {
    /// How many messages may wait in the FIFO; one more is refused at once.
    pub queue_capacity: usize,
    /// How long a tool call may wait in the FIFO before it is answered with
    /// an error instead of being run late.
    pub queue_timeout: Duration,
    /// How long shutdown waits for the running calls to finish.
    pub shutdown_grace: Duration,
    /// How many events the bus keeps while nobody listens.
    pub event_backlog: usize,
}

impl Default for BridgeConfig {
    fn default() -> Self {
        Self {
            queue_capacity: 1024,
            queue_timeout: Duration::from_secs(60),
            shutdown_grace: Duration::from_secs(3),
            event_backlog: 10_000,
        }
    }
}

/// Why a message was not accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SubmitError {
    /// The FIFO is full.
    #[error(
        "the host's queue is full ({capacity} calls waiting); the DCC's main thread is busy — wait for running calls to finish, or start dcclink with a larger --queue-capacity"
    )]
    QueueFull {
        /// The configured capacity.
        capacity: usize,
    },
    /// The bridge is shutting down or gone.
    #[error("dcclink is shutting down and accepts no more calls")]
    ShuttingDown,
}

/// What [`Bridge::shutdown`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ShutdownReport {
    /// Queued messages answered "shutting down".
    pub drained: usize,
    /// True when a call was still running after the grace period.
    pub abandoned_running_call: bool,
}

/// The bounded FIFO of host work, shared by every thread.
///
/// Producers (server threads) call [`Bridge::submit`]; it never blocks and
/// never touches Python. The host's main thread drains the FIFO with a
/// [`Pump`](crate::Pump). Pushing a message wakes a pump blocked in
/// [`Pump::run`](crate::Pump::run) at once.
pub struct Bridge {
    config: BridgeConfig,
    pub(crate) tx: Sender<Message>,
    pub(crate) rx: Receiver<Message>,
    pub(crate) wake_tx: Sender<()>,
    pub(crate) wake_rx: Receiver<()>,
    pub(crate) lifecycle: Lifecycle,
    pub(crate) stats: Stats,
    events: EventBus,
    next_call: AtomicU64,
    running: OrderedMutex<Option<Arc<CallHandle>>>,
    live: OrderedMutex<HashMap<u64, Arc<CallHandle>>>,
    wake_fd: OnceLock<WakeFd>,
    questions: PanelQuestions,
}

impl std::fmt::Debug for Bridge {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Bridge")
            .field("state", &self.lifecycle.state())
            .field("queued", &self.rx.len())
            .finish_non_exhaustive()
    }
}

impl Bridge {
    /// A new, active bridge.
    pub fn new(config: BridgeConfig) -> Arc<Self> {
        let (tx, rx) = crossbeam_channel::bounded(config.queue_capacity.max(1));
        let (wake_tx, wake_rx) = crossbeam_channel::bounded(1);
        let bridge = Self {
            events: EventBus::new(config.event_backlog),
            config,
            tx,
            rx,
            wake_tx,
            wake_rx,
            lifecycle: Lifecycle::new(),
            stats: Stats::new(),
            next_call: AtomicU64::new(1),
            running: OrderedMutex::new(LockLevel::Running, None),
            live: OrderedMutex::new(LockLevel::Live, HashMap::new()),
            wake_fd: OnceLock::new(),
            questions: PanelQuestions::default(),
        };
        // A fresh lifecycle is in Creating, so this cannot fail.
        let _ = bridge.lifecycle.activate();
        Arc::new(bridge)
    }

    /// The configuration.
    pub fn config(&self) -> &BridgeConfig {
        &self.config
    }

    /// The lifecycle state.
    pub fn state(&self) -> LifecycleState {
        self.lifecycle.state()
    }

    /// The event bus.
    pub fn events(&self) -> &EventBus {
        &self.events
    }

    /// The questions tools ask the person at the panel.
    pub fn panel_questions(&self) -> &PanelQuestions {
        &self.questions
    }

    /// A copy of the counters.
    pub fn stats(&self) -> StatsSnapshot {
        self.stats.snapshot(self.rx.len())
    }

    /// The number of the call now running on the main thread, if any.
    pub fn running_call(&self) -> Option<u64> {
        self.running.lock().as_ref().map(|call| call.info().id)
    }

    /// Records the call the pump is running (or none).
    pub(crate) fn set_running(&self, call: Option<Arc<CallHandle>>) {
        *self.running.lock() = call;
    }

    /// A descriptor that is readable while messages wait, for a host whose
    /// event loop watches descriptors: it calls [`Pump::pump`](crate::Pump::pump)
    /// when the descriptor becomes readable. Made on first use; the bridge
    /// owns it.
    pub fn wake_fd(&self) -> std::io::Result<WakeHandle> {
        if self.wake_fd.get().is_none() {
            let _ = self.wake_fd.set(WakeFd::new()?);
        }
        let wake = self
            .wake_fd
            .get()
            .ok_or_else(|| std::io::Error::other("no wake descriptor"))?;
        if !self.rx.is_empty() {
            wake.signal();
        }
        Ok(wake.raw_fd())
    }

    /// Makes the wake descriptor readable, if a host watches one.
    pub(crate) fn signal_wake(&self) {
        if let Some(wake) = self.wake_fd.get() {
            wake.signal();
        }
    }

    /// Makes the wake descriptor unreadable until the next message.
    pub(crate) fn clear_wake(&self) {
        if let Some(wake) = self.wake_fd.get() {
            wake.clear();
        }
    }

    /// Allocates the next call number (1, 2, 3, … in order of arrival).
    pub fn next_call_id(&self) -> u64 {
        self.next_call.fetch_add(1, Ordering::Relaxed)
    }

    /// Puts a message at the back of the FIFO and wakes the pump. Never
    /// blocks: a full queue or a closing bridge is refused at once.
    pub fn submit(&self, message: Message) -> Result<(), SubmitError> {
        if !self.lifecycle.is_active() {
            Stats::bump(&self.stats.rejected_closed);
            return Err(SubmitError::ShuttingDown);
        }
        // Published before the send so that `CallQueued` always precedes the
        // pump's `CallStarted` on the bus.
        let queued = match message.call() {
            Some(call) => {
                let info = call.handle.info();
                self.live.lock().insert(info.id, call.handle.clone());
                self.events.publish(EventKind::CallQueued {
                    call: info.id,
                    tool: info.tool.clone(),
                    client: info.client.clone(),
                    arguments: info.arguments.clone(),
                    task: info.task.clone(),
                });
                Some(call.handle.clone())
            }
            None => None,
        };
        // Counted before the send: the pump may start (and end) the call
        // before this thread runs on, and no snapshot of the stats may see
        // a call started that was never submitted.
        if queued.is_some() {
            Stats::bump(&self.stats.submitted);
        }
        let refused = match self.tx.try_send(message) {
            Ok(()) => {
                self.signal_wake();
                return Ok(());
            }
            Err(TrySendError::Full(_)) => {
                Stats::bump(&self.stats.rejected_full);
                SubmitError::QueueFull {
                    capacity: self.config.queue_capacity,
                }
            }
            Err(TrySendError::Disconnected(_)) => {
                Stats::bump(&self.stats.rejected_closed);
                SubmitError::ShuttingDown
            }
        };
        if let Some(call) = queued {
            Stats::unbump(&self.stats.submitted);
            self.end_call(&call, Outcome::Refused, None);
        }
        Err(refused)
    }

    /// Cancels a call. A queued call is withdrawn (it will never run) and
    /// accounted here; a running call sees `ctx.cancelled` at once and is
    /// accounted by the pump when it returns. Returns true when the call was
    /// withdrawn from the queue.
    pub fn cancel(&self, call: &CallHandle, reason: CancelReason) -> bool {
        let withdrawn = call.cancel(reason);
        if let Some(outcome) = call.cancelled_outcome().filter(|_| withdrawn) {
            self.end_call(call, outcome, None);
        }
        withdrawn
    }

    /// Cancels the queued or running call numbered `id` (the panel's Cancel
    /// button). Returns false when no such call is live.
    pub fn cancel_call(&self, id: u64, reason: CancelReason) -> bool {
        let call = self.live.lock().get(&id).cloned();
        match call {
            Some(call) => {
                self.cancel(&call, reason);
                true
            }
            None => false,
        }
    }

    /// Starts a call the pump took off the FIFO, unless it was withdrawn
    /// meanwhile or its queue deadline has passed (then it is accounted as
    /// such, and false is returned).
    pub(crate) fn start_call(&self, call: &Arc<CallHandle>) -> bool {
        if Instant::now() > call.expires_at() {
            self.cancel(call, CancelReason::Expired);
        }
        if !call.try_start() {
            return false;
        }
        Stats::bump(&self.stats.started);
        self.events.publish(EventKind::CallStarted {
            call: call.info().id,
        });
        true
    }

    /// Accounts for a call whose tool has returned, proposing `outcome`.
    pub(crate) fn returned(&self, call: &CallHandle, outcome: Outcome) {
        let outcome = call.verdict_after_return(outcome);
        let duration = call.started_at().map(|started| started.elapsed());
        self.end_call(call, outcome, duration);
    }

    /// Runs a started call on a thread of its own
    /// ([`RunsOn::OwnThread`](crate::RunsOn::OwnThread)), catching a panic,
    /// and accounts for it when its tool returns. When no thread can be
    /// started the call fails (its client hears that the host dropped it).
    pub(crate) fn run_on_own_thread(self: &Arc<Self>, call: Arc<CallHandle>, run: RunTool) {
        let id = call.info().id;
        let (bridge, running) = (self.clone(), call.clone());
        let spawned = std::thread::Builder::new()
            .name(format!("dcclink-call-{id}"))
            .spawn(move || {
                let outcome =
                    catch_unwind(AssertUnwindSafe(|| run(&running))).unwrap_or_else(|_| {
                        tracing::error!("panic while running call {id} on its own thread");
                        Outcome::Failed
                    });
                running.finish();
                bridge.returned(&running, outcome);
            });
        if let Err(error) = spawned {
            tracing::error!(%error, "cannot start a thread for call {id}, so it fails");
            call.finish();
            self.returned(&call, Outcome::Failed);
        }
    }

    /// Accounts for a call the main thread is done with (it returned, or it
    /// never ran), with the verdict `proposed` unless one was decided before.
    pub(crate) fn end_call(
        &self,
        call: &CallHandle,
        proposed: Outcome,
        duration: Option<Duration>,
    ) {
        let id = call.info().id;
        let outcome = call.decide(proposed);
        self.live.lock().remove(&id);
        self.stats.record_end(outcome);
        self.events.publish(EventKind::CallEnded {
            call: id,
            outcome,
            duration_ms: duration.map(|d| d.as_secs_f64() * 1000.0),
        });
    }

    /// Shuts down: stops intake, answers every queued message "shutting
    /// down", cancels the running calls (their `ctx.cancelled` becomes
    /// true: the main thread's, and those on threads of their own) and
    /// waits up to `shutdown_grace` for them to return. Only the first
    /// caller does the work; later callers get an empty report.
    pub fn shutdown(&self) -> ShutdownReport {
        let mut report = ShutdownReport {
            drained: 0,
            abandoned_running_call: false,
        };
        if self.lifecycle.request_close().is_err() {
            return report;
        }
        let _ = self.wake_tx.try_send(());
        self.signal_wake();
        report.drained = self.drain();
        let running: Vec<Arc<CallHandle>> = self.live.lock().values().cloned().collect();
        for call in &running {
            self.cancel(call, CancelReason::ShuttingDown);
        }
        let _ = self.lifecycle.begin_destroy();
        let deadline = Instant::now() + self.config.shutdown_grace;
        while !self.live.lock().is_empty() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(2));
        }
        report.abandoned_running_call = !self.live.lock().is_empty();
        report.drained += self.drain();
        let _ = self.lifecycle.finish_destroy();
        tracing::info!(
            drained = report.drained,
            abandoned = report.abandoned_running_call,
            "dcclink bridge shut down"
        );
        report
    }

    /// Answers every queued message "shutting down".
    fn drain(&self) -> usize {
        let mut drained = 0;
        while let Ok(message) = self.rx.try_recv() {
            drained += 1;
            match message.into_work() {
                Work::Call(call) => {
                    self.cancel(&call.handle, CancelReason::ShuttingDown);
                }
                Work::Task(task) => task(TaskFate::Refused),
            }
        }
        drained
    }
}
