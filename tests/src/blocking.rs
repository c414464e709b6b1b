//! A host whose main thread can be held: `block` waits on a gate the test
//! opens, and `mark` counts its runs. The threading and cancellation tests
//! use it to fill the queue and watch what runs.
// The tests' own bookkeeping, shared with tool closures: LOCKING.md's
// rules govern the product's locks.
#![allow(clippy::disallowed_types)]

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use dcclink_bridge::BridgeConfig;
use dcclink_server::JobOutput;
use serde_json::json;

use crate::{HANG, RawClient, TestHost, schema};

/// A gate a tool waits on (bounded), opened by the test.
#[derive(Clone, Default)]
pub struct Gate(Arc<AtomicBool>);

impl Gate {
    /// Waits until the gate opens (at most [`HANG`]).
    pub fn wait(&self) {
        let deadline = Instant::now() + HANG;
        while !self.0.load(Ordering::SeqCst) && Instant::now() < deadline {
            std::thread::sleep(Duration::from_micros(200));
        }
    }
    /// Opens the gate.
    pub fn open(&self) {
        self.0.store(true, Ordering::SeqCst);
    }
}

/// A host with `block`, a tool that waits for the gate, and `mark`, a tool
/// that counts its runs, and a client that has initialized.
pub struct Blocking {
    /// The host.
    pub host: TestHost,
    /// Holds `block` until opened.
    pub gate: Gate,
    /// How many times `mark` ran.
    pub marks: Arc<AtomicUsize>,
    /// An initialized client.
    pub client: RawClient,
}

/// A [`Blocking`] host with `config`.
pub async fn blocking_host(config: BridgeConfig) -> Blocking {
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
pub async fn start_blocker(host: &TestHost, client: &mut RawClient) -> i64 {
    let id = client.start_call("block", json!({}), None).await;
    until("the blocker runs", || {
        host.bridge().running_call().is_some()
    })
    .await;
    id
}

/// Locks a test mutex, whatever a panicking tool left behind.
pub fn locked<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|p| p.into_inner())
}

/// Waits (bounded) until `condition` holds; `what` names it on failure.
pub async fn until(what: &str, mut condition: impl FnMut() -> bool) {
    let deadline = Instant::now() + HANG;
    while !condition() {
        assert!(Instant::now() < deadline, "timed out waiting until {what}");
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
}
