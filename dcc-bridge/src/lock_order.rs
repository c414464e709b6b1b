//! Mutexes that know their place in the lock order.
//!
//! Every lock in dcclink is an [`OrderedMutex`] with a [`LockLevel`]. In debug
//! builds each thread keeps the stack of levels it holds, and taking a lock
//! whose level is not strictly above the last one held panics with both
//! names. The pump also asserts that a thread holds no lock at all before it
//! hands control to Python ([`assert_none_held`]). Release builds keep only
//! the plain mutex. `docs/LOCKING.md` lists the levels and why they are in
//! this order.

// The one place a plain mutex is allowed: the ordered one wraps it.
#![allow(clippy::disallowed_types)]

use std::ops::{Deref, DerefMut};

use crate::sync::{Mutex, MutexGuard};

/// The place of a lock in the global order: a thread may only take a lock
/// whose level is greater than every level it already holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum LockLevel {
    /// The host-pumped panel's WebView guard (a borrow of its thread-local
    /// window, marked with [`mark_held`]). Outermost: a WebView operation
    /// may call into GTK, so no other lock may be held when it is taken.
    WebView = 0,
    /// The Python host's slot for its running server.
    Host = 1,
    /// The server's tool registry.
    Registry = 2,
    /// The pump's slot for a tool call that a nested pump set aside.
    Stash = 3,
    /// The bridge's record of the call now running.
    Running = 4,
    /// The bridge's map of queued and running calls, by number.
    Live = 5,
    /// The panel board's recent events.
    Board = 6,
    /// One call's pending progress and log records.
    Outbox = 7,
    /// Which bridge's panel receives the server's own log.
    LogSink = 8,
    /// The event bus's backlog and subscriber list.
    EventBus = 9,
    /// The host-pumped panel's route to its thread (the bridge to post to).
    PanelRoute = 10,
    /// The questions waiting for an answer from the panel.
    PanelQuestions = 11,
    /// `dcclink connect`'s link to its instance, and its map of progress
    /// tokens (never held together).
    Relay = 12,
    /// The channel to the audit log's writer (taken to clone it).
    Audit = 13,
    /// A session's subscribed resource URIs.
    Subscriptions = 14,
    /// The calls waiting between rounds for their client's answer.
    RoundTrips = 15,
    /// The instance's MCP tasks, by id.
    Tasks = 16,
    /// One task's open question and the session it last heard from.
    Task = 17,
    /// The HTTP sessions' open streams, watched for abandoned clients.
    Sessions = 18,
    /// The call quotas of clients without a session, by name.
    Quotas = 19,
}

#[cfg(debug_assertions)]
mod held {
    use super::LockLevel;
    use std::cell::RefCell;

    thread_local! {
        static HELD: RefCell<Vec<LockLevel>> = const { RefCell::new(Vec::new()) };
    }

    pub(super) fn acquire(level: LockLevel) {
        HELD.with(|held| {
            let mut held = held.borrow_mut();
            if let Some(&last) = held.last() {
                assert!(
                    level > last,
                    "lock order violation: taking {level:?} while holding {last:?} (see docs/LOCKING.md)"
                );
            }
            held.push(level);
        });
    }

    pub(super) fn release(level: LockLevel) {
        HELD.with(|held| {
            let mut held = held.borrow_mut();
            if let Some(pos) = held.iter().rposition(|&l| l == level) {
                held.remove(pos);
            }
        });
    }

    pub(super) fn snapshot() -> Vec<LockLevel> {
        HELD.with(|held| held.borrow().clone())
    }
}

/// Panics in debug builds when the calling thread holds any dcclink lock.
///
/// Called before running Python, a callback or any other foreign code: no lock
/// may be held across code that can re-enter dcclink.
#[track_caller]
pub fn assert_none_held(what: &str) {
    #[cfg(debug_assertions)]
    {
        let held = held::snapshot();
        assert!(
            held.is_empty(),
            "lock discipline violation: {what} while holding {held:?} (see docs/LOCKING.md)"
        );
    }
    #[cfg(not(debug_assertions))]
    let _ = what;
}

/// Marks a lock that is not an [`OrderedMutex`] as held by this thread until
/// the returned mark drops, so the order and the no-lock-around-Python checks
/// see it. The host-pumped panel's WebView guard, a thread-local borrow, is
/// one.
///
/// ```
/// use dcclink_bridge::lock_order::{LockLevel, mark_held};
/// let guard = mark_held(LockLevel::WebView);
/// // ... WebView work; no Python runs here ...
/// drop(guard);
/// ```
pub fn mark_held(level: LockLevel) -> HeldMark {
    #[cfg(debug_assertions)]
    held::acquire(level);
    HeldMark { level }
}

/// A lock marked held by [`mark_held`]; dropping it releases the mark.
#[must_use = "the mark is released when dropped"]
#[derive(Debug)]
pub struct HeldMark {
    level: LockLevel,
}

impl Drop for HeldMark {
    fn drop(&mut self) {
        #[cfg(debug_assertions)]
        held::release(self.level);
        #[cfg(not(debug_assertions))]
        let _ = self.level;
    }
}

/// A mutex with a [`LockLevel`], checked in debug builds.
///
/// A poisoned lock is recovered rather than propagated: every critical section
/// in dcclink leaves its data consistent before it can panic.
#[derive(Debug)]
pub struct OrderedMutex<T> {
    level: LockLevel,
    inner: Mutex<T>,
}

impl<T> OrderedMutex<T> {
    /// Creates a mutex at `level`.
    #[cfg(not(loom))]
    pub const fn new(level: LockLevel, value: T) -> Self {
        Self {
            level,
            inner: Mutex::new(value),
        }
    }

    /// Creates a mutex at `level` (loom's mutex cannot be made in a const).
    #[cfg(loom)]
    pub fn new(level: LockLevel, value: T) -> Self {
        Self {
            level,
            inner: Mutex::new(value),
        }
    }

    /// Locks the mutex, checking the lock order in debug builds.
    pub fn lock(&self) -> OrderedGuard<'_, T> {
        #[cfg(debug_assertions)]
        held::acquire(self.level);
        let guard = self
            .inner
            .lock()
            .unwrap_or_else(|poison| poison.into_inner());
        OrderedGuard {
            level: self.level,
            guard,
        }
    }
}

/// The guard of an [`OrderedMutex`]; releasing it pops its level.
pub struct OrderedGuard<'a, T> {
    level: LockLevel,
    guard: MutexGuard<'a, T>,
}

impl<T> Deref for OrderedGuard<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.guard
    }
}

impl<T> DerefMut for OrderedGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        &mut self.guard
    }
}

impl<T> Drop for OrderedGuard<'_, T> {
    fn drop(&mut self) {
        #[cfg(debug_assertions)]
        held::release(self.level);
        #[cfg(not(debug_assertions))]
        let _ = self.level;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn increasing_levels_nest() {
        let a = OrderedMutex::new(LockLevel::Registry, 1);
        let b = OrderedMutex::new(LockLevel::Outbox, 2);
        let ga = a.lock();
        let gb = b.lock();
        assert_eq!(*ga + *gb, 3);
    }

    #[test]
    #[cfg(debug_assertions)]
    #[should_panic(expected = "lock order violation")]
    fn inverted_order_panics_in_debug() {
        let a = OrderedMutex::new(LockLevel::Registry, ());
        let b = OrderedMutex::new(LockLevel::Outbox, ());
        let _gb = b.lock();
        let _ga = a.lock();
    }

    #[test]
    #[cfg(debug_assertions)]
    #[should_panic(expected = "lock discipline violation")]
    fn foreign_code_under_a_lock_panics_in_debug() {
        let a = OrderedMutex::new(LockLevel::EventBus, ());
        let _g = a.lock();
        assert_none_held("running a tool");
    }

    #[test]
    #[cfg(debug_assertions)]
    #[should_panic(expected = "lock discipline violation")]
    fn python_under_the_webview_guard_panics_in_debug() {
        let _guard = mark_held(LockLevel::WebView);
        assert_none_held("running a tool");
    }

    #[test]
    fn a_released_mark_leaves_nothing_held() {
        drop(mark_held(LockLevel::WebView));
        assert_none_held("after the WebView guard");
    }

    #[test]
    fn released_locks_can_be_retaken_in_any_order() {
        let a = OrderedMutex::new(LockLevel::Registry, ());
        let b = OrderedMutex::new(LockLevel::Outbox, ());
        drop(b.lock());
        drop(a.lock());
        assert_none_held("after release");
    }
}
