//! What can go wrong with the panel window.

use std::time::Duration;

/// A panel window error, worded for the person who sees it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PanelError {
    /// No window can be opened here.
    #[error(
        "cannot open the panel window: {0}. Open the panel in a browser instead (the \"panel\" link dcclink prints)"
    )]
    NoDisplay(String),
    /// The window or its WebView could not be built.
    #[error("cannot create the panel window: {0}")]
    Build(String),
    /// The panel window is not open.
    #[error("the panel window is not open; call dcclink.open_panel() first")]
    Closed,
    /// The UI thread is gone.
    #[error("the panel's UI thread has stopped")]
    UiThreadGone,
    /// The process already runs the other kind of in-process panel.
    #[error(
        "this process already shows the panel {using:?} (GTK lives on one thread per process); open it with mode={using:?}, or restart to use mode={asked:?}"
    )]
    ModeConflict {
        /// The mode in use.
        using: &'static str,
        /// The mode asked for.
        asked: &'static str,
    },
    /// A host-pumped panel was opened from a thread other than its own.
    #[error(
        "the host-pumped panel lives on the thread that opened it first; open it from that thread (the one that calls dcclink.pump())"
    )]
    WrongThread,
    /// A host-pumped window was asked for without a running host.
    #[error("a host-pumped panel belongs to a running host: use dcclink.open_panel(mode=\"host\")")]
    NoHost,
    /// An operation could not be queued for the main thread.
    #[error("cannot reach the main thread: {0}")]
    Unreachable(String),
    /// The page dropped a script without answering (it was navigating).
    #[error(
        "the panel's page did not answer: it was loading or closing; try again once it has loaded"
    )]
    NoAnswer,
    /// The page did not answer in time.
    #[error("the panel did not answer within {0:?}")]
    Timeout(Duration),
}
