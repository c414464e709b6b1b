//! The threading invariants, end to end through the MCP server: main-thread
//! affinity, FIFO across clients, answers while a tool runs, re-entrancy
//! and shutdown. Cancellation, timeouts and bounded queues are in
//! `cancellation.rs`.

// The tests' own bookkeeping, shared with tool closures: LOCKING.md's
// rules govern the product's locks.
#![allow(clippy::disallowed_types)]

use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use dcclink_bridge::{BridgeConfig, EventKind};
use dcclink_server::JobOutput;
use dcclink_tests::blocking::{Blocking, blocking_host, locked, start_blocker, until};
use dcclink_tests::{HANG, RawClient, TestHost, is_error, schema, text};
use serde_json::json;

#[tokio::test]
async fn calls_from_eight_pipelining_clients_run_on_the_main_thread_in_arrival_order() {
    const SEQS: i64 = 200;
    let host = TestHost::new();
    let main = host.main_thread();
    let seen: Arc<Mutex<Vec<(i64, i64)>>> = Arc::default();
    let record = seen.clone();
    host.tool(
        "record",
        schema(json!({"client": {"type": "integer"}, "seq": {"type": "integer"}})),
        None,
        move |args, _| {
            assert_eq!(
                std::thread::current().id(),
                main,
                "tools run on the host's main thread"
            );
            let entry = (
                args["client"].as_i64().unwrap_or(-1),
                args["seq"].as_i64().unwrap_or(-1),
            );
            locked(&record).push(entry);
            JobOutput::Empty
        },
    );
    let mut clients: Vec<RawClient> = (0..8).map(|_| host.raw()).collect();
    for client in &mut clients {
        client.initialize().await;
    }
    let mut pending = Vec::new();
    for seq in 0..SEQS {
        for (c, client) in clients.iter_mut().enumerate() {
            let id = client
                .start_call("record", json!({"client": c, "seq": seq}), None)
                .await;
            pending.push((c, id));
        }
    }
    for (c, id) in pending {
        let response = clients[c].response(id).await;
        assert!(!is_error(&response["result"]), "{response}");
    }
    let seen = locked(&seen);
    assert_eq!(seen.len(), 8 * SEQS as usize);
    for c in 0..8 {
        let order: Vec<i64> = seen.iter().filter(|e| e.0 == c).map(|e| e.1).collect();
        assert_eq!(
            order,
            (0..SEQS).collect::<Vec<_>>(),
            "client {c} ran out of order"
        );
    }
}

/// An rmcp client of the host over Streamable HTTP (a real server on
/// loopback, sharing the host with the in-process stdio clients).
async fn http_client(
    host: &TestHost,
) -> (
    dcclink_server::ServerHandle,
    rmcp::service::RunningService<rmcp::RoleClient, ()>,
) {
    use rmcp::ServiceExt as _;
    use rmcp::transport::StreamableHttpClientTransport;
    use rmcp::transport::streamable_http_client::StreamableHttpClientTransportConfig;
    let server = host.serve_http(dcclink_server::ServerConfig::default());
    let url = server.url().expect("an HTTP url").to_owned();
    // reqwest builds its TLS config even for http; it needs a provider.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let transport = StreamableHttpClientTransport::from_config(
        StreamableHttpClientTransportConfig::with_uri(url).auth_header(server.token().to_owned()),
    );
    let client = tokio::time::timeout(HANG, ().serve(transport))
        .await
        .expect("initialize timed out")
        .expect("initialize");
    (server, client)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn calls_from_stdio_and_http_clients_run_in_the_one_order_they_reached_the_queue() {
    use rmcp::model::{CallToolRequest, CallToolRequestParams, ClientRequest};
    use rmcp::service::PeerRequestOptions;
    const CALLS: usize = 60;
    let Blocking {
        host,
        gate,
        mut client,
        ..
    } = blocking_host(BridgeConfig::default()).await;
    let seen: Arc<Mutex<Vec<i64>>> = Arc::default();
    let record = seen.clone();
    host.tool(
        "record",
        schema(json!({"seq": {"type": "integer"}})),
        None,
        move |args, _| {
            locked(&record).push(args["seq"].as_i64().unwrap_or(-1));
            JobOutput::Empty
        },
    );
    let mut other = host.raw();
    other.initialize().await;
    let (mut server, http) = http_client(&host).await;
    let blocker = start_blocker(&host, &mut client).await;
    let (mut stdio_ids, mut http_answers) = (Vec::new(), Vec::new());
    for seq in 0..CALLS {
        // Each call is sent only once the one before it is in the queue:
        // that is the order they reached the server, across clients.
        let arguments = json!({"seq": seq});
        match seq % 3 {
            0 => stdio_ids.push((0, client.start_call("record", arguments, None).await)),
            1 => stdio_ids.push((1, other.start_call("record", arguments, None).await)),
            _ => {
                let mut params = CallToolRequestParams::new("record");
                params.arguments = arguments.as_object().cloned();
                let request = ClientRequest::CallToolRequest(CallToolRequest::new(params));
                let handle = http
                    .send_request_with_option(request, PeerRequestOptions::no_options())
                    .await
                    .expect("send over HTTP");
                http_answers.push(handle.await_response());
            }
        }
        until("the call is queued", || {
            host.bridge().stats().queue_depth == seq as u64 + 1
        })
        .await;
    }
    gate.open();
    client.response(blocker).await;
    for (which, id) in stdio_ids {
        let response = if which == 0 {
            client.response(id).await
        } else {
            other.response(id).await
        };
        assert!(!is_error(&response["result"]), "{response}");
    }
    for answer in http_answers {
        answer.await.expect("an HTTP answer");
    }
    assert_eq!(
        *locked(&seen),
        (0..CALLS as i64).collect::<Vec<_>>(),
        "calls ran out of their arrival order"
    );
    http.cancel().await.expect("close the HTTP client");
    server.shutdown(HANG);
}

#[tokio::test]
async fn ping_and_tools_list_answer_while_a_long_tool_runs() {
    let Blocking {
        host,
        gate,
        mut client,
        ..
    } = blocking_host(BridgeConfig::default()).await;
    let long = start_blocker(&host, &mut client).await;
    let asked = Instant::now();
    let ping = client.request("ping", json!({})).await;
    let list = client.request("tools/list", json!({})).await;
    assert!(
        asked.elapsed() < Duration::from_secs(2),
        "the server must not wait for the tool"
    );
    assert_eq!(ping["result"], json!({}));
    assert_eq!(list["result"]["tools"].as_array().map(Vec::len), Some(2));
    gate.open();
    assert_eq!(text(&client.response(long).await["result"]), "unblocked");
}

#[tokio::test]
async fn tools_can_pump_report_and_emit_from_inside_without_nesting_calls() {
    let host = TestHost::new();
    let order: Arc<Mutex<Vec<String>>> = Arc::default();
    let (pump, log, bridge) = (host.pump.clone(), order.clone(), host.bridge().clone());
    host.tool("outer", schema(json!({})), None, move |_, ctx| {
        locked(&log).push("outer start".into());
        // `inner` must be queued, or the nested pumps prove nothing.
        let deadline = Instant::now() + HANG;
        while bridge.stats().queue_depth < 1 && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(1));
        }
        assert_eq!(
            bridge.stats().queue_depth,
            1,
            "inner never reached the queue"
        );
        for i in 0..100 {
            ctx.progress(f64::from(i + 1), Some(100.0), None);
            ctx.emit("tick".into(), json!(i));
            ctx.log(dcclink_bridge::LogLevel::Info, format!("tick {i}"));
            let ran = pump.pump(Duration::from_millis(5));
            assert_eq!(ran, 0, "a nested pump must not start the queued tool");
        }
        locked(&log).push("outer end".into());
        JobOutput::Text("outer".into())
    });
    let log = order.clone();
    host.tool("inner", schema(json!({})), None, move |_, _| {
        locked(&log).push("inner".into());
        JobOutput::Text("inner".into())
    });
    let events = host.bridge().events().subscribe(10_000);
    let mut client = host.raw();
    client.initialize().await;
    let outer = client.start_call("outer", json!({}), Some("p")).await;
    let inner = client.start_call("inner", json!({}), None).await;
    assert_eq!(text(&client.response(outer).await["result"]), "outer");
    assert_eq!(text(&client.response(inner).await["result"]), "inner");
    assert_eq!(*locked(&order), ["outer start", "outer end", "inner"]);
    // The panel's view: every emit, and each call's life in order.
    let events: Vec<EventKind> = events.try_iter().map(|e| e.kind.clone()).collect();
    let ticks = events
        .iter()
        .filter(|e| matches!(e, EventKind::Emit { name, .. } if name == "tick"))
        .count();
    assert_eq!(ticks, 100);
    let lifecycle: Vec<String> = events
        .iter()
        .filter_map(|e| match e {
            EventKind::CallQueued { tool, .. } => Some(format!("queued {tool}")),
            EventKind::CallStarted { call } => Some(format!("started {call}")),
            EventKind::CallEnded { call, outcome, .. } => Some(format!("ended {call} {outcome:?}")),
            _ => None,
        })
        .collect();
    let at = |what: &str| {
        lifecycle
            .iter()
            .position(|e| e == what)
            .unwrap_or_else(|| panic!("no '{what}' in {lifecycle:?}"))
    };
    assert!(at("queued outer") < at("started 1"));
    assert!(at("started 1") < at("ended 1 Done"));
    assert!(at("ended 1 Done") < at("started 2"), "calls never overlap");
    assert!(at("queued inner") < at("started 2"));
    assert!(at("started 2") < at("ended 2 Done"));
}

#[tokio::test]
async fn shutdown_answers_queued_calls_and_refuses_new_ones() {
    let Blocking {
        host,
        gate,
        marks,
        mut client,
        ..
    } = blocking_host(BridgeConfig {
        shutdown_grace: Duration::from_secs(5),
        ..BridgeConfig::default()
    })
    .await;
    let running = start_blocker(&host, &mut client).await;
    let queued = client.start_call("mark", json!({}), None).await;
    until("one call waits", || host.bridge().stats().queue_depth == 1).await;
    let bridge = host.bridge().clone();
    let shutdown = std::thread::spawn(move || bridge.shutdown());
    let refused = client.response(queued).await;
    assert!(
        text(&refused["result"]).contains("dcclink is shutting down"),
        "{refused}"
    );
    let late = client.call("mark", json!({})).await;
    assert!(text(&late).contains("shutting down"), "{late}");
    gate.open();
    assert_eq!(text(&client.response(running).await["result"]), "unblocked");
    let report = shutdown.join().expect("shutdown thread");
    assert!(!report.abandoned_running_call);
    assert_eq!(marks.load(Ordering::SeqCst), 0);
}
