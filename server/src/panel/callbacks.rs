//! Python callbacks the panel's page can call: `window.dcclink.call(name,
//! args)` posts to `/panel/api/call/{name}`, and the callback runs on the
//! host's main thread through the FIFO (a `MainThreadTask` message),
//! in order with tool calls.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use dcclink_bridge::lock_order::{LockLevel, OrderedMutex};
use dcclink_bridge::{Bridge, Message, TaskFate};
use serde_json::Value;
use tokio::sync::oneshot;

/// Runs one callback on the main thread; `Err` carries the error to show.
pub trait PanelCallback: Send + Sync + 'static {
    /// Calls it with the page's arguments.
    fn call(&self, arguments: Value) -> Result<Value, String>;
}

/// The callbacks, by name.
pub struct Callbacks {
    by_name: OrderedMutex<BTreeMap<String, Arc<dyn PanelCallback>>>,
}

impl Default for Callbacks {
    fn default() -> Self {
        Self {
            by_name: OrderedMutex::new(LockLevel::Registry, BTreeMap::new()),
        }
    }
}

/// Why a callback call failed, as the page sees it.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum CallbackError {
    /// No callback has that name.
    #[error("no panel callback is called {0:?}; register it with @dcclink.panel.callback")]
    Unknown(String),
    /// The callback raised.
    #[error("{0}")]
    Raised(String),
    /// The FIFO refused it (full, or shutting down).
    #[error("{0}")]
    Refused(String),
    /// The main thread did not run it in time.
    #[error(
        "the DCC's main thread did not run {0:?} within {1:?}; it may be busy with a long tool"
    )]
    TimedOut(String, Duration),
}

impl Callbacks {
    /// Adds (or replaces) a callback.
    pub fn register(&self, name: String, callback: Arc<dyn PanelCallback>) {
        self.by_name.lock().insert(name, callback);
    }

    /// Runs `name` on the main thread through the FIFO and waits, at most
    /// `bound`, for its result.
    pub async fn call(
        &self,
        bridge: &Bridge,
        name: &str,
        arguments: Value,
        bound: Duration,
    ) -> Result<Value, CallbackError> {
        let callback = self
            .by_name
            .lock()
            .get(name)
            .cloned()
            .ok_or_else(|| CallbackError::Unknown(name.to_owned()))?;
        let (tx, rx) = oneshot::channel();
        let task = Box::new(move |fate: TaskFate| {
            let result = match fate {
                TaskFate::Run => callback.call(arguments).map_err(CallbackError::Raised),
                TaskFate::Refused => Err(CallbackError::Refused(
                    "dcclink is shutting down".to_owned(),
                )),
            };
            let _ = tx.send(result);
        });
        bridge
            .submit(Message::MainThreadTask(task))
            .map_err(|e| CallbackError::Refused(e.to_string()))?;
        match tokio::time::timeout(bound, rx).await {
            Ok(Ok(result)) => result,
            Ok(Err(_)) => Err(CallbackError::Refused(
                "the host dropped the call".to_owned(),
            )),
            Err(_) => Err(CallbackError::TimedOut(name.to_owned(), bound)),
        }
    }
}
