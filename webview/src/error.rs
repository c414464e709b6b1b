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
    /// The page did not answer in time.
    #[error("the panel did not answer within {0:?}")]
    Timeout(Duration),
}
