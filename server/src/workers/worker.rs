//! One link to one worker: opened with its tool list, used for calls from
//! any thread, closed within a bound.

use std::time::Duration;

use rmcp::handler::client::progress::ProgressDispatcher;
use rmcp::model::{CallToolRequestParams, JsonObject, Tool};

use super::call::WorkerCall;
use super::endpoint::{Endpoint, Process, Session};
use super::error::WorkerError;
use super::listener::Listener;
use super::runtime;

/// An open link to a worker.
pub struct Worker {
    endpoint: Endpoint,
    session: Session,
    progress: ProgressDispatcher,
    process: Option<Process>,
    tools: Vec<Tool>,
}

impl std::fmt::Debug for Worker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Worker")
            .field("endpoint", &self.endpoint.describe())
            .field("pid", &self.pid())
            .finish_non_exhaustive()
    }
}

impl Worker {
    /// Opens the worker at `endpoint` (starting it when it is a process)
    /// and lists its tools, within `within`. Blocks the calling thread.
    pub fn start(endpoint: Endpoint, within: Duration) -> Result<Self, WorkerError> {
        let runtime = runtime()?;
        runtime.block_on(async move {
            let progress = ProgressDispatcher::new();
            let listener = Listener::new(progress.clone());
            let opened = tokio::time::timeout(within, endpoint.open(listener)).await;
            let Ok(opened) = opened else {
                return Err(WorkerError::TooSlow {
                    worker: endpoint.describe(),
                    within,
                });
            };
            let (session, process) = opened?;
            let listed = tokio::time::timeout(within, session.list_all_tools()).await;
            match (listed, process) {
                (Ok(Ok(tools)), process) => Ok(Self {
                    endpoint,
                    session,
                    progress,
                    process,
                    tools,
                }),
                (Ok(Err(error)), Some(process)) => {
                    Err(process.failed_to_start(&endpoint, &error.to_string()).await)
                }
                (Ok(Err(error)), None) => Err(WorkerError::NotStarted {
                    worker: endpoint.describe(),
                    why: format!("tools/list failed: {error}"),
                }),
                (Err(_), _) => Err(WorkerError::TooSlow {
                    worker: endpoint.describe(),
                    within,
                }),
            }
        })
    }

    /// The worker's process id, when this link started it.
    pub fn pid(&self) -> Option<u32> {
        self.process.as_ref().and_then(|process| process.child.id())
    }

    /// The tools it serves, as it listed them when the link opened.
    pub fn tools(&self) -> &[Tool] {
        &self.tools
    }

    /// Whether it still serves: false once its process has exited or the
    /// session has closed.
    pub fn is_alive(&mut self) -> bool {
        let exited = self
            .process
            .as_mut()
            .is_some_and(|process| !matches!(process.child.try_wait(), Ok(None)));
        !exited && !self.session.is_closed()
    }

    /// Calls `tool` with `arguments` and returns at once; the answer comes
    /// through the returned call, or a `Lost` failure after `within`.
    pub fn call(
        &self,
        tool: &str,
        arguments: JsonObject,
        within: Duration,
    ) -> Result<WorkerCall, WorkerError> {
        let mut params = CallToolRequestParams::new(tool.to_owned());
        params.arguments = Some(arguments);
        Ok(WorkerCall::start(
            runtime()?,
            self.session.peer().clone(),
            self.progress.clone(),
            params,
            within,
        ))
    }

    /// What the worker process wrote last on stderr, once it has exited
    /// (waiting at most `within` for it to close the pipe); empty for a
    /// worker this link did not start.
    pub fn last_words(&self, within: Duration) -> String {
        let (Ok(runtime), Some(process)) = (runtime(), &self.process) else {
            return String::new();
        };
        let stderr = process.stderr.clone();
        // The timer is made inside the runtime, which it needs.
        runtime
            .block_on(async move { tokio::time::timeout(within, stderr).await })
            .unwrap_or_default()
    }

    /// Kills the worker process at once (a worker that no longer answers).
    pub fn kill(&mut self) {
        if let Some(process) = self.process.as_mut() {
            let _ = process.child.start_kill();
        }
    }

    /// Ends the session. A worker process sees its stdin close and exits;
    /// one still running after `within` is killed.
    pub fn close(self, within: Duration) {
        let Ok(runtime) = runtime() else {
            return;
        };
        let Self {
            session, process, ..
        } = self;
        runtime.block_on(async move {
            let _ = tokio::time::timeout(within, session.cancel()).await;
            if let Some(mut process) = process
                && tokio::time::timeout(within, process.child.wait())
                    .await
                    .is_err()
            {
                let _ = process.child.kill().await;
            }
        });
    }
}
