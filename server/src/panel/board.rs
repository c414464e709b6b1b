//! The board: what a panel needs to draw itself, kept up to date from the
//! bridge's event bus and fanned out to every open panel.
//!
//! The board does not interpret events; it keeps the ones a newly opened
//! panel needs to replay (each recent call's lifecycle and latest progress,
//! the recent log, and the clients still connected) so that the page folds a snapshot with the same code
//! it uses for live events.

use std::collections::{BTreeMap, VecDeque};
use std::sync::Arc;

use dcclink_bridge::lock_order::{LockLevel, OrderedMutex};
use dcclink_bridge::{Bridge, Event, EventKind};
use serde::Serialize;
use tokio::sync::broadcast;

/// How many recent calls a snapshot replays.
const CALLS_KEPT: usize = 300;
/// How many recent log lines and emits a snapshot replays.
const LOGS_KEPT: usize = 1000;
/// How many live messages an open panel may fall behind before it resyncs.
const FANOUT: usize = 8192;

/// One call's events worth replaying.
#[derive(Default)]
struct CallEvents {
    lifecycle: Vec<Arc<Event>>,
    progress: Option<Arc<Event>>,
    /// The MCP task it runs as: kept until the task expires, however many
    /// calls come after.
    task: Option<String>,
}

#[derive(Default)]
struct State {
    calls: BTreeMap<u64, CallEvents>,
    logs: VecDeque<Arc<Event>>,
    clients: BTreeMap<u64, Arc<Event>>,
    questions: BTreeMap<u64, Arc<Event>>,
    /// Each open worker pool's latest state.
    pools: BTreeMap<String, Arc<Event>>,
}

impl State {
    /// Drops the oldest calls past [`CALLS_KEPT`], except tasks (the store
    /// bounds those, and says when each expires).
    fn forget_old_calls(&mut self) {
        let mut plain = self.calls.values().filter(|c| c.task.is_none()).count();
        while plain > CALLS_KEPT {
            let oldest = self
                .calls
                .iter()
                .find(|(_, c)| c.task.is_none())
                .map(|(id, _)| *id);
            let Some(oldest) = oldest else { return };
            self.calls.remove(&oldest);
            plain -= 1;
        }
    }
}

/// The host's state as the panel shows it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub(crate) struct HostStatus {
    /// `idle`, `busy` or `stalled`.
    pub state: &'static str,
    /// The running call, when busy.
    pub call: Option<u64>,
    /// Calls waiting.
    pub queue_depth: u64,
    /// Milliseconds since the main thread last pumped.
    pub ms_since_pump: u64,
}

/// Recent events for new panels and a live feed for open ones.
pub(crate) struct Board {
    bridge: Arc<Bridge>,
    state: OrderedMutex<State>,
    live: broadcast::Sender<Arc<str>>,
}

impl Board {
    /// A board fed by `bridge`'s event bus from a thread of its own (it
    /// sleeps in the bus's channel until something happens).
    pub(crate) fn start(bridge: Arc<Bridge>) -> std::io::Result<Arc<Self>> {
        let events = bridge.events().subscribe(65_536);
        let (live, _) = broadcast::channel(FANOUT);
        let board = Arc::new(Self {
            bridge,
            state: OrderedMutex::new(LockLevel::Board, State::default()),
            live,
        });
        let feeder = Arc::downgrade(&board);
        std::thread::Builder::new()
            .name("dcclink-board".into())
            .spawn(move || {
                for event in events {
                    let Some(board) = feeder.upgrade() else { break };
                    board.record(event);
                }
            })?;
        Ok(board)
    }

    fn record(&self, event: Arc<Event>) {
        let Ok(json) = serde_json::to_string(&*event) else {
            return;
        };
        let mut state = self.state.lock();
        match &event.kind {
            EventKind::CallProgress { call, .. } => {
                if let Some(entry) = state.calls.get_mut(call) {
                    entry.progress = Some(event.clone());
                }
            }
            EventKind::CallQueued { call, .. }
            | EventKind::CallStarted { call }
            | EventKind::CallEnded { call, .. }
            | EventKind::CallResult { call, .. } => {
                let entry = state.calls.entry(*call).or_default();
                entry.lifecycle.push(event.clone());
                if let EventKind::CallQueued {
                    task: Some(task), ..
                } = &event.kind
                {
                    entry.task = Some(task.clone());
                }
                state.forget_old_calls();
            }
            EventKind::TaskExpired { task } => {
                state
                    .calls
                    .retain(|_, call| call.task.as_ref() != Some(task));
            }
            EventKind::Pool { pool, status } if status.is_null() => {
                state.pools.remove(pool);
            }
            EventKind::Pool { pool, .. } => {
                state.pools.insert(pool.clone(), event.clone());
            }
            EventKind::ClientConnected { client, .. } => {
                state.clients.insert(*client, event.clone());
            }
            EventKind::ClientDisconnected { client } => {
                state.clients.remove(client);
            }
            EventKind::QuestionOpened { question, .. } => {
                state.questions.insert(*question, event.clone());
            }
            EventKind::QuestionClosed { question, .. } => {
                state.questions.remove(question);
            }
            EventKind::Log { .. } | EventKind::Emit { .. } => {
                if state.logs.len() == LOGS_KEPT {
                    state.logs.pop_front();
                }
                state.logs.push_back(event.clone());
            }
        }
        // Sent under the lock, so a panel that subscribes while taking a
        // snapshot sees each event exactly once.
        let _ = self.live.send(Arc::from(json));
    }

    /// The recent events, oldest first, and a receiver for what follows.
    pub(crate) fn subscribe(&self) -> (Vec<Arc<Event>>, broadcast::Receiver<Arc<str>>) {
        let state = self.state.lock();
        let mut events: Vec<Arc<Event>> = state
            .calls
            .values()
            .flat_map(|call| call.lifecycle.iter().chain(call.progress.iter()).cloned())
            .chain(state.logs.iter().cloned())
            .chain(state.clients.values().cloned())
            .chain(state.questions.values().cloned())
            .chain(state.pools.values().cloned())
            .collect();
        events.sort_by_key(|event| event.seq);
        (events, self.live.subscribe())
    }

    /// The host's state now.
    pub(crate) fn status(&self) -> HostStatus {
        let stats = self.bridge.stats();
        let call = self.bridge.running_call();
        let state = if call.is_some() {
            "busy"
        } else if stats.queue_depth > 0 && stats.ms_since_pump > 1000 {
            "stalled"
        } else {
            "idle"
        };
        HostStatus {
            state,
            call,
            queue_depth: stats.queue_depth,
            ms_since_pump: stats.ms_since_pump,
        }
    }

    /// The bridge, for the panel's actions.
    pub(crate) fn bridge(&self) -> &Arc<Bridge> {
        &self.bridge
    }
}
