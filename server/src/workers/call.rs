//! One `tools/call` on a worker, seen from a thread that waits for it: a
//! stream of [`CallEvent`]s, the tool's progress then how the call ended.
//!
//! A task on the links' runtime sends the request and forwards what comes
//! back into a channel, so the waiting thread (a pool's, with the GIL
//! released) needs no runtime of its own, and another thread can cancel.

use std::time::Duration;

use futures::StreamExt as _;
use rmcp::RoleClient;
use rmcp::handler::client::progress::ProgressDispatcher;
use rmcp::model::{CallToolRequest, CallToolRequestParams, ClientRequest, ServerResult};
use rmcp::service::{PeerRequestOptions, ServiceError};
use serde_json::Value;
use tokio_util::sync::CancellationToken;

/// What a worker call reports, in order: any number of `Progress`, then
/// one `Ended`.
#[derive(Debug, Clone, PartialEq)]
pub enum CallEvent {
    /// The tool reported progress (`ctx.progress` on the worker).
    Progress {
        /// How far it is.
        progress: f64,
        /// Out of how much, when it knows.
        total: Option<f64>,
        /// What it is doing.
        message: Option<String>,
    },
    /// The call ended: the tool's `CallToolResult` as JSON (an error the
    /// tool raised is a result with `isError`), or why there is none.
    Ended(Result<Value, CallFailure>),
}

/// Why a worker call has no result.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CallFailure {
    /// The worker refused the request (a JSON-RPC error, such as an
    /// unknown tool or bad arguments): the tool did not run.
    #[error("{0}")]
    Refused(String),
    /// The link broke with the call in flight (the worker died, or stopped
    /// answering): the tool may have run, in part.
    #[error("{0}")]
    Lost(String),
    /// [`WorkerCall::cancel`] cancelled it. The worker's tool sees
    /// `ctx.cancelled`; MCP sends no answer to a cancelled request.
    #[error("cancelled")]
    Cancelled,
}

/// A call in flight on a worker.
#[derive(Debug)]
pub struct WorkerCall {
    events: crossbeam_channel::Receiver<CallEvent>,
    cancel: CancellationToken,
}

impl WorkerCall {
    /// Sends `params` to the worker on `peer` and returns at once; the
    /// call's events arrive through [`next`](Self::next). With no answer
    /// within `within`, it ends `Lost`.
    pub(super) fn start(
        runtime: &tokio::runtime::Runtime,
        peer: rmcp::Peer<RoleClient>,
        progress: ProgressDispatcher,
        params: CallToolRequestParams,
        within: Duration,
    ) -> Self {
        let (sender, events) = crossbeam_channel::unbounded();
        let cancel = CancellationToken::new();
        let call = Exchange {
            peer,
            progress,
            sender,
            cancel: cancel.clone(),
        };
        runtime.spawn(call.run(params, within));
        Self { events, cancel }
    }

    /// The call's next event, waiting at most `timeout`; `None` when none
    /// came in that time, or after `Ended` was taken.
    pub fn next(&self, timeout: Duration) -> Option<CallEvent> {
        self.events.recv_timeout(timeout).ok()
    }

    /// Cancels the call: the worker gets `notifications/cancelled`, and the
    /// call ends `Cancelled`. Does nothing once it has ended.
    pub fn cancel(&self) {
        self.cancel.cancel();
    }
}

/// The runtime's side of one call.
struct Exchange {
    peer: rmcp::Peer<RoleClient>,
    progress: ProgressDispatcher,
    sender: crossbeam_channel::Sender<CallEvent>,
    cancel: CancellationToken,
}

impl Exchange {
    async fn run(self, params: CallToolRequestParams, within: Duration) {
        let ended = self.exchange(params, within).await;
        let _ = self.sender.send(CallEvent::Ended(ended));
    }

    async fn exchange(
        &self,
        params: CallToolRequestParams,
        within: Duration,
    ) -> Result<Value, CallFailure> {
        let request = ClientRequest::CallToolRequest(CallToolRequest::new(params));
        let mut handle = self
            .peer
            .send_request_with_option(request, PeerRequestOptions::no_options())
            .await
            .map_err(|error| CallFailure::Lost(lost(&error)))?;
        let mut progress = self.progress.subscribe(handle.progress_token.clone()).await;
        let deadline = tokio::time::sleep(within);
        tokio::pin!(deadline);
        loop {
            tokio::select! {
                answer = &mut handle.rx => {
                    return ended(answer.unwrap_or(Err(ServiceError::TransportClosed)));
                }
                Some(note) = progress.next() => {
                    let _ = self.sender.send(CallEvent::Progress {
                        progress: note.progress,
                        total: note.total,
                        message: note.message,
                    });
                }
                () = self.cancel.cancelled() => {
                    let _ = handle.cancel(Some("cancelled by the worker pool".into())).await;
                    return Err(CallFailure::Cancelled);
                }
                () = &mut deadline => {
                    return Err(CallFailure::Lost(format!(
                        "the worker gave no answer within {within:?}"
                    )));
                }
            }
        }
    }
}

/// How a call ended, from the worker's answer.
fn ended(answer: Result<ServerResult, ServiceError>) -> Result<Value, CallFailure> {
    match answer {
        Ok(ServerResult::CallToolResult(result)) => serde_json::to_value(result)
            .map_err(|error| CallFailure::Lost(format!("its result is not JSON: {error}"))),
        Ok(other) => Err(CallFailure::Refused(format!(
            "the worker answered tools/call with something else: {other:?}"
        ))),
        Err(ServiceError::McpError(error)) => Err(CallFailure::Refused(error.message.into())),
        Err(error) => Err(CallFailure::Lost(lost(&error))),
    }
}

/// Why the link lost a call, told for people.
fn lost(error: &ServiceError) -> String {
    match error {
        ServiceError::TransportClosed | ServiceError::TransportSend(_) => {
            "the worker's connection closed (the worker process died or was stopped)".into()
        }
        other => format!("the worker's connection failed: {other}"),
    }
}
