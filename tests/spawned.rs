//! The real `dcclink serve --stdio` with Python tools: stdout stays clean,
//! tools run on Python's main thread, the server never waits on the GIL, and
//! the process shuts down cleanly.

use std::time::{Duration, Instant};

use dcclink_tests::spawn::serve_stdio;
use dcclink_tests::{HANG, is_error, text};
use serde_json::json;

fn sigterm(child: &tokio::process::Child) {
    let pid = child.id().expect("the child is running");
    let status = std::process::Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status()
        .expect("run kill");
    assert!(status.success());
}

async fn exit_within(
    child: &mut tokio::process::Child,
    bound: Duration,
) -> std::process::ExitStatus {
    tokio::time::timeout(bound, child.wait())
        .await
        .unwrap_or_else(|_| panic!("dcclink did not exit within {bound:?}"))
        .expect("wait for dcclink")
}

#[tokio::test]
async fn python_tools_run_on_the_main_thread_and_prints_do_not_corrupt_stdout() {
    let (_child, mut client) = serve_stdio(&[]);
    let init = client.initialize().await;
    assert_eq!(init["result"]["serverInfo"]["name"], "dcclink");
    assert_eq!(text(&client.call("chatty", json!({})).await), "quiet");
    let where_ = client.call("where", json!({})).await;
    assert_eq!(where_["structuredContent"]["is_main"], true, "{where_}");
    let sum = client.call("add", json!({"a": 20, "b": 22})).await;
    assert_eq!(sum["structuredContent"], json!({"result": 42}));
}

#[tokio::test]
async fn bad_input_on_real_stdio_gets_json_rpc_errors() {
    let (_child, mut client) = serve_stdio(&["--max-request-bytes", "2048"]);
    client.initialize().await;
    client.send_line(b"this is not json").await;
    assert_eq!(client.recv().await["error"]["code"], -32700);
    assert_eq!(
        client.request("no/such/method", json!({})).await["error"]["code"],
        -32601
    );
    client.send_line(&[b'{'; 5000]).await;
    assert_eq!(client.recv().await["error"]["code"], -32600);
    let bad = client.call("add", json!({"a": 1})).await;
    assert!(is_error(&bad) && text(&bad).contains("\"b\""), "{bad}");
    assert_eq!(client.request("ping", json!({})).await["result"], json!({}));
}

#[tokio::test]
async fn ping_and_tools_list_answer_while_python_holds_the_gil_for_10_seconds() {
    let (_child, mut client) = serve_stdio(&[]);
    client.initialize().await;
    let _busy = client
        .start_and_wait_until_running("busy", json!({"seconds": 10.0}))
        .await;
    let asked = Instant::now();
    let ping = client.request("ping", json!({})).await;
    let list = client.request("tools/list", json!({})).await;
    let waited = asked.elapsed();
    assert_eq!(ping["result"], json!({}));
    assert!(
        list["result"]["tools"]
            .as_array()
            .is_some_and(|t| t.len() >= 5)
    );
    assert!(
        waited < Duration::from_secs(2),
        "ping waited {waited:?} behind a busy tool"
    );
}

#[tokio::test]
async fn sigterm_stops_the_running_tool_answers_the_queue_and_exits() {
    let (mut child, mut client) = serve_stdio(&[]);
    client.initialize().await;
    let running = client
        .start_and_wait_until_running("wait_cancel", json!({"limit": 30.0}))
        .await;
    let queued = client
        .start_call("add", json!({"a": 1, "b": 2}), None)
        .await;
    // A call is queued once the server has it: ping answers after it.
    assert_eq!(client.request("ping", json!({})).await["result"], json!({}));
    let sent = Instant::now();
    sigterm(&child);
    let queued = client.response(queued).await;
    assert!(
        text(&queued["result"]).contains("shutting down"),
        "{queued}"
    );
    let running = client.response(running).await;
    assert_eq!(
        text(&running["result"]),
        "cancelled",
        "the tool saw ctx.cancelled: {running}"
    );
    let status = exit_within(&mut child, HANG).await;
    assert!(
        sent.elapsed() < Duration::from_secs(5),
        "shutdown took {:?}",
        sent.elapsed()
    );
    assert!(status.success(), "{status}");
}

#[tokio::test]
async fn closing_stdin_cancels_the_running_call_at_once_and_ends_the_process() {
    let (mut child, mut client) = serve_stdio(&[]);
    client.initialize().await;
    client
        .start_and_wait_until_running("wait_cancel", json!({"limit": 30.0}))
        .await;
    let closed = Instant::now();
    drop(client);
    let status = exit_within(&mut child, HANG).await;
    assert!(status.success(), "{status}");
    // rmcp alone drains a closed session for 5 s before it cancels; the
    // tool must see the cancel at once for the process to be gone by now.
    let took = closed.elapsed();
    assert!(took < Duration::from_secs(1), "exit took {took:?}");
}

/// An rmcp client that notes a tool's first progress: the sign it runs.
#[derive(Clone, Default)]
struct Started(std::sync::Arc<tokio::sync::Notify>);

impl rmcp::ClientHandler for Started {
    async fn on_progress(
        &self,
        _params: rmcp::model::ProgressNotificationParam,
        _context: rmcp::service::NotificationContext<rmcp::RoleClient>,
    ) {
        self.0.notify_one();
    }
}

#[tokio::test]
async fn rmcp_client_lists_calls_and_cancels_against_a_spawned_dcclink() {
    use rmcp::ServiceExt;
    use rmcp::model::{CallToolRequest, CallToolRequestParams, ClientRequest};
    use rmcp::service::PeerRequestOptions;

    let mut child = tokio::process::Command::new(dcclink_tests::spawn::dcclink_bin())
        .args(["serve", "--stdio", "--tools"])
        .arg(dcclink_tests::spawn::fixture("tools.py"))
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("spawn dcclink");
    let transport = (
        child.stdout.take().expect("stdout"),
        child.stdin.take().expect("stdin"),
    );
    let started = Started::default();
    let client = tokio::time::timeout(HANG, started.clone().serve(transport))
        .await
        .expect("initialize timed out")
        .expect("initialize");

    let tools = client.list_all_tools().await.expect("tools/list");
    assert!(tools.iter().any(|t| t.name == "wait_cancel"));
    let mut add = CallToolRequestParams::new("add");
    add.arguments = json!({"a": 5, "b": 6}).as_object().cloned();
    let sum = client.call_tool(add).await.expect("tools/call");
    assert_eq!(sum.structured_content, Some(json!({"result": 11})));

    let mut wait = CallToolRequestParams::new("wait_cancel");
    wait.arguments = json!({"limit": 20.0}).as_object().cloned();
    let request = ClientRequest::CallToolRequest(CallToolRequest::new(wait));
    let handle = client
        .send_cancellable_request(request, PeerRequestOptions::no_options())
        .await
        .expect("send");
    tokio::time::timeout(HANG, started.0.notified())
        .await
        .expect("wait_cancel never started");
    handle.cancel(Some("test".into())).await.expect("cancel");
    let waits = client
        .call_tool(CallToolRequestParams::new("waits"))
        .await
        .expect("tools/call");
    assert_eq!(
        waits.structured_content,
        Some(json!({"result": ["cancelled"]}))
    );
    client.cancel().await.expect("close");
}
