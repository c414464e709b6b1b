//! The bridge's lifecycle: a lock-free state machine on one atomic.
//!
//! ```text
//! Creating ──► Active ──► CloseRequested ──► Destroying ──► Destroyed
//!     └──────────────────────►┘
//! ```
//!
//! Every transition is a compare-and-swap from the one state it may leave, so
//! two threads racing to close see exactly one winner and nobody blocks.

use std::fmt;

use crate::sync::{AtomicU8, Ordering};

/// A state of the [`Lifecycle`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
#[repr(u8)]
pub enum LifecycleState {
    /// Being built; not accepting work yet.
    Creating = 0,
    /// Accepting and running work.
    Active = 1,
    /// Intake has stopped; queued work is being answered "shutting down".
    CloseRequested = 2,
    /// Waiting, with a bound, for the running call to finish.
    Destroying = 3,
    /// Gone: nothing runs any more.
    Destroyed = 4,
}

impl LifecycleState {
    fn from_u8(value: u8) -> Self {
        match value {
            0 => Self::Creating,
            1 => Self::Active,
            2 => Self::CloseRequested,
            3 => Self::Destroying,
            _ => Self::Destroyed,
        }
    }
}

impl fmt::Display for LifecycleState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self, f)
    }
}

/// A transition that was not allowed from the current state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("lifecycle cannot go from {actual} to {to}")]
pub struct TransitionError {
    /// The state the transition wanted to enter.
    pub to: LifecycleState,
    /// The state the machine was in.
    pub actual: LifecycleState,
}

/// The lock-free lifecycle state machine.
///
/// ```
/// use dcclink_bridge::{Lifecycle, LifecycleState};
///
/// let life = Lifecycle::new();
/// life.activate().unwrap();
/// assert!(life.request_close().is_ok());
/// assert!(life.request_close().is_err()); // only one closer wins
/// life.begin_destroy().unwrap();
/// life.finish_destroy().unwrap();
/// assert_eq!(life.state(), LifecycleState::Destroyed);
/// ```
#[derive(Debug)]
pub struct Lifecycle(AtomicU8);

impl Default for Lifecycle {
    fn default() -> Self {
        Self::new()
    }
}

impl Lifecycle {
    /// A lifecycle in [`LifecycleState::Creating`].
    pub fn new() -> Self {
        Self(AtomicU8::new(LifecycleState::Creating as u8))
    }

    /// The current state.
    pub fn state(&self) -> LifecycleState {
        LifecycleState::from_u8(self.0.load(Ordering::Acquire))
    }

    /// True while work is accepted.
    pub fn is_active(&self) -> bool {
        self.state() == LifecycleState::Active
    }

    fn transition(
        &self,
        from: &[LifecycleState],
        to: LifecycleState,
    ) -> Result<(), TransitionError> {
        let mut current = self.0.load(Ordering::Acquire);
        loop {
            let state = LifecycleState::from_u8(current);
            if !from.contains(&state) {
                return Err(TransitionError { to, actual: state });
            }
            match self
                .0
                .compare_exchange(current, to as u8, Ordering::AcqRel, Ordering::Acquire)
            {
                Ok(_) => return Ok(()),
                Err(seen) => current = seen,
            }
        }
    }

    /// Creating → Active.
    pub fn activate(&self) -> Result<(), TransitionError> {
        self.transition(&[LifecycleState::Creating], LifecycleState::Active)
    }

    /// Creating or Active → CloseRequested. Only the first caller succeeds.
    pub fn request_close(&self) -> Result<(), TransitionError> {
        self.transition(
            &[LifecycleState::Creating, LifecycleState::Active],
            LifecycleState::CloseRequested,
        )
    }

    /// CloseRequested → Destroying.
    pub fn begin_destroy(&self) -> Result<(), TransitionError> {
        self.transition(
            &[LifecycleState::CloseRequested],
            LifecycleState::Destroying,
        )
    }

    /// Destroying → Destroyed.
    pub fn finish_destroy(&self) -> Result<(), TransitionError> {
        self.transition(&[LifecycleState::Destroying], LifecycleState::Destroyed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::sync::atomic::AtomicUsize;

    #[test]
    fn skipping_a_state_is_refused() {
        let life = Lifecycle::new();
        let err = life.begin_destroy().unwrap_err();
        assert_eq!(err.actual, LifecycleState::Creating);
        assert_eq!(err.to, LifecycleState::Destroying);
        life.activate().unwrap();
        assert!(life.activate().is_err());
        assert!(life.finish_destroy().is_err());
    }

    #[test]
    fn racing_closers_have_exactly_one_winner() {
        for _ in 0..200 {
            let life = Arc::new(Lifecycle::new());
            life.activate().unwrap();
            let winners = Arc::new(AtomicUsize::new(0));
            let threads: Vec<_> = (0..4)
                .map(|_| {
                    let life = life.clone();
                    let winners = winners.clone();
                    std::thread::spawn(move || {
                        if life.request_close().is_ok() {
                            winners.fetch_add(1, Ordering::SeqCst);
                        }
                    })
                })
                .collect();
            for t in threads {
                t.join().unwrap();
            }
            assert_eq!(winners.load(Ordering::SeqCst), 1);
            assert_eq!(life.state(), LifecycleState::CloseRequested);
        }
    }
}

/// The model checks: every interleaving of racing transitions
/// (`RUSTFLAGS="--cfg loom"`, see `cargo xtask test`).
#[cfg(all(test, loom))]
mod loom {
    use super::*;
    use crate::sync::spawn_with;
    use ::loom::sync::Arc;

    #[test]
    fn racing_closers_have_exactly_one_winner() {
        ::loom::model(|| {
            let life = Arc::new(Lifecycle::new());
            life.activate().unwrap();
            let closers: Vec<_> = (0..2)
                .map(|_| spawn_with(&life, |life| life.request_close().is_ok()))
                .collect();
            let mine = life.request_close().is_ok();
            let winners = closers
                .into_iter()
                .map(|c| c.join().unwrap())
                .filter(|w| *w);
            assert_eq!(winners.count() + usize::from(mine), 1);
            assert_eq!(life.state(), LifecycleState::CloseRequested);
        });
    }

    #[test]
    fn a_close_racing_the_start_leaves_the_bridge_closed() {
        ::loom::model(|| {
            let life = Arc::new(Lifecycle::new());
            let closer = spawn_with(&life, Lifecycle::request_close);
            let activated = life.activate();
            assert!(
                closer.join().unwrap().is_ok(),
                "a close from Creating or Active succeeds"
            );
            if let Err(refused) = activated {
                assert_eq!(refused.actual, LifecycleState::CloseRequested);
            }
            assert_eq!(life.state(), LifecycleState::CloseRequested);
        });
    }

    #[test]
    fn destruction_runs_once_whoever_races_it() {
        ::loom::model(|| {
            let life = Arc::new(Lifecycle::new());
            life.activate().unwrap();
            life.request_close().unwrap();
            let racers: Vec<_> = (0..2)
                .map(|_| {
                    spawn_with(&life, |life| {
                        life.begin_destroy().is_ok() && life.finish_destroy().is_ok()
                    })
                })
                .collect();
            let finished = racers.into_iter().map(|r| r.join().unwrap());
            assert_eq!(finished.filter(|f| *f).count(), 1);
            assert_eq!(life.state(), LifecycleState::Destroyed);
        });
    }
}
