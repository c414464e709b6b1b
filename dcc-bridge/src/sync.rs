//! The atomics and the mutex under the bridge's lock-free parts: std's, or
//! loom's when the crate is built with `--cfg loom`.
//!
//! [`CallHandle`](crate::CallHandle), [`Lifecycle`](crate::Lifecycle) and
//! [`Outbox`](crate::Outbox) take theirs from here, so their model checks
//! (the `loom` test modules beside each, run by `cargo xtask test`) explore
//! every interleaving of the very code the product runs.

// Names the plain mutex for `OrderedMutex`, the one type that wraps it.
#![allow(clippy::disallowed_types)]

#[cfg(loom)]
pub(crate) use loom::sync::atomic::{AtomicU8, Ordering};
#[cfg(loom)]
pub(crate) use loom::sync::{Mutex, MutexGuard};

#[cfg(not(loom))]
pub(crate) use std::sync::atomic::{AtomicU8, Ordering};
#[cfg(not(loom))]
pub(crate) use std::sync::{Mutex, MutexGuard};

/// Runs `work` on a new loom thread with a share of `shared`: how every model
/// puts a second party beside the test's own thread.
#[cfg(all(test, loom))]
pub(crate) fn spawn_with<S, T>(
    shared: &loom::sync::Arc<S>,
    work: impl FnOnce(&S) -> T + Send + 'static,
) -> loom::thread::JoinHandle<T>
where
    S: Send + Sync + 'static,
    T: Send + 'static,
{
    let shared = shared.clone();
    loom::thread::spawn(move || work(&shared))
}
