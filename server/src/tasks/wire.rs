//! A task in each revision's words.
//!
//! 2026-07-28's `io.modelcontextprotocol/tasks` extension has rmcp's types
//! (`DetailedTask`, `ttlMs`, `pollIntervalMs`, the result inlined). rmcp
//! 3.9 has none for 2025-11-25's experimental tasks (`ttl`,
//! `pollInterval`, the result through `tasks/result`), so their few shapes
//! are written here, from that revision's schema.

use std::time::SystemTime;

use chrono::{DateTime, SecondsFormat, Utc};
use rmcp::model::{
    CreateTaskResult, DetailedTask, InputRequests, JsonObject, Task as Task2026, TaskPayload,
    TaskStatus,
};
use serde::Serialize;
use serde_json::{Value, json};

use crate::tasks::POLL_INTERVAL_MS;
use crate::tasks::task::{State, Status, Task};

/// The `_meta` key that ties a message to its task.
const RELATED_TASK: &str = "io.modelcontextprotocol/related-task";
/// The `_meta` key under which a `tools/call` result carries 2025-11-25's
/// `CreateTaskResult`, which [`crate::transports::legacy_tasks`] puts in
/// its place (rmcp's `tools/call` result has no such variant).
pub(crate) const CREATED_TASK: &str = "dcclink.dev/created-task";
/// The `_meta` key under which a tool carries its `execution` (rmcp's
/// `Tool` has no such field), moved out of `_meta` on the way out.
pub(crate) const EXECUTION: &str = "dcclink.dev/execution";

/// Ties `message` (a request's params or a result) to the task `id`, in
/// its `_meta`.
pub(crate) fn tie_to_task(message: &mut Value, id: &str) {
    let Some(message) = message.as_object_mut() else {
        return;
    };
    let meta = message.entry("_meta").or_insert_with(|| json!({}));
    if let Some(meta) = meta.as_object_mut() {
        meta.insert(RELATED_TASK.to_owned(), json!({ "taskId": id }));
    }
}

/// `at` as ISO 8601, in UTC to the millisecond.
pub(crate) fn timestamp(at: SystemTime) -> String {
    DateTime::<Utc>::from(at).to_rfc3339_opts(SecondsFormat::Millis, true)
}

fn ttl_ms(task: &Task) -> u64 {
    u64::try_from(task.ttl.as_millis()).unwrap_or(u64::MAX)
}

/// A task as 2025-11-25 writes it.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Task2025<'a> {
    task_id: &'a str,
    status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    status_message: Option<&'a str>,
    created_at: String,
    last_updated_at: String,
    ttl: u64,
    poll_interval: u64,
}

/// The task in `state` as 2025-11-25's `Task` object.
pub(crate) fn task_2025(task: &Task, state: &State) -> Value {
    let status = match &state.status {
        Status::Working => "working",
        Status::InputRequired { .. } => "input_required",
        // That revision counts a tool error as a failure.
        Status::Completed(ended) if ended.result.is_error == Some(true) => "failed",
        Status::Completed(_) => "completed",
        Status::Failed(_) => "failed",
        Status::Cancelled(_) => "cancelled",
    };
    let task = Task2025 {
        task_id: &task.id,
        status,
        status_message: state.message.as_deref(),
        created_at: timestamp(task.created),
        last_updated_at: timestamp(state.updated),
        ttl: ttl_ms(task),
        poll_interval: POLL_INTERVAL_MS,
    };
    serde_json::to_value(task).unwrap_or(Value::Null)
}

/// 2025-11-25's `CreateTaskResult`: the task under `task`.
pub(crate) fn created_2025(task: &Task) -> Value {
    json!({ "task": task_2025(task, &task.state()) })
}

/// The base fields of the task in `state`, as 2026-07-28 writes them.
fn base_2026(task: &Task, state: &State, status: TaskStatus) -> Task2026 {
    let mut base = Task2026::new(
        task.id.clone(),
        status,
        timestamp(task.created),
        timestamp(state.updated),
    )
    .with_ttl_ms(ttl_ms(task))
    .with_poll_interval_ms(POLL_INTERVAL_MS);
    base.status_message = state.message.clone();
    base
}

/// The task in `state` as 2026-07-28's `DetailedTask`: its question, its
/// result or its error inlined.
pub(crate) fn detailed_2026(task: &Task, state: &State) -> DetailedTask {
    let payload = match &state.status {
        Status::Working => TaskPayload::Working,
        Status::InputRequired { key, request } => TaskPayload::InputRequired {
            input_requests: InputRequests::from([(key.clone(), (**request).clone())]),
        },
        Status::Completed(ended) => TaskPayload::Completed {
            result: object(serde_json::to_value(&ended.result)),
        },
        Status::Failed(ended) => TaskPayload::Failed {
            error: object(Ok(json!({
                "code": rmcp::model::ErrorCode::INTERNAL_ERROR.0,
                "message": ended.why.as_deref().unwrap_or("the DCC stopped"),
            }))),
        },
        Status::Cancelled(_) => TaskPayload::Cancelled,
    };
    DetailedTask::new(base_2026(task, state, payload.status()), payload)
}

/// 2026-07-28's `CreateTaskResult`.
pub(crate) fn created_2026(task: &Task) -> CreateTaskResult {
    let state = task.state();
    CreateTaskResult::new(base_2026(task, &state, TaskStatus::Working))
}

fn object(value: Result<Value, serde_json::Error>) -> JsonObject {
    match value {
        Ok(Value::Object(map)) => map,
        _ => JsonObject::new(),
    }
}
