//! The MCP surface, in process: initialize, list, call, progress, errors,
//! bad input. The server is the real one; tools are Rust closures.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use dcclink_server::JobOutput;
use dcclink_tests::{HANG, TestHost, is_error, schema, text};
use rmcp::model::CallToolRequestParams;
use serde_json::{Value, json};

fn add_host() -> TestHost {
    let host = TestHost::new();
    host.tool(
        "add",
        schema(json!({"a": {"type": "integer"}, "b": {"type": "integer"}})),
        None,
        |args, _| {
            let sum = args["a"].as_i64().unwrap_or(0) + args["b"].as_i64().unwrap_or(0);
            JobOutput::Structured(json!({ "result": sum }))
        },
    );
    host
}

#[tokio::test]
async fn an_rmcp_client_initializes_lists_and_calls() {
    let host = add_host();
    let client = host.rmcp_client().await;
    let info = client.peer_info().expect("server info");
    assert_eq!(
        info.server_info.as_ref().map(|s| s.name.as_str()),
        Some("dcclink")
    );
    let tools = client.list_all_tools().await.expect("tools/list");
    assert_eq!(tools.len(), 1);
    assert_eq!(tools[0].name, "add");
    assert_eq!(tools[0].input_schema["required"], json!(["a", "b"]));
    let mut params = CallToolRequestParams::new("add");
    params.arguments = json!({"a": 2, "b": 40}).as_object().cloned();
    let result = client.call_tool(params).await.expect("tools/call");
    assert_eq!(result.structured_content, Some(json!({"result": 42})));
    assert_eq!(result.is_error, Some(false));
    client.cancel().await.expect("close");
}

#[tokio::test]
async fn progress_reaches_only_a_client_that_asked_and_only_increases() {
    let host = TestHost::new();
    host.tool("count", schema(json!({})), None, |_, ctx| {
        for i in 1..=2000 {
            ctx.progress(f64::from(i), Some(2000.0), Some(format!("step {i}")));
            ctx.progress(f64::from(i) - 0.5, None, None); // going back is ignored
        }
        JobOutput::Text("counted".into())
    });
    let mut client = host.raw();
    client.initialize().await;

    let id = client.start_call("count", json!({}), Some("tok")).await;
    let response = client.response(id).await;
    assert_eq!(text(&response["result"]), "counted");
    let progress: Vec<f64> = client
        .notifications
        .iter()
        .filter(|n| n["method"] == "notifications/progress")
        .map(|n| {
            assert_eq!(n["params"]["progressToken"], "tok");
            n["params"]["progress"].as_f64().unwrap_or(f64::NAN)
        })
        .collect();
    assert!(!progress.is_empty(), "a client with a token gets progress");
    assert!(
        progress.windows(2).all(|w| w[0] < w[1]),
        "progress must strictly increase: {progress:?}"
    );
    assert_eq!(
        progress.last(),
        Some(&2000.0),
        "the final value is never dropped"
    );

    client.notifications.clear();
    let id = client.start_call("count", json!({}), None).await;
    client.response(id).await;
    assert!(
        client
            .notifications
            .iter()
            .all(|n| n["method"] != "notifications/progress"),
        "no progress without a progressToken"
    );
}

#[tokio::test]
async fn progress_is_coalesced_for_a_slow_reader_and_the_final_value_arrives() {
    let host = TestHost::new();
    host.tool("flood", schema(json!({})), None, |_, ctx| {
        for i in 1..=20_000 {
            ctx.progress(f64::from(i), Some(20_000.0), None);
        }
        JobOutput::Text("flooded".into())
    });
    // A 512-byte pipe that the client does not read until the answer: the
    // server's sends block, so reports must be coalesced, not queued.
    let (read, write) = tokio::io::split(host.pipe_with_buffer(512, 1 << 20));
    let mut client = dcclink_tests::RawClient::new(read, write);
    client.initialize().await;
    let id = client.start_call("flood", json!({}), Some("slow")).await;
    assert_eq!(text(&client.response(id).await["result"]), "flooded");
    let progress: Vec<f64> = client
        .notifications
        .iter()
        .filter_map(|n| n["params"]["progress"].as_f64())
        .collect();
    assert!(
        progress.len() < 20_000,
        "nothing was coalesced: {} notifications",
        progress.len()
    );
    assert!(progress.windows(2).all(|w| w[0] < w[1]));
    assert_eq!(
        progress.last(),
        Some(&20_000.0),
        "the final value is never dropped"
    );
}

#[tokio::test]
async fn tool_logs_become_mcp_logging_notifications() {
    let host = TestHost::new();
    host.tool("talk", schema(json!({})), None, |_, ctx| {
        ctx.log(dcclink_bridge::LogLevel::Debug, "too quiet".into());
        ctx.log(dcclink_bridge::LogLevel::Warning, "careful".into());
        JobOutput::Empty
    });
    let mut client = host.raw();
    client.initialize().await;
    let result = client.call("talk", json!({})).await;
    assert_eq!(result["content"], json!([]), "None becomes an empty result");
    let logs: Vec<&Value> = client
        .notifications
        .iter()
        .filter(|n| n["method"] == "notifications/message")
        .collect();
    assert_eq!(logs.len(), 1, "debug is below the default level: {logs:?}");
    assert_eq!(logs[0]["params"]["level"], "warning");
    assert_eq!(logs[0]["params"]["data"], "careful");
}

#[tokio::test]
async fn errors_are_clear_and_the_next_call_still_runs() {
    let host = add_host();
    host.tool("boom", schema(json!({})), None, |_, _| JobOutput::Error {
        message: "RuntimeError: the scene is locked".into(),
        traceback: Some("Traceback (most recent call last): ...".into()),
    });
    let mut client = host.raw();
    client.initialize().await;

    let unknown = client
        .request("tools/call", json!({"name": "nope", "arguments": {}}))
        .await;
    assert_eq!(unknown["error"]["code"], -32602);
    assert!(
        unknown["error"]["message"]
            .as_str()
            .unwrap_or("")
            .contains("unknown tool 'nope'")
    );

    let bad = client.call("add", json!({"a": "two"})).await;
    assert!(is_error(&bad));
    assert!(text(&bad).contains("parameter 'a'"), "{}", text(&bad));
    assert!(
        text(&bad).contains("missing required parameter \"b\""),
        "{}",
        text(&bad)
    );
    assert_eq!(
        host.bridge().stats().submitted,
        0,
        "an unknown tool or bad arguments must never reach the main thread"
    );

    let boom = client.call("boom", json!({})).await;
    assert!(is_error(&boom));
    assert!(text(&boom).contains("the scene is locked") && text(&boom).contains("Traceback"));

    let ok = client.call("add", json!({"a": 1, "b": 1})).await;
    assert_eq!(ok["structuredContent"], json!({"result": 2}));
}

#[tokio::test]
async fn malformed_json_unknown_methods_and_huge_requests_leave_the_connection_usable() {
    let host = add_host();
    let (read, write) = tokio::io::split(host.pipe(4096));
    let mut client = dcclink_tests::RawClient::new(read, write);
    client.initialize().await;

    client
        .send_line(b"{\"jsonrpc\": \"2.0\", \"id\": 7, \"method\": ")
        .await;
    let parse = client.recv().await;
    assert_eq!(parse["error"]["code"], -32700);
    // The id before the break is read, so the caller's request fails now
    // rather than at its timeout.
    assert_eq!(parse.get("id"), Some(&json!(7)), "{parse}");
    client.send_line(b"{not json").await;
    let parse = client.recv().await;
    assert_eq!(parse["error"]["code"], -32700);
    // JSON-RPC 2.0: an error whose id is unknown says `"id": null`.
    assert_eq!(parse.get("id"), Some(&Value::Null), "{parse}");

    for (line, code) in [
        (&b"[]"[..], -32600),
        (br#"[{"jsonrpc":"2.0","id":1,"method":"ping"}]"#, -32600),
        (br#"{"jsonrpc":"2.0","id":null,"method":"ping"}"#, -32600),
    ] {
        client.send_line(line).await;
        let refused = client.recv().await;
        assert_eq!(refused["error"]["code"], code, "{refused}");
        assert_eq!(refused.get("id"), Some(&Value::Null), "{refused}");
    }

    let unknown = client.request("scene/explode", json!({})).await;
    assert_eq!(unknown["error"]["code"], -32601);
    for params in [
        json!({"name": "add", "arguments": [1, 2]}),
        json!({"name": "add", "arguments": "a=1"}),
        Value::Null,
    ] {
        let wrong = client.request("tools/call", params.clone()).await;
        assert_eq!(wrong["error"]["code"], -32602, "params {params}: {wrong}");
    }

    let huge = format!(
        "{{\"jsonrpc\":\"2.0\",\"id\":99,\"method\":\"ping\",\"params\":{{\"x\":\"{}\"}}}}",
        "a".repeat(10_000)
    );
    client.send_line(huge.as_bytes()).await;
    let refused = client.recv().await;
    assert_eq!(refused["error"]["code"], -32600);
    assert_eq!(
        refused["id"], 99,
        "the id is read from the line's start: {refused}"
    );
    assert!(
        refused["error"]["message"]
            .as_str()
            .unwrap_or("")
            .contains("too large")
    );

    assert_eq!(
        host.bridge().stats().submitted,
        0,
        "bad input must never reach the main thread"
    );
    let still = client.call("add", json!({"a": 20, "b": 22})).await;
    assert_eq!(still["structuredContent"], json!({"result": 42}));
    let ping = client.request("ping", json!({})).await;
    assert_eq!(ping["result"], json!({}));
}

#[tokio::test]
async fn a_huge_request_does_not_harm_a_call_in_flight() {
    let host = TestHost::new();
    let release = Arc::new(AtomicBool::new(false));
    let gate = release.clone();
    host.tool("slow", schema(json!({})), None, move |_, _| {
        let deadline = std::time::Instant::now() + HANG;
        while !gate.load(Ordering::SeqCst) && std::time::Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(1));
        }
        JobOutput::Text("finished".into())
    });
    let (read, write) = tokio::io::split(host.pipe(4096));
    let mut client = dcclink_tests::RawClient::new(read, write);
    client.initialize().await;
    let id = client.start_call("slow", json!({}), None).await;
    client.send_line(&vec![b'x'; 100_000]).await;
    let refused = client.recv().await;
    assert_eq!(refused["error"]["code"], -32600);
    release.store(true, Ordering::SeqCst);
    let response = client.response(id).await;
    assert_eq!(text(&response["result"]), "finished");
}

#[tokio::test]
async fn return_values_map_onto_mcp_content() {
    let host = TestHost::new();
    host.tool("image", schema(json!({})), None, |_, _| JobOutput::Image {
        data: vec![0x89, b'P', b'N', b'G'],
        mime: "image/png".into(),
    });
    host.tool("text", schema(json!({})), None, |_, _| {
        JobOutput::Text("hello".into())
    });
    let mut client = host.raw();
    client.initialize().await;
    let image = client.call("image", json!({})).await;
    assert_eq!(image["content"][0]["type"], "image");
    assert_eq!(image["content"][0]["mimeType"], "image/png");
    assert_eq!(image["content"][0]["data"], "iVBORw==");
    let text_result = client.call("text", json!({})).await;
    assert_eq!(
        text_result["content"],
        json!([{"type": "text", "text": "hello"}])
    );
    assert!(text_result.get("structuredContent").is_none());
}
