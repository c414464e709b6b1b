//! The bound on one session's requests in flight.
//!
//! rmcp handles each request of a session as a task of its own, with no
//! bound on how many run at once. [`InFlightLimit`] wraps a session's
//! transport and counts the requests it hands to the session until each
//! is answered or cancelled (rmcp sends no answer to a cancelled request).
//! A request past the bound is answered here, at once, with an error that
//! says what to do, and the session never sees it.

use std::collections::HashSet;

use rmcp::model::{ClientNotification, ErrorCode, ErrorData, JsonRpcMessage, RequestId};
use rmcp::service::{RoleServer, RxJsonRpcMessage, TxJsonRpcMessage};
use rmcp::transport::Transport;

/// The JSON-RPC error code of a request refused past the bound: in the
/// range JSON-RPC leaves to servers.
const TOO_MANY_IN_FLIGHT: ErrorCode = ErrorCode(-32000);

/// A session's transport that lets at most `max` requests be in flight.
pub(crate) struct InFlightLimit<T> {
    inner: T,
    max: usize,
    open: HashSet<RequestId>,
}

impl<T> InFlightLimit<T> {
    /// Wraps `inner`, allowing `max` requests in flight.
    pub(crate) fn new(inner: T, max: usize) -> Self {
        Self {
            inner,
            max,
            open: HashSet::new(),
        }
    }
}

/// The error for a request past the bound of `max`.
fn refusal(max: usize) -> ErrorData {
    ErrorData::new(
        TOO_MANY_IN_FLIGHT,
        format!(
            "too many requests in flight: this session already waits on {max} answers, the \
             most one session may (--max-in-flight); wait for some to be answered, or cancel \
             them, then send it again"
        ),
        None,
    )
}

impl<T: Transport<RoleServer>> Transport<RoleServer> for InFlightLimit<T> {
    type Error = T::Error;

    fn send(
        &mut self,
        item: TxJsonRpcMessage<RoleServer>,
    ) -> impl Future<Output = Result<(), Self::Error>> + Send + 'static {
        let answered = match &item {
            JsonRpcMessage::Response(response) => Some(&response.id),
            JsonRpcMessage::Error(error) => error.id.as_ref(),
            _ => None,
        };
        if let Some(id) = answered {
            self.open.remove(id);
        }
        self.inner.send(item)
    }

    async fn receive(&mut self) -> Option<RxJsonRpcMessage<RoleServer>> {
        loop {
            let message = self.inner.receive().await?;
            match &message {
                JsonRpcMessage::Request(request) if !self.open.contains(&request.id) => {
                    if self.open.len() >= self.max {
                        let refused =
                            JsonRpcMessage::error(refusal(self.max), Some(request.id.clone()));
                        if let Err(error) = self.inner.send(refused).await {
                            tracing::debug!(%error, "a refusal past --max-in-flight was not sent");
                        }
                        continue;
                    }
                    self.open.insert(request.id.clone());
                }
                JsonRpcMessage::Notification(notification) => {
                    if let ClientNotification::CancelledNotification(cancelled) =
                        &notification.notification
                        && let Some(id) = &cancelled.params.request_id
                    {
                        self.open.remove(id);
                    }
                }
                _ => {}
            }
            return Some(message);
        }
    }

    async fn close(&mut self) -> Result<(), Self::Error> {
        self.inner.close().await
    }
}
