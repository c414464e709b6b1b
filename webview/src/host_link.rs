//! How a host-pumped panel reaches the host: the one thing the window needs
//! from the host's side, so the panel does not depend on how the host
//! queues work.

/// Work for the host's main thread. Called with `true` to run it, or with
/// `false` when the host drops it unrun (it is shutting down).
pub type MainThreadWork = Box<dyn FnOnce(bool) + Send>;

/// The host side of a host-pumped panel.
pub trait HostLink: Send + Sync {
    /// Queues `work` for the host's main thread, behind the messages already
    /// queued (the FIFO of tool calls). An error says why it could not be
    /// queued; `work` is then dropped unrun.
    fn post(&self, work: MainThreadWork) -> Result<(), String>;

    /// Marks the WebView guard taken (`true`) or released (`false`) on this
    /// thread, so the host's own check that no lock is held while Python
    /// runs covers the guard too.
    fn mark_guard(&self, held: bool);
}
