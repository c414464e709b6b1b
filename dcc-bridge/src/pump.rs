//! The host pump: the only code that takes messages off the FIFO, run on the
//! host's main thread.
//!
//! A message is taken, run with no dcclink lock held, and only then is the
//! next one taken, so order is strict FIFO. A call marked
//! [`RunsOn::OwnThread`] starts in that order too, on a thread of its own,
//! and the pump goes on without waiting for it. Tools may call back into dcclink,
//! including [`Pump::pump`] itself: a nested pump runs main-thread tasks but
//! never starts another tool. When it reaches a tool call it sets it aside
//! and returns; the outer pump runs that call next, so the order holds.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use crossbeam_channel::select;

use crate::bridge::Bridge;
use crate::events::Outcome;
use crate::lock_order::{LockLevel, OrderedMutex, assert_none_held};
use crate::message::{Message, QueuedCall, RunsOn, TaskFate, Work};
use crate::stats::Stats;

/// The main-thread side of a [`Bridge`]. Create one per bridge and call it
/// only from the host's main thread.
///
/// ```
/// use std::time::Duration;
/// use dcclink_bridge::{Bridge, BridgeConfig, Message, Pump, TaskFate};
///
/// let bridge = Bridge::new(BridgeConfig::default());
/// let pump = Pump::new(bridge.clone());
/// bridge
///     .submit(Message::MainThreadTask(Box::new(|fate| assert_eq!(fate, TaskFate::Run))))
///     .unwrap();
/// assert_eq!(pump.pump(Duration::from_millis(5)), 1);
/// ```
pub struct Pump {
    bridge: Arc<Bridge>,
    depth: AtomicUsize,
    stash: OrderedMutex<Option<Message>>,
}

impl std::fmt::Debug for Pump {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pump")
            .field("depth", &self.depth.load(Ordering::Relaxed))
            .finish_non_exhaustive()
    }
}

impl Pump {
    /// The pump of `bridge`.
    pub fn new(bridge: Arc<Bridge>) -> Self {
        Self {
            bridge,
            depth: AtomicUsize::new(0),
            stash: OrderedMutex::new(LockLevel::Stash, None),
        }
    }

    /// The bridge this pump drains.
    pub fn bridge(&self) -> &Arc<Bridge> {
        &self.bridge
    }

    /// True while a tool or task is running (so a pump now would be nested).
    pub fn is_running(&self) -> bool {
        self.depth.load(Ordering::Acquire) > 0
    }

    /// Runs queued messages until the queue is empty or `budget` has passed
    /// (at least one message runs when one is waiting). Returns how many ran.
    /// Never blocks waiting for work. This is what a host's timer or idle
    /// callback calls.
    pub fn pump(&self, budget: Duration) -> usize {
        self.bridge.stats.mark_pumped();
        self.bridge.clear_wake();
        let start = Instant::now();
        let mut ran = 0;
        while let Some(message) = self.next_ready() {
            if !self.dispatch(message) {
                break;
            }
            ran += 1;
            if start.elapsed() >= budget {
                break;
            }
        }
        // Work left for later (the budget ran out, or a nested pump set a
        // call aside): the host's loop comes back at once.
        if !self.bridge.rx.is_empty() || self.stash.lock().is_some() {
            self.bridge.signal_wake();
        }
        ran
    }

    /// Runs messages as they arrive until the bridge shuts down. The thread
    /// sleeps in the channel while idle and wakes the moment a message is
    /// pushed: no polling, no batching. This is the standalone host's loop.
    pub fn run(&self) {
        while self.bridge.lifecycle.is_active() {
            self.bridge.stats.mark_pumped();
            if let Some(message) = self.take_stash() {
                self.dispatch(message);
                continue;
            }
            select! {
                recv(self.bridge.rx) -> message => {
                    if let Ok(message) = message {
                        self.dispatch(message);
                    }
                }
                recv(self.bridge.wake_rx) -> _ => {}
            }
        }
    }

    fn take_stash(&self) -> Option<Message> {
        if self.is_running() {
            return None;
        }
        self.stash.lock().take()
    }

    fn next_ready(&self) -> Option<Message> {
        if self.is_running() {
            // Nested: a call set aside earlier must run before anything behind it.
            if self.stash.lock().is_some() {
                return None;
            }
        } else if let Some(message) = self.take_stash() {
            return Some(message);
        }
        self.bridge.rx.try_recv().ok()
    }

    /// Runs one message. Returns false when a nested pump set a tool call
    /// aside instead of running it.
    fn dispatch(&self, message: Message) -> bool {
        if message.call().is_some() && self.is_running() {
            *self.stash.lock() = Some(message);
            return false;
        }
        match message.into_work() {
            Work::Call(call) => {
                self.run_call(call);
                true
            }
            Work::Task(task) => {
                self.guarded("running a main-thread task", || task(TaskFate::Run));
                Stats::bump(&self.bridge.stats.tasks_run);
                true
            }
        }
    }

    fn run_call(&self, call: QueuedCall) {
        let QueuedCall {
            handle,
            run,
            runs_on,
        } = call;
        if !self.bridge.start_call(&handle) {
            // Withdrawn while queued; whoever withdrew it has accounted for it.
            return;
        }
        match runs_on {
            RunsOn::MainThread => {
                self.bridge.set_running(Some(handle.clone()));
                let outcome = self
                    .guarded("running a tool", || run(&handle))
                    .unwrap_or(Outcome::Failed);
                handle.finish();
                self.bridge.set_running(None);
                self.bridge.returned(&handle, outcome);
            }
            RunsOn::OwnThread => self.bridge.run_on_own_thread(handle, run),
        }
    }

    /// Runs foreign code with no lock held, at one more level of nesting, and
    /// keeps a panic in it from unwinding through the pump.
    fn guarded<R>(&self, what: &str, f: impl FnOnce() -> R) -> Option<R> {
        assert_none_held(what);
        self.depth.fetch_add(1, Ordering::AcqRel);
        let result = catch_unwind(AssertUnwindSafe(f));
        self.depth.fetch_sub(1, Ordering::AcqRel);
        match result {
            Ok(value) => Some(value),
            Err(_) => {
                tracing::error!("panic while {what}; the pump goes on with the next message");
                None
            }
        }
    }
}
