//! The limits that keep one runaway client from starving the others: how
//! many HTTP sessions are open at once, how many requests one session has
//! in flight, and how many calls one client has waiting for (or running on)
//! the host's main thread. Each is refused past its bound with an error
//! that names the bound and what to do; what was accepted keeps its place
//! in the FIFO.
//!
//! The bounds sit under the queue's own capacity (1024 by default): with
//! every session open and every one of them at its call quota, the queue
//! holds `max_sessions × max_calls_per_client` calls, so each client keeps
//! its share.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use dcclink_bridge::lock_order::{LockLevel, OrderedMutex};

/// The bounds on clients, whichever transport they use.
#[derive(Debug, Clone, Copy)]
pub struct ClientLimits {
    /// The most HTTP sessions open at once. At the bound, the session whose
    /// client has been gone longest (no stream open) is ended to make room;
    /// a client is refused at `initialize` only when every session has its
    /// client connected (stdio serves one client by nature).
    pub max_sessions: usize,
    /// The most requests one session has in flight (sent, not yet
    /// answered or cancelled), tasks' `tasks/result` waits among them.
    pub max_in_flight: usize,
    /// The most calls one client has queued or running at once, its tasks
    /// among them. A client is its session; one without a session (MCP
    /// 2026-07-28 over HTTP) is the name its requests give.
    pub max_calls_per_client: usize,
    /// How long an HTTP session may have no open stream (no request being
    /// answered, no `GET` listener) before it is ended as abandoned: its
    /// client crashed, or left without `DELETE`. Its calls are then
    /// cancelled as disconnected.
    pub abandoned_after: Duration,
}

impl Default for ClientLimits {
    fn default() -> Self {
        Self {
            max_sessions: 16,
            max_in_flight: 64,
            max_calls_per_client: 64,
            abandoned_after: Duration::from_secs(60),
        }
    }
}

/// One client's count of calls queued or running, against its bound.
#[derive(Debug, Clone)]
pub(crate) struct CallQuota {
    taken: Arc<AtomicUsize>,
    max: usize,
}

impl CallQuota {
    /// A quota of `max` calls at once.
    pub(crate) fn new(max: usize) -> Self {
        Self {
            taken: Arc::default(),
            max,
        }
    }

    /// A place for one more call, held until the slot drops; `Err` with
    /// what to tell the client when all `max` are taken.
    pub(crate) fn take(&self) -> Result<QuotaSlot, String> {
        let taken = self.taken.fetch_add(1, Ordering::AcqRel);
        if taken >= self.max {
            self.taken.fetch_sub(1, Ordering::AcqRel);
            return Err(format!(
                "this client already has {} calls queued or running, the most one client may \
                 have (--max-calls-per-client); wait for some to finish, or cancel them",
                self.max
            ));
        }
        Ok(QuotaSlot(self.taken.clone()))
    }
}

/// The call quotas of HTTP clients that have no session (MCP 2026-07-28),
/// by the name each request gives its client in `_meta`: two agents of
/// the same name share one quota, and a runaway one cannot take the
/// queue from the others.
#[derive(Debug)]
pub(crate) struct QuotasByName {
    max: usize,
    quotas: OrderedMutex<HashMap<String, CallQuota>>,
}

/// How many names are kept before the unused ones are swept: a name is
/// kept only while a call of its client is queued or running, so a client
/// that sends a new name each time grows nothing.
const NAMES_BEFORE_A_SWEEP: usize = 64;

impl QuotasByName {
    /// Quotas of `max` calls each.
    pub(crate) fn new(max: usize) -> Self {
        Self {
            max,
            quotas: OrderedMutex::new(LockLevel::Quotas, HashMap::new()),
        }
    }

    /// The quota of the client called `name`.
    pub(crate) fn of(&self, name: &str) -> CallQuota {
        let mut quotas = self.quotas.lock();
        if quotas.len() >= NAMES_BEFORE_A_SWEEP {
            // Held by nobody else: no call and no caller has it.
            quotas.retain(|_, quota| Arc::strong_count(&quota.taken) > 1);
        }
        (quotas.entry(name.to_owned()))
            .or_insert_with(|| CallQuota::new(self.max))
            .clone()
    }
}

/// One call's place in its client's [`CallQuota`], given back on drop.
#[derive(Debug)]
pub(crate) struct QuotaSlot(Arc<AtomicUsize>);

impl Drop for QuotaSlot {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_quota_refuses_past_its_bound_and_frees_a_place_when_a_call_ends() {
        let quota = CallQuota::new(2);
        let first = quota.take().expect("one");
        let _second = quota.take().expect("two");
        let refused = quota.take().expect_err("a third is one too many");
        assert!(refused.contains("already has 2 calls"), "{refused}");
        assert!(refused.contains("--max-calls-per-client"), "{refused}");
        drop(first);
        assert!(quota.take().is_ok(), "an ended call frees its place");
    }

    #[test]
    fn clients_of_one_name_share_a_quota_and_unused_names_are_swept() {
        let quotas = QuotasByName::new(1);
        let held = quotas.of("agent").take().expect("the first call");
        assert!(quotas.of("agent").take().is_err(), "the same name's second");
        assert!(
            quotas.of("other").take().is_ok(),
            "another name has its own"
        );
        for n in 0..1000 {
            drop(quotas.of(&format!("name {n}")));
        }
        assert!(quotas.quotas.lock().len() <= NAMES_BEFORE_A_SWEEP);
        assert!(quotas.of("agent").take().is_err(), "a name in use is kept");
        drop(held);
        assert!(quotas.of("agent").take().is_ok());
    }
}
