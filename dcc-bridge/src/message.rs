//! The messages that travel through the FIFO to the host's main thread.

use std::sync::Arc;

use crate::call::CallHandle;
use crate::events::Outcome;

/// Runs a call on the main thread and proposes its verdict: whether it
/// returned or raised.
pub type RunTool = Box<dyn FnOnce(&Arc<CallHandle>) -> Outcome + Send>;

/// A call waiting for the host's main thread: a tool call, a resource read,
/// a prompt or a completion ([`Message`] says which).
pub struct QueuedCall {
    /// State shared with the server task that waits for the answer.
    pub handle: Arc<CallHandle>,
    /// Runs the tool and sends the answer. Dropped unrun when the call is
    /// withdrawn; the waiting side then reads the reason from `handle`.
    pub run: RunTool,
    /// Where it runs once its turn comes.
    pub runs_on: RunsOn,
}

/// Where a call runs once the pump takes it off the FIFO.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum RunsOn {
    /// On the host's main thread, one call at a time: every call that
    /// touches the DCC's scene.
    #[default]
    MainThread,
    /// On a thread of its own, started in turn, so the pump goes on with
    /// the next message at once: a tool that touches no scene and waits on
    /// something else, such as a worker pool, without holding the DCC.
    OwnThread,
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
    /// An MCP `tools/call`.
    McpToolCall(QueuedCall),
    /// An MCP `resources/read`.
    McpResourceRead(QueuedCall),
    /// An MCP `prompts/get`.
    McpPromptGet(QueuedCall),
    /// An MCP `completion/complete`.
    McpCompletion(QueuedCall),
    /// Code posted from another thread to run on the main thread: a
    /// binding's `run_on_main_thread`, or a Python callback the panel's page
    /// asked for (`window.dcclink.call`).
    MainThreadTask(MainThreadTask),
}

/// What the pump does with a [`Message`]: run a call, or run a task.
pub(crate) enum Work {
    Call(QueuedCall),
    Task(MainThreadTask),
}

impl Message {
    /// The call this message carries; `None` for a task.
    pub fn call(&self) -> Option<&QueuedCall> {
        match self {
            Self::McpToolCall(call)
            | Self::McpResourceRead(call)
            | Self::McpPromptGet(call)
            | Self::McpCompletion(call) => Some(call),
            Self::MainThreadTask(_) => None,
        }
    }

    pub(crate) fn into_work(self) -> Work {
        match self {
            Self::McpToolCall(call)
            | Self::McpResourceRead(call)
            | Self::McpPromptGet(call)
            | Self::McpCompletion(call) => Work::Call(call),
            Self::MainThreadTask(task) => Work::Task(task),
        }
    }
}

impl std::fmt::Debug for Message {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.call() {
            Some(call) => f.debug_tuple("Call").field(&call.handle.info().id).finish(),
            None => f.write_str("MainThreadTask"),
        }
    }
}
