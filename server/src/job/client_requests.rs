//! A tool's requests to its client, sent on the client's session: a question
//! for the user (`elicitation/create`), a completion from the client's
//! model (`sampling/createMessage`), or its workspace folders (`roots/list`).
//!
//! The tool waits on the main thread; the request goes out on the server's
//! runtime, and the wait is bounded and ends when the call is cancelled.
//! On MCP 2026-07-28 the same requests travel in rounds instead
//! ([`crate::job::round_trips`]); the checks and the wait here serve both.
// Sampling and roots are deprecated from protocol 2026-07-28 (SEP-2577), but
// every client of the 2025 revisions still uses them.
#![allow(deprecated)]

use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, RecvTimeoutError};
use dcclink_bridge::{ClientRequestError, ClientRequests};
use rmcp::model::{
    ClientCapabilities, CreateMessageRequestParams, ElicitRequestParams, ProtocolVersion,
};
use rmcp::service::{Peer, RoleServer, ServiceError};
use serde_json::Value;

/// How often a waiting tool checks whether its call was cancelled.
const CHECK_EVERY: Duration = Duration::from_millis(50);

/// Requests to the client of one session.
#[derive(Debug)]
pub(crate) struct SessionRequests {
    peer: Peer<RoleServer>,
    runtime: tokio::runtime::Handle,
}

impl SessionRequests {
    /// Requests to `peer`, sent on the current runtime.
    pub(crate) fn new(peer: Peer<RoleServer>) -> Self {
        Self {
            peer,
            runtime: tokio::runtime::Handle::current(),
        }
    }
}

/// Whether a client with `capabilities` (none known: `None`), called
/// `client`, takes `method`.
pub(crate) fn check_capability(
    capabilities: Option<&ClientCapabilities>,
    client: &str,
    method: &str,
) -> Result<(), ClientRequestError> {
    let (able, what) = match method {
        "elicitation/create" => (
            capabilities.is_some_and(|c| c.elicitation.is_some()),
            "questions for the user (elicitation)",
        ),
        "sampling/createMessage" => (
            capabilities.is_some_and(|c| c.sampling.is_some()),
            "requests for its model (sampling)",
        ),
        "roots/list" => (
            capabilities.is_some_and(|c| c.roots.is_some()),
            "requests for its workspace folders (roots)",
        ),
        other => {
            return Err(ClientRequestError::Unsupported(format!(
                "dcclink cannot send {other} to a client"
            )));
        }
    };
    if able {
        Ok(())
    } else {
        Err(ClientRequestError::Unsupported(format!(
            "{client} does not take {what}"
        )))
    }
}

/// Waits for the client's answer on `answer`, at most `timeout`, checking
/// `cancelled()` as it goes.
pub(crate) fn wait_for_reply(
    answer: &Receiver<Result<Value, String>>,
    timeout: Duration,
    cancelled: &dyn Fn() -> bool,
) -> Result<Value, ClientRequestError> {
    let deadline = Instant::now() + timeout;
    loop {
        match answer.recv_timeout(CHECK_EVERY) {
            Ok(result) => return result.map_err(ClientRequestError::Failed),
            Err(RecvTimeoutError::Disconnected) => {
                return Err(ClientRequestError::Failed(
                    "the request to the client ended without an answer".into(),
                ));
            }
            Err(RecvTimeoutError::Timeout) if cancelled() => {
                return Err(ClientRequestError::Cancelled);
            }
            Err(RecvTimeoutError::Timeout) if Instant::now() > deadline => {
                return Err(ClientRequestError::TimedOut(timeout));
            }
            Err(RecvTimeoutError::Timeout) => {}
        }
    }
}

/// Sends `method` with `params` to the client on `peer`, and returns its answer.
pub(crate) async fn send(
    peer: Peer<RoleServer>,
    method: String,
    params: Value,
) -> Result<Value, String> {
    let invalid = |e: serde_json::Error| format!("dcclink built an invalid {method}: {e}");
    let failed = |e: ServiceError| match e {
        ServiceError::McpError(error) => error.message.to_string(),
        other => other.to_string(),
    };
    let result = match method.as_str() {
        "elicitation/create" => {
            let params: ElicitRequestParams = serde_json::from_value(params).map_err(invalid)?;
            serde_json::to_value(peer.create_elicitation(params).await.map_err(failed)?)
        }
        "roots/list" => serde_json::to_value(peer.list_roots().await.map_err(failed)?),
        _ => {
            let params: CreateMessageRequestParams =
                serde_json::from_value(params).map_err(invalid)?;
            serde_json::to_value(peer.create_message(params).await.map_err(failed)?)
        }
    };
    result.map_err(|e| e.to_string())
}

impl ClientRequests for SessionRequests {
    fn request(
        &self,
        method: &str,
        params: Value,
        timeout: Duration,
        cancelled: &dyn Fn() -> bool,
    ) -> Result<Value, ClientRequestError> {
        let info = self.peer.peer_info();
        if (info.as_ref())
            .is_some_and(|info| info.protocol_version >= ProtocolVersion::V_2026_07_28)
        {
            // That revision's requests travel in rounds, which only a tool
            // call, a resource read or a prompt can do.
            return Err(ClientRequestError::Unsupported(
                "on MCP 2026-07-28 only a tool, a resource or a prompt can ask the client".into(),
            ));
        }
        let client = info
            .as_ref()
            .map_or("the client", |info| info.client_info.name.as_str());
        check_capability(info.as_ref().map(|i| &i.capabilities), client, method)?;
        let (answer_tx, answer) = crossbeam_channel::bounded(1);
        let (peer, method) = (self.peer.clone(), method.to_owned());
        let task = self.runtime.spawn(async move {
            let _ = answer_tx.send(send(peer, method, params).await);
        });
        let outcome = wait_for_reply(&answer, timeout, cancelled);
        task.abort(); // a request still in flight is dropped
        outcome
    }
}
