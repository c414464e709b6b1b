//! The client side of a worker session, as rmcp calls it.

use rmcp::handler::client::progress::ProgressDispatcher;
use rmcp::model::{ClientConfig, Implementation, ProgressNotificationParam, ProtocolVersion};
use rmcp::service::NotificationContext;
use rmcp::{ClientHandler, RoleClient};

/// The client side of a worker session: it hands each progress
/// notification to the call it belongs to, and speaks MCP 2025-11-25,
/// whose calls are plain request and answer, cancelled by notification.
#[derive(Clone)]
pub(super) struct Listener {
    progress: ProgressDispatcher,
}

impl Listener {
    /// A listener that hands progress to `progress`'s subscribers.
    pub(super) fn new(progress: ProgressDispatcher) -> Self {
        Self { progress }
    }
}

impl ClientHandler for Listener {
    async fn on_progress(
        &self,
        params: ProgressNotificationParam,
        _context: NotificationContext<RoleClient>,
    ) {
        self.progress.handle_notification(params).await;
    }

    fn get_info(&self) -> ClientConfig {
        let mut config = ClientConfig::default();
        config.protocol_version = ProtocolVersion::V_2025_11_25;
        config.client_info = Implementation::new("dcclink-pool", env!("CARGO_PKG_VERSION"));
        config
    }
}
