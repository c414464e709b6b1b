//! Wake latency of an idle standalone host: from `Bridge::submit` on a server
//! thread to the message starting on the pump's thread, parked in
//! `Pump::run`. Also how soon a running call sees a cancel.
//!
//! `cargo bench -p dcclink-bridge --bench wake`
#![allow(
    clippy::print_stdout,
    reason = "a benchmark prints its table for BENCHMARKS.md"
)]

use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use dcclink_bridge::{
    Bridge, BridgeConfig, CallHandle, CallInfo, CancelReason, Message, Outbox, Outcome, Pump,
    QueuedCall, RunsOn,
};

const SAMPLES: usize = 20_000;

fn report(name: &str, mut samples: Vec<Duration>) {
    samples.sort();
    let at = |q: f64| samples[((samples.len() - 1) as f64 * q) as usize].as_secs_f64() * 1e6;
    println!(
        "| {name} | {:.1} µs | {:.1} µs | {:.1} µs | {:.1} µs |",
        at(0.5),
        at(0.9),
        at(0.99),
        at(1.0)
    );
}

fn main() {
    let bridge = Bridge::new(BridgeConfig::default());
    let pump = Arc::new(Pump::new(bridge.clone()));
    let host = {
        let pump = pump.clone();
        thread::spawn(move || pump.run())
    };

    let mut wake = Vec::with_capacity(SAMPLES);
    for _ in 0..SAMPLES {
        thread::sleep(Duration::from_micros(200)); // let the host go idle
        let (tx, rx) = crossbeam_channel::bounded(1);
        let pushed = Instant::now();
        let task = Box::new(move |_| {
            let _ = tx.send(pushed.elapsed());
        });
        if bridge.submit(Message::MainThreadTask(task)).is_err() {
            panic!("submit failed");
        }
        wake.push(rx.recv().unwrap_or_default());
    }

    let mut cancel = Vec::with_capacity(1_000);
    for id in 0..1_000 {
        let handle = Arc::new(CallHandle::new(
            CallInfo {
                id,
                tool: "spin".into(),
                client: "bench".into(),
                arguments: "{}".into(),
                task: None,
            },
            Duration::from_secs(60),
            Duration::from_secs(60),
            Outbox::new(|| {}),
        ));
        let (started_tx, started_rx) = crossbeam_channel::bounded(1);
        let (seen_tx, seen_rx) = crossbeam_channel::bounded(1);
        let run = Box::new(move |call: &Arc<CallHandle>| {
            let _ = started_tx.send(());
            while !call.is_cancelled() {
                std::hint::spin_loop();
            }
            let _ = seen_tx.send(Instant::now());
            Outcome::Cancelled
        });
        let message = Message::McpToolCall(QueuedCall {
            handle: handle.clone(),
            run,
            runs_on: RunsOn::MainThread,
        });
        if bridge.submit(message).is_err() {
            panic!("submit failed");
        }
        let _ = started_rx.recv();
        let sent = Instant::now();
        bridge.cancel(&handle, CancelReason::Client);
        let seen = seen_rx.recv().unwrap_or(sent);
        cancel.push(seen.duration_since(sent));
    }

    bridge.shutdown();
    let _ = host.join();
    println!("| measurement | p50 | p90 | p99 | max |");
    println!("|---|---|---|---|---|");
    report(
        &format!("wake: submit → start on the idle pump ({SAMPLES} samples)"),
        wake,
    );
    report(
        "cancel: Bridge::cancel → running tool sees it (1,000 samples)",
        cancel,
    );
}
