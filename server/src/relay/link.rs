//! The relay's client side: one MCP session with a running instance over
//! Streamable HTTP, whose notifications and requests go on to the IDE.
// MCP logging, sampling and roots are deprecated from protocol 2026-07-28
// (SEP-2577), but every client of the 2025 revisions still uses them.
#![allow(deprecated)]

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

use dcclink_bridge::lock_order::{LockLevel, OrderedMutex};
use rmcp::ErrorData as McpError;
use rmcp::model::{
    ClientCapabilities, ClientConfig, CreateMessageRequestParams, CreateMessageResult,
    ElicitRequestParams, ElicitResult, Implementation, ListRootsResult,
    LoggingMessageNotificationParam, ProgressNotificationParam, ProgressToken,
    ResourceUpdatedNotificationParam,
};
use rmcp::service::{
    NotificationContext, Peer, RequestContext, RoleClient, RoleServer, RunningService, ServiceError,
};
use rmcp::transport::StreamableHttpClientTransport;
use rmcp::transport::streamable_http_client::StreamableHttpClientTransportConfig;
use rmcp::{ClientHandler, ServiceExt as _};

use tokio_util::sync::CancellationToken;

use crate::instances::Instance;

/// The IDE's side, which upstream notifications go to.
pub(super) struct Downstream {
    /// The IDE's connection, once it has initialized.
    pub ide: OnceLock<Peer<RoleServer>>,
    /// The IDE's name, for the instance's panel.
    pub ide_name: OnceLock<String>,
    /// The progress tokens of calls in flight: the relay's (upstream) to
    /// the IDE's.
    progress: OrderedMutex<HashMap<ProgressToken, ProgressToken>>,
}

impl Downstream {
    /// Nothing known yet.
    pub(super) fn new() -> Self {
        Self {
            ide: OnceLock::new(),
            ide_name: OnceLock::new(),
            progress: OrderedMutex::new(LockLevel::Relay, HashMap::new()),
        }
    }

    /// Routes the progress of the upstream call `ours` to the IDE's `theirs`.
    pub(super) fn route_progress(&self, ours: ProgressToken, theirs: ProgressToken) {
        self.progress.lock().insert(ours, theirs);
    }

    /// Stops routing `ours`.
    pub(super) fn forget_progress(&self, ours: &ProgressToken) {
        self.progress.lock().remove(ours);
    }

    /// What the IDE said it can do that an instance may ask of it: ask the
    /// user (elicitation), run its model (sampling) and list its roots.
    fn capabilities(&self) -> ClientCapabilities {
        let mut relayed = ClientCapabilities::default();
        if let Some(ide) = self.ide.get().and_then(Peer::peer_info) {
            relayed.elicitation = ide.capabilities.elicitation.clone();
            relayed.sampling = ide.capabilities.sampling.clone();
            relayed.roots = ide.capabilities.roots.clone();
        }
        relayed
    }

    /// The IDE, for a request the instance sent it.
    fn ide_for_request(&self) -> Result<&Peer<RoleServer>, McpError> {
        self.ide.get().ok_or_else(|| {
            McpError::internal_error("the IDE has not connected to dcclink yet", None)
        })
    }
}

/// Passes the IDE's answer to a request from the instance back upstream,
/// and stops waiting when the instance cancels the request.
async fn relay_answer<T>(
    answer: impl Future<Output = Result<T, ServiceError>>,
    context: &RequestContext<RoleClient>,
) -> Result<T, McpError> {
    tokio::select! {
        answer = answer => answer.map_err(|error| match error {
            ServiceError::McpError(error) => error,
            other => McpError::internal_error(format!("the IDE did not answer: {other}"), None),
        }),
        () = context.ct.cancelled() => Err(McpError::internal_error(
            "the DCC withdrew the request".to_owned(),
            None,
        )),
    }
}

/// Receives what the instance sends, and passes it on to the IDE.
#[derive(Clone)]
pub(super) struct UpstreamHandler {
    downstream: Arc<Downstream>,
}

impl ClientHandler for UpstreamHandler {
    fn get_info(&self) -> ClientConfig {
        let ide = self
            .downstream
            .ide_name
            .get()
            .map_or("an IDE", String::as_str);
        ClientConfig::new(
            self.downstream.capabilities(),
            Implementation::new(
                format!("{ide} via dcclink connect"),
                env!("CARGO_PKG_VERSION"),
            ),
        )
    }

    async fn create_elicitation(
        &self,
        request: ElicitRequestParams,
        context: RequestContext<RoleClient>,
    ) -> Result<ElicitResult, McpError> {
        let ide = self.downstream.ide_for_request()?;
        relay_answer(ide.create_elicitation(request), &context).await
    }

    async fn create_message(
        &self,
        params: CreateMessageRequestParams,
        context: RequestContext<RoleClient>,
    ) -> Result<CreateMessageResult, McpError> {
        let ide = self.downstream.ide_for_request()?;
        relay_answer(ide.create_message(params), &context).await
    }

    async fn list_roots(
        &self,
        context: RequestContext<RoleClient>,
    ) -> Result<ListRootsResult, McpError> {
        let ide = self.downstream.ide_for_request()?;
        relay_answer(ide.list_roots(), &context).await
    }

    async fn on_progress(
        &self,
        mut params: ProgressNotificationParam,
        _context: NotificationContext<RoleClient>,
    ) {
        let theirs = self
            .downstream
            .progress
            .lock()
            .get(&params.progress_token)
            .cloned();
        if let (Some(theirs), Some(ide)) = (theirs, self.downstream.ide.get()) {
            params.progress_token = theirs;
            let _ = ide.notify_progress(params).await;
        }
    }

    async fn on_logging_message(
        &self,
        params: LoggingMessageNotificationParam,
        _context: NotificationContext<RoleClient>,
    ) {
        if let Some(ide) = self.downstream.ide.get() {
            let _ = ide.notify_logging_message(params).await;
        }
    }

    async fn on_tool_list_changed(&self, _context: NotificationContext<RoleClient>) {
        if let Some(ide) = self.downstream.ide.get() {
            let _ = ide.notify_tool_list_changed().await;
        }
    }

    async fn on_resource_updated(
        &self,
        params: ResourceUpdatedNotificationParam,
        _context: NotificationContext<RoleClient>,
    ) {
        if let Some(ide) = self.downstream.ide.get() {
            let _ = ide.notify_resource_updated(params).await;
        }
    }

    async fn on_prompt_list_changed(&self, _context: NotificationContext<RoleClient>) {
        if let Some(ide) = self.downstream.ide.get() {
            let _ = ide.notify_prompt_list_changed().await;
        }
    }

    async fn on_resource_list_changed(&self, _context: NotificationContext<RoleClient>) {
        if let Some(ide) = self.downstream.ide.get() {
            let _ = ide.notify_resource_list_changed().await;
        }
    }
}

/// A live session with one instance.
pub(super) struct Link {
    /// The instance, as the registry listed it.
    pub instance: Instance,
    /// Fires when the instance's process is found dead: HTTP alone may
    /// never say so (the client waits to resume the answer's stream), so
    /// the calls in flight on this link are answered with an error then.
    pub lost: CancellationToken,
    service: RunningService<RoleClient, UpstreamHandler>,
}

impl Link {
    /// Connects to `instance` and initializes a session.
    pub(super) async fn open(
        instance: Instance,
        downstream: Arc<Downstream>,
    ) -> Result<Self, String> {
        let config = StreamableHttpClientTransportConfig::with_uri(instance.url.clone())
            .auth_header(instance.token.clone());
        // One kept-alive connection, where rmcp's default client opens one
        // per request: the instance answers with TCP_NODELAY set, so reuse
        // meets no delayed-ACK stall, and each call saves a TCP handshake.
        let client = reqwest::Client::builder()
            .tcp_nodelay(true)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|error| format!("cannot make an HTTP client: {error}"))?;
        let transport = StreamableHttpClientTransport::with_client(client, config);
        let handler = UpstreamHandler { downstream };
        let service = handler.serve(transport).await.map_err(|error| {
            format!(
                "cannot reach the {} instance {} at {}: {error}",
                instance.dcc, instance.id, instance.url
            )
        })?;
        Ok(Self {
            instance,
            lost: CancellationToken::new(),
            service,
        })
    }

    /// Fires [`Link::lost`] if the instance's process has exited.
    pub(super) fn check_alive(&self) {
        if !crate::instances::is_alive(self.instance.pid) {
            self.lost.cancel();
        }
    }

    /// What a call in flight is told when the instance died under it.
    pub(super) fn lost_while_running(&self) -> String {
        format!(
            "the {} instance {} stopped while this call was running (its process {} exited), so \
             it has no answer; it may have done part of its work — check the scene, and when \
             dcclink runs again, ask again",
            self.instance.dcc, self.instance.id, self.instance.pid
        )
    }

    /// Ends the session (rmcp then tells the instance).
    pub(super) fn close(&self) {
        self.service.cancellation_token().cancel();
    }

    /// The session's connection, for requests.
    pub(super) fn peer(&self) -> Peer<RoleClient> {
        self.service.peer().clone()
    }

    /// True once the session has ended.
    pub(super) fn is_closed(&self) -> bool {
        self.service.is_closed()
    }
}
