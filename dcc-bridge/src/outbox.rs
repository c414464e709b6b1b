//! A call's outbox: the progress and log records a tool reports, waiting for
//! the server to send them to the client.
//!
//! Reporting never blocks on the client. Progress is a single slot that keeps
//! only the latest value, so a tool that reports faster than the client reads
//! is coalesced, and the final value is always the one left in the slot.
//! Values that do not increase are refused, so what the client sees is
//! strictly increasing. Logs queue up to a bound; past it the oldest are
//! dropped and counted.

use std::collections::VecDeque;

use crate::lock_order::{LockLevel, OrderedMutex};

/// How many log records a call's outbox holds before it drops the oldest.
pub const LOG_CAPACITY: usize = 1024;

/// One progress report.
#[derive(Debug, Clone, PartialEq)]
pub struct Progress {
    /// How far the work has come; strictly increasing.
    pub progress: f64,
    /// The total, when known.
    pub total: Option<f64>,
    /// A short human-readable status.
    pub message: Option<String>,
}

/// The severity of a log record, as MCP's logging levels name them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum LogLevel {
    /// Detail for debugging.
    Debug,
    /// Normal operation.
    Info,
    /// Normal but significant.
    Notice,
    /// Something to look at.
    Warning,
    /// An operation failed.
    Error,
    /// A component failed.
    Critical,
    /// Act now.
    Alert,
    /// The system is unusable.
    Emergency,
}

impl LogLevel {
    /// Parses MCP's level names (and `warn`), case-insensitively.
    pub fn parse(name: &str) -> Option<Self> {
        Some(match name.to_ascii_lowercase().as_str() {
            "debug" => Self::Debug,
            "info" => Self::Info,
            "notice" => Self::Notice,
            "warning" | "warn" => Self::Warning,
            "error" => Self::Error,
            "critical" => Self::Critical,
            "alert" => Self::Alert,
            "emergency" => Self::Emergency,
            _ => return None,
        })
    }

    /// MCP's name for the level.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Debug => "debug",
            Self::Info => "info",
            Self::Notice => "notice",
            Self::Warning => "warning",
            Self::Error => "error",
            Self::Critical => "critical",
            Self::Alert => "alert",
            Self::Emergency => "emergency",
        }
    }
}

/// One log record from a tool.
#[derive(Debug, Clone, PartialEq)]
pub struct LogRecord {
    /// Its severity.
    pub level: LogLevel,
    /// Its text.
    pub message: String,
}

/// What the outbox held when the server took it.
#[derive(Debug, Default, PartialEq)]
pub struct Pending {
    /// The latest progress not yet sent.
    pub progress: Option<Progress>,
    /// The log records not yet sent, oldest first.
    pub logs: Vec<LogRecord>,
    /// How many log records were dropped because the client read too slowly.
    pub dropped_logs: u64,
}

#[derive(Default)]
struct State {
    progress: Option<Progress>,
    last_progress: Option<f64>,
    logs: VecDeque<LogRecord>,
    dropped_logs: u64,
}

/// A call's pending progress and logs, plus a way to tell the server that
/// there is something to send.
pub struct Outbox {
    state: OrderedMutex<State>,
    notify: Box<dyn Fn() + Send + Sync>,
}

impl std::fmt::Debug for Outbox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Outbox").finish_non_exhaustive()
    }
}

impl Outbox {
    /// An empty outbox; `notify` is called (outside the lock) whenever a
    /// report is added. It must not block.
    pub fn new(notify: impl Fn() + Send + Sync + 'static) -> Self {
        Self {
            state: OrderedMutex::new(LockLevel::Outbox, State::default()),
            notify: Box::new(notify),
        }
    }

    /// Records progress. Returns false, and records nothing, when `progress`
    /// is not greater than the last value reported (or is not finite).
    pub fn report_progress(&self, progress: Progress) -> bool {
        if !progress.progress.is_finite() {
            return false;
        }
        {
            let mut state = self.state.lock();
            if state
                .last_progress
                .is_some_and(|last| progress.progress <= last)
            {
                return false;
            }
            state.last_progress = Some(progress.progress);
            state.progress = Some(progress);
        }
        (self.notify)();
        true
    }

    /// Queues a log record, dropping the oldest past [`LOG_CAPACITY`].
    pub fn log(&self, record: LogRecord) {
        {
            let mut state = self.state.lock();
            if state.logs.len() == LOG_CAPACITY {
                state.logs.pop_front();
                state.dropped_logs += 1;
            }
            state.logs.push_back(record);
        }
        (self.notify)();
    }

    /// Wakes the server side of the call without adding a report (the call
    /// was cancelled, and whoever waits for it should look).
    pub fn wake(&self) {
        (self.notify)();
    }

    /// Takes everything pending, leaving the outbox empty.
    pub fn take(&self) -> Pending {
        let mut state = self.state.lock();
        Pending {
            progress: state.progress.take(),
            logs: state.logs.drain(..).collect(),
            dropped_logs: std::mem::take(&mut state.dropped_logs),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    fn progress(p: f64) -> Progress {
        Progress {
            progress: p,
            total: Some(10.0),
            message: None,
        }
    }

    #[test]
    fn progress_is_coalesced_to_the_latest_value() {
        let outbox = Outbox::new(|| {});
        for i in 1..=5 {
            assert!(outbox.report_progress(progress(f64::from(i))));
        }
        assert_eq!(outbox.take().progress, Some(progress(5.0)));
        assert_eq!(outbox.take().progress, None);
    }

    #[test]
    fn progress_that_does_not_increase_is_refused() {
        let outbox = Outbox::new(|| {});
        assert!(outbox.report_progress(progress(3.0)));
        assert!(!outbox.report_progress(progress(3.0)));
        assert!(!outbox.report_progress(progress(2.0)));
        assert!(!outbox.report_progress(progress(f64::NAN)));
        outbox.take();
        assert!(
            !outbox.report_progress(progress(1.0)),
            "order survives a take"
        );
        assert!(outbox.report_progress(progress(4.0)));
    }

    #[test]
    fn every_report_notifies() {
        let count = Arc::new(AtomicUsize::new(0));
        let seen = count.clone();
        let outbox = Outbox::new(move || {
            seen.fetch_add(1, Ordering::SeqCst);
        });
        outbox.report_progress(progress(1.0));
        outbox.log(LogRecord {
            level: LogLevel::Info,
            message: "x".into(),
        });
        assert_eq!(count.load(Ordering::SeqCst), 2);
    }

    #[test]
    fn logs_past_capacity_drop_the_oldest_and_count_them() {
        let outbox = Outbox::new(|| {});
        for i in 0..LOG_CAPACITY + 3 {
            outbox.log(LogRecord {
                level: LogLevel::Debug,
                message: i.to_string(),
            });
        }
        let pending = outbox.take();
        assert_eq!(pending.logs.len(), LOG_CAPACITY);
        assert_eq!(pending.dropped_logs, 3);
        assert_eq!(pending.logs[0].message, "3");
    }

    #[test]
    fn level_names_round_trip() {
        for name in [
            "debug",
            "info",
            "notice",
            "warning",
            "error",
            "critical",
            "alert",
            "emergency",
        ] {
            assert_eq!(LogLevel::parse(name).map(LogLevel::as_str), Some(name));
        }
        assert_eq!(LogLevel::parse("WARN"), Some(LogLevel::Warning));
        assert_eq!(LogLevel::parse("loud"), None);
    }
}

/// The model checks: a tool reporting while the server takes, in every
/// interleaving (`RUSTFLAGS="--cfg loom"`, see `cargo xtask test`).
#[cfg(all(test, loom))]
mod loom {
    use super::*;
    use crate::sync::spawn_with;
    use ::loom::sync::Arc;
    use ::loom::sync::atomic::{AtomicUsize, Ordering};
    use ::loom::thread;

    fn report(outbox: &Outbox, step: u32) {
        outbox.report_progress(Progress {
            progress: f64::from(step),
            total: None,
            message: None,
        });
        outbox.log(LogRecord {
            level: LogLevel::Info,
            message: step.to_string(),
        });
    }

    /// An outbox that counts its notifications.
    fn counted_outbox() -> (Arc<AtomicUsize>, Arc<Outbox>) {
        let notified = Arc::new(AtomicUsize::new(0));
        let counter = notified.clone();
        let outbox = Outbox::new(move || {
            counter.fetch_add(1, Ordering::SeqCst);
        });
        (notified, Arc::new(outbox))
    }

    #[test]
    fn the_server_sees_rising_progress_ending_at_the_last_and_every_log_in_order() {
        ::loom::model(|| {
            let (notified, outbox) = counted_outbox();
            let tool = spawn_with(&outbox, |outbox| {
                (1..=2).for_each(|step| report(outbox, step))
            });
            let mut taken = vec![outbox.take()];
            tool.join().unwrap();
            taken.push(outbox.take());

            let progress: Vec<f64> = taken
                .iter()
                .filter_map(|p| p.progress.as_ref())
                .map(|p| p.progress)
                .collect();
            assert!(progress.windows(2).all(|w| w[0] < w[1]), "{progress:?}");
            assert_eq!(progress.last(), Some(&2.0), "the final value is never lost");
            let logs: Vec<&str> = taken
                .iter()
                .flat_map(|p| &p.logs)
                .map(|l| l.message.as_str())
                .collect();
            assert_eq!(logs, ["1", "2"]);
            assert_eq!(notified.load(Ordering::SeqCst), 4, "every report notifies");
        });
    }

    #[test]
    fn a_woken_server_finds_the_report_that_woke_it() {
        ::loom::model(|| {
            let (notified, outbox) = counted_outbox();
            let tool = spawn_with(&outbox, |outbox| report(outbox, 1));
            while notified.load(Ordering::SeqCst) == 0 {
                thread::yield_now();
            }
            let pending = outbox.take();
            assert!(
                pending.progress.is_some(),
                "woken before the value was there"
            );
            tool.join().unwrap();
        });
    }
}
