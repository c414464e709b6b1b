//! The bounds on each client, against the real HTTP server: sessions open
//! at once, requests in flight per session, calls queued per client, and
//! abandoned sessions ended. Past each bound the client is told which bound
//! and what to do; what was accepted runs, in order; other clients are
//! still served.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use dcclink_server::{ClientLimits, JobOutput, ServerConfig, ServerHandle};
use dcclink_tests::{HANG, TestHost, schema};
use serde_json::{Value, json};

/// The tool `hold`: holds the main thread until `release` is set (or its
/// call is cancelled), then sends its `n` to `ran`, or notes in
/// `cancelled` that it was cancelled.
struct Holding {
    release: Arc<AtomicBool>,
    ran: mpsc::Receiver<i64>,
    cancelled: Arc<AtomicBool>,
}

impl Holding {
    /// The `n` of every call that ran, in order.
    fn ran(&self) -> Vec<i64> {
        self.ran.try_iter().collect()
    }
}

fn holding(host: &TestHost) -> Holding {
    let (ran_tx, ran) = mpsc::channel();
    let holding = Holding {
        release: Arc::default(),
        ran,
        cancelled: Arc::default(),
    };
    let (release, cancelled) = (holding.release.clone(), holding.cancelled.clone());
    host.tool(
        "hold",
        schema(json!({"n": {"type": "integer"}})),
        None,
        move |arguments, ctx| {
            let deadline = Instant::now() + HANG;
            while !release.load(Ordering::Acquire) && Instant::now() < deadline {
                if ctx.is_cancelled() {
                    cancelled.store(true, Ordering::Release);
                    return JobOutput::Text("stopped".into());
                }
                std::thread::sleep(Duration::from_millis(5));
            }
            let n = arguments.get("n").and_then(Value::as_i64).unwrap_or(-1);
            let _ = ran_tx.send(n);
            JobOutput::Text(n.to_string())
        },
    );
    holding
}

fn serve(host: &TestHost, limits: ClientLimits) -> (ServerHandle, String) {
    let server = host.serve_http(ServerConfig {
        token: Some("t0ken".into()),
        client_limits: limits,
        ..ServerConfig::default()
    });
    let url = server.url().expect("an HTTP address").to_owned();
    (server, url)
}

/// A client speaking Streamable HTTP by hand: of one 2025-11-25 session,
/// or of 2026-07-28, where each request stands alone and names its client.
struct Client {
    http: reqwest::Client,
    url: String,
    session: Option<String>,
    /// The name a 2026-07-28 client gives in each request.
    sessionless: Option<&'static str>,
}

impl Client {
    fn new(url: &str) -> Self {
        // reqwest is built with rustls but no provider (dcclink's own
        // choice, ring, is installed where it makes its clients).
        let _ = rustls::crypto::ring::default_provider().install_default();
        Self {
            http: reqwest::Client::new(),
            url: url.to_owned(),
            session: None,
            sessionless: None,
        }
    }

    /// A 2026-07-28 client called `name`.
    fn sessionless(url: &str, name: &'static str) -> Self {
        Self {
            sessionless: Some(name),
            ..Self::new(url)
        }
    }

    fn post(&self, body: &Value) -> reqwest::RequestBuilder {
        let request = (self.http.post(&self.url).bearer_auth("t0ken"))
            .header("accept", "application/json, text/event-stream");
        let Some(name) = self.sessionless else {
            let request = request
                .header("mcp-protocol-version", "2025-11-25")
                .json(body);
            return match &self.session {
                Some(session) => request.header("mcp-session-id", session),
                None => request,
            };
        };
        let mut body = body.clone();
        body["params"]["_meta"] = json!({
            "io.modelcontextprotocol/protocolVersion": "2026-07-28",
            "io.modelcontextprotocol/clientInfo": {"name": name, "version": "0"},
            "io.modelcontextprotocol/clientCapabilities": {},
        });
        let tool = body["params"]["name"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        request
            .header("mcp-protocol-version", "2026-07-28")
            .header("mcp-method", body["method"].as_str().unwrap_or_default())
            .header("mcp-name", tool)
            .json(&body)
    }

    /// Sends `initialize` (and `notifications/initialized` when it is
    /// accepted); the status and the JSON-RPC message answered. A
    /// 2026-07-28 client has nothing to open.
    async fn initialize(&mut self) -> (u16, Value) {
        if self.sessionless.is_some() {
            return (200, Value::Null);
        }
        let initialize = json!({"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": {
            "protocolVersion": "2025-11-25", "capabilities": {},
            "clientInfo": {"name": "limits", "version": "0"}}});
        let response = self.post(&initialize).send().await.expect("initialize");
        let status = response.status().as_u16();
        self.session = response
            .headers()
            .get("mcp-session-id")
            .and_then(|id| id.to_str().ok())
            .map(str::to_owned);
        let answer = message_in(response).await;
        if self.session.is_some() {
            let initialized = json!({"jsonrpc": "2.0", "method": "notifications/initialized"});
            self.post(&initialized).send().await.expect("initialized");
        }
        (status, answer)
    }

    /// Starts `tools/call hold {n}` as request `id`; its answer arrives
    /// when the task is awaited.
    fn call_hold(&self, id: i64, n: i64) -> tokio::task::JoinHandle<Value> {
        let call = json!({"jsonrpc": "2.0", "id": id, "method": "tools/call",
            "params": {"name": "hold", "arguments": {"n": n}}});
        let sent = self.post(&call).send();
        tokio::spawn(async move { message_in(sent.await.expect("tools/call")).await })
    }

    /// Opens the session's `GET` listener, as the official SDKs do; it
    /// stays open while the response lives.
    async fn listen(&self) -> reqwest::Response {
        let session = self.session.as_deref().unwrap_or_default();
        let listener = (self.http.get(&self.url).bearer_auth("t0ken"))
            .header("accept", "text/event-stream")
            .header("mcp-session-id", session)
            .header("mcp-protocol-version", "2025-11-25")
            .send()
            .await
            .expect("the GET listener");
        assert_eq!(listener.status(), 200);
        listener
    }

    /// Sends a ping on the session; the status.
    async fn ping(&self) -> u16 {
        let ping = json!({"jsonrpc": "2.0", "id": 9, "method": "ping"});
        let response = self.post(&ping).send().await.expect("ping");
        response.status().as_u16()
    }

    /// Ends the session with `DELETE`; the status.
    async fn delete(&self) -> u16 {
        let session = self.session.as_deref().unwrap_or_default();
        let response = (self.http.delete(&self.url).bearer_auth("t0ken"))
            .header("mcp-session-id", session)
            .header("mcp-protocol-version", "2025-11-25")
            .send()
            .await
            .expect("DELETE");
        response.status().as_u16()
    }
}

/// The JSON-RPC response in an answer: a JSON body, or the last `data:`
/// of an SSE stream that carries a result or an error.
async fn message_in(response: reqwest::Response) -> Value {
    let text = tokio::time::timeout(HANG, response.text())
        .await
        .expect("the answer hung")
        .expect("the answer's body");
    if let Ok(value) = serde_json::from_str(&text) {
        return value;
    }
    text.lines()
        .filter_map(|line| line.strip_prefix("data:"))
        .filter_map(|data| serde_json::from_str::<Value>(data.trim()).ok())
        .rfind(|message| message.get("result").is_some() || message.get("error").is_some())
        .unwrap_or_else(|| panic!("no answer in {text:?}"))
}

/// Waits until `ready` holds, within [`HANG`].
async fn until(mut ready: impl FnMut() -> bool) {
    let deadline = Instant::now() + HANG;
    while !ready() {
        assert!(Instant::now() < deadline, "waited {HANG:?} in vain");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

fn error_message(answer: &Value) -> &str {
    answer["error"]["message"].as_str().unwrap_or_default()
}

fn tool_text(answer: &Value) -> &str {
    answer["result"]["content"][0]["text"]
        .as_str()
        .unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_session_past_the_bound_is_refused_while_every_client_is_connected() {
    let host = TestHost::new();
    let limits = ClientLimits {
        max_sessions: 2,
        ..ClientLimits::default()
    };
    let (mut server, url) = serve(&host, limits);
    let mut first = Client::new(&url);
    assert_eq!(first.initialize().await.0, 200);
    let _first_listens = first.listen().await;
    let mut second = Client::new(&url);
    assert_eq!(second.initialize().await.0, 200);
    let _second_listens = second.listen().await;

    let (status, refusal) = Client::new(&url).initialize().await;
    assert_eq!(status, 503);
    assert_eq!(refusal["id"], 0, "the refusal answers the initialize");
    let message = error_message(&refusal);
    assert!(message.contains("already serves 2 sessions"), "{message}");
    assert!(message.contains("--max-sessions"), "{message}");

    assert_eq!(
        first.delete().await,
        204,
        "a goodbye the official SDK accepts"
    );
    assert_eq!(Client::new(&url).initialize().await.0, 200);
    server.shutdown(HANG);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn at_the_bound_the_session_idle_longest_makes_room() {
    let host = TestHost::new();
    let limits = ClientLimits {
        max_sessions: 2,
        ..ClientLimits::default()
    };
    let (mut server, url) = serve(&host, limits);
    let mut idle = Client::new(&url);
    idle.initialize().await; // then its client crashes: no stream open
    let mut connected = Client::new(&url);
    connected.initialize().await;
    let _listens = connected.listen().await;

    assert_eq!(Client::new(&url).initialize().await.0, 200);
    assert_eq!(idle.ping().await, 404, "the idle session made room");
    assert_eq!(connected.ping().await, 200, "the connected one stays");
    server.shutdown(HANG);
}

/// A runaway client under `limits`, which allow it two calls: one runs,
/// one waits, and its third is answered at once, before the first ends.
/// Another client's call is served meanwhile, every accepted call runs in
/// arrival order, and once its calls end the runaway is served again.
/// Returns the third call's answer.
async fn a_third_call_past(
    limits: ClientLimits,
    client: fn(&str, &'static str) -> Client,
) -> Value {
    let host = TestHost::new();
    let hold = holding(&host);
    let (mut server, url) = serve(&host, limits);
    let mut runaway = client(&url, "runaway");
    runaway.initialize().await;
    let first = runaway.call_hold(1, 1);
    until(|| host.bridge().running_call().is_some()).await;
    let second = runaway.call_hold(2, 2);
    until(|| host.bridge().stats().queue_depth == 1).await;

    let refused = tokio::time::timeout(HANG, runaway.call_hold(3, 3))
        .await
        .expect("the refusal waited for the held call")
        .expect("the third call");
    assert_eq!(refused["id"], 3);

    let mut other = client(&url, "other");
    other.initialize().await;
    let others = other.call_hold(1, 4);
    until(|| host.bridge().stats().queue_depth == 2).await;
    hold.release.store(true, Ordering::Release);
    for (call, n) in [(first, "1"), (second, "2"), (others, "4")] {
        assert_eq!(tool_text(&call.await.expect("a call")), n);
    }
    assert_eq!(hold.ran(), [1, 2, 4]);
    let again = runaway.call_hold(4, 5).await.expect("a call");
    assert_eq!(tool_text(&again), "5", "under its bound again");
    server.shutdown(HANG);
    refused
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_past_a_sessions_bound_are_refused_at_once_and_the_rest_run_in_order() {
    let limits = ClientLimits {
        max_in_flight: 2,
        ..ClientLimits::default()
    };
    let refused = a_third_call_past(limits, in_a_session).await;
    let message = error_message(&refused);
    assert!(message.contains("already waits on 2 answers"), "{message}");
    assert!(message.contains("--max-in-flight"), "{message}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn calls_past_a_clients_quota_are_refused_while_other_clients_are_served() {
    let limits = ClientLimits {
        max_calls_per_client: 2,
        ..ClientLimits::default()
    };
    for client in [in_a_session, Client::sessionless] {
        assert_over_quota(&a_third_call_past(limits, client).await);
    }
}

/// A client of a session of its own (its name unused: the session is
/// what it is known by).
fn in_a_session(url: &str, _name: &'static str) -> Client {
    Client::new(url)
}

/// Asserts that `refused` is the call quota's refusal.
fn assert_over_quota(refused: &Value) {
    assert_eq!(refused["result"]["isError"], true);
    let text = tool_text(refused);
    assert!(
        text.contains("already has 2 calls queued or running"),
        "{text}"
    );
    assert!(text.contains("--max-calls-per-client"), "{text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_session_whose_client_vanished_is_ended_and_its_call_cancelled() {
    let host = TestHost::new();
    let hold = holding(&host);
    let limits = ClientLimits {
        abandoned_after: Duration::from_millis(500),
        ..ClientLimits::default()
    };
    let (mut server, url) = serve(&host, limits);
    let mut gone = Client::new(&url);
    gone.initialize().await;
    let listener = gone.listen().await;
    let call = gone.call_hold(1, 1);
    until(|| host.bridge().running_call().is_some()).await;

    // Still present while its streams are open, however long.
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert!(!hold.cancelled.load(Ordering::Acquire));

    // The client dies: its connections close with nothing said.
    call.abort();
    drop(listener);
    let session = gone.session.clone();
    drop(gone);
    until(|| hold.cancelled.load(Ordering::Acquire)).await;

    let mut late = Client::new(&url);
    late.session = session;
    assert_eq!(late.ping().await, 404, "the session has ended");
    server.shutdown(HANG);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_keeps_calling_without_a_listener_is_kept_until_it_goes_quiet() {
    let host = TestHost::new();
    let abandoned_after = Duration::from_millis(500);
    let limits = ClientLimits {
        abandoned_after,
        ..ClientLimits::default()
    };
    let (mut server, url) = serve(&host, limits);
    let mut client = Client::new(&url);
    client.initialize().await;

    // Each request's stream ends at once, and none is open between them,
    // yet the client is heard from more often than the bound: it stays.
    let busy_until = Instant::now() + abandoned_after * 4;
    while Instant::now() < busy_until {
        assert_eq!(client.ping().await, 200, "a busy client's session ended");
        tokio::time::sleep(abandoned_after / 3).await;
    }

    // Then it goes quiet, and its session is ended.
    tokio::time::sleep(abandoned_after * 3).await;
    assert_eq!(client.ping().await, 404, "a quiet session lived on");
    server.shutdown(HANG);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_2026_07_28_closing_the_answer_stream_cancels_the_call() {
    let host = TestHost::new();
    let hold = holding(&host);
    let (mut server, url) = serve(&host, ClientLimits::default());
    let waiting = Client::sessionless(&url, "limits").call_hold(1, 1);
    until(|| host.bridge().running_call().is_some()).await;
    assert!(!hold.cancelled.load(Ordering::Acquire));
    waiting.abort(); // the client closes its stream: the revision's cancel
    until(|| hold.cancelled.load(Ordering::Acquire)).await;
    server.shutdown(HANG);
}
