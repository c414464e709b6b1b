//! The HTTP sessions: rmcp's [`LocalSessionManager`], each session's
//! transport wrapped in [`LegacyTasks`] so that 2025-11-25's tasks reach
//! the session in rmcp's types, and in [`InFlightLimit`] (rmcp builds a
//! session's transport itself; this is the one place to wrap it).
//!
//! Sessions are also where an abandoned client is noticed. A client of
//! 2025-11-25 that crashes sends no `DELETE`, and its session would live
//! until rmcp's idle timeout (5 minutes), its calls running on for nobody.
//! So every stream of a session (a request being answered, the `GET`
//! listener) is watched, and a session left with none for
//! [`ClientLimits::abandoned_after`] is ended: its calls are cancelled as
//! disconnected. A live client holds its `GET` listener open (the official
//! SDKs and `dcclink connect` do), or is inside a request.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Instant;

use dcclink_bridge::lock_order::{LockLevel, OrderedMutex};
use futures::{Stream, StreamExt as _};
use rmcp::model::{ClientJsonRpcMessage, ServerJsonRpcMessage};
use rmcp::transport::streamable_http_server::RestoreOutcome;
use rmcp::transport::streamable_http_server::session::local::{
    LocalSessionManager, LocalSessionManagerError,
};
use rmcp::transport::streamable_http_server::session::{
    EventStore, ServerSseMessage, SessionId, SessionManager,
};

use crate::limits::ClientLimits;
use crate::transports::in_flight::InFlightLimit;
use crate::transports::legacy_tasks::LegacyTasks;

/// rmcp's in-memory sessions, speaking both revisions' tasks, each with a
/// bound on its requests in flight, ended when abandoned.
pub(crate) struct Sessions {
    local: Arc<LocalSessionManager>,
    limits: ClientLimits,
    presence: Arc<OrderedMutex<HashMap<SessionId, Presence>>>,
}

/// What is known of a session's client: its open streams, and when it was
/// last heard from.
struct Presence {
    streams: usize,
    last_heard: Instant,
}

type Local = <LocalSessionManager as SessionManager>::Transport;

impl Sessions {
    /// Sessions bounded by `limits`.
    pub(crate) fn new(limits: ClientLimits) -> Self {
        Self {
            local: Arc::default(),
            limits,
            presence: Arc::new(OrderedMutex::new(LockLevel::Sessions, HashMap::new())),
        }
    }

    /// A session's transport as rmcp made it, wrapped.
    fn limited(&self, transport: Local) -> LegacyTasks<InFlightLimit<Local>> {
        LegacyTasks::new(InFlightLimit::new(transport, self.limits.max_in_flight))
    }

    /// The most sessions open at once.
    pub(crate) fn max(&self) -> usize {
        self.limits.max_sessions
    }

    /// True when no more sessions may open.
    pub(crate) async fn full(&self) -> bool {
        self.local.sessions.read().await.len() >= self.limits.max_sessions
    }

    /// Notes that the client of `id` was heard from.
    fn heard_from(&self, id: &SessionId) {
        if let Some(presence) = self.presence.lock().get_mut(id) {
            presence.last_heard = Instant::now();
        }
    }

    /// `stream`, counted among the open streams of session `id` until it
    /// ends or its client drops it.
    fn watched<S>(
        &self,
        id: &SessionId,
        stream: S,
    ) -> impl Stream<Item = ServerSseMessage> + Send + Sync + 'static
    where
        S: Stream<Item = ServerSseMessage> + Send + Sync + 'static,
    {
        if let Some(presence) = self.presence.lock().get_mut(id) {
            presence.streams += 1;
            presence.last_heard = Instant::now();
        }
        let open = OpenStream {
            id: id.clone(),
            local: self.local.clone(),
            presence: self.presence.clone(),
            abandoned_after: self.limits.abandoned_after,
        };
        stream.map(move |message| {
            let _open = &open;
            message
        })
    }
}

/// One open stream of a session. When the last one ends, the session is
/// looked at again after `abandoned_after`, and ended if its client has
/// opened none and sent nothing since.
struct OpenStream {
    id: SessionId,
    local: Arc<LocalSessionManager>,
    presence: Arc<OrderedMutex<HashMap<SessionId, Presence>>>,
    abandoned_after: std::time::Duration,
}

impl Drop for OpenStream {
    fn drop(&mut self) {
        let last = match self.presence.lock().get_mut(&self.id) {
            Some(presence) => {
                presence.streams -= 1;
                presence.last_heard = Instant::now();
                presence.streams == 0
            }
            None => false,
        };
        if let (true, Ok(runtime)) = (last, tokio::runtime::Handle::try_current()) {
            runtime.spawn(end_if_abandoned(
                self.id.clone(),
                self.local.clone(),
                self.presence.clone(),
                self.abandoned_after,
            ));
        }
    }
}

/// Waits `after`, then ends session `id` if its client has had no stream
/// open and sent nothing for that long.
async fn end_if_abandoned(
    id: SessionId,
    local: Arc<LocalSessionManager>,
    presence: Arc<OrderedMutex<HashMap<SessionId, Presence>>>,
    after: std::time::Duration,
) {
    tokio::time::sleep(after).await;
    let abandoned = presence
        .lock()
        .get(&id)
        .is_some_and(|seen| seen.streams == 0 && seen.last_heard.elapsed() >= after);
    if abandoned {
        tracing::info!(session = %id, "ending a session whose client has gone (no stream for {after:?})");
        presence.lock().remove(&id);
        if let Err(error) = local.close_session(&id).await {
            tracing::warn!(%error, "an abandoned session did not close");
        }
    }
}

impl SessionManager for Sessions {
    type Error = LocalSessionManagerError;
    type Transport = LegacyTasks<InFlightLimit<Local>>;

    async fn create_session(&self) -> Result<(SessionId, Self::Transport), Self::Error> {
        let (id, transport) = self.local.create_session().await?;
        self.presence.lock().insert(
            id.clone(),
            Presence {
                streams: 0,
                last_heard: Instant::now(),
            },
        );
        // A client that leaves straight after `initialize` opens no stream.
        tokio::spawn(end_if_abandoned(
            id.clone(),
            self.local.clone(),
            self.presence.clone(),
            self.limits.abandoned_after,
        ));
        Ok((id, self.limited(transport)))
    }

    async fn initialize_session(
        &self,
        id: &SessionId,
        message: ClientJsonRpcMessage,
    ) -> Result<ServerJsonRpcMessage, Self::Error> {
        self.local.initialize_session(id, message).await
    }

    async fn has_session(&self, id: &SessionId) -> Result<bool, Self::Error> {
        self.local.has_session(id).await
    }

    async fn close_session(&self, id: &SessionId) -> Result<(), Self::Error> {
        self.presence.lock().remove(id);
        self.local.close_session(id).await
    }

    async fn create_stream(
        &self,
        id: &SessionId,
        message: ClientJsonRpcMessage,
    ) -> Result<impl Stream<Item = ServerSseMessage> + Send + Sync + 'static, Self::Error> {
        let stream = self.local.create_stream(id, message).await?;
        Ok(self.watched(id, stream))
    }

    async fn accept_message(
        &self,
        id: &SessionId,
        message: ClientJsonRpcMessage,
    ) -> Result<(), Self::Error> {
        self.heard_from(id);
        self.local.accept_message(id, message).await
    }

    async fn create_standalone_stream(
        &self,
        id: &SessionId,
    ) -> Result<impl Stream<Item = ServerSseMessage> + Send + Sync + 'static, Self::Error> {
        let stream = self.local.create_standalone_stream(id).await?;
        Ok(self.watched(id, stream))
    }

    async fn resume(
        &self,
        id: &SessionId,
        last_event_id: String,
    ) -> Result<impl Stream<Item = ServerSseMessage> + Send + Sync + 'static, Self::Error> {
        let stream = self.local.resume(id, last_event_id).await?;
        Ok(self.watched(id, stream))
    }

    async fn restore_session(
        &self,
        id: SessionId,
    ) -> Result<RestoreOutcome<Self::Transport>, Self::Error> {
        Ok(match self.local.restore_session(id).await? {
            RestoreOutcome::Restored(transport) => {
                RestoreOutcome::Restored(self.limited(transport))
            }
            RestoreOutcome::AlreadyPresent => RestoreOutcome::AlreadyPresent,
            _ => RestoreOutcome::NotSupported,
        })
    }

    fn event_store(&self) -> Option<Arc<dyn EventStore>> {
        self.local.event_store()
    }
}
