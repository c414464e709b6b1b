//! The event bus: what happened, for whoever watches (the panel, tests).
//!
//! Publishing never blocks. With no subscriber, events wait in a bounded
//! backlog (oldest dropped first) so that a panel opened later still sees the
//! recent history. Each subscriber has a bounded channel of its own; a
//! subscriber that falls behind loses events rather than slowing the tool
//! that publishes them, and the loss is counted.

use std::collections::VecDeque;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use crossbeam_channel::{Receiver, Sender, TrySendError};
use serde::Serialize;
use serde_json::Value;

use crate::lock_order::{LockLevel, OrderedMutex};

/// How a call ended: its verdict. Decided once per call
/// ([`CallHandle::decide`](crate::CallHandle::decide)), and read from there by
/// everyone who reports it: the client's answer, the panel, the audit log and
/// the counters.
///
/// Its discriminants start at 1, so that 0 can stand for "undecided" in the
/// atomic a [`CallHandle`](crate::CallHandle) keeps it in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
#[repr(u8)]
pub enum Outcome {
    /// The tool returned a result.
    Done = 1,
    /// The tool raised an error, or its result broke its output schema.
    Failed = 2,
    /// The call was cancelled (before or while running).
    Cancelled = 3,
    /// The call ran past its timeout, or waited past its queue deadline.
    TimedOut = 4,
    /// The host never ran it: its queue was full, or it was shutting down.
    Refused = 5,
}

impl Outcome {
    /// The outcome whose discriminant is `value`, if any.
    pub(crate) fn from_u8(value: u8) -> Option<Self> {
        Some(match value {
            1 => Self::Done,
            2 => Self::Failed,
            3 => Self::Cancelled,
            4 => Self::TimedOut,
            5 => Self::Refused,
            _ => return None,
        })
    }
}

/// What an [`Event`] reports.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum EventKind {
    /// A call entered the queue.
    CallQueued {
        /// The call number.
        call: u64,
        /// The tool.
        tool: String,
        /// The client.
        client: String,
        /// The arguments as JSON text, shortened for display.
        arguments: String,
        /// The MCP task it runs as, if any.
        #[serde(skip_serializing_if = "Option::is_none")]
        task: Option<String>,
    },
    /// An MCP task's time to live passed after it ended: its result is gone,
    /// and the panel drops its call.
    TaskExpired {
        /// The task's id.
        task: String,
    },
    /// A worker pool's state (`dcclink.workers`): its workers (node, pid,
    /// state, current item and its progress) and its items done, failed
    /// and queued. `status` is null once the pool has closed.
    Pool {
        /// The pool's id in this process.
        pool: String,
        /// Its state, as `Pool.status()` gives it.
        status: Value,
    },
    /// A call started on the host's main thread.
    CallStarted {
        /// The call number.
        call: u64,
    },
    /// A running call reported progress.
    CallProgress {
        /// The call number.
        call: u64,
        /// How far it has come.
        progress: f64,
        /// The total, when known.
        total: Option<f64>,
        /// Its status message.
        message: Option<String>,
    },
    /// A call ended.
    CallEnded {
        /// The call number.
        call: u64,
        /// How it ended.
        outcome: Outcome,
        /// How long it ran, when it ran.
        duration_ms: Option<f64>,
    },
    /// What the client was answered, shortened for display.
    CallResult {
        /// The call number.
        call: u64,
        /// True when the answer is an error.
        is_error: bool,
        /// The answer's text.
        text: String,
    },
    /// An MCP client finished `initialize`.
    ClientConnected {
        /// The session's number.
        client: u64,
        /// The client's name, as it introduced itself.
        name: String,
        /// `stdio` or `http`.
        transport: String,
    },
    /// A client's session ended.
    ClientDisconnected {
        /// The session's number.
        client: u64,
    },
    /// A log line from a tool (`ctx.log`) or from dcclink itself.
    Log {
        /// The call that logged it, if any.
        call: Option<u64>,
        /// MCP level name.
        level: String,
        /// The text.
        message: String,
    },
    /// An application event from `ctx.emit`.
    Emit {
        /// The call that emitted it, if any.
        call: Option<u64>,
        /// The event's name.
        name: String,
        /// Its payload.
        data: Value,
    },
    /// A tool asks the person at the panel a yes-or-no question, or to fill
    /// in a form.
    QuestionOpened {
        /// The question's number.
        question: u64,
        /// The call that asks, if any.
        call: Option<u64>,
        /// The question, in a line.
        text: String,
        /// What it is about (code to run, say), shown in full.
        detail: String,
        /// For a form, the JSON Schema of its fields (an object of plain
        /// properties); `None` for a yes-or-no question.
        form: Option<Value>,
    },
    /// A question was answered, or stopped waiting.
    QuestionClosed {
        /// The question's number.
        question: u64,
        /// `allowed` or `denied`; `accepted`, `declined` or `dismissed`
        /// for a form; else `timed out` or `cancelled`.
        outcome: String,
    },
}

/// One event on the bus.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Event {
    /// Bus-wide sequence number, starting at 1, with no gaps at publish time.
    pub seq: u64,
    /// Milliseconds since the Unix epoch.
    pub time_ms: u64,
    /// What happened.
    #[serde(flatten)]
    pub kind: EventKind,
}

struct BusState {
    next_seq: u64,
    backlog: VecDeque<Arc<Event>>,
    subscribers: Vec<Sender<Arc<Event>>>,
}

/// A publish/subscribe bus of [`Event`]s that never blocks the publisher.
pub struct EventBus {
    backlog_capacity: usize,
    state: OrderedMutex<BusState>,
    dropped: AtomicU64,
}

impl EventBus {
    /// A bus that keeps up to `backlog_capacity` events while nobody listens.
    pub fn new(backlog_capacity: usize) -> Self {
        Self {
            backlog_capacity,
            state: OrderedMutex::new(
                LockLevel::EventBus,
                BusState {
                    next_seq: 1,
                    backlog: VecDeque::new(),
                    subscribers: Vec::new(),
                },
            ),
            dropped: AtomicU64::new(0),
        }
    }

    /// Publishes an event to every subscriber, or to the backlog when there
    /// is none. Never blocks.
    pub fn publish(&self, kind: EventKind) {
        let time_ms = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as u64);
        let mut state = self.state.lock();
        let event = Arc::new(Event {
            seq: state.next_seq,
            time_ms,
            kind,
        });
        state.next_seq += 1;
        if state.subscribers.is_empty() {
            if state.backlog.len() == self.backlog_capacity {
                state.backlog.pop_front();
                self.dropped.fetch_add(1, Ordering::Relaxed);
            }
            state.backlog.push_back(event);
            return;
        }
        state
            .subscribers
            .retain(|tx| match tx.try_send(event.clone()) {
                Ok(()) => true,
                Err(TrySendError::Full(_)) => {
                    self.dropped.fetch_add(1, Ordering::Relaxed);
                    true
                }
                Err(TrySendError::Disconnected(_)) => false,
            });
    }

    /// Subscribes with a channel of `capacity` events. The first subscriber
    /// also receives the backlog kept while nobody listened.
    pub fn subscribe(&self, capacity: usize) -> Receiver<Arc<Event>> {
        let (tx, rx) = crossbeam_channel::bounded(capacity.max(1));
        let mut state = self.state.lock();
        for event in state.backlog.drain(..) {
            if tx.try_send(event).is_err() {
                self.dropped.fetch_add(1, Ordering::Relaxed);
            }
        }
        state.subscribers.push(tx);
        rx
    }

    /// Events lost to a full backlog or a slow subscriber, so far.
    pub fn dropped(&self) -> u64 {
        self.dropped.load(Ordering::Relaxed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn emit(i: u64) -> EventKind {
        EventKind::Emit {
            call: None,
            name: "e".into(),
            data: Value::from(i),
        }
    }

    #[test]
    fn events_wait_for_the_first_listener() {
        let bus = EventBus::new(10);
        bus.publish(emit(1));
        bus.publish(emit(2));
        let rx = bus.subscribe(10);
        bus.publish(emit(3));
        let seqs: Vec<u64> = rx.try_iter().map(|e| e.seq).collect();
        assert_eq!(seqs, [1, 2, 3]);
    }

    #[test]
    fn a_full_backlog_drops_the_oldest() {
        let bus = EventBus::new(2);
        for i in 0..5 {
            bus.publish(emit(i));
        }
        let rx = bus.subscribe(10);
        let seqs: Vec<u64> = rx.try_iter().map(|e| e.seq).collect();
        assert_eq!(seqs, [4, 5]);
        assert_eq!(bus.dropped(), 3);
    }

    #[test]
    fn a_slow_subscriber_never_blocks_the_publisher() {
        let bus = EventBus::new(2);
        let rx = bus.subscribe(1);
        for i in 0..1000 {
            bus.publish(emit(i));
        }
        assert_eq!(rx.try_iter().count(), 1);
        assert_eq!(bus.dropped(), 999);
    }

    #[test]
    fn a_gone_subscriber_is_forgotten() {
        let bus = EventBus::new(2);
        drop(bus.subscribe(1));
        bus.publish(emit(1));
        let rx = bus.subscribe(4);
        bus.publish(emit(2));
        assert_eq!(rx.try_iter().count(), 1);
    }

    #[test]
    fn events_serialize_for_the_panel() {
        let event = Event {
            seq: 7,
            time_ms: 1,
            kind: EventKind::CallEnded {
                call: 3,
                outcome: Outcome::TimedOut,
                duration_ms: Some(1.5),
            },
        };
        let json = serde_json::to_value(&event).unwrap();
        assert_eq!(json["type"], "call_ended");
        assert_eq!(json["outcome"], "timed_out");
        assert_eq!(json["seq"], 7);
    }
}
