//! Queue full, deadlines, cancellation, wake-up and shutdown.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use common::{bridge_with, call, task};
use dcclink_bridge::{
    CallState, CancelReason, EventKind, LifecycleState, Outcome, Pump, SubmitError, TaskFate,
};

#[test]
fn a_full_queue_is_refused_at_once() {
    let bridge = bridge_with(2, Duration::from_secs(60));
    for _ in 0..2 {
        bridge.submit(call(&bridge, |_| Outcome::Done).1).unwrap();
    }
    let started = Instant::now();
    let err = bridge
        .submit(call(&bridge, |_| Outcome::Done).1)
        .unwrap_err();
    assert_eq!(err, SubmitError::QueueFull { capacity: 2 });
    assert!(started.elapsed() < Duration::from_secs(1));
    assert!(err.to_string().contains("queue is full"));
    assert_eq!(bridge.stats().rejected_full, 1);
    assert_eq!(bridge.stats().refused, 1, "its verdict is counted");
}

#[test]
fn a_call_has_one_verdict_whoever_reports_it_last() {
    let bridge = bridge_with(4, Duration::from_secs(60));
    let events = bridge.events().subscribe(64);
    let pump = Pump::new(bridge.clone());
    // The tool returns, but the server already answered the client that
    // it timed out; then someone presses Cancel in the panel.
    let (handle, message) = call(&bridge, |handle| {
        assert_eq!(handle.decide(Outcome::TimedOut), Outcome::TimedOut);
        Outcome::Done
    });
    bridge.submit(message).unwrap();
    pump.pump(Duration::from_secs(1));
    bridge.cancel(&handle, CancelReason::Panel);
    assert_eq!(handle.decide(Outcome::Cancelled), Outcome::TimedOut);
    let ended: Vec<_> = events
        .try_iter()
        .filter_map(|e| match e.kind {
            EventKind::CallEnded { outcome, .. } => Some(outcome),
            _ => None,
        })
        .collect();
    assert_eq!(
        ended,
        [Outcome::TimedOut],
        "the panel shows the client's verdict"
    );
    let stats = bridge.stats();
    assert_eq!((stats.timed_out, stats.done, stats.cancelled), (1, 0, 0));
}

#[test]
fn a_call_past_its_queue_deadline_never_runs() {
    let bridge = bridge_with(4, Duration::from_millis(10));
    let pump = Pump::new(bridge.clone());
    let ran = Arc::new(AtomicBool::new(false));
    let flag = ran.clone();
    let (handle, message) = call(&bridge, move |_| {
        flag.store(true, Ordering::SeqCst);
        Outcome::Done
    });
    bridge.submit(message).unwrap();
    thread::sleep(Duration::from_millis(30));
    pump.pump(Duration::from_secs(1));
    assert!(!ran.load(Ordering::SeqCst));
    assert_eq!(handle.state(), CallState::Withdrawn);
    assert_eq!(handle.cancel_reason(), Some(CancelReason::Expired));
    assert_eq!(bridge.stats().timed_out, 1);
}

#[test]
fn a_cancelled_queued_call_never_runs_and_the_next_one_does() {
    let bridge = bridge_with(4, Duration::from_secs(60));
    let pump = Pump::new(bridge.clone());
    let (first, message) = call(&bridge, |_| panic!("a withdrawn call must not run"));
    bridge.submit(message).unwrap();
    let (second, message) = call(&bridge, |_| Outcome::Done);
    bridge.submit(message).unwrap();
    assert!(bridge.cancel(&first, CancelReason::Client));
    assert!(
        !bridge.cancel(&first, CancelReason::Client),
        "accounted once"
    );
    pump.pump(Duration::from_secs(1));
    assert_eq!(second.state(), CallState::Finished);
    let stats = bridge.stats();
    assert_eq!((stats.cancelled, stats.done, stats.failed), (1, 1, 0));
}

#[test]
fn a_running_call_sees_its_cancel_at_once() {
    let bridge = bridge_with(4, Duration::from_secs(60));
    let pump = Arc::new(Pump::new(bridge.clone()));
    let (handle, message) = call(&bridge, |me| {
        let deadline = Instant::now() + Duration::from_secs(10);
        while !me.is_cancelled() && Instant::now() < deadline {
            std::hint::spin_loop();
        }
        Outcome::Done
    });
    bridge.submit(message).unwrap();
    let runner = {
        let pump = pump.clone();
        thread::spawn(move || pump.pump(Duration::from_secs(1)))
    };
    while handle.state() != CallState::Running {
        thread::yield_now();
    }
    let cancelled_at = Instant::now();
    assert!(!bridge.cancel(&handle, CancelReason::Client));
    runner.join().unwrap();
    assert!(
        cancelled_at.elapsed() < Duration::from_secs(5),
        "the tool never saw the cancel"
    );
    assert_eq!(bridge.stats().cancelled, 1);
}

#[test]
fn pushing_wakes_a_sleeping_pump() {
    let bridge = bridge_with(4, Duration::from_secs(60));
    let pump = Arc::new(Pump::new(bridge.clone()));
    let host = {
        let pump = pump.clone();
        thread::spawn(move || pump.run())
    };
    thread::sleep(Duration::from_millis(50));
    let (tx, rx) = crossbeam_channel::bounded(1);
    bridge
        .submit(task(move |_| {
            let _ = tx.send(thread::current().id());
        }))
        .unwrap();
    let ran_on = rx
        .recv_timeout(Duration::from_secs(5))
        .expect("the pump did not wake for a pushed message");
    assert_eq!(
        ran_on,
        host.thread().id(),
        "the task must run on the host thread"
    );
    bridge.shutdown();
    host.join().unwrap();
}

#[test]
fn shutdown_answers_queued_work_and_bounds_the_wait_for_the_running_call() {
    let bridge = bridge_with(8, Duration::from_secs(60));
    let pump = Arc::new(Pump::new(bridge.clone()));
    let (running, long) = call(&bridge, |_| {
        thread::sleep(Duration::from_secs(2));
        Outcome::Done
    });
    bridge.submit(long).unwrap();
    let (queued, message) = call(&bridge, |_| panic!("must not run after shutdown"));
    bridge.submit(message).unwrap();
    let (fate_tx, fate_rx) = crossbeam_channel::bounded(1);
    bridge
        .submit(task(move |fate| {
            let _ = fate_tx.send(fate);
        }))
        .unwrap();
    let events = bridge.events().subscribe(64);
    let host = {
        let pump = pump.clone();
        thread::spawn(move || pump.run())
    };
    while running.state() != CallState::Running {
        thread::yield_now();
    }
    let started = Instant::now();
    let report = bridge.shutdown();
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "the grace period bounds the wait"
    );
    assert_eq!(report.drained, 2);
    assert!(report.abandoned_running_call);
    assert!(
        running.is_cancelled(),
        "shutdown asks the running call to stop"
    );
    assert_eq!(queued.cancel_reason(), Some(CancelReason::ShuttingDown));
    assert_eq!(fate_rx.try_recv(), Ok(TaskFate::Refused));
    assert_eq!(bridge.state(), LifecycleState::Destroyed);
    assert_eq!(
        bridge.submit(call(&bridge, |_| Outcome::Done).1),
        Err(SubmitError::ShuttingDown)
    );
    host.join().unwrap();
    let ended: Vec<_> = events
        .try_iter()
        .filter_map(|e| match &e.kind {
            EventKind::CallEnded { call, outcome, .. } => Some((*call, *outcome)),
            _ => None,
        })
        .collect();
    assert!(
        ended.contains(&(queued.info().id, Outcome::Refused)),
        "a queued call drained at shutdown never ran: the host refused it"
    );
}
