//! The messages that travel through the FIFO to the host's main thread.

use std::sync::Arc;

use crate::call::CallHandle;
use crate::events::Outcome;

/// Runs a tool on the main thread and says whether it returned or raised.
pub type RunTool = Box<dyn FnOnce(&Arc<CallHandle>) -> Outcome + Send>;

/// A tool call waiting for the host's main thread.
pub struct ToolCall {
    /// State shared with the server task that waits for the answer.
    pub handle: Arc<CallHandle>,
    /// Runs the tool and sends the answer. Dropped unrun when the call is
    /// withdrawn; the waiting side then reads the reason from `handle`.
    pub run: RunTool,
}

/// Whether a [`MainThreadTask`] may run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TaskFate {
    /// Run it now, on the main thread.
    Run,
    /// It will never run: the bridge is shutting down.
    Refused,
}

/// A piece of work posted to the main thread by `run_on_main_thread`. It is
/// called exactly once, with [`TaskFate::Run`] on the main thread or with
/// [`TaskFate::Refused`] when shutdown drains the queue.
pub type MainThreadTask = Box<dyn FnOnce(TaskFate) + Send>;

/// One entry of the FIFO.
pub enum Message {
    /// An MCP `tools/call` to run on the main thread.
    McpToolCall(ToolCall),
    /// Code posted from another thread to run on the main thread.
    MainThreadTask(MainThreadTask),
    /// A Python callback the panel's page asked for (`window.dcclink.call`).
    PythonCallbackDeferred(MainThreadTask),
}

impl std::fmt::Debug for Message {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::McpToolCall(call) => f
                .debug_tuple("McpToolCall")
                .field(&call.handle.info().id)
                .finish(),
            Self::MainThreadTask(_) => f.write_str("MainThreadTask"),
            Self::PythonCallbackDeferred(_) => f.write_str("PythonCallbackDeferred"),
        }
    }
}
