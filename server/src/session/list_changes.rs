//! What a session tells its client unasked: that the tools, the resources
//! or the prompts changed, and that a resource it subscribed to was updated.

use std::collections::BTreeSet;
use std::sync::Arc;

use dcclink_bridge::lock_order::OrderedMutex;
use rmcp::model::ResourceUpdatedNotificationParam;
use rmcp::service::{Peer, RoleServer};
use tokio::sync::broadcast;
use tokio_util::sync::CancellationToken;

use crate::shared::Shared;

/// Tells the client each time the tools, the resources or the prompts
/// change, and when a resource it subscribed to is updated, until its
/// session ends or its connection goes.
pub(super) async fn watch_lists(
    peer: Peer<RoleServer>,
    shared: Arc<Shared>,
    subscriptions: Arc<OrderedMutex<BTreeSet<String>>>,
    [ended, disconnected]: [CancellationToken; 2],
) {
    let mut tools = shared.tools.changes();
    let mut resources = shared.resources.changes();
    let mut prompts = shared.prompts.changes();
    let mut updates = shared.resources.updates();
    drop(shared);
    loop {
        let sent = tokio::select! {
            () = ended.cancelled() => return,
            () = disconnected.cancelled() => return,
            update = updates.recv() => match update {
                Ok(uri) if subscriptions.lock().contains(&uri) => {
                    peer.notify_resource_updated(ResourceUpdatedNotificationParam::new(uri))
                        .await
                }
                Ok(_) | Err(broadcast::error::RecvError::Lagged(_)) => Ok(()),
                Err(broadcast::error::RecvError::Closed) => return,
            },
            changed = tools.changed() => match changed {
                Ok(()) => peer.notify_tool_list_changed().await,
                Err(_) => return, // the server is stopping
            },
            changed = resources.changed() => match changed {
                Ok(()) => peer.notify_resource_list_changed().await,
                Err(_) => return,
            },
            changed = prompts.changed() => match changed {
                Ok(()) => peer.notify_prompt_list_changed().await,
                Err(_) => return,
            },
        };
        if sent.is_err() {
            return; // the client is gone
        }
    }
}
