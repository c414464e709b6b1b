//! Drives a task's call to its end on the server's runtime, with no request
//! waiting on it: the call keeps its place in the FIFO, its queue deadline
//! and its timeout, exactly as a plain call; only its answer goes to the
//! task instead of a client.
//!
//! A tool's question (`ctx.ask`, `ctx.sample`, `ctx.roots()`) puts the task
//! in `input_required`. On 2026-07-28 the client reads it in `tasks/get`
//! and answers with `tasks/update`; on 2025-11-25 it goes out at once as a
//! request of its own on the session that last heard of the task, tied to
//! it by `io.modelcontextprotocol/related-task`.

use std::sync::Arc;

use rmcp::model::{CustomNotification, ServerNotification};
use serde_json::{Value, json};

use dcclink_bridge::Outcome;
use rmcp::model::JsonObject;

use crate::audit::Record;
use crate::job::client_requests;
use crate::job::output::JobOutput;
use crate::job::question::Question;
use crate::job::running::{self, Caller, Running, Step};
use crate::registries::tools::RegisteredTool;
use crate::shared::Shared;
use crate::tasks::task::{Ended, Task};
use crate::tasks::wire;

/// Which revision's client made the task.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Revision {
    /// 2025-11-25: experimental tasks, asked for with `params.task`.
    Experimental2025,
    /// 2026-07-28: the `io.modelcontextprotocol/tasks` extension.
    Extension2026,
}

/// Queues the call of `tool` with `arguments` for `task` and runs it until
/// it ends, then keeps its result in the task. It starts once the caller
/// has its answer (the task), so that the answer goes out before the main
/// thread wakes for the call: the spec asks for it as soon as possible, and
/// a task is what the client waits on from then on.
pub(crate) fn start(
    task: Arc<Task>,
    tool: Arc<RegisteredTool>,
    arguments: JsonObject,
    caller: Caller,
    shared: Arc<Shared>,
    revision: Revision,
) {
    if revision == Revision::Experimental2025 {
        tokio::spawn(announce_changes(task.clone()));
    }
    // Shutdown waits (bounded) for the task's end to go out.
    let ending = shared.tasks.ending.begin();
    tokio::spawn(async move {
        let _ending = ending;
        let job = tool.job();
        let record = Record::begin(caller.label.clone(), &job, &arguments);
        let started = match tool.validate(&arguments) {
            Err(problem) => Err((running::failure(problem), Outcome::Failed)),
            Ok(()) => {
                let timeout = shared.default_timeout;
                Running::start(&shared.bridge, job, arguments, timeout, &caller)
            }
        };
        let (output, outcome, why) = match started {
            Err((output, outcome)) => (output, outcome, None),
            Ok(running) => drive(&task, running, &caller, revision).await,
        };
        record.end(&shared.audit, outcome);
        let result = running::tool_result(output);
        task.end(Ended {
            result,
            outcome,
            why,
        });
        if revision == Revision::Experimental2025 {
            announce(&task).await;
        }
    });
}

/// Runs `running` until it ends, opening the tool's questions on the task
/// meanwhile: its output, its verdict, and why it failed when the DCC
/// stopped under it.
async fn drive(
    task: &Arc<Task>,
    mut running: Running,
    caller: &Caller,
    revision: Revision,
) -> (JobOutput, Outcome, Option<String>) {
    loop {
        match running.next(caller).await {
            Step::Done(output, outcome) => {
                let why = running.stopped_by_shutdown().then(|| {
                    "the DCC stopped (dcclink shut down) before the task ended; run it again \
                     when the DCC is back"
                        .to_owned()
                });
                return (output, outcome, why);
            }
            Step::Asking(question) => ask(task, *question, revision),
        }
    }
}

/// Opens the tool's question on the task; on 2025-11-25 sends it too.
fn ask(task: &Arc<Task>, question: Question, revision: Revision) {
    let Question {
        request,
        reply,
        timeout,
    } = question;
    let key = task.ask(request.clone(), reply);
    if revision == Revision::Extension2026 {
        return; // the client reads it in tasks/get
    }
    let task = task.clone();
    tokio::spawn(async move {
        let (method, mut params) = match serde_json::to_value(&request) {
            Ok(Value::Object(mut message)) => (
                message.remove("method").unwrap_or_default(),
                message.remove("params").unwrap_or_else(|| json!({})),
            ),
            _ => (Value::Null, Value::Null),
        };
        wire::tie_to_task(&mut params, &task.id);
        let method = method.as_str().unwrap_or_default().to_owned();
        let answer = match task.peer() {
            None => Err("no client has asked about the task yet".to_owned()),
            Some(peer) => {
                let sent = client_requests::send(peer, method, params);
                match tokio::time::timeout(timeout, sent).await {
                    Ok(answer) => answer,
                    Err(_) => Err("the client did not answer in time".to_owned()),
                }
            }
        };
        task.answer(&key, answer);
    });
}

/// Sends 2025-11-25's `notifications/tasks/status` on each change of the
/// task's status short of its end (which [`spawn`]'s driver sends, so that
/// shutdown can wait for it), to the session that last heard of it.
async fn announce_changes(task: Arc<Task>) {
    let mut changes = task.watch();
    let mut last = std::mem::discriminant(&changes.borrow().status);
    while changes.changed().await.is_ok() {
        let status = std::mem::discriminant(&changes.borrow_and_update().status);
        if task.has_ended() {
            return;
        }
        if status != last {
            last = status;
            announce(&task).await;
        }
    }
}

/// Sends the task's state now as 2025-11-25's `notifications/tasks/status`.
async fn announce(task: &Task) {
    let params = wire::task_2025(task, &task.state());
    let notification = CustomNotification::new("notifications/tasks/status", Some(params));
    if let Some(peer) = task.peer() {
        let _ = (peer)
            .send_notification(ServerNotification::CustomNotification(notification))
            .await;
    }
}
