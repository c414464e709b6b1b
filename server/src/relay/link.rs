//! The relay's client side: one MCP session with a running instance over
//! Streamable HTTP, whose notifications go on to the IDE.
// MCP logging is deprecated from protocol 2026-07-28 (SEP-2577), but every
// client of the 2025 revisions still uses it.
#![allow(deprecated)]

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

use dcclink_bridge::lock_order::{LockLevel, OrderedMutex};
use rmcp::model::{
    ClientCapabilities, ClientConfig, Implementation, LoggingMessageNotificationParam,
    ProgressNotificationParam, ProgressToken, ResourceUpdatedNotificationParam,
};
use rmcp::service::{NotificationContext, Peer, RoleClient, RoleServer, RunningService};
use rmcp::transport::StreamableHttpClientTransport;
use rmcp::transport::streamable_http_client::StreamableHttpClientTransportConfig;
use rmcp::{ClientHandler, ServiceExt as _};

use crate::instances::Instance;

/// The IDE's side, which upstream notifications go to.
pub struct Downstream {
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
    pub fn new() -> Self {
        Self {
            ide: OnceLock::new(),
            ide_name: OnceLock::new(),
            progress: OrderedMutex::new(LockLevel::Relay, HashMap::new()),
        }
    }

    /// Routes the progress of the upstream call `ours` to the IDE's `theirs`.
    pub fn route_progress(&self, ours: ProgressToken, theirs: ProgressToken) {
        self.progress.lock().insert(ours, theirs);
    }

    /// Stops routing `ours`.
    pub fn forget_progress(&self, ours: &ProgressToken) {
        self.progress.lock().remove(ours);
    }
}

/// Receives what the instance sends, and passes it on to the IDE.
#[derive(Clone)]
pub struct UpstreamHandler {
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
            ClientCapabilities::default(),
            Implementation::new(
                format!("{ide} via dcclink connect"),
                env!("CARGO_PKG_VERSION"),
            ),
        )
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
pub struct Link {
    /// The instance, as the registry listed it.
    pub instance: Instance,
    service: RunningService<RoleClient, UpstreamHandler>,
}

impl Link {
    /// Connects to `instance` and initializes a session.
    pub async fn open(instance: Instance, downstream: Arc<Downstream>) -> Result<Self, String> {
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
        Ok(Self { instance, service })
    }

    /// The session's connection, for requests.
    pub fn peer(&self) -> Peer<RoleClient> {
        self.service.peer().clone()
    }

    /// True once the session has ended.
    pub fn is_closed(&self) -> bool {
        self.service.is_closed()
    }
}
