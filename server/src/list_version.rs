//! A list that sessions watch: the tools or the resources. Each change bumps
//! a version; every session's watcher sends its client one
//! `notifications/…/list_changed` per change it sees (changes that come
//! while one is being sent fold into the next).

use tokio::sync::watch;

/// The version of a list, watched by the sessions.
pub struct ListVersion {
    version: watch::Sender<u64>,
}

impl Default for ListVersion {
    fn default() -> Self {
        Self {
            version: watch::channel(0).0,
        }
    }
}

impl ListVersion {
    /// Records a change.
    pub fn bump(&self) {
        self.version.send_modify(|version| *version += 1);
    }

    /// A receiver that sees the changes from now on.
    pub fn watch(&self) -> watch::Receiver<u64> {
        self.version.subscribe()
    }
}
