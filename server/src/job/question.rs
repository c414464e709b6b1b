//! A tool's question for its client on MCP 2026-07-28, where a server
//! sends its client no request while a call runs: `ctx.ask`, `ctx.sample`
//! and `ctx.roots()` become an [`Question`] that the running job turns
//! into an `InputRequiredResult`, and the tool waits for the reply the
//! client's retry brings ([`crate::job::round_trips`] keeps the call meanwhile).

use std::time::Duration;

use crossbeam_channel::Sender;
use dcclink_bridge::{ClientRequestError, ClientRequests};
use rmcp::model::{ClientCapabilities, InputRequest};
use serde_json::Value;
use tokio::sync::mpsc;

use crate::job::client_requests::{check_capability, wait_for_reply};

/// A tool's question for its client, on its way to the call's dispatcher.
#[derive(Debug)]
pub struct Question {
    pub(crate) request: InputRequest,
    pub(crate) reply: Sender<Result<Value, String>>,
    pub(crate) timeout: Duration,
}

/// The tool's side: each request becomes an [`Question`] for the running job,
/// and the tool waits for the reply that the client's retry brings.
#[derive(Debug)]
pub(crate) struct RoundTrip {
    questions: mpsc::UnboundedSender<Question>,
    capabilities: ClientCapabilities,
    client: String,
}

impl RoundTrip {
    /// Questions go to `questions`; the client (named `client`) said it can
    /// answer what `capabilities` lists.
    pub(crate) fn new(
        questions: mpsc::UnboundedSender<Question>,
        capabilities: ClientCapabilities,
        client: String,
    ) -> Self {
        Self {
            questions,
            capabilities,
            client,
        }
    }
}

impl ClientRequests for RoundTrip {
    fn request(
        &self,
        method: &str,
        params: Value,
        timeout: Duration,
        cancelled: &dyn Fn() -> bool,
    ) -> Result<Value, ClientRequestError> {
        check_capability(Some(&self.capabilities), &self.client, method)?;
        let request = serde_json::json!({ "method": method, "params": params });
        let request: InputRequest = serde_json::from_value(request).map_err(|error| {
            ClientRequestError::Failed(format!("dcclink built an invalid {method}: {error}"))
        })?;
        let (reply, answer) = crossbeam_channel::bounded(1);
        let question = Question {
            request,
            reply,
            timeout,
        };
        self.questions.send(question).map_err(|_| {
            ClientRequestError::Failed("the call's request has already been answered".into())
        })?;
        wait_for_reply(&answer, timeout, cancelled)
    }
}
