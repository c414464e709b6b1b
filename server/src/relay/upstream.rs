//! The relay's side toward one running instance: an MCP session over
//! Streamable HTTP that carries JSON-RPC lines as they are. A request is
//! POSTed; its answer comes back as JSON, or as a stream of events (SSE)
//! whose notifications and requests go on to the IDE until the answer.
//! What the instance says outside any request (list changes) arrives on a
//! stream of its own, opened with GET.
//!
//! Written on reqwest and `sse-stream` rather than rmcp's client because the
//! relay passes messages through undecoded: rmcp's client would parse each
//! one into its types and write it out again.

use std::sync::Arc;
use std::time::Duration;

use base64::Engine as _;
use bytes::Bytes;
use futures::StreamExt as _;
use reqwest::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE, HeaderName, HeaderValue};
use rmcp::transport::common::http_header::{
    BASE64_HEADER_PREFIX, BASE64_HEADER_SUFFIX, HEADER_MCP_METHOD, HEADER_MCP_NAME,
};
use serde::Deserialize;
use serde_json::value::RawValue;
use tokio_util::sync::CancellationToken;

use crate::instances::Instance;
use crate::tls::Fingerprint;

/// How long connecting and initializing a session may take.
const OPEN_WITHIN: Duration = Duration::from_secs(10);
/// How long a session's goodbye (DELETE) may take.
const CLOSE_WITHIN: Duration = Duration::from_secs(1);
const SESSION_HEADER: &str = "mcp-session-id";
const VERSION_HEADER: &str = "mcp-protocol-version";

/// Why a message did not get through.
#[derive(Debug)]
pub(super) enum Failure {
    /// It never reached the instance (nothing listens there now): sending
    /// it again elsewhere runs it at most once.
    NotSent(String),
    /// It may have reached the instance, which gave no answer.
    NoAnswer(String),
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::NotSent(why) | Self::NoAnswer(why) => f.write_str(why),
        }
    }
}

/// One message for the instance: a line as the IDE sent it, and the HTTP
/// headers its revision asks for.
pub(super) struct Outgoing {
    /// Shared, not copied, by each POST of it (a resend on a fresh link).
    pub(super) line: Bytes,
    pub(super) headers: Option<Headers>,
}

impl Outgoing {
    /// `line`, with no headers of its own.
    pub(super) fn plain(line: String) -> Self {
        Self {
            line: line.into(),
            headers: None,
        }
    }

    /// The same headers, on another line (a rewritten request).
    pub(super) fn with_line(self, line: String) -> Self {
        Self {
            line: line.into(),
            ..self
        }
    }
}

/// The HTTP headers MCP 2026-07-28 asks of each request (SEP-2243): its
/// revision, its method, and the tool, prompt or resource it names. (Tool
/// arguments annotated `x-mcp-header` would add `Mcp-Param-*` headers;
/// dcclink's tools have none.)
#[derive(Clone)]
pub(super) struct Headers(Vec<(HeaderName, HeaderValue)>);

impl Headers {
    /// The headers of a request for `method` with `params`, on `revision`.
    pub(super) fn of_request(revision: &str, method: &str, params: Option<&RawValue>) -> Self {
        #[derive(Deserialize)]
        struct Named {
            name: Option<String>,
            uri: Option<String>,
        }
        let named = params.and_then(|params| serde_json::from_str::<Named>(params.get()).ok());
        let name = match method {
            "tools/call" | "prompts/get" => named.and_then(|named| named.name),
            "resources/read" | "resources/subscribe" | "resources/unsubscribe" => {
                named.and_then(|named| named.uri)
            }
            _ => None,
        };
        let mut headers = Vec::new();
        let mut push = |name: &str, value: &str| {
            if let (Ok(name), Ok(value)) =
                (HeaderName::try_from(name), HeaderValue::try_from(value))
            {
                headers.push((name, value));
            }
        };
        push(VERSION_HEADER, revision);
        push(HEADER_MCP_METHOD, method);
        if let Some(name) = name {
            push(HEADER_MCP_NAME, &header_safe(&name));
        }
        Self(headers)
    }
}

/// `value` as an HTTP header value: as it is when it can travel so, else
/// in SEP-2243's Base64 wrapping.
fn header_safe(value: &str) -> String {
    let edges = [value.chars().next(), value.chars().last()];
    let plain = value.chars().all(|c| (' '..='~').contains(&c))
        && !edges.iter().any(|c| matches!(c, Some(' ' | '\t')))
        && !(value.starts_with(BASE64_HEADER_PREFIX) && value.ends_with(BASE64_HEADER_SUFFIX));
    if plain {
        return value.to_owned();
    }
    let encoded = base64::engine::general_purpose::STANDARD.encode(value);
    format!("{BASE64_HEADER_PREFIX}{encoded}{BASE64_HEADER_SUFFIX}")
}

/// Just enough of a JSON-RPC message to route it.
#[derive(Deserialize)]
pub(super) struct Peek<'a> {
    #[serde(borrow, default)]
    pub(super) id: Option<&'a RawValue>,
    #[serde(borrow, default)]
    pub(super) method: Option<&'a str>,
}

/// Where a link hands what the instance says beyond its answers: its
/// notifications, and its requests to the IDE. (The IDE's side; a trait,
/// so that a link knows nothing of it.)
pub(super) trait Inbox: Send + Sync + 'static {
    /// Passes a notification on as it is.
    fn send(&self, line: Vec<u8>);
    /// Passes on `data`, a request from the instance behind `link`.
    fn ask(&self, link: &Arc<Link>, data: &str);
}

/// A live session with one instance.
pub(super) struct Link {
    /// The instance, as the registry listed it.
    pub(super) instance: Instance,
    /// Fires when the instance's process is found dead or the session
    /// broke: HTTP alone may never say so, so the calls in flight on this
    /// link are answered with an error then.
    pub(super) lost: CancellationToken,
    client: reqwest::Client,
    session: Option<HeaderValue>,
    /// The protocol version agreed, once it is.
    version: Option<HeaderValue>,
    auth: HeaderValue,
}

impl Link {
    /// Connects to `instance` and initializes a session with `initialize`
    /// (the IDE's parameters), then listens for what the instance says
    /// outside requests and passes it to `ide`.
    pub(super) async fn open(
        instance: Instance,
        initialize: &RawValue,
        ide: &Arc<impl Inbox>,
    ) -> Result<Arc<Self>, String> {
        let place = format!(
            "the {} instance {} at {}",
            instance.dcc, instance.id, instance.url
        );
        let cannot = |why: String| format!("cannot reach {place}: {why}");
        let pin = instance
            .fingerprint
            .as_deref()
            .map(str::parse::<Fingerprint>)
            .transpose()
            .map_err(|error| cannot(error.to_string()))?;
        let client = crate::tls::http_client(&instance.url, pin).map_err(cannot)?;
        let auth = HeaderValue::try_from(format!("Bearer {}", instance.token))
            .map_err(|_| cannot("its token is not a valid header".into()))?;
        let mut link = Self {
            instance,
            lost: CancellationToken::new(),
            client,
            session: None,
            version: None,
            auth,
        };
        let hello = format!(
            r#"{{"jsonrpc":"2.0","id":"dcclink-connect","method":"initialize","params":{}}}"#,
            initialize.get()
        );
        let opened = tokio::time::timeout(OPEN_WITHIN, link.initialize(hello));
        let version = match opened.await {
            Ok(Ok(version)) => version,
            Ok(Err(why)) => return Err(cannot(why)),
            Err(_) => return Err(cannot(format!("no answer within {OPEN_WITHIN:?}"))),
        };
        link.version =
            Some(HeaderValue::try_from(version).map_err(|_| cannot("a bad version".into()))?);
        let link = Arc::new(link);
        let initialized = r#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#;
        link.send(&Outgoing::plain(initialized.to_owned()), ide)
            .await
            .map_err(|failure| cannot(failure.to_string()))?;
        tokio::spawn(link.clone().listen(ide.clone()));
        Ok(link)
    }

    /// Sends `initialize`; keeps the session id the answer carries and
    /// returns the protocol version agreed.
    async fn initialize(&mut self, hello: String) -> Result<String, String> {
        let response = self
            .post(&Outgoing::plain(hello))
            .await
            .map_err(|failure| failure.to_string())?;
        self.session = response.headers().get(SESSION_HEADER).cloned();
        let answer =
            answer_of(response, |data| data.filter(|data| !data.trim().is_empty())).await?;
        #[derive(Deserialize)]
        struct Initialized {
            result: Agreed,
        }
        #[derive(Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct Agreed {
            protocol_version: String,
        }
        let agreed: Initialized = serde_json::from_str(&answer)
            .map_err(|_| format!("it refused to initialize: {answer}"))?;
        Ok(agreed.result.protocol_version)
    }

    /// Sends one message (a line from the IDE, as it is) and waits for its
    /// answer: `None` for a notification or a response, which have none.
    /// Notifications and requests the instance sends meanwhile go to `ide`.
    pub(super) async fn send(
        self: &Arc<Self>,
        outgoing: &Outgoing,
        ide: &Arc<impl Inbox>,
    ) -> Result<Option<String>, Failure> {
        let response = self.post(outgoing).await?;
        let status = response.status();
        if status == reqwest::StatusCode::ACCEPTED {
            return Ok(None);
        }
        if status == reqwest::StatusCode::NOT_FOUND {
            self.lost.cancel(); // the instance no longer knows this session
        }
        answer_of(response, |data| self.pass_on(data, ide))
            .await
            .map(Some)
            .map_err(Failure::NoAnswer)
    }

    /// Hands `data` (one message from the instance) to the IDE, unless it
    /// is the answer the caller waits for, which is returned.
    fn pass_on(self: &Arc<Self>, data: Option<String>, ide: &Arc<impl Inbox>) -> Option<String> {
        let data = data.filter(|data| !data.trim().is_empty())?; // a priming event
        let Ok(peek) = serde_json::from_str::<Peek<'_>>(&data) else {
            tracing::warn!(%data, "the instance sent what is not JSON-RPC");
            return None;
        };
        match (peek.method, peek.id) {
            (Some(_), Some(_)) => {
                ide.ask(self, &data);
                None
            }
            (Some(_), None) => {
                ide.send(data.into_bytes());
                None
            }
            (None, _) => Some(data),
        }
    }

    /// Passes what the instance says outside requests (list changes,
    /// resource updates, its own requests) to the IDE, until the session
    /// ends.
    async fn listen(self: Arc<Self>, ide: Arc<impl Inbox>) {
        let request = self
            .with_headers(self.client.get(&self.instance.url), None)
            .header(ACCEPT, "text/event-stream");
        let response = tokio::select! {
            response = request.send() => response,
            () = self.lost.cancelled() => return,
        };
        let Ok(response) = response else { return };
        if !response.status().is_success() || !is_event_stream(&response) {
            return; // this instance offers no such stream
        }
        let mut events = sse_stream::SseStream::from_bytes_stream(response.bytes_stream());
        loop {
            let event = tokio::select! {
                event = events.next() => event,
                () = self.lost.cancelled() => return,
            };
            match event {
                Some(Ok(event)) => {
                    if let Some(stray) = self.pass_on(event.data, &ide) {
                        tracing::debug!(%stray, "an answer nobody waits for");
                    }
                }
                Some(Err(_)) | None => return,
            }
        }
    }

    /// POSTs `outgoing` with the session's headers and its own.
    async fn post(&self, outgoing: &Outgoing) -> Result<reqwest::Response, Failure> {
        let request = self.client.post(&self.instance.url);
        self.with_headers(request, outgoing.headers.as_ref())
            .header(ACCEPT, "application/json, text/event-stream")
            .header(CONTENT_TYPE, "application/json")
            .body(outgoing.line.clone())
            .send()
            .await
            .map_err(|error| {
                if error.is_connect() {
                    Failure::NotSent(crate::tls::with_causes(&error))
                } else {
                    Failure::NoAnswer(crate::tls::with_causes(&error))
                }
            })
    }

    /// `request` with the session's headers, and `own` (which name their
    /// own revision) when given.
    fn with_headers(
        &self,
        request: reqwest::RequestBuilder,
        own: Option<&Headers>,
    ) -> reqwest::RequestBuilder {
        let mut request = request.header(AUTHORIZATION, self.auth.clone());
        match own {
            Some(Headers(headers)) => {
                for (name, value) in headers {
                    request = request.header(name, value);
                }
            }
            None => {
                if let Some(version) = &self.version {
                    request = request.header(VERSION_HEADER, version.clone());
                }
            }
        }
        if let Some(session) = &self.session {
            request = request.header(SESSION_HEADER, session.clone());
        }
        request
    }

    /// Fires [`Link::lost`] if the instance's process has exited.
    pub(super) fn check_alive(&self) {
        if self.is_dead() {
            self.lost.cancel();
        }
    }

    /// True when the instance's process has exited.
    pub(super) fn is_dead(&self) -> bool {
        !crate::platform::is_alive(self.instance.pid)
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

    /// What a call is told when the instance did not answer it.
    pub(super) fn no_answer(&self, why: &str) -> String {
        format!(
            "the {} instance {} did not answer ({why}); it may have quit or crashed — when it is \
             back, ask again",
            self.instance.dcc, self.instance.id
        )
    }

    /// Ends the session: the instance is told (bounded), and the listener
    /// stops.
    pub(super) async fn close(&self) {
        self.lost.cancel();
        let goodbye = self
            .with_headers(self.client.delete(&self.instance.url), None)
            .send();
        let _ = tokio::time::timeout(CLOSE_WITHIN, goodbye).await;
    }

    /// True once the session has ended or the instance is gone.
    pub(super) fn is_closed(&self) -> bool {
        self.lost.is_cancelled()
    }
}

fn is_event_stream(response: &reqwest::Response) -> bool {
    response
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.starts_with("text/event-stream"))
}

/// The answer in `response`, JSON or a stream of events. Each event's data
/// goes to `take`, which returns it when it is the answer (and passes on,
/// or skips, what is not).
async fn answer_of(
    response: reqwest::Response,
    mut take: impl FnMut(Option<String>) -> Option<String>,
) -> Result<String, String> {
    let status = response.status();
    if !status.is_success() {
        let body = response.text().await.unwrap_or_default();
        return Err(format!("HTTP {status}: {}", body.trim_end()));
    }
    if !is_event_stream(&response) {
        return response.text().await.map_err(|error| error.to_string());
    }
    let mut events = sse_stream::SseStream::from_bytes_stream(response.bytes_stream());
    while let Some(event) = events.next().await {
        let event = event.map_err(|error| error.to_string())?;
        if let Some(answer) = take(event.data) {
            return Ok(answer);
        }
    }
    Err("the answer's stream ended early".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_header_value_travels_plain_when_it_can_and_wrapped_when_not() {
        assert_eq!(header_safe("render_turntable"), "render_turntable");
        assert_eq!(header_safe("maya://scene/sh010"), "maya://scene/sh010");
        for awkward in ["plan de coupe é", " padded", "tab\t", "=?base64?x?="] {
            let wrapped = header_safe(awkward);
            let inner = wrapped
                .strip_prefix(BASE64_HEADER_PREFIX)
                .and_then(|rest| rest.strip_suffix(BASE64_HEADER_SUFFIX))
                .unwrap_or_else(|| panic!("{awkward:?} was not wrapped: {wrapped}"));
            let decoded = base64::engine::general_purpose::STANDARD.decode(inner);
            assert_eq!(decoded.ok().as_deref(), Some(awkward.as_bytes()));
        }
    }
}
