//! MCP over Streamable HTTP at `/mcp`, on axum, behind a bearer token.
//!
//! rmcp's [`StreamableHttpService`] does the protocol (POST for requests, SSE
//! streams for progress and server messages) and checks that `Host` and
//! `Origin` are loopback, which defeats DNS rebinding. dcclink adds the bearer
//! token, compared in constant time, and the body-size limit. The token may
//! also come as `?token=` (for clients that cannot send headers, such as the
//! MCP conformance suite), on loopback only. The loopback listener also
//! serves the panel at `/panel` ([`crate::panel`]). A listener other
//! machines reach ([`Reach::Remote`], over TLS) serves `/mcp` (and the
//! panel only when asked), takes the token in the header only, and checks
//! `Host` itself ([`HostGate`]).

use std::sync::Arc;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::header::WWW_AUTHENTICATE;
use axum::http::{Method, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Json, Response};
use futures::StreamExt;
use http_body_util::{BodyExt as _, LengthLimitError, Limited};
use rmcp::model::{ClientJsonRpcMessage, RequestId};
use rmcp::transport::streamable_http_server::{StreamableHttpServerConfig, StreamableHttpService};
use tokio_util::sync::CancellationToken;

use crate::limits::{ClientLimits, QuotasByName};
use crate::panel::Panel;
use crate::session::DccServer;
use crate::shared::Shared;
use crate::transports::answering::Answering;
use crate::transports::auth;
use crate::transports::connections::ConnectionTrust;
use crate::transports::host_gate::HostGate;
use crate::transports::sessions::Sessions;
use crate::transports::{task_param, wire_errors};

/// The header that names the session a request belongs to.
const SESSION_ID_HEADER: &str = "mcp-session-id";
/// The loopback names a `Host` header may carry.
const LOOPBACK_HOSTS: [&str; 3] = ["localhost", "127.0.0.1", "::1"];
/// The loopback origins a browser may call from.
const LOOPBACK_ORIGINS: [&str; 3] = ["http://localhost:*", "http://127.0.0.1:*", "http://[::1]:*"];

/// Whom a listener serves.
pub(crate) enum Reach {
    /// This machine, on loopback: `/mcp` and the panel, a loopback `Host`
    /// and `Origin`, and `?token=` for clients that cannot send headers.
    Loopback(Panel),
    /// Other machines, over TLS: `/mcp` (and the panel when asked), the
    /// token in the header only, and a `Host` that [`HostGate`] allows.
    Remote(HostGate, Option<Panel>),
}

/// The axum app: `/mcp` behind the token, and on loopback the panel.
/// `answering` counts the answers on their way out; `cancel` closes every
/// session.
pub(crate) fn router(
    shared: Arc<Shared>,
    token: Arc<str>,
    max_body_bytes: usize,
    limits: ClientLimits,
    answering: Answering,
    cancel: CancellationToken,
    reach: Reach,
) -> Router {
    let config = StreamableHttpServerConfig::default()
        .with_max_request_body_bytes(max_body_bytes)
        .with_cancellation_token(cancel);
    let config = match &reach {
        Reach::Loopback(_) => config
            .with_allowed_hosts(LOOPBACK_HOSTS)
            .with_allowed_origins(LOOPBACK_ORIGINS),
        // The gate checks both, and says what to do when it refuses.
        Reach::Remote(..) => config.disable_allowed_hosts().disable_allowed_origins(),
    };
    let gate = Gate {
        token,
        query_allowed: matches!(reach, Reach::Loopback(_)),
    };
    let sessions = Arc::new(Sessions::new(limits));
    let quotas_by_name = Arc::new(QuotasByName::new(limits.max_calls_per_client));
    let service = StreamableHttpService::new(
        move || {
            let server = DccServer::new(shared.clone(), "http")
                .with_call_quota(limits.max_calls_per_client)
                .with_quotas_by_name(quotas_by_name.clone());
            Ok(server)
        },
        sessions.clone(),
        config,
    );
    let mcp = Router::new()
        .route_service("/mcp", service)
        .layer(middleware::from_fn_with_state(sessions, limit_sessions))
        .layer(middleware::from_fn(answer_goodbye))
        .layer(middleware::from_fn_with_state(answering, track_answer))
        .layer(middleware::from_fn_with_state(
            max_body_bytes,
            refuse_unreadable,
        ))
        .layer(middleware::from_fn_with_state(gate, require_token));
    match reach {
        Reach::Loopback(panel) => mcp.merge(crate::panel::router(panel)),
        Reach::Remote(hosts, panel) => {
            let routes = match panel {
                Some(panel) => mcp.merge(crate::panel::router(panel)),
                None => mcp,
            };
            routes.layer(middleware::from_fn_with_state(hosts, HostGate::check))
        }
    }
}

/// Answers a POST whose body is not one JSON-RPC message rmcp can take
/// (not JSON, a batch, an id that is neither a string nor a number) with
/// the JSON-RPC error for it, as stdio does ([`wire_errors`]), where rmcp
/// would answer 415 with a line of text. The body is read here, within
/// `max_body_bytes` (413 past it, 408 when it stalls), and handed on.
async fn refuse_unreadable(
    State(max_body_bytes): State<usize>,
    request: Request,
    next: Next,
) -> Response {
    if request.method() != Method::POST {
        return next.run(request).await;
    }
    let (parts, body) = request.into_parts();
    let bytes = match Limited::new(body, max_body_bytes).collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(error) if error.is::<LengthLimitError>() => {
            let error = wire_errors::too_large(max_body_bytes);
            return (
                StatusCode::PAYLOAD_TOO_LARGE,
                Json(wire_errors::error_json(&error, None)),
            )
                .into_response();
        }
        Err(error) => {
            return (
                StatusCode::REQUEST_TIMEOUT,
                format!("the request body did not arrive: {error}\n"),
            )
                .into_response();
        }
    };
    let bytes = task_param::lift(&bytes).map_or(bytes, Bytes::from);
    if serde_json::from_slice::<ClientJsonRpcMessage>(&bytes).is_err() {
        return match wire_errors::diagnose(&bytes) {
            Some((error, id)) => (
                StatusCode::BAD_REQUEST,
                Json(wire_errors::error_json(&error, id.as_ref())),
            )
                .into_response(),
            None => StatusCode::BAD_REQUEST.into_response(),
        };
    }
    next.run(Request::from_parts(parts, Body::from(bytes)))
        .await
}

/// Makes room for an `initialize` (which opens a session) while
/// [`ClientLimits::max_sessions`] are open, by ending the session whose
/// client has been gone longest; refuses it when every session has a
/// stream open: 503, with the JSON-RPC error that says what to do.
async fn limit_sessions(
    State(sessions): State<Arc<Sessions>>,
    request: Request,
    next: Next,
) -> Response {
    let joins_a_session = request.headers().contains_key(SESSION_ID_HEADER);
    if request.method() != Method::POST || joins_a_session || !sessions.full().await {
        return next.run(request).await;
    }
    let (parts, body) = request.into_parts();
    // `refuse_unreadable` has read the body already, within its bound.
    let bytes = body
        .collect()
        .await
        .map(|body| body.to_bytes())
        .unwrap_or_default();
    #[derive(serde::Deserialize)]
    struct Opening {
        id: Option<RequestId>,
        method: Option<String>,
    }
    match serde_json::from_slice::<Opening>(&bytes) {
        Ok(Opening {
            id,
            method: Some(method),
        }) if method == "initialize" && !sessions.make_room().await => (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(wire_errors::error_json(
                &wire_errors::too_many_sessions(sessions.max()),
                id.as_ref(),
            )),
        )
            .into_response(),
        _ => {
            next.run(Request::from_parts(parts, Body::from(bytes)))
                .await
        }
    }
}

/// Answers a client that ends its session (`DELETE`) with 204 No Content
/// where rmcp answers 202 Accepted: the session is gone by then, and the
/// official Python SDK takes only 200 and 204 as success (it logs "Session
/// termination failed: 202" otherwise).
async fn answer_goodbye(request: Request, next: Next) -> Response {
    let goodbye = request.method() == Method::DELETE;
    let mut response = next.run(request).await;
    if goodbye && response.status() == StatusCode::ACCEPTED {
        *response.status_mut() = StatusCode::NO_CONTENT;
    }
    response
}

/// Counts a POST's response, an SSE stream that ends after the answer, until
/// its body is written or dropped.
async fn track_answer(
    State(answering): State<Answering>,
    request: Request,
    next: Next,
) -> Response {
    if request.method() != Method::POST {
        return next.run(request).await;
    }
    let guard = answering.begin();
    let (parts, body) = next.run(request).await.into_parts();
    let body = body.into_data_stream().map(move |chunk| {
        let _writing = &guard;
        chunk
    });
    Response::from_parts(parts, Body::from_stream(body))
}

/// What `/mcp` requires of a request.
#[derive(Clone)]
struct Gate {
    token: Arc<str>,
    /// Whether `?token=` counts (loopback servers only).
    query_allowed: bool,
}

/// Lets a request through only with `Authorization: Bearer <token>`, or on
/// a loopback server `?token=<token>`.
async fn require_token(State(gate): State<Gate>, request: Request, next: Next) -> Response {
    let from_query = gate
        .query_allowed
        .then(|| auth::from_query(request.uri().query()))
        .flatten();
    let presented = auth::bearer(request.headers()).or(from_query);
    let authorized = presented.is_some_and(|given| auth::matches(given, &gate.token));
    if authorized {
        ConnectionTrust::grant(&request);
        return next.run(request).await;
    }
    let reason = if presented.is_some() {
        "wrong bearer token"
    } else {
        "missing bearer token"
    };
    (
        StatusCode::UNAUTHORIZED,
        [(WWW_AUTHENTICATE, "Bearer")],
        format!(
            "{reason}: send 'Authorization: Bearer <token>' with the token dcclink printed at \
             start-up (or set one with --token)\n"
        ),
    )
        .into_response()
}
