//! One task: a tool call that outlives the request that started it. Its
//! state is a watch channel, so that `tasks/result` can wait for the end
//! and the session that created it can send status notifications, while
//! `tasks/get` reads the latest value without waiting.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant, SystemTime};

use crossbeam_channel::Sender;
use dcclink_bridge::Outcome;
use dcclink_bridge::lock_order::{LockLevel, OrderedMutex};
use rmcp::model::{CallToolResult, InputRequest};
use rmcp::service::{Peer, RoleServer};
use serde_json::Value;
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

/// Where a task stands. The 2026-07-28 statuses; 2025-11-25 reads a
/// tool error (`isError`) as failed ([`crate::tasks::wire`]).
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Status {
    /// Queued or running.
    Working,
    /// The tool asked its client something and waits for the answer.
    InputRequired {
        /// The question's key, unique over the task's life.
        key: String,
        /// The request the client answers.
        request: Box<InputRequest>,
    },
    /// The tool's call ended; what a plain call would have answered.
    Completed(Box<Ended>),
    /// The DCC stopped before the tool's call ended.
    Failed(Box<Ended>),
    /// The client (or the panel) cancelled it.
    Cancelled(Option<Box<Ended>>),
}

/// A task's end: the call's result and verdict.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Ended {
    /// What the `tools/call` would have answered.
    pub(crate) result: CallToolResult,
    /// The call's one verdict.
    pub(crate) outcome: Outcome,
    /// Why it failed, when the DCC stopped under it.
    pub(crate) why: Option<String>,
}

impl Status {
    /// True once the task can change no more.
    pub(crate) fn is_terminal(&self) -> bool {
        matches!(
            self,
            Self::Completed(_) | Self::Failed(_) | Self::Cancelled(_)
        )
    }

    /// The status's name, as 2026-07-28 (and the panel) calls it.
    pub(crate) fn word(&self) -> &'static str {
        match self {
            Self::Working => "working",
            Self::InputRequired { .. } => "input_required",
            Self::Completed(_) => "completed",
            Self::Failed(_) => "failed",
            Self::Cancelled(_) => "cancelled",
        }
    }

    /// The call's result, once it has one.
    pub(crate) fn ended(&self) -> Option<&Ended> {
        match self {
            Self::Completed(ended) | Self::Failed(ended) | Self::Cancelled(Some(ended)) => {
                Some(ended)
            }
            _ => None,
        }
    }
}

/// What `tasks/get` reports: the status, and the latest word on it.
#[derive(Debug, Clone)]
pub(crate) struct State {
    pub(crate) status: Status,
    /// The tool's latest progress message, or why it stopped.
    pub(crate) message: Option<String>,
    pub(crate) updated: SystemTime,
}

/// The open question of a task, with where its answer goes.
struct Asking {
    key: String,
    reply: Sender<Result<Value, String>>,
}

/// The part of a task behind its lock.
struct Contact {
    asking: Option<Asking>,
    /// The session that last created, polled or waited on the task: a
    /// 2025-11-25 client's questions go out on it.
    peer: Option<Peer<RoleServer>>,
    /// Questions asked so far, for unique keys.
    asked: u64,
}

/// One task of this instance.
pub(crate) struct Task {
    pub(crate) id: String,
    /// The tool it runs.
    pub(crate) tool: String,
    /// The client that created it (name and transport).
    pub(crate) client: String,
    pub(crate) created: SystemTime,
    created_at: Instant,
    /// How long it is kept from creation (longer while it runs).
    pub(crate) ttl: Duration,
    cancel: CancellationToken,
    state: watch::Sender<State>,
    contact: OrderedMutex<Contact>,
    /// The bytes its result holds, once it has ended.
    size: AtomicUsize,
}

impl Task {
    /// A working task of `tool`, for `client`.
    pub(crate) fn new(id: String, tool: String, client: String, ttl: Duration) -> Self {
        let now = SystemTime::now();
        let state = State {
            status: Status::Working,
            message: Some("queued on the DCC's main thread".to_owned()),
            updated: now,
        };
        let contact = Contact {
            asking: None,
            peer: None,
            asked: 0,
        };
        Self {
            id,
            tool,
            client,
            created: now,
            created_at: Instant::now(),
            ttl,
            cancel: CancellationToken::new(),
            state: watch::channel(state).0,
            contact: OrderedMutex::new(LockLevel::Task, contact),
            size: AtomicUsize::new(0),
        }
    }

    /// The state now.
    pub(crate) fn state(&self) -> State {
        self.state.borrow().clone()
    }

    /// Changes from now on.
    pub(crate) fn watch(&self) -> watch::Receiver<State> {
        self.state.subscribe()
    }

    /// Fires when the task is cancelled.
    pub(crate) fn cancelled(&self) -> CancellationToken {
        self.cancel.clone()
    }

    /// True once it can change no more.
    pub(crate) fn has_ended(&self) -> bool {
        self.state.borrow().status.is_terminal()
    }

    /// True once it has ended and its time to live has passed.
    pub(crate) fn is_expired(&self, now: Instant) -> bool {
        now >= self.created_at + self.ttl && self.has_ended()
    }

    /// The bytes its result holds (0 until it ends).
    pub(crate) fn size(&self) -> usize {
        self.size.load(Ordering::Relaxed)
    }

    /// The session its questions and status go out on, once one has
    /// created, polled or waited on it.
    pub(crate) fn peer(&self) -> Option<Peer<RoleServer>> {
        self.contact.lock().peer.clone()
    }

    /// Records that the client on `peer` created or asked about the task.
    pub(crate) fn heard_from(&self, peer: &Peer<RoleServer>) {
        self.contact.lock().peer = Some(peer.clone());
    }

    /// Cancels it, unless it has ended: the status is `cancelled` from now
    /// on, whatever the tool does. Returns false when it had ended.
    pub(crate) fn cancel(&self) -> bool {
        let cancelled = self.state.send_if_modified(|state| {
            if state.status.is_terminal() {
                return false;
            }
            state.status = Status::Cancelled(None);
            state.message = Some("cancelled; the tool was asked to stop".to_owned());
            state.updated = SystemTime::now();
            true
        });
        if cancelled {
            self.contact.lock().asking = None;
            self.cancel.cancel();
        }
        cancelled
    }

    /// The tool reported progress.
    pub(crate) fn progressed(&self, message: Option<&str>) {
        let Some(message) = message else { return };
        self.state.send_if_modified(|state| {
            if state.message.as_deref() == Some(message) || state.status.is_terminal() {
                return false;
            }
            state.message = Some(message.to_owned());
            state.updated = SystemTime::now();
            true
        });
    }

    /// The tool asks its client `request`; `reply` takes the answer.
    /// Returns the question's key.
    pub(crate) fn ask(
        &self,
        request: InputRequest,
        reply: Sender<Result<Value, String>>,
    ) -> String {
        let key = {
            let mut contact = self.contact.lock();
            contact.asked += 1;
            let key = format!("question-{}", contact.asked);
            contact.asking = Some(Asking {
                key: key.clone(),
                reply,
            });
            key
        };
        self.state.send_if_modified(|state| {
            if state.status.is_terminal() {
                return false;
            }
            state.status = Status::InputRequired {
                key: key.clone(),
                request: Box::new(request),
            };
            state.updated = SystemTime::now();
            true
        });
        key
    }

    /// Hands the tool the client's answer to the question `key`. False when
    /// no such question is open (answered already, or never asked).
    pub(crate) fn answer(&self, key: &str, answer: Result<Value, String>) -> bool {
        let asking = {
            let mut contact = self.contact.lock();
            match &contact.asking {
                Some(asking) if asking.key == key => contact.asking.take(),
                _ => None,
            }
        };
        let Some(asking) = asking else { return false };
        let _ = asking.reply.send(answer);
        self.state.send_if_modified(|state| {
            if !matches!(&state.status, Status::InputRequired { key: open, .. } if open == key) {
                return false;
            }
            state.status = Status::Working;
            state.updated = SystemTime::now();
            true
        });
        true
    }

    /// The call ended: keeps its result. A cancelled task stays cancelled.
    pub(crate) fn end(&self, ended: Ended) {
        self.contact.lock().asking = None;
        let size = serde_json::to_vec(&ended.result).map_or(0, |json| json.len());
        self.size.store(size, Ordering::Relaxed);
        self.state.send_modify(|state| {
            state.updated = SystemTime::now();
            if let Some(why) = &ended.why {
                state.message = Some(why.clone());
            }
            state.status = match &state.status {
                Status::Cancelled(_) => Status::Cancelled(Some(Box::new(ended))),
                _ if ended.why.is_some() => Status::Failed(Box::new(ended)),
                _ if ended.outcome == Outcome::Cancelled => {
                    state.message = Some("cancelled".to_owned());
                    Status::Cancelled(Some(Box::new(ended)))
                }
                _ => {
                    state.message = None;
                    Status::Completed(Box::new(ended))
                }
            };
        });
    }
}
