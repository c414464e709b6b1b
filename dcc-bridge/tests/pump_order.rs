//! FIFO order, nesting and failure isolation of the pump.

// The test's own bookkeeping: LOCKING.md's rules govern the product's locks.
#![allow(clippy::disallowed_types)]

mod common;

use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

use common::{bridge_with, call, task};
use dcclink_bridge::{Outcome, Pump, lock_order};

type Log = Arc<Mutex<Vec<String>>>;

fn note(log: &Log, what: impl Into<String>) {
    log.lock().unwrap().push(what.into());
}

#[test]
fn calls_from_eight_producers_keep_each_producers_order() {
    let bridge = bridge_with(100_000, Duration::from_secs(60));
    let pump = Pump::new(bridge.clone());
    let seen: Arc<Mutex<Vec<(usize, usize)>>> = Arc::default();
    let producers: Vec<_> = (0..8)
        .map(|p| {
            let bridge = bridge.clone();
            let seen = seen.clone();
            thread::spawn(move || {
                for i in 0..2_000 {
                    let seen = seen.clone();
                    let (_, message) = call(&bridge, move |_| {
                        seen.lock().unwrap().push((p, i));
                        Outcome::Done
                    });
                    bridge.submit(message).unwrap();
                }
            })
        })
        .collect();
    for producer in producers {
        producer.join().unwrap();
    }
    while pump.pump(Duration::from_secs(1)) > 0 {}
    let seen = seen.lock().unwrap();
    assert_eq!(seen.len(), 16_000);
    for p in 0..8 {
        let order: Vec<usize> = seen
            .iter()
            .filter(|(q, _)| *q == p)
            .map(|&(_, i)| i)
            .collect();
        assert!(
            order.windows(2).all(|w| w[0] < w[1]),
            "producer {p} ran out of order"
        );
    }
    assert_eq!(bridge.stats().done, 16_000);
}

#[test]
fn a_nested_pump_never_starts_a_tool_and_keeps_the_order() {
    let bridge = bridge_with(16, Duration::from_secs(60));
    let pump = Arc::new(Pump::new(bridge.clone()));
    let log: Log = Arc::default();

    let (l, p) = (log.clone(), pump.clone());
    let (_, a) = call(&bridge, move |_| {
        note(&l, "A start");
        let ran = p.pump(Duration::from_secs(1));
        note(&l, format!("A nested pump ran {ran}"));
        let ran = p.pump(Duration::from_secs(1));
        note(&l, format!("A nested pump ran {ran}"));
        note(&l, "A end");
        Outcome::Done
    });
    let l = log.clone();
    let t1 = task(move |_| note(&l, "T1"));
    let l = log.clone();
    let (_, b) = call(&bridge, move |_| {
        note(&l, "B");
        Outcome::Done
    });
    let l = log.clone();
    let t2 = task(move |_| note(&l, "T2"));
    for message in [a, t1, b, t2] {
        bridge.submit(message).unwrap();
    }
    while pump.pump(Duration::from_secs(1)) > 0 {}
    assert_eq!(
        *log.lock().unwrap(),
        [
            "A start",
            "T1",
            "A nested pump ran 1",
            "A nested pump ran 0",
            "A end",
            "B",
            "T2"
        ]
    );
}

#[test]
fn tools_run_with_no_lock_held() {
    let bridge = bridge_with(4, Duration::from_secs(60));
    let pump = Pump::new(bridge.clone());
    let (_, message) = call(&bridge, |_| {
        lock_order::assert_none_held("inside a tool");
        Outcome::Done
    });
    bridge.submit(message).unwrap();
    bridge
        .submit(task(|_| lock_order::assert_none_held("inside a task")))
        .unwrap();
    assert_eq!(pump.pump(Duration::from_secs(1)), 2);
    assert_eq!(
        bridge.stats().done,
        1,
        "the tool's assertion must not have panicked"
    );
    assert_eq!(bridge.stats().tasks_run, 1);
}

#[test]
fn a_failing_tool_does_not_stop_the_calls_behind_it() {
    let bridge = bridge_with(4, Duration::from_secs(60));
    let pump = Pump::new(bridge.clone());
    let (_, boom) = call(&bridge, |_| panic!("tool exploded"));
    let (_, fails) = call(&bridge, |_| Outcome::Failed);
    let (after, ok) = call(&bridge, |_| Outcome::Done);
    for message in [boom, fails, ok] {
        bridge.submit(message).unwrap();
    }
    assert_eq!(pump.pump(Duration::from_secs(1)), 3);
    let stats = bridge.stats();
    assert_eq!((stats.failed, stats.done), (2, 1));
    assert_eq!(after.state(), dcclink_bridge::CallState::Finished);
}

#[test]
fn the_budget_bounds_one_pump() {
    let bridge = bridge_with(16, Duration::from_secs(60));
    let pump = Pump::new(bridge.clone());
    for _ in 0..3 {
        let (_, message) = call(&bridge, |_| {
            thread::sleep(Duration::from_millis(20));
            Outcome::Done
        });
        bridge.submit(message).unwrap();
    }
    assert_eq!(pump.pump(Duration::from_millis(5)), 1);
    assert_eq!(bridge.stats().queue_depth, 2);
}
