//! Counters of what the bridge has done, readable from any thread.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use serde::Serialize;

use crate::events::Outcome;

/// Live counters, updated with relaxed atomics.
#[derive(Debug)]
pub(crate) struct Stats {
    epoch: Instant,
    pub(crate) submitted: AtomicU64,
    pub(crate) rejected_full: AtomicU64,
    pub(crate) rejected_closed: AtomicU64,
    pub(crate) started: AtomicU64,
    done: AtomicU64,
    failed: AtomicU64,
    cancelled: AtomicU64,
    timed_out: AtomicU64,
    refused: AtomicU64,
    pub(crate) tasks_run: AtomicU64,
    last_pump_us: AtomicU64,
}

/// A copy of the counters at one moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct StatsSnapshot {
    /// Tool calls accepted into the queue.
    pub submitted: u64,
    /// Tool calls refused because the queue was full.
    pub rejected_full: u64,
    /// Messages refused because the bridge was shutting down.
    pub rejected_closed: u64,
    /// Tool calls that started running.
    pub started: u64,
    /// Tool calls that returned a result.
    pub done: u64,
    /// Tool calls whose tool raised an error.
    pub failed: u64,
    /// Tool calls cancelled, whether queued or running.
    pub cancelled: u64,
    /// Tool calls past their timeout or queue deadline.
    pub timed_out: u64,
    /// Tool calls the host never ran: refused at the door (see
    /// `rejected_full` and `rejected_closed` for why) or drained at shutdown.
    pub refused: u64,
    /// Main-thread tasks run.
    pub tasks_run: u64,
    /// Messages in the queue now.
    pub queue_depth: u64,
    /// Milliseconds since the main thread last pumped.
    pub ms_since_pump: u64,
}

impl Stats {
    pub(crate) fn new() -> Self {
        Self {
            epoch: Instant::now(),
            submitted: AtomicU64::new(0),
            rejected_full: AtomicU64::new(0),
            rejected_closed: AtomicU64::new(0),
            started: AtomicU64::new(0),
            done: AtomicU64::new(0),
            failed: AtomicU64::new(0),
            cancelled: AtomicU64::new(0),
            timed_out: AtomicU64::new(0),
            refused: AtomicU64::new(0),
            tasks_run: AtomicU64::new(0),
            last_pump_us: AtomicU64::new(0),
        }
    }

    pub(crate) fn bump(counter: &AtomicU64) {
        counter.fetch_add(1, Ordering::Relaxed);
    }

    /// Takes back a [`Stats::bump`] that turned out premature.
    pub(crate) fn unbump(counter: &AtomicU64) {
        counter.fetch_sub(1, Ordering::Relaxed);
    }

    pub(crate) fn record_end(&self, outcome: Outcome) {
        Self::bump(match outcome {
            Outcome::Done => &self.done,
            Outcome::Failed => &self.failed,
            Outcome::Cancelled => &self.cancelled,
            Outcome::TimedOut => &self.timed_out,
            Outcome::Refused => &self.refused,
        });
    }

    pub(crate) fn mark_pumped(&self) {
        let us = self.epoch.elapsed().as_micros() as u64;
        self.last_pump_us.store(us, Ordering::Relaxed);
    }

    pub(crate) fn snapshot(&self, queue_depth: usize) -> StatsSnapshot {
        let get = |c: &AtomicU64| c.load(Ordering::Relaxed);
        let now_us = self.epoch.elapsed().as_micros() as u64;
        StatsSnapshot {
            submitted: get(&self.submitted),
            rejected_full: get(&self.rejected_full),
            rejected_closed: get(&self.rejected_closed),
            started: get(&self.started),
            done: get(&self.done),
            failed: get(&self.failed),
            cancelled: get(&self.cancelled),
            timed_out: get(&self.timed_out),
            refused: get(&self.refused),
            tasks_run: get(&self.tasks_run),
            queue_depth: queue_depth as u64,
            ms_since_pump: now_us.saturating_sub(get(&self.last_pump_us)) / 1000,
        }
    }
}
