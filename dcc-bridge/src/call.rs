//! One tool call's shared state: where it is in its life, whether it has been
//! cancelled and why, and its deadlines.
//!
//! A [`CallHandle`] is shared between the server task that waits for the
//! answer and the pump that runs the call. Every field is an atomic or is set
//! once, so neither side ever blocks the other.

use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use crate::client_requests::ClientRequests;
use crate::events::Outcome;
use crate::outbox::Outbox;
use crate::sync::{AtomicU8, Ordering};

/// Where a call is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum CallState {
    /// Waiting in the FIFO.
    Queued = 0,
    /// Running: on the host's main thread, or on a thread of its own.
    Running = 1,
    /// Ran to the end (with any outcome).
    Finished = 2,
    /// Taken out before it ran: cancelled, expired or refused at shutdown. It
    /// never runs.
    Withdrawn = 3,
}

impl CallState {
    fn from_u8(value: u8) -> Self {
        match value {
            0 => Self::Queued,
            1 => Self::Running,
            2 => Self::Finished,
            _ => Self::Withdrawn,
        }
    }
}

/// [`CallHandle::outcome`]'s value before a verdict is decided.
const UNDECIDED: u8 = 0;

/// Why a call was cancelled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum CancelReason {
    /// The client sent `notifications/cancelled` (or the panel's Cancel).
    Client = 1,
    /// The client went away.
    Disconnected = 2,
    /// The tool ran past its timeout.
    TimedOut = 3,
    /// The call waited in the queue past its deadline.
    Expired = 4,
    /// The server is shutting down.
    ShuttingDown = 5,
    /// Someone pressed Cancel in the dcclink panel.
    Panel = 6,
}

impl CancelReason {
    fn from_u8(value: u8) -> Option<Self> {
        match value {
            1 => Some(Self::Client),
            2 => Some(Self::Disconnected),
            3 => Some(Self::TimedOut),
            4 => Some(Self::Expired),
            5 => Some(Self::ShuttingDown),
            6 => Some(Self::Panel),
            _ => None,
        }
    }
}

/// Who asked for a call and what it is, for logs, events and the panel.
#[derive(Debug, Clone)]
pub struct CallInfo {
    /// The bridge-wide call number, in order of arrival.
    pub id: u64,
    /// The tool's name.
    pub tool: String,
    /// The client's name and transport, e.g. `"claude-code (http)"`.
    pub client: String,
    /// The arguments as JSON text, shortened for display.
    pub arguments: String,
    /// The MCP task the call runs as, if its client asked for one: the task
    /// outlives the client's request, and its id is how the client (and
    /// the tool, as `ctx.task_id`) names it.
    pub task: Option<String>,
}

/// The state one call shares between the server and the pump.
#[derive(Debug)]
pub struct CallHandle {
    info: CallInfo,
    state: AtomicU8,
    cancel: AtomicU8,
    queued_at: Instant,
    expires_at: Instant,
    timeout: Duration,
    started_at: OnceLock<Instant>,
    /// The verdict's discriminant, or [`UNDECIDED`]: an atomic, so that
    /// deciding is one compare-and-swap that the model checks can see.
    outcome: AtomicU8,
    outbox: Outbox,
    client: OnceLock<Arc<dyn ClientRequests>>,
}

impl CallHandle {
    /// A queued call that must start before `queue_timeout` has passed and may
    /// then run for `timeout`. `outbox` carries its progress and logs.
    pub fn new(info: CallInfo, queue_timeout: Duration, timeout: Duration, outbox: Outbox) -> Self {
        let queued_at = Instant::now();
        Self {
            info,
            state: AtomicU8::new(CallState::Queued as u8),
            cancel: AtomicU8::new(0),
            queued_at,
            expires_at: queued_at + queue_timeout,
            timeout,
            started_at: OnceLock::new(),
            outcome: AtomicU8::new(UNDECIDED),
            outbox,
            client: OnceLock::new(),
        }
    }

    /// Gives the call its way to ask its client (set once, by the server).
    pub fn set_client(&self, client: Arc<dyn ClientRequests>) {
        let _ = self.client.set(client);
    }

    /// The call's way to ask its client, if the server gave it one.
    pub fn client(&self) -> Option<&Arc<dyn ClientRequests>> {
        self.client.get()
    }

    /// What the call is.
    pub fn info(&self) -> &CallInfo {
        &self.info
    }

    /// Where the call is in its life.
    pub fn state(&self) -> CallState {
        CallState::from_u8(self.state.load(Ordering::Acquire))
    }

    /// When the call entered the queue.
    pub fn queued_at(&self) -> Instant {
        self.queued_at
    }

    /// The latest moment at which the call may still start.
    pub fn expires_at(&self) -> Instant {
        self.expires_at
    }

    /// How long the call may run once started.
    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    /// When the call started running, if it has.
    pub fn started_at(&self) -> Option<Instant> {
        self.started_at.get().copied()
    }

    /// The call's progress and log records.
    pub fn outbox(&self) -> &Outbox {
        &self.outbox
    }

    /// True once the call has been cancelled for any reason. This is what a
    /// tool sees as `ctx.cancelled`.
    pub fn is_cancelled(&self) -> bool {
        self.cancel.load(Ordering::Acquire) != 0
    }

    /// Why the call was cancelled, if it was.
    pub fn cancel_reason(&self) -> Option<CancelReason> {
        CancelReason::from_u8(self.cancel.load(Ordering::Acquire))
    }

    /// What a cancelled call's verdict is, from why it was cancelled: `None`
    /// while it has not been.
    pub fn cancelled_outcome(&self) -> Option<Outcome> {
        Some(match self.cancel_reason()? {
            CancelReason::TimedOut | CancelReason::Expired => Outcome::TimedOut,
            CancelReason::ShuttingDown if !self.has_run() => Outcome::Refused,
            CancelReason::Client
            | CancelReason::Disconnected
            | CancelReason::ShuttingDown
            | CancelReason::Panel => Outcome::Cancelled,
        })
    }

    /// The verdict of a call whose tool returned, proposing `returned`:
    /// its own, unless it was cancelled meanwhile. A call its client or the
    /// panel cancelled is cancelled even when its tool returned (they said
    /// stop), and one past its timeout timed out. A call that shutdown
    /// asked to stop keeps its own verdict when it finished its work in the
    /// grace period shutdown gave it; one that raised was cancelled.
    pub fn verdict_after_return(&self, returned: Outcome) -> Outcome {
        let finished_in_grace =
            self.cancel_reason() == Some(CancelReason::ShuttingDown) && returned == Outcome::Done;
        match self.cancelled_outcome() {
            Some(_) if finished_in_grace => returned,
            cancelled => cancelled.unwrap_or(returned),
        }
    }

    /// Settles the call's verdict: the first `proposed` sticks, and every
    /// later caller gets that one back. The server proposes one when it
    /// answers the client, the pump when the tool returns, the bridge when
    /// it withdraws or refuses the call; whichever comes first decides, so
    /// the client, the panel, the audit log and the counters never disagree.
    pub fn decide(&self, proposed: Outcome) -> Outcome {
        match self.outcome.compare_exchange(
            UNDECIDED,
            proposed as u8,
            Ordering::AcqRel,
            Ordering::Acquire,
        ) {
            Ok(_) => proposed,
            Err(decided) => Outcome::from_u8(decided).unwrap_or(proposed),
        }
    }

    /// The call's verdict, once decided.
    pub fn outcome(&self) -> Option<Outcome> {
        Outcome::from_u8(self.outcome.load(Ordering::Acquire))
    }

    /// True once the call has started running (it may have finished). Read
    /// from the state, which the start's compare-and-swap sets, rather than
    /// from `started_at`, which is written just after it: a shutdown that
    /// lands between the two must not call a running call "refused".
    pub fn has_run(&self) -> bool {
        matches!(self.state(), CallState::Running | CallState::Finished)
    }

    /// Cancels the call. The first reason sticks. A queued call is withdrawn
    /// and will never run; a running call sees `is_cancelled()` at once, and
    /// the server side of the call is woken through its outbox. Returns true
    /// when this cancel withdrew a queued call.
    pub fn cancel(&self, reason: CancelReason) -> bool {
        let _ = self
            .cancel
            .compare_exchange(0, reason as u8, Ordering::AcqRel, Ordering::Acquire);
        let withdrawn = self.transition(CallState::Queued, CallState::Withdrawn);
        self.outbox.wake();
        withdrawn
    }

    /// Queued → Running, unless the call was withdrawn. Called by the pump.
    pub(crate) fn try_start(&self) -> bool {
        if self.transition(CallState::Queued, CallState::Running) {
            let _ = self.started_at.set(Instant::now());
            true
        } else {
            false
        }
    }

    /// Running → Finished. Called by the pump.
    pub(crate) fn finish(&self) {
        self.transition(CallState::Running, CallState::Finished);
    }

    fn transition(&self, from: CallState, to: CallState) -> bool {
        self.state
            .compare_exchange(from as u8, to as u8, Ordering::AcqRel, Ordering::Acquire)
            .is_ok()
    }
}

#[cfg(test)]
pub(crate) fn test_handle(id: u64, queue_timeout: Duration) -> CallHandle {
    CallHandle::new(
        CallInfo {
            id,
            tool: "t".into(),
            client: "test".into(),
            arguments: "{}".into(),
            task: None,
        },
        queue_timeout,
        Duration::from_secs(60),
        Outbox::new(|| {}),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cancelling_a_queued_call_withdraws_it() {
        let call = test_handle(1, Duration::from_secs(1));
        assert!(call.cancel(CancelReason::Client));
        assert_eq!(call.state(), CallState::Withdrawn);
        assert!(!call.try_start(), "a withdrawn call must never start");
        assert!(call.is_cancelled());
    }

    #[test]
    fn cancelling_a_running_call_sets_the_flag_only() {
        let call = test_handle(1, Duration::from_secs(1));
        assert!(call.try_start());
        assert!(!call.is_cancelled());
        assert!(!call.cancel(CancelReason::TimedOut));
        assert!(call.is_cancelled());
        assert_eq!(call.state(), CallState::Running);
        call.finish();
        assert_eq!(call.state(), CallState::Finished);
    }

    #[test]
    fn the_first_cancel_reason_sticks() {
        let call = test_handle(1, Duration::from_secs(1));
        assert!(call.try_start());
        call.cancel(CancelReason::TimedOut);
        call.cancel(CancelReason::Client);
        assert_eq!(call.cancel_reason(), Some(CancelReason::TimedOut));
    }
}

/// The model checks: every interleaving of the server, the pump and the
/// cancellers around one call (`RUSTFLAGS="--cfg loom"`, see `cargo xtask
/// test`).
#[cfg(all(test, loom))]
mod loom {
    use super::*;
    use crate::sync::spawn_with;
    use ::loom::sync::Arc;

    #[test]
    fn a_cancel_racing_the_start_either_withdraws_the_call_or_lets_it_run() {
        ::loom::model(|| {
            let call = Arc::new(test_handle(1, Duration::from_secs(60)));
            let canceller = spawn_with(&call, |call| call.cancel(CancelReason::Client));
            let started = call.try_start();
            let withdrew = canceller.join().unwrap();
            assert!(
                started != withdrew,
                "exactly one of start and withdraw wins"
            );
            assert!(call.is_cancelled());
            let expected = if started {
                CallState::Running
            } else {
                CallState::Withdrawn
            };
            assert_eq!(call.state(), expected);
        });
    }

    #[test]
    fn a_call_shutdown_cancels_is_refused_only_when_it_never_ran() {
        ::loom::model(|| {
            let call = Arc::new(test_handle(1, Duration::from_secs(60)));
            let shutdown = spawn_with(&call, |call| {
                call.cancel(CancelReason::ShuttingDown);
                call.cancelled_outcome()
            });
            let started = call.try_start();
            let seen_by_shutdown = shutdown.join().unwrap();
            let refused = Some(Outcome::Refused);
            assert_eq!(
                seen_by_shutdown == refused,
                !started,
                "a call that ran is never 'refused'"
            );
            assert_eq!(call.cancelled_outcome() == refused, !started);
        });
    }

    #[test]
    fn the_first_of_racing_cancel_reasons_sticks_for_everyone() {
        ::loom::model(|| {
            let call = Arc::new(test_handle(1, Duration::from_secs(60)));
            assert!(call.try_start());
            let racers: Vec<_> = [CancelReason::Client, CancelReason::TimedOut]
                .into_iter()
                .map(|reason| {
                    spawn_with(&call, move |call| {
                        call.cancel(reason);
                        call.cancel_reason()
                    })
                })
                .collect();
            let seen: Vec<_> = racers.into_iter().map(|r| r.join().unwrap()).collect();
            let reason = call.cancel_reason();
            assert!(reason.is_some());
            assert!(
                seen.iter().all(|s| *s == reason),
                "{seen:?} against {reason:?}"
            );
        });
    }

    #[test]
    fn racing_verdicts_settle_on_one() {
        ::loom::model(|| {
            let call = Arc::new(test_handle(1, Duration::from_secs(60)));
            let server = spawn_with(&call, |call| call.decide(Outcome::Cancelled));
            let pump = call.decide(Outcome::Done);
            let server = server.join().unwrap();
            assert_eq!(pump, server);
            assert_eq!(call.outcome(), Some(pump));
        });
    }
}
