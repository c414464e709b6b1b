//! The bound on one session's requests in flight, and their ids unique.
//!
//! rmcp handles each request of a session as a task of its own, with no
//! bound on how many run at once. A session's [`InFlight`] ledger counts
//! the requests handed to it until each is answered or cancelled (rmcp
//! sends no answer to a cancelled request). A request past the bound is
//! answered at once with an error that says what to do, and the session
//! never sees it.
//!
//! So is a request whose id is already in flight: rmcp keys a request's
//! cancellation, and over HTTP its answer's route, by the id, so the
//! second would take the first one's place and the first one's answer
//! would be lost.
//!
//! stdio keeps the ledger in [`InFlightLimit`], a wrapper of its
//! transport; HTTP keeps one per session in
//! [`Sessions`](crate::transports::sessions::Sessions), which sees each
//! request before rmcp routes it.

use std::collections::HashSet;

use rmcp::model::{
    ClientJsonRpcMessage, ClientNotification, ErrorCode, ErrorData, JsonRpcMessage, RequestId,
};
use rmcp::service::{RoleServer, RxJsonRpcMessage, TxJsonRpcMessage};
use rmcp::transport::Transport;

use crate::transports::wire_errors::OVER_A_LIMIT;

/// One session's requests in flight, by id, against its bound.
#[derive(Debug)]
pub(crate) struct InFlight {
    max: usize,
    open: HashSet<RequestId>,
}

impl InFlight {
    /// A ledger that admits `max` requests at once.
    pub(crate) fn new(max: usize) -> Self {
        Self {
            max,
            open: HashSet::new(),
        }
    }

    /// Admits request `id`, or says why not: its id is in flight already,
    /// or the session is at its bound.
    pub(crate) fn admit(&mut self, id: &RequestId) -> Result<(), ErrorData> {
        if self.open.contains(id) {
            return Err(duplicate(id));
        }
        if self.open.len() >= self.max {
            return Err(too_many(self.max));
        }
        self.open.insert(id.clone());
        Ok(())
    }

    /// Request `id` was answered, or cancelled.
    pub(crate) fn settle(&mut self, id: &RequestId) {
        self.open.remove(id);
    }

    /// Settles the request a client's `notifications/cancelled` names.
    pub(crate) fn settle_cancelled(&mut self, message: &ClientJsonRpcMessage) {
        if let JsonRpcMessage::Notification(notification) = message
            && let ClientNotification::CancelledNotification(cancelled) = &notification.notification
            && let Some(id) = &cancelled.params.request_id
        {
            self.settle(id);
        }
    }
}

/// The error for a request past the bound of `max`.
fn too_many(max: usize) -> ErrorData {
    ErrorData::new(
        OVER_A_LIMIT,
        format!(
            "too many requests in flight: this session already waits on {max} answers, the \
             most one session may (--max-in-flight); wait for some to be answered, or cancel \
             them, then send it again"
        ),
        None,
    )
}

/// The error for a request whose `id` another request in flight has.
fn duplicate(id: &RequestId) -> ErrorData {
    ErrorData::new(
        ErrorCode::INVALID_REQUEST,
        format!(
            "invalid request: the id {id} is already in use by a request still in flight; give \
             each request an id of its own"
        ),
        None,
    )
}

/// A session's transport (stdio's) that keeps an [`InFlight`] ledger.
pub(crate) struct InFlightLimit<T> {
    inner: T,
    ledger: InFlight,
}

impl<T> InFlightLimit<T> {
    /// Wraps `inner`, allowing `max` requests in flight.
    pub(crate) fn new(inner: T, max: usize) -> Self {
        Self {
            inner,
            ledger: InFlight::new(max),
        }
    }
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
            self.ledger.settle(id);
        }
        self.inner.send(item)
    }

    async fn receive(&mut self) -> Option<RxJsonRpcMessage<RoleServer>> {
        loop {
            let message = self.inner.receive().await?;
            self.ledger.settle_cancelled(&message);
            if let JsonRpcMessage::Request(request) = &message
                && let Err(refused) = self.ledger.admit(&request.id)
            {
                let refused = JsonRpcMessage::error(refused, Some(request.id.clone()));
                if let Err(error) = self.inner.send(refused).await {
                    tracing::debug!(%error, "a refused request's error was not sent");
                }
                continue;
            }
            return Some(message);
        }
    }

    async fn close(&mut self) -> Result<(), Self::Error> {
        self.inner.close().await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_ledger_refuses_a_duplicate_and_past_its_bound_until_a_request_settles() {
        let mut ledger = InFlight::new(2);
        let (one, two, three) = (
            RequestId::Number(1),
            RequestId::Number(2),
            RequestId::Number(3),
        );
        assert!(ledger.admit(&one).is_ok());
        let copied = ledger.admit(&one).expect_err("a duplicate");
        assert!(copied.message.contains("already in use"), "{copied:?}");
        assert!(ledger.admit(&two).is_ok());
        let past = ledger.admit(&three).expect_err("past the bound");
        assert!(past.message.contains("--max-in-flight"), "{past:?}");
        ledger.settle(&one);
        assert!(ledger.admit(&three).is_ok());
        ledger.settle(&two);
        assert!(ledger.admit(&one).is_ok(), "a settled id may be used again");
    }
}
