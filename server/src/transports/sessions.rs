//! The HTTP sessions: rmcp's [`LocalSessionManager`], each session's
//! transport wrapped in [`LegacyTasks`] so that 2025-11-25's tasks reach
//! the session in rmcp's types (rmcp builds a session's transport itself;
//! this is the one place to wrap it).
//!
//! Each request reaches a session here before rmcp routes it, so this is
//! where a session's [`InFlight`] ledger is kept: a request past
//! [`ClientLimits::max_in_flight`], or with the id of one in flight, is
//! answered at once and never reaches rmcp.
//!
//! Sessions are also where an abandoned client is noticed. A client of
//! 2025-11-25 that crashes sends no `DELETE`, and its session would live
//! until rmcp's idle timeout (5 minutes), its calls running on for nobody.
//! So every stream of a session (a request being answered, the `GET`
//! listener) is watched, and a session left with none for
//! [`ClientLimits::abandoned_after`] is ended: its calls are cancelled. A
//! live client holds its `GET` listener open (the official SDKs and
//! `dcclink connect` do), or is inside a request.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use dcclink_bridge::lock_order::{LockLevel, OrderedMutex};
use futures::{Stream, StreamExt as _};
use rmcp::model::{ClientJsonRpcMessage, JsonRpcMessage, RequestId, ServerJsonRpcMessage};
use rmcp::transport::streamable_http_server::RestoreOutcome;
use rmcp::transport::streamable_http_server::session::local::{
    LocalSessionManager, LocalSessionManagerError,
};
use rmcp::transport::streamable_http_server::session::{
    EventStore, ServerSseMessage, SessionId, SessionManager,
};

use crate::limits::ClientLimits;
use crate::transports::in_flight::InFlight;
use crate::transports::legacy_tasks::LegacyTasks;

/// rmcp's in-memory sessions, speaking both revisions' tasks, each with a
/// bound on its requests in flight, ended when abandoned.
pub(crate) struct Sessions {
    local: Arc<LocalSessionManager>,
    limits: ClientLimits,
    clients: Clients,
}

/// What is known of each session's client.
type Clients = Arc<OrderedMutex<HashMap<SessionId, ClientState>>>;

/// What is known of one session's client: its open streams, when it was
/// last heard from, its requests in flight, and whether a watch for its
/// leaving is already waiting (one per session, however many streams
/// end).
struct ClientState {
    streams: usize,
    last_heard: Instant,
    requests: InFlight,
    watched: bool,
}

type Local = <LocalSessionManager as SessionManager>::Transport;

/// How long the answer stream of a finished request is kept, for a client
/// whose connection broke to resume it (`Last-Event-ID`). rmcp keeps it
/// 60 s, which holds a minute of every session's answers: the soak saw the
/// server grow by 43 MiB at 490 calls a second. 10 s covers SSE's 3 s
/// retry more than twice over.
const FINISHED_STREAMS_KEPT: Duration = Duration::from_secs(10);

impl Sessions {
    /// Sessions bounded by `limits`.
    pub(crate) fn new(limits: ClientLimits) -> Self {
        let mut local = LocalSessionManager::default();
        local.session_config.completed_cache_ttl = FINISHED_STREAMS_KEPT;
        Self {
            local: Arc::new(local),
            limits,
            clients: Arc::new(OrderedMutex::new(LockLevel::Sessions, HashMap::new())),
        }
    }

    /// The most sessions open at once.
    pub(crate) fn max(&self) -> usize {
        self.limits.max_sessions
    }

    /// True when no more sessions may open.
    pub(crate) async fn full(&self) -> bool {
        self.local.sessions.read().await.len() >= self.limits.max_sessions
    }

    /// Makes room for one more session at the bound by ending the one whose
    /// client has been gone longest (no stream open), as the connection cap
    /// makes room; false when every session has a stream open.
    pub(crate) async fn make_room(&self) -> bool {
        let gone = {
            let mut clients = self.clients.lock();
            let gone = (clients.iter())
                .filter(|(_, client)| client.streams == 0)
                .min_by_key(|(_, client)| client.last_heard)
                .map(|(id, _)| id.clone());
            if let Some(id) = &gone {
                clients.remove(id);
            }
            gone
        };
        let Some(id) = gone else {
            return false;
        };
        tracing::info!(session = %id, "ending the longest-idle session to make room for a new one");
        if let Err(error) = self.local.close_session(&id).await {
            tracing::warn!(%error, "an idle session did not close");
        }
        true
    }

    /// Admits `message` to session `id` if it is a request: `Ok` with its
    /// id to settle when its stream ends, or the refusal to answer it with.
    fn admit(
        &self,
        id: &SessionId,
        message: &ClientJsonRpcMessage,
    ) -> Result<Option<RequestId>, ServerSseMessage> {
        let JsonRpcMessage::Request(request) = message else {
            return Ok(None);
        };
        let mut clients = self.clients.lock();
        let Some(client) = clients.get_mut(id) else {
            return Ok(None); // rmcp answers an unknown session itself
        };
        match client.requests.admit(&request.id) {
            Ok(()) => Ok(Some(request.id.clone())),
            Err(refused) => {
                let refused = ServerJsonRpcMessage::error(refused, Some(request.id.clone()));
                Err(ServerSseMessage::from_message(refused))
            }
        }
    }

    /// `stream`, counted among the open streams of session `id` until it
    /// ends or its client drops it; then `request`, if any, is settled.
    fn watched<S>(
        &self,
        id: &SessionId,
        request: Option<RequestId>,
        stream: S,
    ) -> impl Stream<Item = ServerSseMessage> + Send + Sync + 'static
    where
        S: Stream<Item = ServerSseMessage> + Send + Sync + 'static,
    {
        if let Some(client) = self.clients.lock().get_mut(id) {
            client.streams += 1;
            client.last_heard = Instant::now();
        }
        let open = OpenStream {
            id: id.clone(),
            request,
            local: self.local.clone(),
            clients: self.clients.clone(),
            abandoned_after: self.limits.abandoned_after,
        };
        stream.map(move |message| {
            let _open = &open;
            message
        })
    }
}

/// One open stream of a session, and the request it answers, if any.
/// When the last one ends, the session is looked at again after
/// `abandoned_after`, and ended if its client has opened none and sent
/// nothing since.
struct OpenStream {
    id: SessionId,
    request: Option<RequestId>,
    local: Arc<LocalSessionManager>,
    clients: Clients,
    abandoned_after: Duration,
}

impl Drop for OpenStream {
    fn drop(&mut self) {
        let watch = match self.clients.lock().get_mut(&self.id) {
            Some(client) => {
                if let Some(request) = &self.request {
                    client.requests.settle(request);
                }
                client.streams -= 1;
                client.last_heard = Instant::now();
                let watch = client.streams == 0 && !client.watched;
                client.watched |= watch;
                watch
            }
            None => false,
        };
        if let (true, Ok(runtime)) = (watch, tokio::runtime::Handle::try_current()) {
            runtime.spawn(end_if_abandoned(
                self.id.clone(),
                self.local.clone(),
                self.clients.clone(),
                self.abandoned_after,
            ));
        }
    }
}

/// Ends session `id` once its client has had no stream open and sent
/// nothing for `after`. Gives up the watch when a stream is open as it
/// looks (the end of the last one starts the next watch), so a session
/// has one watch however many of its requests end meanwhile.
async fn end_if_abandoned(
    id: SessionId,
    local: Arc<LocalSessionManager>,
    clients: Clients,
    after: Duration,
) {
    let mut wait = after;
    loop {
        tokio::time::sleep(wait).await;
        {
            let mut clients = clients.lock();
            let Some(client) = clients.get_mut(&id) else {
                return; // ended already
            };
            if client.streams > 0 {
                client.watched = false;
                return;
            }
            let quiet = client.last_heard.elapsed();
            if quiet < after {
                wait = after - quiet;
                continue;
            }
            clients.remove(&id);
        }
        break;
    }
    tracing::info!(session = %id, "ending a session whose client has gone (no stream for {after:?})");
    if let Err(error) = local.close_session(&id).await {
        tracing::warn!(%error, "an abandoned session did not close");
    }
}

impl SessionManager for Sessions {
    type Error = LocalSessionManagerError;
    type Transport = LegacyTasks<Local>;

    async fn create_session(&self) -> Result<(SessionId, Self::Transport), Self::Error> {
        let (id, transport) = self.local.create_session().await?;
        let client = ClientState {
            streams: 0,
            last_heard: Instant::now(),
            requests: InFlight::new(self.limits.max_in_flight),
            watched: true,
        };
        self.clients.lock().insert(id.clone(), client);
        // A client that leaves straight after `initialize` opens no stream.
        tokio::spawn(end_if_abandoned(
            id.clone(),
            self.local.clone(),
            self.clients.clone(),
            self.limits.abandoned_after,
        ));
        Ok((id, LegacyTasks::new(transport)))
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
        self.clients.lock().remove(id);
        self.local.close_session(id).await
    }

    async fn create_stream(
        &self,
        id: &SessionId,
        message: ClientJsonRpcMessage,
    ) -> Result<impl Stream<Item = ServerSseMessage> + Send + Sync + 'static, Self::Error> {
        let request = match self.admit(id, &message) {
            Ok(request) => request,
            Err(refusal) => {
                return Ok(futures::stream::once(async move { refusal }).right_stream());
            }
        };
        let stream = self.local.create_stream(id, message).await;
        let stream = stream.inspect_err(|_| {
            if let (Some(client), Some(request)) = (self.clients.lock().get_mut(id), &request) {
                client.requests.settle(request);
            }
        })?;
        Ok(self.watched(id, request, stream).left_stream())
    }

    async fn accept_message(
        &self,
        id: &SessionId,
        message: ClientJsonRpcMessage,
    ) -> Result<(), Self::Error> {
        if let Some(client) = self.clients.lock().get_mut(id) {
            client.last_heard = Instant::now();
            client.requests.settle_cancelled(&message);
        }
        self.local.accept_message(id, message).await
    }

    async fn create_standalone_stream(
        &self,
        id: &SessionId,
    ) -> Result<impl Stream<Item = ServerSseMessage> + Send + Sync + 'static, Self::Error> {
        let stream = self.local.create_standalone_stream(id).await?;
        Ok(self.watched(id, None, stream))
    }

    async fn resume(
        &self,
        id: &SessionId,
        last_event_id: String,
    ) -> Result<impl Stream<Item = ServerSseMessage> + Send + Sync + 'static, Self::Error> {
        let stream = self.local.resume(id, last_event_id).await?;
        Ok(self.watched(id, None, stream))
    }

    async fn restore_session(
        &self,
        id: SessionId,
    ) -> Result<RestoreOutcome<Self::Transport>, Self::Error> {
        Ok(match self.local.restore_session(id).await? {
            RestoreOutcome::Restored(transport) => {
                RestoreOutcome::Restored(LegacyTasks::new(transport))
            }
            RestoreOutcome::AlreadyPresent => RestoreOutcome::AlreadyPresent,
            _ => RestoreOutcome::NotSupported,
        })
    }

    fn event_store(&self) -> Option<Arc<dyn EventStore>> {
        self.local.event_store()
    }
}
