//! Test harness: a dcclink host whose "main thread" is a test thread running
//! the real pump, tools written as Rust closures, and clients that talk to
//! the real MCP server over in-process pipes — a raw JSON-RPC client for
//! byte-level checks and rmcp's own client.

use std::sync::Arc;
use std::thread::{JoinHandle, ThreadId};
use std::time::Duration;

use dcclink_bridge::{Bridge, BridgeConfig, CallContext, Pump};
use dcclink_server::StdioTransport;
use dcclink_server::{
    DccServer, JobHandler, JobOutput, ServerConfig, ServerHandle, Shared, ToolSpec,
};
use rmcp::ServiceExt;
use rmcp::model::JsonObject;
use serde_json::{Value, json};
use tokio::io::{
    AsyncBufReadExt, AsyncRead, AsyncWrite, AsyncWriteExt, BufReader, DuplexStream, Lines,
};

pub mod blocking;
pub mod spawn;

/// The bound on every wait in these tests: generous, it only catches hangs.
pub const HANG: Duration = Duration::from_secs(20);

/// A Rust closure as a tool.
pub struct FnTool<F>(pub F);

impl<F> JobHandler for FnTool<F>
where
    F: Fn(JsonObject, &CallContext) -> JobOutput + Send + Sync + 'static,
{
    fn call(&self, arguments: JsonObject, ctx: &CallContext) -> JobOutput {
        (self.0)(arguments, ctx)
    }
}

/// A dcclink host with its pump running on a dedicated "main" thread.
pub struct TestHost {
    /// What the server sessions share.
    pub shared: Arc<Shared>,
    /// The pump, for tools that pump re-entrantly.
    pub pump: Arc<Pump>,
    main: Option<JoinHandle<()>>,
    main_id: ThreadId,
}

impl TestHost {
    /// A host with the default configuration.
    pub fn new() -> Self {
        Self::with(BridgeConfig::default(), Duration::from_secs(60))
    }

    /// A host with `config` and a default tool timeout.
    pub fn with(config: BridgeConfig, default_timeout: Duration) -> Self {
        let bridge = Bridge::new(config);
        let pump = Arc::new(Pump::new(bridge.clone()));
        let main = {
            let pump = pump.clone();
            std::thread::Builder::new()
                .name("host-main".into())
                .spawn(move || pump.run())
                .expect("spawn the host's main thread")
        };
        let main_id = main.thread().id();
        let shared = Arc::new(Shared::new(bridge, default_timeout));
        Self {
            shared,
            pump,
            main: Some(main),
            main_id,
        }
    }

    /// The bridge.
    pub fn bridge(&self) -> &Arc<Bridge> {
        &self.shared.bridge
    }

    /// The id of the host's main thread.
    pub fn main_thread(&self) -> ThreadId {
        self.main_id
    }

    /// Registers a tool from a closure.
    pub fn tool(
        &self,
        name: &str,
        schema: Value,
        timeout: Option<Duration>,
        run: impl Fn(JsonObject, &CallContext) -> JobOutput + Send + Sync + 'static,
    ) {
        let Value::Object(input_schema) = schema else {
            panic!("a tool schema must be an object");
        };
        let spec = ToolSpec {
            name: name.into(),
            description: format!("test tool {name}"),
            input_schema,
            timeout,
            ..ToolSpec::default()
        };
        self.shared
            .tools
            .register(spec, Arc::new(FnTool(run)))
            .expect("register a test tool");
    }

    /// A server session on in-process pipes, served on the current runtime,
    /// with the server's stdio framing; returns the client's end.
    pub fn pipe(&self, max_request_bytes: usize) -> DuplexStream {
        self.pipe_with_buffer(1 << 20, max_request_bytes)
    }

    /// Like [`TestHost::pipe`], with `buffer` bytes of pipe in each direction
    /// (a small one makes a slow reader).
    pub fn pipe_with_buffer(&self, buffer: usize, max_request_bytes: usize) -> DuplexStream {
        let (client, server) = tokio::io::duplex(buffer);
        let (read, write) = tokio::io::split(server);
        let transport = StdioTransport::new(read, write, max_request_bytes);
        let session = DccServer::new(self.shared.clone(), "test").cancelled_on(transport.closed());
        tokio::spawn(async move {
            if let Ok(running) = session.serve(transport).await {
                let _ = running.waiting().await;
            }
        });
        client
    }

    /// Serves this host over Streamable HTTP on a free loopback port, the
    /// way a DCC does (the real server: axum, hyper, the accept loop), with
    /// `config`'s other settings.
    pub fn serve_http(&self, config: ServerConfig) -> ServerHandle {
        let config = ServerConfig {
            http: Some(std::net::SocketAddr::from(([127, 0, 0, 1], 0))),
            ..config
        };
        ServerHandle::start(config, self.shared.clone()).expect("start the HTTP server")
    }

    /// A raw JSON-RPC client on a fresh session.
    pub fn raw(&self) -> RawClient {
        let (read, write) = tokio::io::split(self.pipe(8 * 1024 * 1024));
        RawClient::new(read, write)
    }

    /// rmcp's client on a fresh session.
    pub async fn rmcp_client(&self) -> rmcp::service::RunningService<rmcp::RoleClient, ()> {
        let (read, write) = tokio::io::split(self.pipe(8 * 1024 * 1024));
        tokio::time::timeout(HANG, ().serve((read, write)))
            .await
            .expect("initialize timed out")
            .expect("initialize failed")
    }
}

impl Default for TestHost {
    fn default() -> Self {
        Self::new()
    }
}

impl Drop for TestHost {
    fn drop(&mut self) {
        self.bridge().shutdown();
        if let Some(main) = self.main.take() {
            let _ = main.join();
        }
    }
}

/// An object schema with the given properties, all required.
pub fn schema(properties: Value) -> Value {
    let required: Vec<String> = properties
        .as_object()
        .map(|p| p.keys().cloned().collect())
        .unwrap_or_default();
    json!({"type": "object", "properties": properties, "required": required})
}

/// A JSON-RPC client that reads and writes raw lines.
pub struct RawClient {
    write: Box<dyn AsyncWrite + Send + Unpin>,
    lines: Lines<BufReader<Box<dyn AsyncRead + Send + Unpin>>>,
    next_id: i64,
    /// Notifications received while waiting for responses, in order.
    pub notifications: Vec<Value>,
    /// Responses that arrived while waiting for another one.
    early: std::collections::HashMap<i64, Value>,
}

impl RawClient {
    /// A client that reads `read` and writes `write`.
    pub fn new(
        read: impl AsyncRead + Send + Unpin + 'static,
        write: impl AsyncWrite + Send + Unpin + 'static,
    ) -> Self {
        let read: Box<dyn AsyncRead + Send + Unpin> = Box::new(read);
        Self {
            write: Box::new(write),
            lines: BufReader::new(read).lines(),
            next_id: 1,
            notifications: Vec::new(),
            early: std::collections::HashMap::new(),
        }
    }

    /// Writes `bytes` and a newline.
    pub async fn send_line(&mut self, bytes: &[u8]) {
        self.write.write_all(bytes).await.expect("write");
        self.write.write_all(b"\n").await.expect("write");
        self.write.flush().await.expect("flush");
    }

    /// Sends a message.
    pub async fn send(&mut self, message: Value) {
        self.send_line(message.to_string().as_bytes()).await;
    }

    /// Sends a request and returns its id without waiting.
    pub async fn start(&mut self, method: &str, params: Value) -> i64 {
        let id = self.next_id;
        self.next_id += 1;
        self.send(json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}))
            .await;
        id
    }

    /// Sends `tools/call`; `progress` asks for progress with that token.
    pub async fn start_call(
        &mut self,
        tool: &str,
        arguments: Value,
        progress: Option<&str>,
    ) -> i64 {
        let mut params = json!({"name": tool, "arguments": arguments});
        if let Some(token) = progress {
            params["_meta"] = json!({"progressToken": token});
        }
        self.start("tools/call", params).await
    }

    /// Starts a call with progress and waits for its first progress
    /// notification: the signal that the tool has begun, where a fixed
    /// sleep would only guess. Returns the request's id.
    pub async fn start_and_wait_until_running(&mut self, tool: &str, arguments: Value) -> i64 {
        let token = format!("started-{}", self.next_id);
        let id = self.start_call(tool, arguments, Some(&token)).await;
        loop {
            let message = self.recv().await;
            if message["method"] == "notifications/progress"
                && message["params"]["progressToken"] == token.as_str()
            {
                return id;
            }
            match message.get("id").and_then(Value::as_i64) {
                Some(other) if message.get("method").is_none() => {
                    self.early.insert(other, message);
                }
                _ => self.notifications.push(message),
            }
        }
    }

    /// The next message from the server.
    pub async fn recv(&mut self) -> Value {
        let line = tokio::time::timeout(HANG, self.lines.next_line())
            .await
            .expect("no message from the server within the hang bound")
            .expect("read")
            .expect("the server closed the connection");
        serde_json::from_str(&line).expect("the server sent invalid JSON")
    }

    /// The response with `id`, keeping notifications and other responses
    /// seen on the way (responses to pipelined requests may come in any
    /// order).
    pub async fn response(&mut self, id: i64) -> Value {
        if let Some(response) = self.early.remove(&id) {
            return response;
        }
        loop {
            let message = self.recv().await;
            if message.get("method").is_some() {
                assert!(
                    message.get("id").is_none(),
                    "unexpected request from the server: {message}"
                );
                self.notifications.push(message);
                continue;
            }
            match message.get("id").and_then(Value::as_i64) {
                Some(got) if got == id => return message,
                Some(other) => {
                    self.early.insert(other, message);
                }
                None => panic!("a response without a request id while waiting for {id}: {message}"),
            }
        }
    }

    /// Sends a request and waits for its response.
    pub async fn request(&mut self, method: &str, params: Value) -> Value {
        let id = self.start(method, params).await;
        self.response(id).await
    }

    /// Calls a tool and returns its result object (panics on a JSON-RPC error).
    pub async fn call(&mut self, tool: &str, arguments: Value) -> Value {
        let id = self.start_call(tool, arguments, None).await;
        let response = self.response(id).await;
        response
            .get("result")
            .cloned()
            .unwrap_or_else(|| panic!("tools/call {tool} failed: {response}"))
    }

    /// Sends `notifications/cancelled` for request `id`.
    pub async fn cancel(&mut self, id: i64) {
        self.send(
            json!({"jsonrpc": "2.0", "method": "notifications/cancelled",
                         "params": {"requestId": id, "reason": "test"}}),
        )
        .await;
    }

    /// The MCP handshake.
    pub async fn initialize(&mut self) -> Value {
        let response = self
            .request(
                "initialize",
                json!({"protocolVersion": "2025-11-25", "capabilities": {},
                       "clientInfo": {"name": "raw-test", "version": "0"}}),
            )
            .await;
        self.send(json!({"jsonrpc": "2.0", "method": "notifications/initialized"}))
            .await;
        response
    }
}

/// The text of a tool result's first content block.
pub fn text(result: &Value) -> &str {
    result["content"][0]["text"].as_str().unwrap_or("")
}

/// True when a tool result is an error.
pub fn is_error(result: &Value) -> bool {
    result["isError"] == json!(true)
}
