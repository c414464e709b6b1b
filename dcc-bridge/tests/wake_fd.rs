//! The wake descriptor: readable exactly while work waits, so a host loop
//! that watches it pumps at once and never spins.

mod common;

use std::time::Duration;

use common::{bridge_with, task};
use dcclink_bridge::Pump;

fn readable(fd: i32, wait: Duration) -> bool {
    let mut poll = libc::pollfd {
        fd,
        events: libc::POLLIN,
        revents: 0,
    };
    let millis = i32::try_from(wait.as_millis()).unwrap_or(i32::MAX);
    // SAFETY: one live pollfd.
    unsafe { libc::poll(&raw mut poll, 1, millis) == 1 }
}

#[test]
fn readable_while_work_waits_and_quiet_after_the_pump() {
    let bridge = bridge_with(16, Duration::from_secs(60));
    let pump = Pump::new(bridge.clone());
    let fd = bridge.wake_fd().unwrap();
    assert!(!readable(fd, Duration::ZERO), "nothing queued yet");

    let submitter = {
        let bridge = bridge.clone();
        std::thread::spawn(move || bridge.submit(task(|_| {})).unwrap())
    };
    assert!(
        readable(fd, Duration::from_secs(10)),
        "a submit wakes the watcher"
    );
    submitter.join().unwrap();
    assert_eq!(pump.pump(Duration::from_secs(1)), 1);
    assert!(
        !readable(fd, Duration::ZERO),
        "a drained queue leaves it quiet"
    );
}

#[test]
fn work_left_over_by_the_budget_keeps_it_readable() {
    let bridge = bridge_with(16, Duration::from_secs(60));
    let pump = Pump::new(bridge.clone());
    let fd = bridge.wake_fd().unwrap();
    for _ in 0..3 {
        bridge
            .submit(task(|_| std::thread::sleep(Duration::from_millis(5))))
            .unwrap();
    }
    assert_eq!(
        pump.pump(Duration::ZERO),
        1,
        "the budget allows one message"
    );
    assert!(
        readable(fd, Duration::ZERO),
        "the host's loop must come back"
    );
    while pump.pump(Duration::from_secs(1)) > 0 {}
    assert!(!readable(fd, Duration::ZERO));
}

#[test]
fn asking_late_for_the_descriptor_still_wakes_for_queued_work() {
    let bridge = bridge_with(16, Duration::from_secs(60));
    bridge.submit(task(|_| {})).unwrap();
    let fd = bridge.wake_fd().unwrap();
    assert!(readable(fd, Duration::ZERO));
    assert_eq!(bridge.wake_fd().unwrap(), fd, "one descriptor per bridge");
}
