//! Helpers shared by the bridge's integration tests.
#![allow(dead_code)]

use std::sync::Arc;
use std::time::Duration;

use dcclink_bridge::{
    Bridge, BridgeConfig, CallHandle, CallInfo, Message, Outbox, Outcome, QueuedCall, RunsOn,
    TaskFate,
};

pub(crate) fn bridge_with(capacity: usize, queue_timeout: Duration) -> Arc<Bridge> {
    Bridge::new(BridgeConfig {
        queue_capacity: capacity,
        queue_timeout,
        shutdown_grace: Duration::from_millis(300),
        event_backlog: 64,
    })
}

pub(crate) fn handle(bridge: &Bridge) -> Arc<CallHandle> {
    let id = bridge.next_call_id();
    Arc::new(CallHandle::new(
        CallInfo {
            id,
            tool: format!("tool{id}"),
            client: "test".into(),
            arguments: "{}".into(),
            task: None,
        },
        bridge.config().queue_timeout,
        Duration::from_secs(60),
        Outbox::new(|| {}),
    ))
}

pub(crate) fn call(
    bridge: &Bridge,
    run: impl FnOnce(&Arc<CallHandle>) -> Outcome + Send + 'static,
) -> (Arc<CallHandle>, Message) {
    call_on(bridge, RunsOn::MainThread, run)
}

/// A tool call that runs where `runs_on` says.
pub(crate) fn call_on(
    bridge: &Bridge,
    runs_on: RunsOn,
    run: impl FnOnce(&Arc<CallHandle>) -> Outcome + Send + 'static,
) -> (Arc<CallHandle>, Message) {
    let handle = handle(bridge);
    let message = Message::McpToolCall(QueuedCall {
        handle: handle.clone(),
        run: Box::new(run),
        runs_on,
    });
    (handle, message)
}

pub(crate) fn task(run: impl FnOnce(TaskFate) + Send + 'static) -> Message {
    Message::MainThreadTask(Box::new(run))
}
