//! Cancellation end to end through the MCP server: a queued call that is
//! cancelled never runs, a running one sees `ctx.cancelled` at once, and the
//! client is answered at once when it cancels, disconnects, the panel
//! cancels, the tool runs past its timeout, the queue is full or a call
//! waits past its queue deadline.

// The tests' own bookkeeping, shared with tool closures: LOCKING.md's
// rules govern the product's locks.
#![allow(clippy::disallowed_types)]

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use dcclink_bridge::{BridgeConfig, CancelReason};
use dcclink_server::JobOutput;
use dcclink_tests::blocking::{Blocking, Gate, blocking_host, locked, start_blocker, until};
use dcclink_tests::{HANG, TestHost, is_error, schema, text};
use serde_json::json;

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
    let gate = Arc::new(Gate::default());
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
