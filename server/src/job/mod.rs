//! The one noun of the server's middle: a job, what a request runs on the
//! host's main thread (a tool call, a resource read, a prompt, a
//! completion) and the handler that runs it. The audit log, the registries
//! and the running job all speak of these; how a job ended is its verdict,
//! [`dcclink_bridge::Outcome`], decided once on its call.
//!
//! The folder follows one job: [`output`] is what it returns, [`running`]
//! queues it and waits for its answer, and a tool's requests to its client
//! go out through [`client_requests`] (MCP 2025) or, on MCP 2026-07-28, as a
//! [`question`] that [`round_trips`] parks between rounds. This file needs
//! nothing else of the server.

pub(crate) mod client_requests;
pub(crate) mod output;
pub(crate) mod question;
pub(crate) mod round_trips;
pub(crate) mod running;

use std::sync::Arc;
use std::time::Duration;

use dcclink_bridge::{CallContext, Message, QueuedCall, RunsOn};
use rmcp::model::JsonObject;

use output::JobOutput;

/// Runs one tool. Called on the host's main thread, never under a lock.
pub trait JobHandler: Send + Sync + 'static {
    /// Runs the tool with already validated `arguments`.
    fn call(&self, arguments: JsonObject, ctx: &CallContext) -> JobOutput;
}

/// What a request runs on the host's main thread: a tool, a resource's
/// reader, a prompt or a completer.
pub struct Job {
    /// Which of the four it is.
    pub kind: JobKind,
    /// The tool's name, or the URI read.
    pub name: String,
    /// How long it may run; the server's default when `None`.
    pub timeout: Option<Duration>,
    /// What runs.
    pub handler: Arc<dyn JobHandler>,
    /// Where it runs: the main thread, unless a tool says otherwise.
    pub runs_on: RunsOn,
}

/// What kind of request a job answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobKind {
    /// `tools/call`.
    Tool,
    /// `resources/read`.
    Resource,
    /// `prompts/get`.
    Prompt,
    /// `completion/complete`.
    Completion,
}

impl JobKind {
    /// The FIFO message that carries a call of this kind.
    pub(crate) fn message(self, call: QueuedCall) -> Message {
        match self {
            Self::Tool => Message::McpToolCall(call),
            Self::Resource => Message::McpResourceRead(call),
            Self::Prompt => Message::McpPromptGet(call),
            Self::Completion => Message::McpCompletion(call),
        }
    }
}

impl Job {
    /// How messages name it: "tool 'render'", "resource 'maya://scene'".
    pub(crate) fn label(&self) -> String {
        match self.kind {
            JobKind::Tool => format!("tool '{}'", self.name),
            JobKind::Resource => format!("resource '{}'", self.name),
            JobKind::Prompt => format!("prompt '{}'", self.name),
            JobKind::Completion => format!("the completion of '{}'", self.name),
        }
    }

    /// The decorator that sets its timeout.
    pub(crate) fn decorator(&self) -> &'static str {
        match self.kind {
            JobKind::Tool => "@dcclink.tool",
            JobKind::Resource => "@dcclink.resource",
            JobKind::Prompt | JobKind::Completion => "@dcclink.prompt",
        }
    }
}
