//! The wake handle: readable while the FIFO has work, for hosts whose
//! event loop watches handles rather than polling (Qt's `QSocketNotifier`,
//! GLib's `g_unix_fd_add`).
//!
//! One implementation per system, each a [`WakeFd`] with `new`, `raw_fd`,
//! `signal` and `clear`, and the [`WakeHandle`] type its loop watches.
//! `unix.rs` is Linux's and the other Unixes'; a Windows port adds a socket
//! pair here (Qt's `QSocketNotifier` watches sockets there), as
//! docs/PLATFORMS.md says.

#[cfg(unix)]
mod unix;

#[cfg(unix)]
pub use unix::{WakeFd, WakeHandle};
