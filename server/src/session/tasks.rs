//! A session's side of MCP tasks: a tool call made a task when its client
//! asks for one and the tool allows it, and the task methods of 2025-11-25
//! (2026-07-28's come through rmcp's own handlers, in the parent module).
//! The tasks themselves live in [`crate::tasks`], instance-wide: any
//! session with the instance's token reaches any of them by id.
//!
//! rmcp 3.9 has no 2025-11-25 task types, so that revision's answers leave
//! here as JSON, or (for `tools/call`, whose rmcp result type is fixed)
//! marked for [`crate::transports::legacy_tasks`] to put in shape.

use std::sync::Arc;

use rmcp::ErrorData as McpError;
use rmcp::model::{
    CallToolRequestParams, CallToolResponse, CallToolResult, ClientCapabilities, CustomRequest,
    CustomResult, ErrorCode, MetaObject, PaginatedRequestParams, ProtocolVersion,
};
use rmcp::service::{RequestContext, RoleServer};
use serde_json::{Value, json};
use tokio_util::sync::CancellationToken;

use crate::registries::pagination;
use crate::registries::tools::{RegisteredTool, TaskSupport};
use crate::session::DccServer;
use crate::tasks::run::{self, Revision};
use crate::tasks::task::Task;
use crate::tasks::wire::{self, CREATED_TASK};
use crate::transports::task_param::TASK_PARAM;

/// True when the request speaks MCP 2026-07-28 or later.
fn on_2026(context: &RequestContext<RoleServer>) -> bool {
    (context.protocol_version()).is_some_and(|version| version >= ProtocolVersion::V_2026_07_28)
}

/// On 2026-07-28, the tasks methods are for clients that declared the
/// extension (the extension says so, with this error).
fn check_declared(context: &RequestContext<RoleServer>) -> Result<(), McpError> {
    let declared = (context.client_capabilities()).is_some_and(|c| c.supports_tasks());
    if on_2026(context) && !declared {
        return Err(McpError::missing_required_client_capability(
            ClientCapabilities::builder().enable_tasks().build(),
        ));
    }
    Ok(())
}

/// The `taskId` of a custom request's params.
fn task_id(request: &CustomRequest) -> Result<String, McpError> {
    (request.params.as_ref())
        .and_then(|params| params.get("taskId"))
        .and_then(Value::as_str)
        .map(str::to_owned)
        .ok_or_else(|| {
            McpError::invalid_params(
                format!(
                    "{} needs params.taskId, the id tools/call answered",
                    request.method
                ),
                None,
            )
        })
}

impl DccServer {
    /// `tools/call`: a plain call, or a task when the client asks for one
    /// (2025-11-25: `params.task`; 2026-07-28: it declared the extension)
    /// and the tool allows it.
    pub(super) async fn call_tool_or_task(
        &self,
        request: CallToolRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, McpError> {
        let Some(tool) = self.shared.tools.get(&request.name) else {
            return self.call_plain(request, context).await;
        };
        let support = tool.task_support();
        let revision = if on_2026(&context) {
            let declared = (context.client_capabilities()).is_some_and(|c| c.supports_tasks());
            (declared && support != TaskSupport::Forbidden).then_some(Revision::Extension2026)
        } else {
            context
                .meta
                .contains_key(TASK_PARAM)
                .then_some(Revision::Experimental2025)
        };
        let name = &request.name;
        match (support, revision) {
            (TaskSupport::Forbidden, Some(_)) => Err(McpError::new(
                ErrorCode::METHOD_NOT_FOUND,
                format!(
                    "tool '{name}' does not run as a task (its execution.taskSupport is \
                     forbidden): call it without params.task"
                ),
                None,
            )),
            (TaskSupport::Required, None) if on_2026(&context) => {
                Err(McpError::missing_required_client_capability(
                    ClientCapabilities::builder().enable_tasks().build(),
                ))
            }
            (TaskSupport::Required, None) => Err(McpError::new(
                ErrorCode::METHOD_NOT_FOUND,
                format!(
                    "tool '{name}' runs only as a task (its execution.taskSupport is \
                     required): call it with params.task, then poll tasks/get and fetch \
                     tasks/result"
                ),
                None,
            )),
            (_, Some(revision)) => self.start_task(tool, request, revision, context),
            (_, None) => self.call_plain(request, context).await,
        }
    }

    /// Makes the call a task, queues it, and answers with the task.
    fn start_task(
        &self,
        tool: Arc<RegisteredTool>,
        request: CallToolRequestParams,
        revision: Revision,
        context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, McpError> {
        let ttl_ms = (context.meta.get(TASK_PARAM))
            .and_then(|task| task.get("ttl"))
            .and_then(Value::as_u64);
        let client_capabilities = context
            .peer
            .peer_info()
            .map(|info| info.capabilities.clone());
        let peer = context.peer.clone();
        let mut caller = self.caller(context);
        let task = (self.shared.tasks).create(&request.name, &caller.label, ttl_ms)?;
        task.heard_from(&peer);
        // The task outlives the request and the connection: only
        // tasks/cancel (or the panel) stops it.
        caller.cancelled = task.cancelled();
        caller.disconnected = CancellationToken::new();
        caller.task = Some(task.id.clone());
        caller.round_trips = Some(
            caller
                .round_trips
                .or(client_capabilities)
                .unwrap_or_default(),
        );
        let seen = task.clone();
        caller.on_progress = Some(Arc::new(move |progress| {
            seen.progressed(progress.message.as_deref());
        }));
        let arguments = request.arguments.unwrap_or_default();
        run::start(
            task.clone(),
            tool,
            arguments,
            caller,
            self.shared.clone(),
            revision,
        );
        Ok(match revision {
            Revision::Experimental2025 => {
                let mut meta = MetaObject::new();
                meta.insert(CREATED_TASK.to_owned(), wire::created_2025(&task));
                CallToolResponse::Complete(
                    CallToolResult::success(Vec::new()).with_meta(Some(meta)),
                )
            }
            Revision::Extension2026 => CallToolResponse::Task(wire::created_2026(&task)),
        })
    }

    /// The task `id`, for the client in `context`, which the task now
    /// counts as the session it last heard from.
    pub(super) fn task(
        &self,
        id: &str,
        context: &RequestContext<RoleServer>,
    ) -> Result<Arc<Task>, McpError> {
        check_declared(context)?;
        let task = self.shared.tasks.find(id)?;
        task.heard_from(&context.peer);
        Ok(task)
    }

    /// A 2025-11-25 task request: `tasks/get`, `tasks/cancel`,
    /// `tasks/result` or `tasks/list`.
    pub(super) async fn legacy_task_request(
        &self,
        request: CustomRequest,
        context: RequestContext<RoleServer>,
    ) -> Result<CustomResult, McpError> {
        if request.method == "tasks/list" {
            return self.list_tasks(request);
        }
        let id = task_id(&request)?;
        let task = self.task(&id, &context)?;
        let answer = match request.method.as_str() {
            "tasks/result" => return task_result(&task, context).await,
            "tasks/cancel" if !task.cancel() => {
                return Err(McpError::invalid_params(
                    format!("task {id} has already ended; tasks/result has its result"),
                    None,
                ));
            }
            _ => wire::task_2025(&task, &task.state()),
        };
        Ok(CustomResult(answer))
    }
}

/// `tasks/result` (2025-11-25): waits for the task to end, then answers
/// exactly what the plain call would have, tied to the task.
async fn task_result(
    task: &Task,
    context: RequestContext<RoleServer>,
) -> Result<CustomResult, McpError> {
    let mut changes = task.watch();
    let ended = loop {
        if let Some(ended) = changes.borrow_and_update().status.ended() {
            break ended.clone();
        }
        tokio::select! {
            changed = changes.changed() => if changed.is_err() {
                return Err(McpError::internal_error("the task was dropped", None));
            },
            () = context.ct.cancelled() => {
                return Err(McpError::invalid_request("tasks/result was cancelled", None));
            }
        }
    };
    let mut result = serde_json::to_value(&ended.result)
        .map_err(|e| McpError::internal_error(e.to_string(), None))?;
    wire::tie_to_task(&mut result, &task.id);
    Ok(CustomResult(result))
}

impl DccServer {
    /// `tasks/list` (2025-11-25): every task kept, oldest first, in pages.
    fn list_tasks(&self, request: CustomRequest) -> Result<CustomResult, McpError> {
        let params: Option<PaginatedRequestParams> =
            (request.params).and_then(|params| serde_json::from_value(params).ok());
        let (tasks, next) = pagination::page(self.shared.tasks.list(), params.as_ref())?;
        let tasks: Vec<Value> = (tasks.iter())
            .map(|task| wire::task_2025(task, &task.state()))
            .collect();
        let mut result = json!({ "tasks": tasks });
        if let Some(next) = next {
            result["nextCursor"] = Value::String(next);
        }
        Ok(CustomResult(result))
    }
}
