//! MCP tasks: a tool call that answers at once with a task id, runs on in
//! the same FIFO as every other call, and is fetched later by id, from any
//! session that holds the instance's token. A task belongs to the instance,
//! not to the connection that made it: the client may go away and come
//! back (a new HTTP session, a new `dcclink connect`) for its result.
//!
//! The folder follows a task: [`task`] is one task's state, this file the
//! instance's store with its bounds, [`run`] drives the call to its end,
//! and [`wire`] says it in each revision's words (2025-11-25's experimental
//! tasks, 2026-07-28's `io.modelcontextprotocol/tasks` extension).

pub(crate) mod run;
pub(crate) mod task;
pub(crate) mod wire;

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use std::time::{Duration, Instant};

use dcclink_bridge::lock_order::{LockLevel, OrderedMutex};
use dcclink_bridge::{Bridge, EventKind};
use rmcp::ErrorData as McpError;
use serde::Serialize;

use crate::transports::answering::Answering;

pub(crate) use task::Task;

/// How long a task is kept when its client names no time to live.
pub(crate) const DEFAULT_TTL: Duration = Duration::from_secs(60 * 60);
/// The longest time to live a client may ask for.
pub(crate) const MAX_TTL: Duration = Duration::from_secs(24 * 60 * 60);
/// The shortest: a task must outlive the poll that follows its creation.
const MIN_TTL: Duration = Duration::from_secs(1);
/// How often a client should poll, in milliseconds.
pub(crate) const POLL_INTERVAL_MS: u64 = 1000;
/// The most tasks kept at once; past it the oldest ended task goes first,
/// and a new task is refused while every kept task still runs.
pub(crate) const MAX_TASKS: usize = 1000;
/// The most bytes the results of ended tasks may hold together; past it
/// the oldest ended task goes first.
pub(crate) const MAX_RESULT_BYTES: usize = 512 * 1024 * 1024;
/// How many ids of dropped tasks are remembered, to say "expired" rather
/// than "not found".
const REMEMBERED_EXPIRED: usize = 4096;

/// One task, as a host's UI shows it.
#[derive(Debug, Clone, Serialize)]
pub struct TaskSummary {
    /// The task's id.
    pub id: String,
    /// The tool it runs.
    pub tool: String,
    /// The client that created it, with its transport.
    pub client: String,
    /// `working`, `input_required`, `completed`, `failed` or `cancelled`.
    pub status: &'static str,
    /// The tool's latest progress message, or why it stopped.
    pub message: Option<String>,
    /// When it was created (ISO 8601, UTC).
    pub created_at: String,
    /// How long it is kept from creation, in milliseconds.
    pub ttl_ms: u64,
}

/// Why a task id names no task.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Missing {
    /// It was here, and its time to live passed.
    Expired,
    /// It never was (or was dropped too long ago to tell).
    Unknown,
}

impl Missing {
    /// The spec's error (-32602) with what to do.
    pub(crate) fn error(self, id: &str) -> McpError {
        let message = match self {
            Self::Expired => format!(
                "Failed to retrieve task: Task has expired. Task {id} ended and its time to \
                 live passed, so its result was dropped; run the tool again, with a longer \
                 ttl if you need to fetch it later"
            ),
            Self::Unknown => format!(
                "Failed to retrieve task: Task not found. No task of this dcclink instance has \
                 the id {id}: it expired long ago, or the DCC that ran it stopped (tasks do \
                 not survive a restart of the DCC)"
            ),
        };
        McpError::invalid_params(message, Some(serde_json::json!({ "taskId": id })))
    }
}

/// How often the store looks for tasks to drop. A task asked for by id is
/// checked there and then; the rest may outstay their time by this much.
const SWEEP_EVERY: Duration = Duration::from_secs(1);

#[derive(Default)]
struct Kept {
    tasks: HashMap<String, Arc<Task>>,
    /// Ids in order of creation.
    order: VecDeque<String>,
    expired: VecDeque<String>,
    swept_at: Option<Instant>,
    /// Tasks dropped under the lock, announced once it is released.
    dropped: Vec<String>,
}

impl Kept {
    fn forget(&mut self, id: &str) {
        self.tasks.remove(id);
        if self.order.front().is_some_and(|oldest| oldest == id) {
            self.order.pop_front();
        } else {
            self.order.retain(|kept| kept != id);
        }
        if self.expired.len() == REMEMBERED_EXPIRED {
            self.expired.pop_front();
        }
        self.expired.push_back(id.to_owned());
        self.dropped.push(id.to_owned());
    }

    /// Drops every task that ended and outlived its time to live, then the
    /// oldest ended tasks while the results held pass [`MAX_RESULT_BYTES`].
    fn sweep(&mut self) {
        let now = Instant::now();
        if self.swept_at.is_some_and(|at| now < at + SWEEP_EVERY) {
            return;
        }
        self.swept_at = Some(now);
        let expired: Vec<String> = (self.tasks.values())
            .filter(|task| task.is_expired(now))
            .map(|task| task.id.clone())
            .collect();
        for id in expired {
            self.forget(&id);
        }
        let mut held: usize = self.tasks.values().map(|task| task.size()).sum();
        while held > MAX_RESULT_BYTES {
            let Some(oldest) = self.oldest_ended() else {
                return;
            };
            held -= self.tasks.get(&oldest).map_or(0, |task| task.size());
            self.forget(&oldest);
        }
    }

    /// The oldest task that has ended.
    fn oldest_ended(&self) -> Option<String> {
        (self.order.iter())
            .find(|id| (self.tasks.get(*id)).is_some_and(|task| task.state().status.is_terminal()))
            .cloned()
    }
}

/// The tasks of this instance, by id.
pub struct Tasks {
    kept: OrderedMutex<Kept>,
    /// Where a dropped task is announced (the panel drops its call).
    bridge: Arc<Bridge>,
    /// The tasks whose end has not yet gone out to their client: shutdown
    /// waits for them (bounded) before it closes the sessions.
    pub(crate) ending: Answering,
}

impl Tasks {
    /// No tasks yet; those dropped later are announced on `bridge`'s bus.
    pub fn new(bridge: Arc<Bridge>) -> Self {
        Self {
            kept: OrderedMutex::new(LockLevel::Tasks, Kept::default()),
            bridge,
            ending: Answering::default(),
        }
    }

    /// Runs `change` on the kept tasks after a sweep, then announces the
    /// tasks dropped meanwhile (with the lock released).
    fn with_kept<R>(&self, change: impl FnOnce(&mut Kept) -> R) -> R {
        let (result, dropped) = {
            let mut kept = self.kept.lock();
            kept.sweep();
            let result = change(&mut kept);
            (result, std::mem::take(&mut kept.dropped))
        };
        for task in dropped {
            (self.bridge.events()).publish(EventKind::TaskExpired { task });
        }
        result
    }

    /// A new working task of `tool` for `client`, kept for `ttl` (the
    /// client's wish in milliseconds, bounded) or [`DEFAULT_TTL`]. Refused
    /// when [`MAX_TASKS`] tasks still run.
    pub(crate) fn create(
        &self,
        tool: &str,
        client: &str,
        ttl_ms: Option<u64>,
    ) -> Result<Arc<Task>, McpError> {
        let ttl = ttl_ms
            .map(Duration::from_millis)
            .unwrap_or(DEFAULT_TTL)
            .clamp(MIN_TTL, MAX_TTL);
        let id = crate::transports::auth::random_token();
        let task = Arc::new(Task::new(
            id.clone(),
            tool.to_owned(),
            client.to_owned(),
            ttl,
        ));
        self.with_kept(|kept| {
            if kept.tasks.len() >= MAX_TASKS {
                let Some(oldest) = kept.oldest_ended() else {
                    return Err(McpError::internal_error(
                        format!(
                            "dcclink already runs {MAX_TASKS} tasks; wait for some to end, or \
                             cancel those you no longer need (tasks/cancel)"
                        ),
                        None,
                    ));
                };
                kept.forget(&oldest);
            }
            kept.tasks.insert(id.clone(), task.clone());
            kept.order.push_back(id);
            Ok(task)
        })
    }

    /// The task `id`, or why there is none.
    pub(crate) fn find(&self, id: &str) -> Result<Arc<Task>, McpError> {
        self.with_kept(|kept| match kept.tasks.get(id) {
            Some(task) if task.is_expired(Instant::now()) => {
                kept.forget(id);
                Err(Missing::Expired.error(id))
            }
            Some(task) => Ok(task.clone()),
            None if kept.expired.iter().any(|gone| gone == id) => Err(Missing::Expired.error(id)),
            None => Err(Missing::Unknown.error(id)),
        })
    }

    /// What each task kept is doing, oldest first, for a host's own UI
    /// (`dcclink.tasks()`).
    pub fn summaries(&self) -> Vec<TaskSummary> {
        (self.list().iter())
            .map(|task| {
                let state = task.state();
                TaskSummary {
                    id: task.id.clone(),
                    tool: task.tool.clone(),
                    client: task.client.clone(),
                    status: state.status.word(),
                    message: state.message,
                    created_at: wire::timestamp(task.created),
                    ttl_ms: u64::try_from(task.ttl.as_millis()).unwrap_or(u64::MAX),
                }
            })
            .collect()
    }

    /// Every task kept, oldest first.
    pub(crate) fn list(&self) -> Vec<Arc<Task>> {
        self.with_kept(|kept| {
            (kept.order.iter())
                .filter_map(|id| kept.tasks.get(id).cloned())
                .collect()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use dcclink_bridge::{BridgeConfig, Outcome};
    use rmcp::model::{CallToolResult, ContentBlock};

    use crate::tasks::task::Ended;

    fn ended(text: String) -> Ended {
        Ended {
            result: CallToolResult::success(vec![ContentBlock::text(text)]),
            outcome: Outcome::Done,
            why: None,
        }
    }

    /// Why `id` names no task.
    fn missing(tasks: &Tasks, id: &str) -> String {
        match tasks.find(id) {
            Ok(_) => panic!("task {id} is still kept"),
            Err(error) => error.message.to_string(),
        }
    }

    #[test]
    fn a_task_past_its_ttl_is_dropped_only_once_it_has_ended() {
        let bridge = Bridge::new(BridgeConfig::default());
        let dropped = bridge.events().subscribe(16);
        let tasks = Tasks::new(bridge);
        let task = tasks.create("render", "test", Some(0)).unwrap();
        assert_eq!(task.ttl, MIN_TTL, "the shortest time to live is one second");
        std::thread::sleep(MIN_TTL);
        assert!(tasks.find(&task.id).is_ok(), "it still runs");
        task.end(ended("done".into()));
        assert!(missing(&tasks, &task.id).contains("Task has expired"));
        assert!(
            missing(&tasks, &task.id).contains("Task has expired"),
            "it is remembered"
        );
        assert!(missing(&tasks, "never-was").contains("Task not found"));
        let announced: Vec<_> = dropped.try_iter().map(|event| event.kind.clone()).collect();
        assert_eq!(
            announced,
            [EventKind::TaskExpired {
                task: task.id.clone()
            }]
        );
    }

    #[test]
    fn past_the_count_bound_the_oldest_ended_task_goes_and_then_new_ones_are_refused() {
        let tasks = Tasks::new(Bridge::new(BridgeConfig::default()));
        let first = tasks.create("render", "test", None).unwrap();
        first.end(ended("done".into()));
        let running: Vec<_> = (1..MAX_TASKS)
            .map(|_| tasks.create("render", "test", None).unwrap())
            .collect();
        let last = tasks.create("render", "test", None).unwrap();
        assert!(
            missing(&tasks, &first.id).contains("expired"),
            "the ended task made room"
        );
        assert!(tasks.find(&last.id).is_ok() && tasks.find(&running[0].id).is_ok());
        let refused = match tasks.create("render", "test", None) {
            Ok(_) => panic!("a task past the bound was kept"),
            Err(error) => error.message.to_string(),
        };
        assert!(refused.contains("already runs 1000 tasks"), "{refused}");
    }

    #[test]
    fn past_the_memory_bound_the_oldest_ended_results_go() {
        let tasks = Tasks::new(Bridge::new(BridgeConfig::default()));
        let big = "x".repeat(MAX_RESULT_BYTES / 3 + 1);
        let made: Vec<_> = (0..3)
            .map(|_| {
                let task = tasks.create("export", "test", None).unwrap();
                task.end(ended(big.clone()));
                task
            })
            .collect();
        std::thread::sleep(SWEEP_EVERY); // the store sweeps at most once a second
        assert!(
            missing(&tasks, &made[0].id).contains("expired"),
            "the oldest result went"
        );
        assert!(tasks.find(&made[1].id).is_ok() && tasks.find(&made[2].id).is_ok());
    }
}
