//! Requests a running tool sends to the client that called it: a question
//! for the user (elicitation), or a completion from the client's model
//! (sampling). The bridge knows no protocol: the server gives each call an
//! implementation of [`ClientRequests`] that speaks to its session.

use std::fmt;
use std::time::Duration;

use serde_json::Value;

/// Sends requests to a call's client. Called on the host's main thread, by
/// the tool, which waits for the answer.
pub trait ClientRequests: Send + Sync + fmt::Debug {
    /// Sends `method` (such as `elicitation/create`) with `params` and
    /// returns the client's result. Waits at most `timeout`, and stops
    /// waiting once `cancelled()` is true.
    fn request(
        &self,
        method: &str,
        params: Value,
        timeout: Duration,
        cancelled: &dyn Fn() -> bool,
    ) -> Result<Value, ClientRequestError>;
}

/// Why the client gave no answer.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ClientRequestError {
    /// The client does not take this kind of request.
    #[error("{0}")]
    Unsupported(String),
    /// No answer within the bound.
    #[error("the client did not answer within {0:?}")]
    TimedOut(Duration),
    /// The call was cancelled while it waited.
    #[error("the call was cancelled while it waited for the client")]
    Cancelled,
    /// The client answered with an error, or the connection failed.
    #[error("the client could not answer: {0}")]
    Failed(String),
}
