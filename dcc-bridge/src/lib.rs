//! # dcclink-bridge
//!
//! The threading core of dcclink. It has no Python, no GUI and no network: it
//! is the part that decides *when* and *where* host work runs.
//!
//! ```text
//!  server threads                      host main thread
//!  ──────────────                      ────────────────
//!  Bridge::submit ──► bounded FIFO ──► Pump::run / Pump::pump ──► tool
//!        │            (crossbeam)            │
//!        └── CallHandle (atomics) ◄──────────┘  cancel flag, deadlines,
//!                      │                        progress outbox
//!                      └──► EventBus ──► panel
//! ```
//!
//! * [`Bridge`]: the FIFO, its [`Lifecycle`], the [`EventBus`] and the stats.
//!   Submitting never blocks: a full queue is refused at once.
//! * [`Pump`]: the only consumer, run on the host's main thread. It runs one
//!   message at a time with no lock held, in strict arrival order, and a
//!   nested pump never starts another tool.
//! * [`CallHandle`]: one call's state, shared lock-free between the server
//!   task that waits for the answer and the pump that runs it.
//! * [`CallContext`]: what a running tool sees: cancelled, progress, log, emit.
//! * [`Outbox`]: a call's coalesced progress and its log records.
//! * [`lock_order`]: every mutex has a level, checked in debug builds.
//! * [`WakeFd`]: readable while work waits, for hosts whose loop watches
//!   descriptors (see [`Bridge::wake_fd`]).

mod bridge;
mod call;
mod client_requests;
mod context;
mod events;
mod lifecycle;
pub mod lock_order;
mod message;
mod outbox;
mod panel_questions;
mod pump;
mod stats;
mod sync;
mod wake;

pub use bridge::{Bridge, BridgeConfig, ShutdownReport, SubmitError};
pub use call::{CallHandle, CallInfo, CallState, CancelReason};
pub use client_requests::{ClientRequestError, ClientRequests};
pub use context::CallContext;
pub use events::{Event, EventBus, EventKind, Outcome};
pub use lifecycle::{Lifecycle, LifecycleState, TransitionError};
pub use message::{MainThreadTask, Message, QueuedCall, RunTool, RunsOn, TaskFate};
pub use outbox::{LOG_CAPACITY, LogLevel, LogRecord, Outbox, Pending, Progress};
pub use panel_questions::{AnswerError, FormAction, FormReply, PanelQuestions, QuestionError};
pub use pump::Pump;
pub use stats::StatsSnapshot;
pub use wake::{WakeFd, WakeHandle};
