//! The MCP server: a hand-written rmcp [`ServerHandler`] over the run-time
//! [`ToolRegistry`](crate::registries::tools::ToolRegistry). One instance
//! serves one client session; its tasks ([`tasks`]) outlive it.
// MCP logging is deprecated from protocol 2026-07-28 (SEP-2577), but every
// client of the 2025 revisions still uses it.
#![allow(deprecated)]

use std::collections::BTreeSet;
use std::sync::Arc;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU8, AtomicU64, Ordering};

use dcclink_bridge::lock_order::{LockLevel, OrderedMutex};
use dcclink_bridge::{Bridge, EventKind, LogLevel, Outcome};
use rmcp::ErrorData as McpError;
use rmcp::ServerHandler;
use rmcp::model::{
    CallToolRequestParams, CallToolResponse, CancelTaskParams, CompleteRequestParams,
    CompleteResult, GetPromptRequestParams, GetPromptResponse, GetPromptResult, GetTaskParams,
    GetTaskResult, Implementation, InitializeRequestParams, InitializeResult, InputRequiredResult,
    InputResponses, JsonObject, ListPromptsResult, ListResourceTemplatesResult,
    ListResourcesResult, ListToolsResult, PaginatedRequestParams, ProtocolVersion,
    ReadResourceRequestParams, ReadResourceResponse, ReadResourceResult, ServerCapabilities,
    ServerConfig, SetLevelRequestParams, SubscribeRequestParams, UnsubscribeRequestParams,
    UpdateTaskParams,
};
use rmcp::service::{NotificationContext, RequestContext, RoleServer};
use tokio_util::sync::CancellationToken;

use crate::audit::Record;
use crate::job::Job;
use crate::job::output::JobOutput;
use crate::job::running::{self, Caller, Running, Step};
use crate::limits::{CallQuota, ClientLimits, QuotasByName};
use crate::log_levels;
use crate::registries::completions::{self, Target};
use crate::registries::pagination;
use crate::shared::Shared;
use crate::tasks::wire;

mod list_changes;
mod tasks;

use list_changes::watch_lists;

/// `level`'s rank, as a session stores it.
fn rank_of(level: LogLevel) -> u8 {
    u8::try_from(log_levels::rank(level)).unwrap_or(1)
}

/// What dcclink serves: tools, resources (with subscriptions) and prompts,
/// each with list changes, and logging. `dcclink connect` says the same.
pub(crate) fn capabilities() -> ServerCapabilities {
    ServerCapabilities::builder()
        .enable_tools()
        .enable_tool_list_changed()
        .enable_resources()
        .enable_resources_list_changed()
        .enable_resources_subscribe()
        .enable_prompts()
        .enable_prompts_list_changed()
        .enable_completions()
        .enable_logging()
        .enable_tasks()
        .build()
}

/// Session numbers, process-wide.
static NEXT_SESSION: AtomicU64 = AtomicU64::new(1);

/// A connected client, announced to the panel; its end is announced when
/// the session (the last clone of its handler) goes away, and ends what
/// watches the lists for it.
struct Session {
    id: u64,
    bridge: Arc<Bridge>,
    ended: CancellationToken,
}

impl Drop for Session {
    fn drop(&mut self) {
        self.ended.cancel();
        self.bridge
            .events()
            .publish(EventKind::ClientDisconnected { client: self.id });
    }
}

/// One client session of the dcclink MCP server.
#[derive(Clone)]
pub struct DccServer {
    shared: Arc<Shared>,
    transport: &'static str,
    min_log_level: Arc<AtomicU8>,
    disconnected: CancellationToken,
    session: Arc<OnceLock<Session>>,
    subscriptions: Arc<OrderedMutex<BTreeSet<String>>>,
    quota: CallQuota,
    quotas_by_name: Option<Arc<QuotasByName>>,
}

impl DccServer {
    /// A session on `transport` (`"stdio"` or `"http"`).
    pub fn new(shared: Arc<Shared>, transport: &'static str) -> Self {
        Self {
            shared,
            transport,
            min_log_level: Arc::new(AtomicU8::new(rank_of(LogLevel::Info))),
            disconnected: CancellationToken::new(),
            session: Arc::new(OnceLock::new()),
            subscriptions: Arc::new(OrderedMutex::new(LockLevel::Subscriptions, BTreeSet::new())),
            quota: CallQuota::new(ClientLimits::default().max_calls_per_client),
            quotas_by_name: None,
        }
    }

    /// Lets this session's client have at most `max` calls queued or
    /// running at once.
    pub fn with_call_quota(mut self, max: usize) -> Self {
        self.quota = CallQuota::new(max);
        self
    }

    /// Counts the calls of a client without a session (MCP 2026-07-28
    /// over HTTP: each request stands alone) against the quota of the name
    /// its request gives, in `quotas`.
    pub(crate) fn with_quotas_by_name(mut self, quotas: Arc<QuotasByName>) -> Self {
        self.quotas_by_name = Some(quotas);
        self
    }

    /// Cancels this session's calls when `token` fires (the transport's
    /// "peer went away" signal).
    pub fn cancelled_on(mut self, token: CancellationToken) -> Self {
        self.disconnected = token;
        self
    }

    fn min_log_level(&self) -> LogLevel {
        log_levels::at_rank(usize::from(self.min_log_level.load(Ordering::Relaxed)))
    }

    /// Who sent the request in `context`, and where its notifications go.
    fn caller(&self, context: RequestContext<RoleServer>) -> Caller {
        let revision = (context.meta.protocol_version())
            .or_else(|| context.peer.peer_info().map(|i| i.protocol_version.clone()));
        let round_trips = revision
            .filter(|revision| *revision >= ProtocolVersion::V_2026_07_28)
            .map(|_| context.meta.client_capabilities().unwrap_or_default());
        // A client that opened no session (it sent no `initialize`) is
        // known by the name it gives.
        let quota = match (&self.quotas_by_name, self.session.get()) {
            (Some(by_name), None) => by_name.of(&self.client_name(&context)),
            _ => self.quota.clone(),
        };
        Caller {
            round_trips,
            label: self.client_label(&context),
            progress_token: context.meta.get_progress_token(),
            peer: context.peer,
            cancelled: context.ct,
            disconnected: self.disconnected.clone(),
            min_log_level: self.min_log_level(),
            task: None,
            on_progress: None,
            quota,
        }
    }

    /// The client's name and transport, for the panel and the audit log.
    fn client_label(&self, context: &RequestContext<RoleServer>) -> String {
        format!("{} ({})", self.client_name(context), self.transport)
    }

    /// The name the client gives itself.
    fn client_name(&self, context: &RequestContext<RoleServer>) -> String {
        // On MCP 2026-07-28 the client names itself in each request.
        (context.meta.client_info().map(|info| info.name))
            .or_else(|| context.peer.peer_info().map(|i| i.client_info.name.clone()))
            .unwrap_or_else(|| "client".to_owned())
    }

    /// Runs `job` for the client in `context` and records it in the audit
    /// log. `check` may turn the output into an error first (a tool's
    /// output schema), and the record says so.
    ///
    /// On MCP 2026-07-28 a tool that asks its client something ends the
    /// round with an `InputRequiredResult`; `retry` (the client's
    /// `requestState` and answers) then resumes that call instead of
    /// starting one.
    async fn run_recorded(
        &self,
        job: Job,
        arguments: JsonObject,
        retry: Retry,
        context: RequestContext<RoleServer>,
    ) -> Result<Reply, McpError> {
        let caller = self.caller(context);
        let shared = &self.shared;
        let (mut running, record) = match retry.request_state {
            Some(handle) => shared
                .round_trips
                .resume(&handle, &job.name, retry.input_responses)?,
            None => {
                let record = Record::begin(caller.label.clone(), &job, &arguments);
                let timeout = shared.default_timeout;
                match Running::start(&shared.bridge, job, arguments, timeout, &caller) {
                    Ok(running) => (running, record),
                    Err((output, outcome)) => {
                        record.end(&shared.audit, outcome);
                        return Ok(Reply::Output(output));
                    }
                }
            }
        };
        let (output, outcome) = match running.next(&caller).await {
            Step::Done(output, outcome) => (output, outcome),
            Step::Asking(question) => {
                let audited = shared.clone();
                let end = move |record: Record, outcome| record.end(&audited.audit, outcome);
                let asked = shared.round_trips.suspend(running, record, *question, end);
                return Ok(Reply::InputRequired(asked));
            }
        };
        record.end(&shared.audit, outcome);
        Ok(Reply::Output(output))
    }

    /// A `tools/call` answered with the tool's result.
    async fn call_plain(
        &self,
        request: CallToolRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, McpError> {
        let Some(tool) = self.shared.tools.get(&request.name) else {
            return Err(McpError::invalid_params(
                format!(
                    "unknown tool '{}'; call tools/list for the tools this host offers ({})",
                    request.name,
                    self.shared.tools.names().join(", ")
                ),
                None,
            ));
        };
        let arguments = request.arguments.unwrap_or_default();
        if let Err(problem) = tool.validate(&arguments) {
            let record = Record::begin(self.client_label(&context), &tool.job(), &arguments);
            record.end(&self.shared.audit, Outcome::Failed);
            return Ok(running::error_result(problem).into());
        }
        let retry = Retry {
            request_state: request.request_state,
            input_responses: request.input_responses,
        };
        match self
            .run_recorded(tool.job(), arguments, retry, context)
            .await?
        {
            Reply::Output(output) => Ok(running::tool_result(output).into()),
            Reply::InputRequired(asked) => Ok(asked.into()),
        }
    }
}

/// What one round of a job answers: its output, or (MCP 2026-07-28) the
/// question its tool asks the client first.
enum Reply {
    Output(JobOutput),
    InputRequired(InputRequiredResult),
}

impl Reply {
    /// The output of a job that cannot ask its client (a completion).
    fn output(self) -> Result<JobOutput, McpError> {
        match self {
            Self::Output(output) => Ok(output),
            Self::InputRequired(_) => Err(McpError::internal_error(
                "a completion cannot ask the client anything",
                None,
            )),
        }
    }
}

/// A request's MRTR fields: on the client's retry, the call it resumes and
/// the answers it brings.
#[derive(Default)]
struct Retry {
    request_state: Option<String>,
    input_responses: Option<InputResponses>,
}

impl ServerHandler for DccServer {
    fn get_info(&self) -> ServerConfig {
        InitializeResult::new(capabilities())
            .with_server_info(Implementation::new("dcclink", env!("CARGO_PKG_VERSION")))
            .with_instructions(
                "dcclink runs these tools inside a DCC application, one at a time, on its main \
             thread. Long tools report progress and can be cancelled.",
            )
    }

    async fn initialize(
        &self,
        request: InitializeRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<InitializeResult, McpError> {
        context.peer.set_peer_info(request.clone());
        let bridge = &self.shared.bridge;
        if self.session.get().is_none() {
            let id = NEXT_SESSION.fetch_add(1, Ordering::Relaxed);
            if self
                .session
                .set(Session {
                    id,
                    bridge: bridge.clone(),
                    ended: CancellationToken::new(),
                })
                .is_ok()
            {
                bridge.events().publish(EventKind::ClientConnected {
                    client: id,
                    name: request.client_info.name.clone(),
                    transport: self.transport.to_owned(),
                });
            }
        }
        self.negotiate_initialize(&request)
    }

    async fn on_initialized(&self, context: NotificationContext<RoleServer>) {
        let Some(session) = self.session.get() else {
            return;
        };
        let watcher = watch_lists(
            context.peer,
            self.shared.clone(),
            self.subscriptions.clone(),
            [session.ended.clone(), self.disconnected.clone()],
        );
        tokio::spawn(watcher);
    }

    async fn on_roots_list_changed(&self, context: NotificationContext<RoleServer>) {
        // Nothing is cached: a tool's next `ctx.roots()` asks the client.
        let client = context
            .peer
            .peer_info()
            .map(|info| info.client_info.name.clone());
        tracing::info!(?client, "the client's workspace folders (roots) changed");
    }

    async fn list_tools(
        &self,
        request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, McpError> {
        let (tools, next) = pagination::page(self.shared.tools.list(), request.as_ref())?;
        let mut result = ListToolsResult::with_all_items(tools);
        result.next_cursor = next;
        Ok(result)
    }

    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, McpError> {
        self.call_tool_or_task(request, context).await
    }

    async fn get_task(
        &self,
        request: GetTaskParams,
        context: RequestContext<RoleServer>,
    ) -> Result<GetTaskResult, McpError> {
        let task = self.task(&request.task_id, &context)?;
        Ok(GetTaskResult::new(wire::detailed_2026(
            &task,
            &task.state(),
        )))
    }

    async fn update_task(
        &self,
        request: UpdateTaskParams,
        context: RequestContext<RoleServer>,
    ) -> Result<(), McpError> {
        let task = self.task(&request.task_id, &context)?;
        for (key, answer) in request.input_responses {
            task.answer(&key, Ok(answer));
        }
        Ok(())
    }

    async fn cancel_task(
        &self,
        request: CancelTaskParams,
        context: RequestContext<RoleServer>,
    ) -> Result<(), McpError> {
        self.task(&request.task_id, &context)?.cancel();
        Ok(())
    }

    async fn complete(
        &self,
        request: CompleteRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<CompleteResult, McpError> {
        let target = Target::of(&request.r#ref, &request.argument.name);
        let Some(job) = target.and_then(|target| self.shared.completions.job(&target)) else {
            return Ok(CompleteResult::default()); // nothing to suggest
        };
        let given = request
            .context
            .and_then(|c| c.arguments)
            .unwrap_or_default();
        let arguments =
            completions::arguments(&request.argument.value, given.into_iter().collect());
        let retry = Retry::default();
        let reply = self.run_recorded(job, arguments, retry, context);
        let output = reply.await?.output()?;
        Ok(CompleteResult::new(completions::completion(output)?))
    }

    async fn list_prompts(
        &self,
        request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListPromptsResult, McpError> {
        let (items, next) = pagination::page(self.shared.prompts.list(), request.as_ref())?;
        let mut result = ListPromptsResult::with_all_items(items);
        result.next_cursor = next;
        Ok(result)
    }

    async fn get_prompt(
        &self,
        request: GetPromptRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<GetPromptResponse, McpError> {
        let Some(prompt) = self.shared.prompts.get(&request.name) else {
            return Err(McpError::invalid_params(
                format!(
                    "unknown prompt '{}'; prompts/list shows the prompts this host offers ({})",
                    request.name,
                    self.shared.prompts.names().join(", ")
                ),
                None,
            ));
        };
        let arguments = request.arguments.unwrap_or_default();
        prompt.check(&arguments)?;
        let retry = Retry {
            request_state: request.request_state,
            input_responses: request.input_responses,
        };
        match self
            .run_recorded(prompt.job(), arguments, retry, context)
            .await?
        {
            Reply::Output(output) => Ok(GetPromptResult::new(prompt.messages(output)?)
                .with_description(prompt.description())
                .into()),
            Reply::InputRequired(asked) => Ok(asked.into()),
        }
    }

    async fn list_resources(
        &self,
        request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListResourcesResult, McpError> {
        let (items, next) = pagination::page(self.shared.resources.list(), request.as_ref())?;
        let mut result = ListResourcesResult::with_all_items(items);
        result.next_cursor = next;
        Ok(result)
    }

    async fn subscribe(
        &self,
        request: SubscribeRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<(), McpError> {
        self.subscriptions.lock().insert(request.uri);
        Ok(())
    }

    async fn unsubscribe(
        &self,
        request: UnsubscribeRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<(), McpError> {
        self.subscriptions.lock().remove(&request.uri);
        Ok(())
    }

    async fn list_resource_templates(
        &self,
        request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListResourceTemplatesResult, McpError> {
        let (items, next) = pagination::page(self.shared.resources.templates(), request.as_ref())?;
        let mut result = ListResourceTemplatesResult::with_all_items(items);
        result.next_cursor = next;
        Ok(result)
    }

    async fn read_resource(
        &self,
        request: ReadResourceRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<ReadResourceResponse, McpError> {
        let uri = request.uri;
        let Some((resource, arguments)) = self.shared.resources.find(&uri) else {
            return Err(McpError::resource_not_found(
                format!(
                    "no resource is at '{uri}'; resources/list and resources/templates/list \
                     show what this host offers"
                ),
                Some(serde_json::json!({ "uri": uri })),
            ));
        };
        let retry = Retry {
            request_state: request.request_state,
            input_responses: request.input_responses,
        };
        match self
            .run_recorded(resource.job(&uri), arguments, retry, context)
            .await?
        {
            Reply::Output(output) => {
                let contents = resource.contents(&uri, output)?;
                Ok(ReadResourceResult::new(vec![contents]).into())
            }
            Reply::InputRequired(asked) => Ok(asked.into()),
        }
    }

    async fn on_custom_request(
        &self,
        request: rmcp::model::CustomRequest,
        context: RequestContext<RoleServer>,
    ) -> Result<rmcp::model::CustomResult, McpError> {
        match request.method.as_str() {
            "tasks/get" | "tasks/cancel" | "tasks/result" | "tasks/list" => {
                self.legacy_task_request(request, context).await
            }
            method => Err(crate::transports::wire_errors::custom_request_error(method)),
        }
    }

    async fn set_level(
        &self,
        request: SetLevelRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<(), McpError> {
        let level = log_levels::from_mcp(request.level);
        self.min_log_level.store(rank_of(level), Ordering::Relaxed);
        Ok(())
    }
}
