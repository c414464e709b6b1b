//! Starting and stopping the server: one thread with a current-thread tokio
//! runtime that serves every transport.
//!
//! One thread is enough for an MCP server whose work runs elsewhere, and it
//! gives a useful guarantee: rmcp spawns a task per request, and a
//! current-thread runtime polls tasks in the order they were spawned, so
//! calls reach the FIFO in the order they arrived.

use std::net::{SocketAddr, TcpListener};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use crossbeam_channel::Receiver;
use rmcp::ServiceExt;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use crate::instances::{HostInfo, Instance, Registration};
use crate::limits::ClientLimits;
use crate::panel::{Board, Panel, PanelOrigin};
use crate::platform::{take_process_stdio, wait_for_signal};
use crate::session::DccServer;
use crate::shared::Shared;
use crate::tls::{CertificateFiles, Fingerprint, Identity, TlsError};
use crate::transports::answering::Answering;
use crate::transports::connections::HttpLimits;
use crate::transports::host_gate::HostGate;
use crate::transports::http::Reach;
use crate::transports::in_flight::InFlightLimit;
use crate::transports::stdio::StdioTransport;

/// How long shutdown waits for answers already computed to reach clients.
const ANSWER_BOUND: Duration = Duration::from_secs(2);

/// What to serve and how.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// Serve MCP on this process's stdin/stdout.
    pub stdio: bool,
    /// Serve Streamable HTTP on this address (port 0 picks one). An address
    /// other than loopback needs an explicit `token` and is served over
    /// TLS, `/mcp` only; the panel and local clients then have a loopback
    /// listener of their own.
    pub http: Option<SocketAddr>,
    /// Names other machines may reach a non-loopback `http` by, besides
    /// the address a client connected to (a `Host` check).
    pub allowed_hosts: Vec<String>,
    /// The certificate for a non-loopback `http`; a self-signed one, kept
    /// in the user's config dir, when `None`.
    pub certificate: Option<CertificateFiles>,
    /// Serve the panel to other machines too, at `https://ADDR/panel`, on
    /// a non-loopback `http` (it is loopback-only otherwise).
    pub remote_panel: bool,
    /// The bearer token for HTTP; a random one when `None`.
    pub token: Option<String>,
    /// The largest request accepted, in bytes, on either transport.
    pub max_request_bytes: usize,
    /// The bounds on HTTP clients: connections, header and body timeouts.
    pub http_limits: HttpLimits,
    /// The bounds on each client: sessions, requests in flight, calls
    /// queued, and when an HTTP session counts as abandoned.
    pub client_limits: ClientLimits,
    /// Shut down on SIGINT and SIGTERM (the standalone host does; a DCC,
    /// which owns its signals, does not).
    pub handle_signals: bool,
    /// List the server in the instance registry as this host, so that
    /// `dcclink list`, `panel` and `connect` find it (HTTP only).
    pub register: Option<HostInfo>,
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            stdio: false,
            http: None,
            allowed_hosts: Vec::new(),
            certificate: None,
            remote_panel: false,
            token: None,
            max_request_bytes: 8 * 1024 * 1024,
            http_limits: HttpLimits::default(),
            client_limits: ClientLimits::default(),
            handle_signals: false,
            register: None,
        }
    }
}

/// Why the server could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// Neither transport was asked for.
    #[error("nothing to serve: pass --stdio, --http ADDR or both")]
    NoTransport,
    /// A non-loopback address without a token chosen by the user.
    #[error(
        "--http {0} is reachable from other machines, so it needs --token (or DCCLINK_TOKEN): a long random secret of your own, which clients there send"
    )]
    RemoteWithoutToken(SocketAddr),
    /// The non-loopback listener has no certificate.
    #[error("cannot serve TLS for remote access: {0}")]
    Tls(#[from] TlsError),
    /// Binding the HTTP port failed.
    #[error(
        "cannot listen on {addr}: {source} — is another dcclink or server using the port? Use port 0 to pick a free one"
    )]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// The OS error.
        source: std::io::Error,
    },
    /// Setting up stdio or the runtime failed.
    #[error("cannot start the server: {0}")]
    Io(#[from] std::io::Error),
}

/// A running server. Dropping it does not stop it; call
/// [`ServerHandle::shutdown`].
pub struct ServerHandle {
    shared: Arc<Shared>,
    url: Option<String>,
    remote: Option<RemoteAccess>,
    token: String,
    registration: Option<Registration>,
    /// Asks the server thread to stop.
    stopping: CancellationToken,
    finished: Receiver<()>,
    thread: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for ServerHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServerHandle")
            .field("url", &self.url)
            .finish_non_exhaustive()
    }
}

impl ServerHandle {
    /// Starts serving. Returns once the HTTP port is bound and stdio is
    /// taken, so a returned handle is ready for clients.
    pub fn start(config: ServerConfig, shared: Arc<Shared>) -> Result<Self, StartError> {
        if !config.stdio && config.http.is_none() {
            return Err(StartError::NoTransport);
        }
        let listeners = Listeners::bind(&config)?;
        let url = match &listeners.local {
            Some(listener) => Some(format!("http://{}/mcp", listener.local_addr()?)),
            None => None,
        };
        let remote = match &listeners.remote {
            Some((listener, identity)) => Some(RemoteAccess {
                url: format!("https://{}/mcp", listener.local_addr()?),
                fingerprint: identity.fingerprint(),
            }),
            None => None,
        };
        let token = config
            .token
            .clone()
            .unwrap_or_else(crate::transports::auth::random_token);
        let register = config.register.clone();
        crate::panel::server_log::attach(&shared.bridge);
        let stopping = CancellationToken::new();
        let (ready_tx, ready_rx) = crossbeam_channel::bounded::<std::io::Result<()>>(1);
        let (finished_tx, finished) = crossbeam_channel::bounded::<()>(1);
        let serve = Serve {
            config,
            shared: shared.clone(),
            token: Arc::from(token.as_str()),
            stopping: stopping.clone(),
            cancel: CancellationToken::new(),
            answering: Answering::default(),
        };
        let thread = std::thread::Builder::new()
            .name("dcclink-server".into())
            .spawn(move || {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build();
                match runtime {
                    Ok(runtime) => runtime.block_on(serve.run(listeners, ready_tx)),
                    Err(error) => {
                        let _ = ready_tx.send(Err(error));
                    }
                }
                let _ = finished_tx.send(());
            })?;
        match ready_rx.recv_timeout(Duration::from_secs(10)) {
            Ok(Ok(())) => {}
            Ok(Err(error)) => return Err(StartError::Io(error)),
            Err(_) => {
                return Err(StartError::Io(std::io::Error::other(
                    "the server thread did not start within 10 s",
                )));
            }
        }
        let registration = match (&url, register) {
            (Some(url), Some(host)) => {
                let mut instance = Instance::new(&host, url, &token);
                if let Some(remote) = &remote {
                    instance.remote_url = Some(remote.url.clone());
                    instance.fingerprint = Some(remote.fingerprint.to_string());
                }
                Registration::create(instance)
                    .inspect_err(|error| tracing::warn!("{error}"))
                    .ok()
            }
            _ => None,
        };
        let audit_id = registration
            .as_ref()
            .map_or_else(crate::audit::unregistered_id, |r| r.id().to_owned());
        match crate::audit::path_for(&audit_id) {
            Ok(path) => {
                if let Err(error) = shared.audit.open(&path) {
                    tracing::warn!(%error, path = %path.display(), "cannot open the audit log; calls are not recorded");
                }
            }
            Err(error) => tracing::warn!("{error}; calls are not recorded in the audit log"),
        }
        Ok(Self {
            shared,
            url,
            remote,
            token,
            registration,
            stopping,
            finished,
            thread: Some(thread),
        })
    }

    /// The HTTP endpoint, e.g. `http://127.0.0.1:8765/mcp`.
    pub fn url(&self) -> Option<&str> {
        self.url.as_deref()
    }

    /// Where other machines reach it, when `http` is not loopback.
    pub fn remote(&self) -> Option<&RemoteAccess> {
        self.remote.as_ref()
    }

    /// The bearer token HTTP clients must send.
    pub fn token(&self) -> &str {
        &self.token
    }

    /// The panel's address, with the token for the first load.
    pub fn panel_url(&self) -> Option<String> {
        Some(crate::instances::panel_link(
            self.url.as_deref()?,
            &self.token,
        ))
    }

    /// The id of this server in the instance registry, when it is listed.
    pub fn instance_id(&self) -> Option<&str> {
        self.registration.as_ref().map(Registration::id)
    }

    /// Records the scene or file now open in the host, for `dcclink list`.
    pub fn set_scene(
        &mut self,
        scene: Option<String>,
    ) -> Result<(), crate::instances::RegistryError> {
        match &mut self.registration {
            Some(registration) => registration.set_scene(scene),
            None => Ok(()),
        }
    }

    /// True once the server has stopped (a signal, stdin closed, or
    /// [`ServerHandle::shutdown`]).
    pub fn is_finished(&self) -> bool {
        !self.finished.is_empty() || self.thread.as_ref().is_none_or(JoinHandle::is_finished)
    }

    /// Stops the server: the bridge stops intake, answers queued calls,
    /// waits (bounded) for the running one, then the transports close. Waits
    /// at most `bound` for the server thread. Safe to call more than once.
    pub fn shutdown(&mut self, bound: Duration) {
        self.registration = None;
        self.shared.bridge.shutdown();
        self.stopping.cancel();
        if self.finished.recv_timeout(bound).is_ok()
            && let Some(thread) = self.thread.take()
        {
            let _ = thread.join();
        } else if self.thread.is_some() {
            tracing::warn!("the server thread did not stop within {bound:?}; leaving it behind");
        }
        self.shared.audit.close();
    }
}

/// Where other machines reach a server: its TLS endpoint, and the
/// fingerprint of the certificate it presents there.
#[derive(Debug, Clone)]
pub struct RemoteAccess {
    /// The MCP endpoint, e.g. `https://0.0.0.0:8765/mcp` (a client puts
    /// this machine's name or address in place of an unspecified one).
    pub url: String,
    /// The SHA-256 fingerprint a client pins.
    pub fingerprint: Fingerprint,
}

/// The bound HTTP listeners: loopback (with the panel), and the TLS one
/// other machines reach.
struct Listeners {
    local: Option<TcpListener>,
    remote: Option<(TcpListener, Identity)>,
}

impl Listeners {
    /// Binds what `config.http` asks for: that loopback address, or that
    /// other address with TLS plus a loopback port of its own.
    fn bind(config: &ServerConfig) -> Result<Self, StartError> {
        let Some(addr) = config.http else {
            return Ok(Self {
                local: None,
                remote: None,
            });
        };
        if addr.ip().is_loopback() {
            return Ok(Self {
                local: Some(listen(addr)?),
                remote: None,
            });
        }
        if config.token.is_none() {
            return Err(StartError::RemoteWithoutToken(addr));
        }
        let identity = Identity::load(config.certificate.as_ref())?;
        Ok(Self {
            local: Some(listen(SocketAddr::from(([127, 0, 0, 1], 0)))?),
            remote: Some((listen(addr)?, identity)),
        })
    }
}

fn listen(addr: SocketAddr) -> Result<TcpListener, StartError> {
    let listener = TcpListener::bind(addr).map_err(|source| StartError::Bind { addr, source })?;
    listener.set_nonblocking(true)?;
    Ok(listener)
}

/// Everything the server thread needs.
struct Serve {
    config: ServerConfig,
    shared: Arc<Shared>,
    token: Arc<str>,
    /// Fires when shutdown begins (after the bridge has answered every call).
    stopping: CancellationToken,
    /// Closes the transports and every session.
    cancel: CancellationToken,
    answering: Answering,
}

impl Serve {
    async fn run(
        self,
        listeners: Listeners,
        ready: crossbeam_channel::Sender<std::io::Result<()>>,
    ) {
        let mut tasks = JoinSet::new();
        if let Err(error) = self.start_transports(listeners, &mut tasks).await {
            let _ = ready.send(Err(error));
            return;
        }
        let _ = ready.send(Ok(()));
        if self.config.handle_signals {
            let (bridge, stopping) = (self.shared.bridge.clone(), self.stopping.clone());
            tasks.spawn(async move {
                tokio::select! {
                    () = wait_for_signal() => {
                        tracing::info!("signal received; shutting down");
                        shut_down(bridge, stopping).await;
                    }
                    () = stopping.cancelled() => {}
                }
            });
        }
        self.stopping.cancelled().await;
        // Every call has its answer: let the answers reach their clients
        // before the sessions close, then let the transports finish. Bounded.
        if !self.answering.settled(ANSWER_BOUND).await {
            tracing::warn!("answers still unsent after {ANSWER_BOUND:?}; closing anyway");
        }
        if !self.shared.tasks.ending.settled(ANSWER_BOUND).await {
            tracing::warn!("tasks still ending after {ANSWER_BOUND:?}; closing anyway");
        }
        self.cancel.cancel();
        let drain = async { while tasks.join_next().await.is_some() {} };
        if tokio::time::timeout(Duration::from_secs(3), drain)
            .await
            .is_err()
        {
            tracing::warn!("transports did not close within 3 s");
        }
    }

    async fn start_transports(
        &self,
        listeners: Listeners,
        tasks: &mut JoinSet<()>,
    ) -> std::io::Result<()> {
        if let Some(listener) = listeners.local {
            let listener = tokio::net::TcpListener::from_std(listener)?;
            let panel = Panel {
                board: Board::start(self.shared.bridge.clone())?,
                callbacks: self.shared.callbacks.clone(),
                token: self.token.clone(),
                mcp_url: Arc::from(format!("http://{}/mcp", listener.local_addr()?)),
                origin: PanelOrigin::Loopback {
                    port: listener.local_addr()?.port(),
                },
                stop: self.cancel.child_token(),
            };
            let remote_panel = self.config.remote_panel.then(|| Panel {
                origin: PanelOrigin::Remote,
                ..panel.clone()
            });
            self.serve_http(listener, Reach::Loopback(panel), None, tasks);
            if let Some((listener, identity)) = listeners.remote {
                let listener = tokio::net::TcpListener::from_std(listener)?;
                let gate = HostGate::new(&self.config.allowed_hosts);
                let reach = Reach::Remote(gate, remote_panel);
                self.serve_http(listener, reach, Some(identity.acceptor()), tasks);
            }
        }
        if self.config.stdio {
            let (reader, writer) = take_process_stdio()?;
            let transport = StdioTransport::new(reader, writer, self.config.max_request_bytes);
            let limits = self.config.client_limits;
            let server = DccServer::new(self.shared.clone(), "stdio")
                .cancelled_on(transport.closed())
                .with_call_quota(limits.max_calls_per_client);
            let transport = InFlightLimit::new(transport, limits.max_in_flight);
            let (bridge, stopping) = (self.shared.bridge.clone(), self.stopping.clone());
            let cancel = self.cancel.clone();
            tasks.spawn(async move {
                // Serving waits for the client's `initialize`, so it runs as a
                // task: start-up does not depend on how soon the IDE speaks.
                match server.serve_with_ct(transport, cancel.child_token()).await {
                    Ok(running) => {
                        let _ = running.waiting().await;
                    }
                    Err(error) => {
                        tracing::warn!(%error, "the stdio client left before initializing")
                    }
                }
                if !stopping.is_cancelled() {
                    tracing::info!("stdin closed; shutting down");
                    shut_down(bridge, stopping).await;
                }
            });
        }
        Ok(())
    }

    /// Serves `reach` on `listener`, over TLS with `tls`.
    fn serve_http(
        &self,
        listener: tokio::net::TcpListener,
        reach: Reach,
        tls: Option<tokio_rustls::TlsAcceptor>,
        tasks: &mut JoinSet<()>,
    ) {
        let app = crate::transports::http::router(
            self.shared.clone(),
            self.token.clone(),
            self.config.max_request_bytes,
            self.config.client_limits,
            self.answering.clone(),
            self.cancel.child_token(),
            reach,
        );
        tasks.spawn(crate::transports::connections::serve(
            listener,
            app,
            self.config.http_limits,
            self.cancel.clone(),
            tls,
        ));
    }
}

/// Shuts the bridge down (off the runtime thread: it waits, bounded, for the
/// running call), then closes the transports.
async fn shut_down(bridge: Arc<dcclink_bridge::Bridge>, stopping: CancellationToken) {
    let _ = tokio::task::spawn_blocking(move || bridge.shutdown()).await;
    stopping.cancel();
}
