//! The panel: a page that shows every tool call live and can cancel it,
//! served by dcclink's own HTTP server at `/panel`.
//!
//! One design serves every place the panel appears (a browser tab, the
//! embedded WebView, a separate panel process): the page loads from
//! `/panel`, receives one Server-Sent Events stream from `/panel/events`
//! (a snapshot, then every event as it happens, then status changes) and
//! acts through small POST endpoints. The assets are compiled into the
//! binary, so the panel works offline.

mod board;
mod callbacks;
pub(crate) mod server_log;

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::{Path, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use dcclink_bridge::{AnswerError, CancelReason, FormReply};

use crate::transports::auth;
use crate::transports::connections::ConnectionTrust;
use futures::{Stream, StreamExt as _};
use serde_json::json;
use tokio::sync::broadcast::error::RecvError;
use tokio_util::sync::CancellationToken;

pub(crate) use board::{Board, HostStatus};
pub use callbacks::PanelCallback;
pub(crate) use callbacks::{CallbackError, Callbacks};

const PAGE: &str = include_str!("assets/index.html");
const SCRIPT: &str = include_str!("assets/panel.js");
const STYLE: &str = include_str!("assets/panel.css");
const SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
     connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; \
     frame-ancestors 'none'";

/// What the panel routes share.
#[derive(Clone)]
pub(crate) struct Panel {
    /// The board.
    pub board: Arc<Board>,
    /// The page's Python callbacks.
    pub callbacks: Arc<Callbacks>,
    /// The bearer token.
    pub token: Arc<str>,
    /// The MCP endpoint, for the connection section.
    pub mcp_url: Arc<str>,
    /// Which requests come from the panel's own page.
    pub origin: PanelOrigin,
    /// Fires when the server stops: event streams end then, so a page that
    /// stays open cannot hold the shutdown up.
    pub stop: CancellationToken,
}

/// Where the panel's page is served from: it answers requests from that
/// page only.
#[derive(Clone, Copy, Debug)]
pub(crate) enum PanelOrigin {
    /// http on a loopback name, on the server's `port`.
    Loopback {
        /// The loopback listener's port.
        port: u16,
    },
    /// https, on the listener other machines reach (`--remote-panel`),
    /// whose host gate has checked `Host` already.
    Remote,
}

impl PanelOrigin {
    fn admits(self, headers: &axum::http::HeaderMap) -> bool {
        match self {
            Self::Loopback { port } => auth::own_origin_request(headers, port),
            Self::Remote => auth::same_https_origin(headers),
        }
    }
}

/// The `/panel` routes.
pub(crate) fn router(panel: Panel) -> Router {
    Router::new()
        .route("/panel", get(page))
        .route(
            "/panel/panel.js",
            get(|| asset(SCRIPT, "text/javascript; charset=utf-8")),
        )
        .route(
            "/panel/panel.css",
            get(|| asset(STYLE, "text/css; charset=utf-8")),
        )
        .route("/panel/events", get(events))
        .route("/panel/api/cancel/{call}", post(cancel))
        .route("/panel/api/call/{name}", post(call_back))
        .route("/panel/api/question/{question}", post(answer_question))
        .layer(middleware::from_fn_with_state(panel.clone(), guard))
        .with_state(panel)
}

/// Its own loopback origin only, and the token (or, on the page itself,
/// `?token=` once).
async fn guard(State(panel): State<Panel>, request: Request, next: Next) -> Response {
    if !panel.origin.admits(request.headers()) {
        return (
            StatusCode::FORBIDDEN,
            "the panel answers its own page only (its own address and port)\n",
        )
            .into_response();
    }
    if auth::presented(request.headers()).is_some_and(|t| auth::matches(t, &panel.token)) {
        ConnectionTrust::grant(&request);
        return next.run(request).await;
    }
    let from_link = auth::from_query(request.uri().query());
    if request.uri().path() == "/panel" && from_link.is_some_and(|t| auth::matches(t, &panel.token))
    {
        ConnectionTrust::grant(&request);
        let secure = match panel.origin {
            PanelOrigin::Loopback { .. } => "",
            PanelOrigin::Remote => "; Secure",
        };
        let cookie = format!(
            "{}={}; Path=/panel; HttpOnly; SameSite=Strict{secure}",
            auth::COOKIE,
            panel.token
        );
        let mut response = Redirect::to("/panel").into_response();
        if let Ok(value) = HeaderValue::from_str(&cookie) {
            response.headers_mut().insert(header::SET_COOKIE, value);
        }
        return response;
    }
    (
        StatusCode::UNAUTHORIZED,
        "the dcclink panel needs its token: open the link dcclink printed \
         (http://127.0.0.1:PORT/panel?token=...), or call dcclink.open_panel() in the DCC\n",
    )
        .into_response()
}

fn secured(mut response: Response) -> Response {
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(SECURITY_POLICY),
    );
    response
}

async fn page() -> Response {
    secured(([(header::CONTENT_TYPE, "text/html; charset=utf-8")], PAGE).into_response())
}

async fn asset(body: &'static str, kind: &'static str) -> Response {
    secured(([(header::CONTENT_TYPE, kind)], body).into_response())
}

async fn cancel(State(panel): State<Panel>, Path(call): Path<u64>) -> StatusCode {
    if panel.board.bridge().cancel_call(call, CancelReason::Panel) {
        StatusCode::NO_CONTENT
    } else {
        StatusCode::NOT_FOUND
    }
}

/// The panel's answer to a tool's question: yes or no, or a form's values.
#[derive(Debug, serde::Deserialize)]
#[serde(untagged)]
pub(crate) enum QuestionAnswer {
    YesNo {
        allow: bool,
        #[serde(default)]
        trust: bool,
    },
    Form(FormReply),
}

/// Answers question `question`: 204 when taken; 404 when it no longer waits
/// (answered from another panel, timed out, or cancelled); 422, with what
/// to correct, for form values that do not fit the form's schema.
async fn answer_question(
    State(panel): State<Panel>,
    Path(question): Path<u64>,
    axum::Json(answer): axum::Json<QuestionAnswer>,
) -> Response {
    let questions = panel.board.bridge().panel_questions();
    let taken = match answer {
        QuestionAnswer::YesNo { allow, trust } => questions.answer(question, allow, trust),
        QuestionAnswer::Form(reply) => {
            if let Some(problem) = questions
                .form(question)
                .and_then(|s| crate::forms::misfit(&s, &reply))
            {
                return (StatusCode::UNPROCESSABLE_ENTITY, problem).into_response();
            }
            questions.answer_form(question, reply)
        }
    };
    match taken {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err(error @ AnswerError::NotWaiting(_)) => {
            (StatusCode::NOT_FOUND, error.to_string()).into_response()
        }
        Err(error @ AnswerError::WrongKind(..)) => {
            (StatusCode::BAD_REQUEST, error.to_string()).into_response()
        }
    }
}

/// An open event stream counted as a panel that can answer questions.
struct Watching(Arc<dcclink_bridge::Bridge>);

impl Watching {
    fn new(bridge: &Arc<dcclink_bridge::Bridge>) -> Self {
        bridge.panel_questions().watch();
        Self(bridge.clone())
    }
}

impl Drop for Watching {
    fn drop(&mut self) {
        self.0.panel_questions().unwatch();
    }
}

/// How long the page waits for a callback's result.
const CALLBACK_BOUND: Duration = Duration::from_secs(30);

/// `window.dcclink.call(name, args)`: runs the callback on the main thread
/// and answers `{"result": ...}` or `{"error": "..."}`.
async fn call_back(
    State(panel): State<Panel>,
    Path(name): Path<String>,
    arguments: Option<axum::Json<serde_json::Value>>,
) -> Response {
    let arguments = arguments.map_or(serde_json::Value::Null, |axum::Json(value)| value);
    let bridge = panel.board.bridge();
    match panel
        .callbacks
        .call(bridge, &name, arguments, CALLBACK_BOUND)
        .await
    {
        Ok(result) => axum::Json(json!({ "result": result })).into_response(),
        Err(error) => {
            let status = match error {
                CallbackError::Unknown(_) => StatusCode::NOT_FOUND,
                CallbackError::Raised(_) => StatusCode::UNPROCESSABLE_ENTITY,
                CallbackError::Refused(_) => StatusCode::SERVICE_UNAVAILABLE,
                CallbackError::TimedOut(..) => StatusCode::GATEWAY_TIMEOUT,
            };
            (status, axum::Json(json!({ "error": error.to_string() }))).into_response()
        }
    }
}

/// The snapshot message: connection details, the host's status and the
/// recent events to replay.
fn snapshot(panel: &Panel, events: &[Arc<dcclink_bridge::Event>]) -> SseEvent {
    let data = json!({
        "info": {
            "mcp_url": &*panel.mcp_url,
            "token": &*panel.token,
            "version": env!("CARGO_PKG_VERSION"),
        },
        "status": panel.board.status(),
        "events": events,
    });
    SseEvent::default().event("snapshot").data(data.to_string())
}

fn status_event(status: &HostStatus) -> SseEvent {
    SseEvent::default()
        .event("status")
        .data(serde_json::to_string(status).unwrap_or_default())
}

/// How often an open panel's host status is checked for a change.
const STATUS_EVERY: Duration = Duration::from_millis(250);

async fn events(State(panel): State<Panel>) -> Response {
    // While the stream is open, this panel can answer tools' questions.
    let watching = Watching::new(panel.board.bridge());
    let stream = event_stream(panel).map(move |message| {
        let _open = &watching;
        message
    });
    secured(
        Sse::new(stream)
            .keep_alive(KeepAlive::default())
            .into_response(),
    )
}

fn event_stream(panel: Panel) -> impl Stream<Item = Result<SseEvent, Infallible>> {
    let (events, receiver) = panel.board.subscribe();
    let first = snapshot(&panel, &events);
    let status = panel.board.status();
    let ticker = tokio::time::interval(STATUS_EVERY);
    futures::stream::unfold(
        (Some(first), receiver, ticker, status, panel),
        |(mut first, mut receiver, mut ticker, mut status, panel)| async move {
            if let Some(message) = first.take() {
                return Some((Ok(message), (None, receiver, ticker, status, panel)));
            }
            loop {
                tokio::select! {
                    () = panel.stop.cancelled() => return None,
                    received = receiver.recv() => match received {
                        Ok(json) => {
                            let message = SseEvent::default().event("event").data(&*json);
                            return Some((Ok(message), (None, receiver, ticker, status, panel)));
                        }
                        Err(RecvError::Lagged(_)) => {
                            // Too far behind: start over from a fresh snapshot.
                            let (events, fresh) = panel.board.subscribe();
                            let message = snapshot(&panel, &events);
                            return Some((Ok(message), (None, fresh, ticker, status, panel)));
                        }
                        Err(RecvError::Closed) => return None,
                    },
                    _ = ticker.tick() => {
                        let now = panel.board.status();
                        if now != status {
                            status = now;
                            let message = status_event(&status);
                            return Some((Ok(message), (None, receiver, ticker, status, panel)));
                        }
                    }
                }
            }
        },
    )
}
