//! Calls that run on a thread of their own ([`RunsOn::OwnThread`]): a tool
//! that waits on a worker pool must not hold the host's main thread.

mod common;

use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use common::{bridge_with, call, call_on};
use crossbeam_channel::Receiver;
use dcclink_bridge::{
    CallHandle, CallState, CancelReason, Event, EventKind, Outcome, Pump, RunsOn,
};

const BOUND: Duration = Duration::from_secs(10);

fn until(what: &str, condition: impl Fn() -> bool) {
    let deadline = Instant::now() + BOUND;
    while !condition() {
        assert!(Instant::now() < deadline, "{what} did not happen");
        thread::sleep(Duration::from_millis(1));
    }
}

/// Events until `last` matches one (bounded), that one included.
fn events_until(
    events: &Receiver<Arc<Event>>,
    last: impl Fn(&EventKind) -> bool,
) -> Vec<EventKind> {
    let mut seen = Vec::new();
    loop {
        let event = events.recv_timeout(BOUND).expect("the event never came");
        let done = last(&event.kind);
        seen.push(event.kind.clone());
        if done {
            return seen;
        }
    }
}

#[test]
fn the_pump_goes_on_while_an_own_thread_call_runs_and_the_call_is_accounted_when_it_returns() {
    let bridge = bridge_with(8, Duration::from_secs(60));
    let pump = Pump::new(bridge.clone());
    let host = thread::current().id();
    let (release_tx, release_rx) = crossbeam_channel::bounded::<()>(1);
    let (own, waits) = call_on(&bridge, RunsOn::OwnThread, move |_| {
        assert_ne!(thread::current().id(), host, "it ran on the main thread");
        let _ = release_rx.recv_timeout(BOUND);
        Outcome::Done
    });
    let (next, quick) = call(&bridge, move |_| {
        assert_eq!(thread::current().id(), host);
        Outcome::Done
    });
    let events = bridge.events().subscribe(64);
    bridge.submit(waits).unwrap();
    bridge.submit(quick).unwrap();

    assert_eq!(pump.pump(Duration::from_millis(50)), 2);
    assert_eq!(
        next.state(),
        CallState::Finished,
        "the call behind it waited"
    );
    assert_eq!(own.state(), CallState::Running);
    assert_eq!(
        bridge.running_call(),
        None,
        "it was taken for the main thread's call"
    );

    release_tx.send(()).unwrap();
    let id = own.info().id;
    let seen = events_until(
        &events,
        |kind| matches!(kind, EventKind::CallEnded { call, .. } if *call == id),
    );
    assert!(matches!(
        seen.last(),
        Some(EventKind::CallEnded {
            outcome: Outcome::Done,
            duration_ms: Some(_),
            ..
        })
    ));
    assert_eq!(bridge.stats().done, 2);
}

#[test]
fn own_thread_calls_start_in_the_fifos_order() {
    let bridge = bridge_with(8, Duration::from_secs(60));
    let pump = Pump::new(bridge.clone());
    let events = bridge.events().subscribe(64);
    let mut ids = Vec::new();
    for n in 0..6 {
        let runs_on = if n % 2 == 0 {
            RunsOn::OwnThread
        } else {
            RunsOn::MainThread
        };
        let (handle, message) = call_on(&bridge, runs_on, |_| Outcome::Done);
        ids.push(handle.info().id);
        bridge.submit(message).unwrap();
    }
    pump.pump(Duration::from_millis(50));
    // The pump starts each call itself, own-thread ones too, before it
    // takes the next: their starts are all published by now.
    let started: Vec<u64> = events
        .try_iter()
        .filter_map(|event| match event.kind {
            EventKind::CallStarted { call } => Some(call),
            _ => None,
        })
        .collect();
    assert_eq!(started, ids);
    until("all ran", || bridge.stats().done == 6);
}

#[test]
fn shutdown_cancels_an_own_thread_call_and_waits_for_it() {
    let bridge = bridge_with(8, Duration::from_secs(60));
    let pump = Pump::new(bridge.clone());
    let (own, message) = call_on(&bridge, RunsOn::OwnThread, |call: &Arc<CallHandle>| {
        let deadline = Instant::now() + BOUND;
        while !call.is_cancelled() && Instant::now() < deadline {
            thread::sleep(Duration::from_millis(1));
        }
        Outcome::Cancelled
    });
    bridge.submit(message).unwrap();
    pump.pump(Duration::from_millis(50));
    until("it runs", || own.state() == CallState::Running);

    let report = bridge.shutdown();
    assert!(
        !report.abandoned_running_call,
        "shutdown did not wait for it"
    );
    assert_eq!(own.cancel_reason(), Some(CancelReason::ShuttingDown));
    assert_eq!(own.state(), CallState::Finished);
}
