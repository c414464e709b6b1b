//! A million messages through the FIFO with random cancels and re-entrant
//! pumps: nothing is lost, nothing runs twice, nothing runs out of order.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicU8, AtomicUsize, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use common::{bridge_with, call, task};
use dcclink_bridge::{CallHandle, CancelReason, Outcome, Pump};
use rand::Rng;

const PRODUCERS: usize = 4;
const PER_PRODUCER: usize = 250_000;

#[test]
fn a_million_messages_with_random_cancels_and_nested_pumps() {
    let total = PRODUCERS * PER_PRODUCER;
    let bridge = bridge_with(4096, Duration::from_secs(600));
    let pump = Arc::new(Pump::new(bridge.clone()));
    let runs: Arc<Vec<AtomicU8>> = Arc::new((0..total).map(|_| AtomicU8::new(0)).collect());
    let last_seen: Arc<Vec<AtomicUsize>> =
        Arc::new((0..PRODUCERS).map(|_| AtomicUsize::new(0)).collect());
    let tasks_ran = Arc::new(AtomicUsize::new(0));
    let (cancel_tx, cancel_rx) = crossbeam_channel::unbounded::<Arc<CallHandle>>();

    let producers: Vec<_> = (0..PRODUCERS)
        .map(|p| {
            let (bridge, pump, runs, last_seen, tasks_ran, cancel_tx) = (
                bridge.clone(),
                pump.clone(),
                runs.clone(),
                last_seen.clone(),
                tasks_ran.clone(),
                cancel_tx.clone(),
            );
            thread::spawn(move || {
                let mut rng = rand::rng();
                for i in 0..PER_PRODUCER {
                    let slot = p * PER_PRODUCER + i;
                    let nested = rng.random_bool(0.01);
                    let (runs, last_seen, pump) = (runs.clone(), last_seen.clone(), pump.clone());
                    let (handle, message) = call(&bridge, move |_| {
                        runs[slot].fetch_add(1, Ordering::SeqCst);
                        let prev = last_seen[p].swap(i + 1, Ordering::SeqCst);
                        assert!(prev < i + 1, "producer {p}: {i} ran after {}", prev - 1);
                        if nested {
                            pump.pump(Duration::from_millis(1));
                        }
                        Outcome::Done
                    });
                    if rng.random_bool(0.05) {
                        let _ = cancel_tx.send(handle);
                    }
                    wait_for_room(&bridge);
                    bridge.submit(message).unwrap();
                    if i % 100 == 0 {
                        let tasks_ran = tasks_ran.clone();
                        wait_for_room(&bridge);
                        bridge
                            .submit(task(move |_| {
                                tasks_ran.fetch_add(1, Ordering::SeqCst);
                            }))
                            .unwrap();
                    }
                }
            })
        })
        .collect();
    drop(cancel_tx);

    let canceller = {
        let bridge = bridge.clone();
        thread::spawn(move || {
            for handle in cancel_rx {
                bridge.cancel(&handle, CancelReason::Client);
            }
        })
    };

    let deadline = Instant::now() + Duration::from_secs(240);
    let mut producers_done = false;
    let mut producers = producers;
    loop {
        pump.pump(Duration::from_millis(10));
        if !producers_done && producers.iter().all(|p| p.is_finished()) {
            for p in producers.drain(..) {
                p.join().unwrap();
            }
            producers_done = true;
        }
        if producers_done && bridge.stats().queue_depth == 0 {
            while pump.pump(Duration::from_secs(1)) > 0 {}
            break;
        }
        assert!(Instant::now() < deadline, "stress test hung");
    }
    canceller.join().unwrap();

    let stats = bridge.stats();
    let ran: usize = runs.iter().map(|r| r.load(Ordering::SeqCst) as usize).sum();
    assert!(
        runs.iter().all(|r| r.load(Ordering::SeqCst) <= 1),
        "a call ran twice"
    );
    assert_eq!(stats.submitted as usize, total, "every call was accepted");
    // A call cancelled while it runs has run, yet ends as cancelled.
    let ran = ran as u64;
    assert!(
        stats.done <= ran && ran <= stats.done + stats.cancelled,
        "every run is accounted: {ran} ran, {} done, {} cancelled",
        stats.done,
        stats.cancelled
    );
    assert_eq!(
        stats.done + stats.cancelled,
        stats.submitted,
        "nothing lost"
    );
    assert!(stats.cancelled > 0, "the test must exercise cancels");
    assert_eq!(
        tasks_ran.load(Ordering::SeqCst),
        PRODUCERS * PER_PRODUCER / 100
    );
}

/// Soft back-pressure: with at most PRODUCERS submitters and this margin, a
/// submit never meets a full queue, so every slot is submitted exactly once.
fn wait_for_room(bridge: &dcclink_bridge::Bridge) {
    while bridge.stats().queue_depth > 3_000 {
        thread::yield_now();
    }
}
