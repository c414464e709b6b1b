//! What other threads ask of the UI thread.

use crossbeam_channel::Sender;

use crate::error::PanelError;

/// A request to the panel's UI thread, sent with its event loop proxy.
pub enum Command {
    /// Open the window on `url`, or bring it to the front when it is open.
    Open {
        /// The panel page, with its token for the first load.
        url: String,
        /// Told when the window is up (or why not).
        done: Sender<Result<(), PanelError>>,
    },
    /// Close the window (the server keeps running; it can be reopened).
    Close,
    /// Run a script in the page and forget it.
    EvalJs(String),
    /// Run a script in the page and send back its result as JSON.
    EvalJsWithResult {
        /// The script.
        script: String,
        /// Where the JSON result goes.
        done: Sender<Result<String, PanelError>>,
    },
}
