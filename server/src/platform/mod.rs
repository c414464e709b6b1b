//! What the server needs from the operating system, behind one seam: how
//! it is stopped (signals), how many descriptors it may hold, whether a
//! process lives, and how stdout is kept for the protocol.
//!
//! `unix.rs` serves Linux (and, untested, the other Unixes). A port to
//! another system adds a module beside it with the same functions;
//! docs/PLATFORMS.md says what each needs on Windows and macOS.

#[cfg(unix)]
mod unix;

#[cfg(unix)]
pub use unix::protect_stdout;
#[cfg(unix)]
pub(crate) use unix::{descriptor_limit, is_alive, take_process_stdio, wait_for_signal};
