//! Which of the two in-process panels a process uses. GTK lives on one
//! thread per process, so the first panel opened decides for the process's
//! lifetime: a UI thread of its own, or the host's main thread.

use std::sync::OnceLock;

use crate::error::PanelError;

/// Where the in-process panel window lives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PanelMode {
    /// On a UI thread of its own, with its own event loop: the panel stays
    /// live while a tool blocks the host's main thread.
    OwnThread,
    /// On the host's main thread, driven by the host's pump (RFC 0006).
    HostPumped,
}

impl PanelMode {
    /// The name the Python API uses for it.
    pub fn name(self) -> &'static str {
        match self {
            Self::OwnThread => "thread",
            Self::HostPumped => "host",
        }
    }
}

static CLAIMED: OnceLock<PanelMode> = OnceLock::new();

/// Claims GTK for `mode`; an error when the process already uses the other.
pub(crate) fn claim(mode: PanelMode) -> Result<(), PanelError> {
    let chosen = *CLAIMED.get_or_init(|| mode);
    if chosen == mode {
        Ok(())
    } else {
        Err(PanelError::ModeConflict {
            using: chosen.name(),
            asked: mode.name(),
        })
    }
}

/// The mode this process chose, once a panel has been opened.
pub fn claimed() -> Option<PanelMode> {
    CLAIMED.get().copied()
}

/// An error when no display is available to open a window on.
pub(crate) fn require_display() -> Result<(), PanelError> {
    if std::env::var_os("DISPLAY").is_none() && std::env::var_os("WAYLAND_DISPLAY").is_none() {
        return Err(PanelError::NoDisplay(
            "no display (DISPLAY and WAYLAND_DISPLAY are unset)".into(),
        ));
    }
    Ok(())
}
