//! Accepting HTTP connections so that slow or tokenless clients cannot
//! crowd out the ones that know the token.
//!
//! `axum::serve` sets no timer, so hyper's header timeout never runs, and
//! it accepts without limit: a local process that opened hundreds of
//! connections and sent their headers a byte at a time starved an
//! authenticated `initialize` (and the DCC's file descriptors). Here:
//!
//! - **A cap on connections**, derived from the process's descriptor limit.
//! - **Trust is earned per connection**: a connection becomes trusted when
//!   one of its requests presents the token ([`ConnectionTrust::grant`]).
//!   At the cap, a new connection evicts the oldest untrusted one, so a
//!   flood of slow strangers delays a real client by nothing. Only when
//!   every connection is trusted is a new one turned away.
//! - **A header timeout** (hyper's, with a timer) closes a connection that
//!   does not finish its request head in time, and **a body timeout**
//!   ([`tower_http::timeout::RequestBodyTimeoutLayer`]) ends a request
//!   whose body stalls, such as one with a `Content-Length` that lies.
//!
//! - **TLS, on a listener other machines reach**: the handshake runs in
//!   the connection's task, within the header timeout. A client that
//!   speaks plain HTTP to it is answered, in plain HTTP, that the port
//!   wants https.
//!
//! The accept loop owns the table of connections: a connection task tells
//! it when it ends over a channel, so no lock is shared.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use axum::Router;
use axum::extract::Request;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio::task::JoinSet;
use tokio_rustls::TlsAcceptor;
use tokio_util::sync::CancellationToken;
use tower::ServiceExt as _;

/// The bounds on HTTP clients.
#[derive(Debug, Clone, Copy)]
pub struct HttpLimits {
    /// The most connections served at once; `None` derives it from the
    /// descriptor limit (half of it, at most 256).
    pub max_connections: Option<usize>,
    /// How long a client may take to send a request's head.
    pub header_timeout: Duration,
    /// How long a request's body may stall.
    pub body_timeout: Duration,
}

impl Default for HttpLimits {
    fn default() -> Self {
        Self {
            max_connections: None,
            header_timeout: Duration::from_secs(10),
            body_timeout: Duration::from_secs(30),
        }
    }
}

impl HttpLimits {
    /// The connection cap: the configured one, else half the soft
    /// descriptor limit (the DCC needs the rest), at most 256 and at
    /// least 8.
    fn connection_cap(&self) -> usize {
        self.max_connections.unwrap_or_else(|| {
            let soft = crate::platform::descriptor_limit().unwrap_or(1024);
            (soft / 2).clamp(8, 256)
        })
    }
}

/// Whether a connection has presented the token. Every request carries its
/// connection's flag as an extension; the token checks grant it.
#[derive(Clone, Default)]
pub(crate) struct ConnectionTrust(Arc<AtomicBool>);

impl ConnectionTrust {
    /// Marks the request's connection as one that knows the token.
    pub(crate) fn grant(request: &Request) {
        if let Some(trust) = request.extensions().get::<Self>() {
            trust.0.store(true, Ordering::Relaxed);
        }
    }

    fn granted(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }
}

/// The local address a request's connection arrived at: a `Host` that
/// names it is this machine as the client reached it, never a name an
/// attacker's DNS could point here.
#[derive(Clone, Copy, Debug)]
pub(crate) struct ArrivedAt(pub(crate) std::net::SocketAddr);

/// One open connection, as the accept loop tracks it.
struct Open {
    trust: ConnectionTrust,
    evict: CancellationToken,
}

/// Serves `app` on `listener` within `limits` until `stop` fires, then
/// lets each connection finish its requests (the caller bounds the wait).
/// With `tls`, each connection's first bytes must be a TLS handshake.
pub(crate) async fn serve(
    listener: TcpListener,
    app: Router,
    limits: HttpLimits,
    stop: CancellationToken,
    tls: Option<TlsAcceptor>,
) {
    let app = app.layer(tower_http::timeout::RequestBodyTimeoutLayer::new(
        limits.body_timeout,
    ));
    let cap = limits.connection_cap();
    let mut open: BTreeMap<u64, Open> = BTreeMap::new();
    let (ended_tx, mut ended) = mpsc::unbounded_channel::<u64>();
    let mut tasks = JoinSet::new();
    let mut next_id = 0u64;
    loop {
        let (tcp, _) = tokio::select! {
            () = stop.cancelled() => break,
            Some(id) = ended.recv() => {
                open.remove(&id);
                continue;
            }
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    // Out of descriptors, usually: wait rather than spin.
                    tracing::warn!(%error, "cannot accept an HTTP connection");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
        };
        while let Ok(id) = ended.try_recv() {
            open.remove(&id);
        }
        if open.len() >= cap && !evict_a_stranger(&mut open) {
            tracing::warn!(
                cap,
                "every HTTP connection is in use by a client with the token; turning one away"
            );
            continue;
        }
        if let Err(error) = tcp.set_nodelay(true) {
            // Without it an SSE answer's second write waits for the
            // client's delayed ACK (40 ms on Linux).
            tracing::debug!(%error, "could not set TCP_NODELAY");
        }
        let id = next_id;
        next_id += 1;
        let connection = Open {
            trust: ConnectionTrust::default(),
            evict: CancellationToken::new(),
        };
        let trust = connection.trust.clone();
        let evict = connection.evict.clone();
        open.insert(id, connection);
        let arrived_at = tcp.local_addr().ok().map(ArrivedAt);
        let service = app.clone().map_request(move |mut request: Request<_>| {
            request.extensions_mut().insert(trust.clone());
            if let Some(arrived_at) = arrived_at {
                request.extensions_mut().insert(arrived_at);
            }
            request
        });
        let (stop, ended_tx) = (stop.clone(), ended_tx.clone());
        let header_timeout = limits.header_timeout;
        let tls = tls.clone();
        tasks.spawn(async move {
            let served = async {
                match tls {
                    None => serve_connection(tcp, service, header_timeout, &stop).await,
                    Some(acceptor) => {
                        serve_tls(tcp, &acceptor, service, header_timeout, &stop).await;
                    }
                }
            };
            tokio::select! {
                () = served => {}
                () = evict.cancelled() => {}
            }
            let _ = ended_tx.send(id);
        });
        // Reap finished tasks so the set does not grow.
        while tasks.try_join_next().is_some() {}
    }
    while tasks.join_next().await.is_some() {}
}

/// What hyper serves on a connection: a service that answers every
/// request.
trait Answers:
    tower::Service<
        Request,
        Response = axum::response::Response,
        Error = std::convert::Infallible,
        Future: Send + 'static,
    > + Clone
    + Send
    + 'static
{
}

impl<S> Answers for S where
    S: tower::Service<
            Request,
            Response = axum::response::Response,
            Error = std::convert::Infallible,
            Future: Send + 'static,
        > + Clone
        + Send
        + 'static
{
}

/// Serves HTTP/1.1 on `io` until the client is done, or, when `stop`
/// fires, until the requests under way are answered.
async fn serve_connection(
    io: impl tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
    service: impl Answers,
    header_timeout: Duration,
    stop: &CancellationToken,
) {
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(header_timeout);
    let hyper_service = TowerToHyperService::new(
        service.map_request(|r: Request<hyper::body::Incoming>| r.map(axum::body::Body::new)),
    );
    let connection = builder.serve_connection(TokioIo::new(io), hyper_service);
    tokio::pin!(connection);
    tokio::select! {
        served = connection.as_mut() => {
            if let Err(error) = served {
                tracing::debug!(%error, "an HTTP connection ended with an error");
            }
        }
        () = stop.cancelled() => {
            connection.as_mut().graceful_shutdown();
            let _ = connection.await;
        }
    }
}

/// Serves HTTP over TLS on `tcp` (the handshake counts toward the header
/// timeout), or answers a client that spoke plain HTTP that the port wants
/// https.
async fn serve_tls(
    tcp: TcpStream,
    acceptor: &TlsAcceptor,
    service: impl Answers,
    header_timeout: Duration,
    stop: &CancellationToken,
) {
    match tokio::time::timeout(header_timeout, tls_handshake(tcp, acceptor)).await {
        Ok(Handshake::Secure(stream)) => {
            serve_connection(stream, service, header_timeout, stop).await;
        }
        Ok(Handshake::PlainHttp(tcp)) => {
            let refusal = tower::service_fn(|_: Request| async {
                Ok::<_, std::convert::Infallible>(https_only())
            });
            serve_connection(tcp, refusal, header_timeout, stop).await;
        }
        Ok(Handshake::Failed) | Err(_) => {}
    }
}

/// How a connection to a TLS listener began.
enum Handshake {
    Secure(Box<tokio_rustls::server::TlsStream<TcpStream>>),
    /// The client spoke plain HTTP: it is told to use https.
    PlainHttp(TcpStream),
    Failed,
}

/// The first byte of a TLS handshake record.
const TLS_HANDSHAKE_RECORD: u8 = 0x16;

async fn tls_handshake(tcp: TcpStream, acceptor: &TlsAcceptor) -> Handshake {
    let mut first = [0u8; 1];
    match tcp.peek(&mut first).await {
        Ok(1) if first[0] == TLS_HANDSHAKE_RECORD => {}
        Ok(1) => return Handshake::PlainHttp(tcp),
        _ => return Handshake::Failed,
    }
    match acceptor.accept(tcp).await {
        Ok(stream) => Handshake::Secure(Box::new(stream)),
        Err(error) => {
            tracing::debug!(%error, "a TLS handshake failed");
            Handshake::Failed
        }
    }
}

/// The answer to plain HTTP on a TLS port.
fn https_only() -> axum::response::Response {
    use axum::response::IntoResponse as _;
    (
        axum::http::StatusCode::BAD_REQUEST,
        "this port speaks HTTPS only: use https:// in the URL, and pin the certificate's fingerprint \
         (`dcclink list --json` shows it on the DCC's machine)\n",
    )
        .into_response()
}

/// Closes the oldest connection that has not presented the token; false
/// when every connection has.
fn evict_a_stranger(open: &mut BTreeMap<u64, Open>) -> bool {
    let Some(id) = open
        .iter()
        .find(|(_, connection)| !connection.trust.granted())
        .map(|(id, _)| *id)
    else {
        return false;
    };
    if let Some(connection) = open.remove(&id) {
        tracing::debug!(
            id,
            "at the connection cap: closing the oldest connection without the token"
        );
        connection.evict.cancel();
    }
    true
}
