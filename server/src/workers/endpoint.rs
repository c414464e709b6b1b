//! Where a worker is, and how a link to it opens: a process this one
//! starts and talks to over its stdin and stdout, or a worker serving
//! Streamable HTTP somewhere else.

use std::collections::VecDeque;
use std::path::PathBuf;
use std::process::Stdio;
use std::sync::Arc;

use futures::FutureExt as _;
use futures::future::{BoxFuture, Shared};
use rmcp::RoleClient;
use rmcp::service::{RunningService, ServiceExt as _};
use rmcp::transport::StreamableHttpClientTransport;
use rmcp::transport::common::client_side_sse::NeverRetry;
use rmcp::transport::streamable_http_client::StreamableHttpClientTransportConfig;
use tokio::io::AsyncBufReadExt as _;

use super::error::WorkerError;
use super::listener::Listener;
use crate::tls::Fingerprint;

/// How many of a worker's last stderr lines an error about it quotes.
const STDERR_LINES_KEPT: usize = 20;

/// Where a worker is.
#[derive(Debug, Clone)]
pub enum Endpoint {
    /// A command to start here that serves MCP on its stdin and stdout,
    /// such as `python -m dcclink serve --stdio --tools …`.
    Process {
        /// The program and its arguments.
        command: Vec<String>,
        /// Variables added to this process's environment.
        env: Vec<(String, String)>,
        /// Its working directory; this process's when `None`.
        cwd: Option<PathBuf>,
    },
    /// A worker already serving Streamable HTTP at `url`.
    Http {
        /// Its MCP endpoint, `http://…/mcp` or `https://…/mcp`.
        url: String,
        /// Its bearer token.
        token: String,
        /// Its certificate's fingerprint, for a self-signed one; the
        /// system's authorities decide without it.
        fingerprint: Option<Fingerprint>,
    },
}

/// A started worker process: the child, and the tail of what it wrote on
/// stderr, whole once the process has closed it.
pub(super) struct Process {
    pub(super) child: tokio::process::Child,
    pub(super) stderr: Shared<BoxFuture<'static, String>>,
}

/// An open MCP session with a worker.
pub(super) type Session = RunningService<RoleClient, Listener>;

impl Endpoint {
    /// How errors name the worker.
    pub(super) fn describe(&self) -> String {
        match self {
            Self::Process { command, .. } => format!("`{}`", command.join(" ")),
            Self::Http { url, .. } => url.clone(),
        }
    }

    /// Opens the worker (starting its process when it is one) and
    /// initializes an MCP session with it.
    pub(super) async fn open(
        &self,
        listener: Listener,
    ) -> Result<(Session, Option<Process>), WorkerError> {
        match self {
            Self::Process { command, env, cwd } => {
                let (program, args) = command.split_first().ok_or(WorkerError::NoCommand)?;
                let mut child = tokio::process::Command::new(program);
                child
                    .args(args)
                    .envs(env.iter().cloned())
                    .stdin(Stdio::piped())
                    .stdout(Stdio::piped())
                    .stderr(Stdio::piped())
                    .kill_on_drop(true);
                if let Some(cwd) = cwd {
                    child.current_dir(cwd);
                }
                let mut child = child.spawn().map_err(|error| WorkerError::Spawn {
                    worker: self.describe(),
                    why: error.to_string(),
                })?;
                let (Some(stdout), Some(stdin)) = (child.stdout.take(), child.stdin.take()) else {
                    return Err(WorkerError::Spawn {
                        worker: self.describe(),
                        why: "its stdin or stdout is not a pipe".into(),
                    });
                };
                let stderr = tail_of(child.stderr.take(), child.id());
                let process = Process { child, stderr };
                match listener.serve((stdout, stdin)).await {
                    Ok(session) => Ok((session, Some(process))),
                    Err(error) => Err(process.failed_to_start(self, &error.to_string()).await),
                }
            }
            Self::Http {
                url,
                token,
                fingerprint,
            } => {
                let client = crate::tls::http_client(url, *fingerprint).map_err(|why| {
                    WorkerError::NotStarted {
                        worker: self.describe(),
                        why,
                    }
                })?;
                let mut config = StreamableHttpClientTransportConfig::with_uri(url.as_str())
                    .auth_header(token.clone());
                // A worker's stream that breaks means the worker died: the
                // call fails at once (the pool runs it again elsewhere when
                // it may) rather than waiting on a resumed stream.
                config.retry_config = Arc::new(NeverRetry::default());
                let transport = StreamableHttpClientTransport::with_client(client, config);
                let session =
                    listener
                        .serve(transport)
                        .await
                        .map_err(|error| WorkerError::NotStarted {
                            worker: self.describe(),
                            why: error.to_string(),
                        })?;
                Ok((session, None))
            }
        }
    }
}

impl Process {
    /// The error for a worker process that did not initialize: what it said
    /// on stderr before it exited, which is usually why (a tool module
    /// that failed to import). A process still running is killed first.
    pub(super) async fn failed_to_start(mut self, endpoint: &Endpoint, why: &str) -> WorkerError {
        let _ = self.child.start_kill();
        let status = self.child.wait().await.ok();
        let said = tokio::time::timeout(std::time::Duration::from_secs(2), self.stderr)
            .await
            .unwrap_or_default();
        let exited = status.map_or_else(String::new, |status| format!(" ({status})"));
        let said = if said.trim().is_empty() {
            format!("it said nothing on stderr; {why}")
        } else {
            format!("it said:\n{said}")
        };
        WorkerError::NotStarted {
            worker: endpoint.describe(),
            why: format!("the process exited{exited}; {said}"),
        }
    }
}

/// Reads a worker's stderr to its end, logging each line at debug level
/// and keeping the last few for errors about it.
fn tail_of(
    stderr: Option<tokio::process::ChildStderr>,
    pid: Option<u32>,
) -> Shared<BoxFuture<'static, String>> {
    let read = async move {
        let Some(stderr) = stderr else {
            return String::new();
        };
        let mut lines = tokio::io::BufReader::new(stderr).lines();
        let mut kept = VecDeque::with_capacity(STDERR_LINES_KEPT);
        while let Ok(Some(line)) = lines.next_line().await {
            tracing::debug!(worker = pid, "{line}");
            if kept.len() == STDERR_LINES_KEPT {
                kept.pop_front();
            }
            kept.push_back(line);
        }
        Vec::from(kept).join("\n")
    };
    // A task of its own, so the pipe is drained even when nobody waits for
    // the tail: a worker blocked on a full stderr would stop answering.
    let task = tokio::spawn(read);
    async move { task.await.unwrap_or_default() }
        .boxed()
        .shared()
}
