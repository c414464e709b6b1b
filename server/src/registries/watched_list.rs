//! A list that sessions watch: the tools, the resources or the prompts, by
//! name. Each change bumps a version; every session's watcher sends its
//! client one `notifications/…/list_changed` per change it sees (changes
//! that come while one is being sent fold into the next).

use std::collections::BTreeMap;
use std::sync::Arc;

use dcclink_bridge::lock_order::{LockLevel, OrderedMutex};
use tokio::sync::watch;

/// Entries by name, sorted, and the version sessions watch.
pub(crate) struct WatchedList<T> {
    entries: OrderedMutex<BTreeMap<String, Arc<T>>>,
    version: watch::Sender<u64>,
}

impl<T> Default for WatchedList<T> {
    fn default() -> Self {
        Self {
            entries: OrderedMutex::new(LockLevel::Registry, BTreeMap::new()),
            version: watch::channel(0).0,
        }
    }
}

impl<T> WatchedList<T> {
    /// Adds `entry` as `key`, replacing one of that key.
    pub(crate) fn insert(&self, key: String, entry: T) {
        self.entries.lock().insert(key, Arc::new(entry));
        self.bump();
    }

    /// Removes `key`; false if there was none.
    pub(crate) fn remove(&self, key: &str) -> bool {
        let removed = self.entries.lock().remove(key).is_some();
        if removed {
            self.bump();
        }
        removed
    }

    /// The entry of `key`.
    pub(crate) fn get(&self, key: &str) -> Option<Arc<T>> {
        self.entries.lock().get(key).cloned()
    }

    /// Reads the entries, sorted by key, under the list's lock.
    pub(crate) fn read<R>(&self, read: impl FnOnce(&BTreeMap<String, Arc<T>>) -> R) -> R {
        read(&self.entries.lock())
    }

    /// Every key, sorted.
    pub(crate) fn keys(&self) -> Vec<String> {
        self.read(|entries| entries.keys().cloned().collect())
    }

    /// A receiver that sees the changes from now on.
    pub(crate) fn changes(&self) -> watch::Receiver<u64> {
        self.version.subscribe()
    }

    fn bump(&self) {
        self.version.send_modify(|version| *version += 1);
    }
}
