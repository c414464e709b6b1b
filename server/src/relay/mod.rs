//! `dcclink connect`: the command IDEs launch. An MCP server on stdio that
//! relays every request to one running instance (in a DCC, or `dcclink
//! serve --http`) over Streamable HTTP, and every notification back:
//! progress, logs, cancellation and list changes. The instance's requests
//! to the client (elicitation, sampling, roots) go on to the IDE.
//!
//! The instance is the one the registry names for `--instance` or `--dcc`,
//! or the only one running; with several it never guesses. While none is
//! running the IDE still gets a tool list: one `dcclink_status` tool that
//! says what to open. The relay watches the registry, reconnects when the
//! DCC restarts, and tells the IDE the lists changed.
//!
//! No call is left hanging at either end. When the instance's process dies
//! mid-call, every call in flight to it is answered with an error that says
//! so. When the IDE goes away (it closes stdin, or stops the relay with
//! SIGTERM, SIGINT or SIGHUP), every call in flight is cancelled at the
//! instance before the relay exits.
// MCP logging is deprecated from protocol 2026-07-28 (SEP-2577), but every
// client of the 2025 revisions still uses it.
#![allow(deprecated)]

mod link;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use dcclink_bridge::lock_order::{LockLevel, OrderedMutex};
use rmcp::ErrorData as McpError;
use rmcp::ServerHandler;
use rmcp::ServiceExt as _;
use rmcp::model::{
    CallToolRequest, CallToolRequestParams, CallToolResponse, CallToolResult,
    CancelledNotificationParam, ClientRequest, CompleteRequest, CompleteRequestParams,
    CompleteResult, ContentBlock, GetPromptRequest, GetPromptRequestParams, GetPromptResponse,
    Implementation, InitializeRequestParams, InitializeResult, JsonObject, ListPromptsRequest,
    ListPromptsResult, ListResourceTemplatesRequest, ListResourceTemplatesResult,
    ListResourcesRequest, ListResourcesResult, ListToolsRequest, ListToolsResult,
    PaginatedRequestParams, ReadResourceRequest, ReadResourceRequestParams, ReadResourceResponse,
    ResultType, ServerConfig, ServerResult, SetLevelRequest, SetLevelRequestParams,
    SubscribeRequest, SubscribeRequestParams, Tool, UnsubscribeRequest, UnsubscribeRequestParams,
};
use rmcp::service::{PeerRequestOptions, RequestContext, RoleServer, ServiceError};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::instances::{self, Instance};
use crate::transports::stdio::{StdioTransport, take_process_stdio};
use link::{Downstream, Link};

/// The longest line the IDE may send.
const MAX_LINE: usize = 8 * 1024 * 1024;
/// How often the relay looks at the registry for a restarted instance, and
/// at each linked instance's process.
const WATCH_EVERY: Duration = Duration::from_secs(1);
/// How long an exiting relay waits for its calls' cancellations to go out.
const WIND_DOWN: Duration = Duration::from_secs(2);
/// The tool the IDE sees while no instance can be reached.
pub const STATUS_TOOL: &str = "dcclink_status";
/// The argument that sends one tool call to another running instance.
pub const INSTANCE_ARGUMENT: &str = "dcclink_instance";

/// Which running instance the relay serves.
#[derive(Debug, Clone, Default)]
pub struct Choice {
    /// The instance with this id (`dcclink list` shows them).
    pub instance: Option<String>,
    /// Else the only running instance of this DCC.
    pub dcc: Option<String>,
}

impl Choice {
    /// The instance chosen among `running`, or why there is none.
    fn pick(&self, running: &[Instance]) -> Result<Instance, String> {
        instances::select(running, self.instance.as_deref(), self.dcc.as_deref())
            .map_err(|error| error.to_string())
    }
}

/// Runs the relay on this process's stdin and stdout until the IDE closes
/// stdin.
pub fn run_stdio(choice: Choice) -> std::io::Result<()> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async move {
        let (reader, writer) = take_process_stdio()?;
        let transport = StdioTransport::new(reader, writer, MAX_LINE);
        let relay = Relay::new(choice);
        let gone = relay.inner.ide_gone.clone();
        let (stdin_closed, on_signal) = (transport.closed(), gone.clone());
        tokio::spawn(async move {
            tokio::select! {
                () = stdin_closed.cancelled() => tracing::info!("the IDE closed stdin"),
                () = crate::runtime::wait_for_signal() => tracing::info!("signal received"),
            }
            on_signal.cancel();
        });
        let watcher = tokio::spawn(relay.clone().watch_registry());
        match relay.clone().serve(transport).await {
            Ok(running) => {
                tokio::select! {
                    _ = running.waiting() => {}
                    () = gone.cancelled() => {}
                }
            }
            Err(error) => tracing::warn!(%error, "the IDE left before initializing"),
        }
        watcher.abort();
        relay.wind_down().await;
        Ok(())
    })
}

/// The relay: an MCP server for the IDE, a client of the instance.
#[derive(Clone)]
pub struct Relay {
    inner: Arc<Inner>,
}

struct Inner {
    /// The instance to relay to; `dcclink_status` with an `instance`
    /// argument changes it.
    choice: OrderedMutex<Choice>,
    downstream: Arc<Downstream>,
    link: OrderedMutex<Option<Arc<Link>>>,
    /// Links to other instances, by id, for calls that name one with
    /// [`INSTANCE_ARGUMENT`].
    elsewhere: OrderedMutex<HashMap<String, Arc<Link>>>,
    /// Fires when the IDE goes away: its calls are then cancelled upstream.
    ide_gone: CancellationToken,
    /// The requests being forwarded, so that exiting waits (bounded) for
    /// their cancellations to reach the instance.
    in_flight: TaskTracker,
}

impl Relay {
    /// A relay to the instance `choice` names; it connects on first use.
    pub fn new(choice: Choice) -> Self {
        Self {
            inner: Arc::new(Inner {
                choice: OrderedMutex::new(LockLevel::Relay, choice),
                downstream: Arc::new(Downstream::new()),
                link: OrderedMutex::new(LockLevel::Relay, None),
                elsewhere: OrderedMutex::new(LockLevel::Relay, HashMap::new()),
                ide_gone: CancellationToken::new(),
                in_flight: TaskTracker::new(),
            }),
        }
    }

    /// The live link to the chosen instance: the current one, or a new
    /// one when there is none, it has closed, or another instance is now
    /// the chosen one.
    async fn link(&self) -> Result<Arc<Link>, String> {
        let current = self.inner.link.lock().clone();
        if let Some(link) = current.filter(|link| !link.is_closed()) {
            return Ok(link);
        }
        let instance = self.pick()?;
        let link = Arc::new(Link::open(instance, self.inner.downstream.clone()).await?);
        *self.inner.link.lock() = Some(link.clone());
        Ok(link)
    }

    /// The live link to the instance `id`, or to the chosen one when `id`
    /// is `None`.
    async fn link_to(&self, id: Option<&str>) -> Result<Arc<Link>, String> {
        let Some(id) = id else {
            return self.link().await;
        };
        let current = self.inner.link.lock().clone();
        let known = self.inner.elsewhere.lock().get(id).cloned();
        if let Some(link) = current
            .into_iter()
            .chain(known)
            .find(|link| link.instance.id == id && !link.is_closed())
        {
            return Ok(link);
        }
        let instance =
            instances::select_running(Some(id), None).map_err(|error| error.to_string())?;
        let link = Arc::new(Link::open(instance, self.inner.downstream.clone()).await?);
        let mut elsewhere = self.inner.elsewhere.lock();
        elsewhere.retain(|_, link| !link.is_closed());
        elsewhere.insert(id.to_owned(), link.clone());
        Ok(link)
    }

    /// The chosen instance among those running now, or why there is none.
    fn pick(&self) -> Result<Instance, String> {
        self.pick_among(&running_now()?)
    }

    /// The chosen instance among `running`, or why there is none.
    fn pick_among(&self, running: &[Instance]) -> Result<Instance, String> {
        let choice = self.inner.choice.lock().clone();
        choice.pick(running)
    }

    /// `dcclink_status`: where the relay is connected; with `instance`,
    /// relay to that instance from now on (the agent's explicit choice
    /// when several run).
    async fn status(&self, instance: Option<&str>) -> CallToolResult {
        if let Some(id) = instance {
            if let Err(why) = instances::select_running(Some(id), None) {
                return CallToolResult::error(vec![ContentBlock::text(why.to_string())]);
            }
            *self.inner.choice.lock() = Choice {
                instance: Some(id.to_owned()),
                dcc: None,
            };
            *self.inner.link.lock() = None;
            if let Some(ide) = self.inner.downstream.ide.get() {
                let _ = ide.notify_tool_list_changed().await;
            }
        }
        match self.link().await {
            Ok(link) => CallToolResult::success(vec![ContentBlock::text(format!(
                "connected to the {} instance {} ({}); call tools/list for its tools",
                link.instance.dcc, link.instance.id, link.instance.url
            ))]),
            Err(why) => CallToolResult::error(vec![ContentBlock::text(why)]),
        }
    }

    /// Every open link: to the chosen instance and to the others.
    fn open_links(&self) -> Vec<Arc<Link>> {
        let current = self.inner.link.lock().clone();
        let elsewhere = self.inner.elsewhere.lock();
        current
            .into_iter()
            .chain(elsewhere.values().cloned())
            .collect()
    }

    /// The IDE has gone: waits (bounded) for the calls in flight to be
    /// cancelled at their instances, then ends each session.
    async fn wind_down(&self) {
        self.inner.ide_gone.cancel();
        self.inner.in_flight.close();
        if tokio::time::timeout(WIND_DOWN, self.inner.in_flight.wait())
            .await
            .is_err()
        {
            tracing::warn!("calls still in flight after {WIND_DOWN:?}; exiting anyway");
        }
        for link in self.open_links() {
            link.close();
        }
    }

    /// Forgets `link` (after it failed), so the next request reconnects.
    fn drop_link(&self, link: &Arc<Link>) {
        let mut current = self.inner.link.lock();
        if current.as_ref().is_some_and(|c| Arc::ptr_eq(c, link)) {
            *current = None;
        }
        drop(current);
        self.inner
            .elsewhere
            .lock()
            .retain(|_, other| !Arc::ptr_eq(other, link));
    }

    /// Sends `request` to the chosen instance and waits for its answer.
    async fn forward(
        &self,
        request: ClientRequest,
        context: &RequestContext<RoleServer>,
    ) -> Result<ServerResult, McpError> {
        let link = self.link().await.map_err(unavailable)?;
        self.forward_on(link, None, request, context).await
    }

    /// Sends `request` on `link`, to the instance `id` (the chosen one for
    /// `None`), and waits for its answer, passing progress on and the IDE's
    /// cancellation back. A request that could not be sent is sent once
    /// more on a fresh link (the DCC may have restarted); one that was sent
    /// is never sent twice.
    async fn forward_on(
        &self,
        mut link: Arc<Link>,
        id: Option<&str>,
        request: ClientRequest,
        context: &RequestContext<RoleServer>,
    ) -> Result<ServerResult, McpError> {
        let _in_flight = self.inner.in_flight.token();
        // An IDE on MCP 2026-07-28 sends no initialize: its first request
        // says where its notifications go.
        let downstream = &self.inner.downstream;
        downstream.ide.get_or_init(|| context.peer.clone());
        let handle = match link
            .peer()
            .send_request_with_option(request.clone(), PeerRequestOptions::no_options())
            .await
        {
            Ok(handle) => handle,
            Err(_) => {
                self.drop_link(&link);
                link = self.link_to(id).await.map_err(unavailable)?;
                link.peer()
                    .send_request_with_option(request, PeerRequestOptions::no_options())
                    .await
                    .map_err(|error| unavailable(format!("the DCC did not take it: {error}")))?
            }
        };
        let ours = handle.progress_token.clone();
        if let Some(theirs) = context.meta.get_progress_token() {
            downstream.route_progress(ours.clone(), theirs);
        }
        let (id, peer) = (handle.id.clone(), handle.peer.clone());
        let stop = tokio::select! {
            answer = handle.rx => Ok(answer),
            () = context.ct.cancelled() => Err("cancelled by the IDE"),
            () = self.inner.ide_gone.cancelled() => Err("the IDE disconnected"),
            () = link.lost.cancelled() => {
                downstream.forget_progress(&ours);
                self.drop_link(&link);
                return Err(unavailable(link.lost_while_running()));
            }
        };
        downstream.forget_progress(&ours);
        let answer = match stop {
            Ok(answer) => answer,
            Err(reason) => {
                let cancel = CancelledNotificationParam::new(Some(id), Some(reason.to_owned()));
                let _ = peer.notify_cancelled(cancel).await;
                return Err(McpError::internal_error(reason.to_owned(), None));
            }
        };
        match answer {
            Ok(Ok(result)) => Ok(complete(result)),
            Ok(Err(ServiceError::McpError(error))) => Err(error),
            failed => {
                self.drop_link(&link);
                let why = match failed {
                    Ok(Err(error)) => error.to_string(),
                    _ => "the connection closed".to_owned(),
                };
                Err(unavailable(format!(
                    "the {} instance {} did not answer ({why}); it may have quit or crashed — \
                     when it is back, ask again",
                    link.instance.dcc, link.instance.id
                )))
            }
        }
    }

    /// Looks at the registry every second: when the chosen instance is
    /// another one than the link's (the DCC restarted) or none, it drops
    /// the link and tells the IDE the lists changed. It also tells the IDE
    /// the tools changed when a second instance starts or the last other
    /// one stops, because the tools then gain or lose
    /// [`INSTANCE_ARGUMENT`].
    async fn watch_registry(self) {
        let running = running_now().unwrap_or_default();
        let mut was = self.pick_among(&running).ok().map(|i| i.id);
        let mut several = running.len() > 1;
        loop {
            tokio::time::sleep(WATCH_EVERY).await;
            for link in self.open_links() {
                link.check_alive();
            }
            let running = running_now().unwrap_or_default(); // read once a pass
            let now = self.pick_among(&running).ok().map(|i| i.id);
            let several_now = running.len() > 1;
            let chosen_changed = now != was;
            if !chosen_changed && several_now == several {
                continue;
            }
            tracing::info!(?was, ?now, several_now, "the running instances changed");
            (was, several) = (now, several_now);
            if chosen_changed {
                *self.inner.link.lock() = None;
            }
            if let Some(ide) = self.inner.downstream.ide.get() {
                let _ = ide.notify_tool_list_changed().await;
                if chosen_changed {
                    let _ = ide.notify_resource_list_changed().await;
                }
            }
        }
    }
}

/// The instances running now, or why the registry cannot be read.
fn running_now() -> Result<Vec<Instance>, String> {
    instances::running().map_err(|error| error.to_string())
}

/// The one tool listed while no instance can be reached.
fn status_tool(why: &str) -> Tool {
    let properties = serde_json::json!({
        "instance": {
            "type": "string",
            "description": "the id of the instance to use from now on, when several run"
        }
    });
    let schema = JsonObject::from_iter([
        ("type".to_owned(), "object".into()),
        ("properties".to_owned(), properties),
        ("additionalProperties".to_owned(), false.into()),
    ]);
    Tool::new(
        STATUS_TOOL,
        format!(
            "dcclink cannot reach a DCC: {why}. Call this tool to check again, or with \
             instance=ID to choose one of several."
        ),
        Arc::new(schema),
    )
}

/// The error for a request no instance can take, saying why.
fn unavailable(why: String) -> McpError {
    McpError::internal_error(why, None)
}

/// Adds the optional [`INSTANCE_ARGUMENT`] to `tool`'s arguments, naming
/// the instances it may send a call to.
fn with_instance_argument(mut tool: Tool, running: &str) -> Tool {
    let schema = Arc::make_mut(&mut tool.input_schema);
    let properties = schema
        .entry("properties")
        .or_insert_with(|| serde_json::json!({}));
    if let Some(properties) = properties.as_object_mut() {
        properties.insert(
            INSTANCE_ARGUMENT.to_owned(),
            serde_json::json!({
                "type": "string",
                "description": format!(
                    "run this one call on another running dcclink instance, by id \
                     ({running}); leave it out for the current one"
                ),
            }),
        );
    }
    tool
}

/// Takes [`INSTANCE_ARGUMENT`] out of a call's arguments: the instance it
/// names, if any.
fn take_instance_argument(request: &mut CallToolRequestParams) -> Result<Option<String>, String> {
    let Some(arguments) = request.arguments.as_mut() else {
        return Ok(None);
    };
    match arguments.remove(INSTANCE_ARGUMENT) {
        None => Ok(None),
        Some(serde_json::Value::String(id)) => Ok(Some(id)),
        Some(other) => Err(format!(
            "{INSTANCE_ARGUMENT} must be an instance id such as \"blender-1234\" \
             (dcclink_status lists them), not {other}"
        )),
    }
}

/// `result` marked `"resultType": "complete"` where the instance's 2025
/// session left the mark out: an IDE on MCP 2026-07-28 needs it (rmcp takes
/// it off again for an IDE on the 2025 revisions).
fn complete(mut result: ServerResult) -> ServerResult {
    let result_type = match &mut result {
        ServerResult::CallToolResult(r) => &mut r.result_type,
        ServerResult::CompleteResult(r) => &mut r.result_type,
        ServerResult::GetPromptResult(r) => &mut r.result_type,
        ServerResult::ListPromptsResult(r) => &mut r.result_type,
        ServerResult::ListResourcesResult(r) => &mut r.result_type,
        ServerResult::ListResourceTemplatesResult(r) => &mut r.result_type,
        ServerResult::ListToolsResult(r) => &mut r.result_type,
        ServerResult::ReadResourceResult(r) => &mut r.result_type,
        _ => return result,
    };
    result_type.get_or_insert(ResultType::COMPLETE);
    result
}

fn unexpected(result: ServerResult) -> McpError {
    McpError::internal_error(format!("the DCC answered out of turn: {result:?}"), None)
}

impl ServerHandler for Relay {
    fn get_info(&self) -> ServerConfig {
        InitializeResult::new(crate::session::capabilities())
            .with_server_info(Implementation::new("dcclink", env!("CARGO_PKG_VERSION")))
            .with_instructions(
                "dcclink connect relays to a DCC application (Blender, Maya, Houdini, …) where \
             dcclink runs; its tools run there, one at a time, on its main thread. When \
             several instances run, every tool takes an optional dcclink_instance argument \
             that sends that one call to another instance; dcclink_status(instance=ID) \
             switches for good.",
            )
    }

    async fn initialize(
        &self,
        request: InitializeRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<InitializeResult, McpError> {
        let downstream = &self.inner.downstream;
        let _ = downstream.ide_name.set(request.client_info.name.clone());
        let _ = downstream.ide.set(context.peer.clone());
        context.peer.set_peer_info(request.clone());
        self.negotiate_initialize(&request)
    }

    async fn on_roots_list_changed(
        &self,
        _context: rmcp::service::NotificationContext<RoleServer>,
    ) {
        let link = self.inner.link.lock().clone();
        if let Some(link) = link {
            let _ = link.peer().notify_roots_list_changed().await;
        }
    }

    async fn list_tools(
        &self,
        request: Option<PaginatedRequestParams>,
        context: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, McpError> {
        let link = match self.link().await {
            Ok(link) => link,
            Err(why) => return Ok(ListToolsResult::with_all_items(vec![status_tool(&why)])),
        };
        let request = ClientRequest::ListToolsRequest(ListToolsRequest::with_param(
            request.unwrap_or_default(),
        ));
        let mut result = match self.forward_on(link, None, request, &context).await? {
            ServerResult::ListToolsResult(result) => result,
            other => return Err(unexpected(other)),
        };
        let running = running_now().unwrap_or_default();
        if running.len() > 1 {
            let ids: Vec<&str> = running.iter().map(|i| i.id.as_str()).collect();
            let ids = ids.join(", ");
            result.tools = (result.tools.into_iter())
                .map(|tool| with_instance_argument(tool, &ids))
                .collect();
        }
        Ok(result)
    }

    async fn call_tool(
        &self,
        mut request: CallToolRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, McpError> {
        if request.name == STATUS_TOOL {
            let arguments = request.arguments.unwrap_or_default();
            let instance = arguments.get("instance").and_then(|v| v.as_str());
            return Ok(self.status(instance).await.into());
        }
        let failed = |why| Ok(CallToolResult::error(vec![ContentBlock::text(why)]).into());
        let target = match take_instance_argument(&mut request) {
            Ok(target) => target,
            Err(why) => return failed(why),
        };
        let link = match self.link_to(target.as_deref()).await {
            Ok(link) => link,
            Err(why) => return failed(why),
        };
        let request = ClientRequest::CallToolRequest(CallToolRequest::new(request));
        match self
            .forward_on(link, target.as_deref(), request, &context)
            .await?
        {
            ServerResult::CallToolResult(result) => Ok(result.into()),
            other => Err(unexpected(other)),
        }
    }

    async fn list_resources(
        &self,
        request: Option<PaginatedRequestParams>,
        context: RequestContext<RoleServer>,
    ) -> Result<ListResourcesResult, McpError> {
        let Ok(link) = self.link().await else {
            return Ok(ListResourcesResult::default());
        };
        let request = ClientRequest::ListResourcesRequest(ListResourcesRequest::with_param(
            request.unwrap_or_default(),
        ));
        match self.forward_on(link, None, request, &context).await? {
            ServerResult::ListResourcesResult(result) => Ok(result),
            other => Err(unexpected(other)),
        }
    }

    async fn list_resource_templates(
        &self,
        request: Option<PaginatedRequestParams>,
        context: RequestContext<RoleServer>,
    ) -> Result<ListResourceTemplatesResult, McpError> {
        let Ok(link) = self.link().await else {
            return Ok(ListResourceTemplatesResult::default());
        };
        let request = ClientRequest::ListResourceTemplatesRequest(
            ListResourceTemplatesRequest::with_param(request.unwrap_or_default()),
        );
        match self.forward_on(link, None, request, &context).await? {
            ServerResult::ListResourceTemplatesResult(result) => Ok(result),
            other => Err(unexpected(other)),
        }
    }

    async fn read_resource(
        &self,
        request: ReadResourceRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<ReadResourceResponse, McpError> {
        let request = ClientRequest::ReadResourceRequest(ReadResourceRequest::new(request));
        match self.forward(request, &context).await? {
            ServerResult::ReadResourceResult(result) => Ok(result.into()),
            other => Err(unexpected(other)),
        }
    }

    async fn complete(
        &self,
        request: CompleteRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<CompleteResult, McpError> {
        let request = ClientRequest::CompleteRequest(CompleteRequest::new(request));
        match self.forward(request, &context).await? {
            ServerResult::CompleteResult(result) => Ok(result),
            other => Err(unexpected(other)),
        }
    }

    async fn subscribe(
        &self,
        request: SubscribeRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<(), McpError> {
        let request = ClientRequest::SubscribeRequest(SubscribeRequest::new(request));
        self.forward(request, &context).await.map(drop)
    }

    async fn unsubscribe(
        &self,
        request: UnsubscribeRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<(), McpError> {
        let request = ClientRequest::UnsubscribeRequest(UnsubscribeRequest::new(request));
        self.forward(request, &context).await.map(drop)
    }

    async fn list_prompts(
        &self,
        request: Option<PaginatedRequestParams>,
        context: RequestContext<RoleServer>,
    ) -> Result<ListPromptsResult, McpError> {
        let Ok(link) = self.link().await else {
            return Ok(ListPromptsResult::default());
        };
        let request = ClientRequest::ListPromptsRequest(ListPromptsRequest::with_param(
            request.unwrap_or_default(),
        ));
        match self.forward_on(link, None, request, &context).await? {
            ServerResult::ListPromptsResult(result) => Ok(result),
            other => Err(unexpected(other)),
        }
    }

    async fn get_prompt(
        &self,
        request: GetPromptRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<GetPromptResponse, McpError> {
        let request = ClientRequest::GetPromptRequest(GetPromptRequest::new(request));
        match self.forward(request, &context).await? {
            ServerResult::GetPromptResult(result) => Ok(result.into()),
            other => Err(unexpected(other)),
        }
    }

    async fn on_custom_request(
        &self,
        request: rmcp::model::CustomRequest,
        _context: RequestContext<RoleServer>,
    ) -> Result<rmcp::model::CustomResult, McpError> {
        Err(crate::transports::wire_errors::custom_request_error(
            &request.method,
        ))
    }

    async fn set_level(
        &self,
        request: SetLevelRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<(), McpError> {
        let request = ClientRequest::SetLevelRequest(SetLevelRequest::new(request));
        self.forward(request, &context).await.map(drop)
    }
}
