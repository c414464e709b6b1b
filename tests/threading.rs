//! The threading invariants, end to end through the MCP server: main-thread
//! affinity, FIFO across clients, cancellation, timeouts, bounded queues,
//! re-entrancy and shutdown.

// The tests' own bookkeeping, shared with tool closures: LOCKING.md's
// rules govern the product's locks.
#![allow(clippy::disallowed_types)]

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use dcclink_bridge::{BridgeConfig, CancelReason, EventKind};
use dcclink_server::JobOutput;
use dcclink_tests::{HANG, RawClient, TestHost, is_error, schema, text};
use serde_json::json;

/// A gate a tool waits on (bounded), opened by the test.
#[derive(Clone, Default)]
struct Gate(Arc<AtomicBool>);

impl Gate {
    fn wait(&self) {
        let deadline = Instant::now() + HANG;
        while !self.0.load(Ordering::SeqCst) && Instant::now() < deadline {
            std::thread::sleep(Duration::from_micros(200));
        }
    }
    fn open(&self) {
        self.0.store(true, Ordering::SeqCst);
    }
}

/// A host with `block`, a tool that waits for the gate, and `mark`, a tool
/// that counts its runs, and a client that has initialized.
struct Blocking {
    host: TestHost,
    gate: Gate,
    marks: Arc<AtomicUsize>,
    client: RawClient,
}

async fn blocking_host(config: BridgeConfig) -> Blocking {
    let host = TestHost::with(config, Duration::from_secs(60));
    let gate = Gate::default();
    let g = gate.clone();
    host.tool("block", schema(json!({})), None, move |_, _| {
        g.wait();
        JobOutput::Text("unblocked".into())
    });
    let marks = Arc::new(AtomicUsize::new(0));
    let m = marks.clone();
    host.tool("mark", schema(json!({})), None, move |_, _| {
        m.fetch_add(1, Ordering::SeqCst);
        JobOutput::Text("marked".into())
    });
    let mut client = host.raw();
    client.initialize().await;
    Blocking {
        host,
        gate,
        marks,
        client,
    }
}

/// Starts `block` and waits until it runs on the main thread; returns its id.
async fn start_blocker(host: &TestHost, client: &mut RawClient) -> i64 {
    let id = client.start_call("block", json!({}), None).await;
    until("the blocker runs", || {
        host.bridge().running_call().is_some()
    })
    .await;
    id
}

/// Locks a test mutex, whatever a panicking tool left behind.
fn locked<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|p| p.into_inner())
}

async fn until(what: &str, mut condition: impl FnMut() -> bool) {
    let deadline = Instant::now() + HANG;
    while !condition() {
        assert!(Instant::now() < deadline, "timed out waiting until {what}");
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
}

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
async fn cancelling_a_queued_call_means_it_never_runs() {
    let Blocking {
        host,
        gate,
        marks,
        mut client,
        ..
    } = blocking_host(BridgeConfig::default()).await;
    let first = start_blocker(&host, &mut client).await;
    let second = client.start_call("mark", json!({}), None).await;
    until("the second call is queued", || {
        host.bridge().stats().queue_depth == 1
    })
    .await;
    client.cancel(second).await;
    until("the cancel is accounted", || {
        host.bridge().stats().cancelled == 1
    })
    .await;
    gate.open();
    client.response(first).await;
    let third = client.call("mark", json!({})).await;
    assert_eq!(text(&third), "marked");
    assert_eq!(
        marks.load(Ordering::SeqCst),
        1,
        "the cancelled call must never run"
    );
}

#[tokio::test]
async fn cancelling_a_running_call_sets_ctx_cancelled_at_once() {
    let host = TestHost::new();
    let saw_cancel: Arc<Mutex<Option<Instant>>> = Arc::default();
    let record = saw_cancel.clone();
    host.tool("spin", schema(json!({})), None, move |_, ctx| {
        let deadline = Instant::now() + HANG;
        while !ctx.is_cancelled() && Instant::now() < deadline {
            std::hint::spin_loop();
        }
        *locked(&record) = Some(Instant::now());
        JobOutput::Text("stopped".into())
    });
    let mut client = host.raw();
    client.initialize().await;
    let id = client.start_call("spin", json!({}), None).await;
    until("the tool runs", || host.bridge().running_call().is_some()).await;
    let sent = Instant::now();
    client.cancel(id).await;
    until("the tool sees the cancel", || locked(&saw_cancel).is_some()).await;
    let seen = locked(&saw_cancel).unwrap_or(sent);
    // The bench measures the latency; this bound only catches a design that polls.
    assert!(seen.duration_since(sent) < Duration::from_millis(500));
    assert_eq!(client.request("ping", json!({})).await["result"], json!({}));
}

#[tokio::test]
async fn a_client_that_disconnects_cancels_its_calls_at_once() {
    let host = TestHost::new();
    let saw_cancel: Arc<Mutex<Option<Instant>>> = Arc::default();
    let record = saw_cancel.clone();
    host.tool("wait", schema(json!({})), None, move |_, ctx| {
        let deadline = Instant::now() + HANG;
        while !ctx.is_cancelled() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(1));
        }
        if ctx.is_cancelled() {
            *locked(&record) = Some(Instant::now());
        }
        JobOutput::Empty
    });
    let mut client = host.raw();
    client.initialize().await;
    client.start_call("wait", json!({}), None).await;
    until("the tool runs", || host.bridge().running_call().is_some()).await;
    let left = Instant::now();
    drop(client);
    until("the tool returns", || {
        host.bridge().running_call().is_none()
    })
    .await;
    let seen = locked(&saw_cancel).expect("the tool must see ctx.cancelled when its client leaves");
    // rmcp alone drains a closed session for 5 s before it cancels.
    let took = seen.duration_since(left);
    assert!(took < Duration::from_secs(1), "the cancel took {took:?}");
}

#[tokio::test]
async fn a_cancel_from_the_panel_answers_the_client_at_once() {
    let Blocking {
        host,
        gate,
        marks,
        mut client,
        ..
    } = blocking_host(BridgeConfig::default()).await;
    let running = start_blocker(&host, &mut client).await;
    let queued = client.start_call("mark", json!({}), None).await;
    until("one call waits", || host.bridge().stats().queue_depth == 1).await;
    let running_id = host.bridge().running_call().unwrap_or(0);
    let queued_id = running_id + 1;
    assert!(host.bridge().cancel_call(queued_id, CancelReason::Panel));
    let refused = client.response(queued).await;
    assert!(text(&refused["result"]).contains("cancelled from the dcclink panel"));
    // The running call is answered while its tool still runs (the gate is shut).
    assert!(host.bridge().cancel_call(running_id, CancelReason::Panel));
    let stopped = client.response(running).await;
    assert!(text(&stopped["result"]).contains("cancelled from the dcclink panel"));
    assert!(
        host.bridge().running_call().is_some(),
        "answered before the tool returned"
    );
    gate.open();
    until("the tool returns", || {
        host.bridge().running_call().is_none()
    })
    .await;
    assert!(
        !host.bridge().cancel_call(running_id, CancelReason::Panel),
        "no longer live"
    );
    assert_eq!(marks.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn a_tool_past_its_timeout_is_answered_at_once_even_when_it_ignores_cancel() {
    let host = TestHost::new();
    let gate = Arc::new(Gate(Arc::default()));
    let saw = Arc::new(AtomicBool::new(false));
    let (flag, held) = (saw.clone(), gate.clone());
    host.tool(
        "stuck",
        schema(json!({})),
        Some(Duration::from_millis(100)),
        move |_, ctx| {
            held.wait(); // ignores ctx.cancelled until the test opens the gate
            flag.store(ctx.is_cancelled(), Ordering::SeqCst);
            JobOutput::Text("too late".into())
        },
    );
    host.tool("after", schema(json!({})), None, |_, _| {
        JobOutput::Text("after".into())
    });
    let mut client = host.raw();
    client.initialize().await;
    let sent = Instant::now();
    let result = client.call("stuck", json!({})).await;
    let took = sent.elapsed();
    assert!(is_error(&result));
    assert!(
        text(&result).contains("timed out after 0.1 s"),
        "{}",
        text(&result)
    );
    // Answered while the tool still holds the main thread.
    assert!(took < Duration::from_secs(2), "the timeout took {took:?}");
    assert!(
        host.bridge().running_call().is_some(),
        "the tool still runs"
    );
    gate.open();
    assert_eq!(text(&client.call("after", json!({})).await), "after");
    assert!(
        saw.load(Ordering::SeqCst),
        "the tool must see ctx.cancelled after its timeout"
    );
    assert_eq!(host.bridge().stats().timed_out, 1);
}

#[tokio::test]
async fn a_full_queue_answers_at_once() {
    let config = BridgeConfig {
        queue_capacity: 2,
        ..BridgeConfig::default()
    };
    let Blocking {
        host,
        gate,
        marks,
        mut client,
        ..
    } = blocking_host(config).await;
    let running = start_blocker(&host, &mut client).await;
    let queued = [
        client.start_call("mark", json!({}), None).await,
        client.start_call("mark", json!({}), None).await,
    ];
    until("two calls wait", || host.bridge().stats().queue_depth == 2).await;
    let refused = client.call("mark", json!({})).await;
    assert!(is_error(&refused));
    assert!(
        text(&refused).contains("queue is full (2 calls waiting)"),
        "{}",
        text(&refused)
    );
    gate.open();
    client.response(running).await;
    for id in queued {
        assert_eq!(text(&client.response(id).await["result"]), "marked");
    }
    assert_eq!(marks.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn a_call_that_waits_past_its_queue_deadline_is_refused_and_never_runs_late() {
    let config = BridgeConfig {
        queue_timeout: Duration::from_millis(100),
        ..BridgeConfig::default()
    };
    let Blocking {
        host,
        gate,
        marks,
        mut client,
        ..
    } = blocking_host(config).await;
    let running = start_blocker(&host, &mut client).await;
    let sent = Instant::now();
    let late = client.call("mark", json!({})).await;
    let took = sent.elapsed();
    // The blocker ignores cancellation and holds the main thread throughout.
    assert!(took < Duration::from_secs(2), "the refusal took {took:?}");
    assert!(is_error(&late));
    assert!(
        text(&late).contains("was not run (queue timeout 0.1 s)"),
        "{}",
        text(&late)
    );
    gate.open();
    client.response(running).await;
    until("the queue drains", || {
        host.bridge().stats().queue_depth == 0
    })
    .await;
    assert_eq!(
        marks.load(Ordering::SeqCst),
        0,
        "an expired call must never run"
    );
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
