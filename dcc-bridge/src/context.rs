//! What a running tool sees of its own call: `ctx.cancelled`, `ctx.progress`,
//! `ctx.log`, `ctx.emit`, `ctx.confirm` and the requests to its client
//! (`ctx.ask`, `ctx.sample`). Every method but the questions returns at once; all are safe to call from inside the tool, on the main
//! thread, with no lock held.

use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;

use crate::bridge::Bridge;
use crate::call::CallHandle;
use crate::client_requests::ClientRequestError;
use crate::events::EventKind;
use crate::outbox::{LogLevel, LogRecord, Progress};
use crate::panel_questions::{FormReply, QuestionError};

/// A running tool's view of its call.
#[derive(Debug, Clone)]
pub struct CallContext {
    call: Arc<CallHandle>,
    bridge: Arc<Bridge>,
}

impl CallContext {
    /// The context of `call` on `bridge`.
    pub fn new(call: Arc<CallHandle>, bridge: Arc<Bridge>) -> Self {
        Self { call, bridge }
    }

    /// The call this context belongs to.
    pub fn call(&self) -> &Arc<CallHandle> {
        &self.call
    }

    /// True once the client cancelled the call or its timeout passed.
    pub fn is_cancelled(&self) -> bool {
        self.call.is_cancelled()
    }

    /// Reports progress to the client (when it asked for progress) and to the
    /// event bus. Returns false when `progress` did not increase and was
    /// dropped.
    pub fn progress(&self, progress: f64, total: Option<f64>, message: Option<String>) -> bool {
        let report = Progress {
            progress,
            total,
            message,
        };
        let event = EventKind::CallProgress {
            call: self.call.info().id,
            progress,
            total,
            message: report.message.clone(),
        };
        if !self.call.outbox().report_progress(report) {
            return false;
        }
        self.bridge.events().publish(event);
        true
    }

    /// Sends a log record to the client and the event bus.
    pub fn log(&self, level: LogLevel, message: String) {
        self.bridge.events().publish(EventKind::Log {
            call: Some(self.call.info().id),
            level: level.as_str().to_owned(),
            message: message.clone(),
        });
        self.call.outbox().log(LogRecord { level, message });
    }

    /// Asks the person at the panel `question` about `detail`, and waits up
    /// to `timeout` for a yes or no; stops waiting when the call is
    /// cancelled. Yes at once in a session the person chose to trust.
    pub fn confirm(
        &self,
        question: &str,
        detail: &str,
        timeout: Duration,
    ) -> Result<bool, QuestionError> {
        let call = Some(self.call.info().id);
        let questions = self.bridge.panel_questions();
        questions.confirm(
            self.bridge.events(),
            call,
            question,
            detail,
            timeout,
            || self.call.is_cancelled(),
        )
    }

    /// Asks the person at the panel to fill in a form: `message`, with the
    /// fields `schema` describes. Waits as [`CallContext::confirm`] does;
    /// trust does not skip a form.
    pub fn fill_in(
        &self,
        message: &str,
        schema: Value,
        timeout: Duration,
    ) -> Result<FormReply, QuestionError> {
        let call = Some(self.call.info().id);
        self.bridge.panel_questions().fill_in(
            self.bridge.events(),
            call,
            message,
            schema,
            timeout,
            || self.call.is_cancelled(),
        )
    }

    /// Sends `method` with `params` to the client that made this call and
    /// waits, at most `timeout` and only while the call is not cancelled,
    /// for its result.
    pub fn ask_client(
        &self,
        method: &str,
        params: Value,
        timeout: Duration,
    ) -> Result<Value, ClientRequestError> {
        let Some(client) = self.call.client() else {
            return Err(ClientRequestError::Unsupported(
                "this call came from no client that can be asked".into(),
            ));
        };
        client.request(method, params, timeout, &|| self.call.is_cancelled())
    }

    /// Publishes an application event for the panel.
    pub fn emit(&self, name: String, data: Value) {
        self.bridge.events().publish(EventKind::Emit {
            call: Some(self.call.info().id),
            name,
            data,
        });
    }
}
