//! The tasks the relay saw created, and on which instance. A task lives in
//! its instance's process: when the DCC restarts, the new instance has never
//! heard of it and could only say "not found". The relay knows better, and
//! says so: the DCC that ran the task stopped, and its result went with it.

use std::collections::{HashMap, VecDeque};

use dcclink_bridge::lock_order::{LockLevel, OrderedMutex};
use serde::Deserialize;
use serde_json::value::RawValue;

/// How many task ids the relay remembers (the oldest go first).
const REMEMBERED: usize = 10_000;

#[derive(Default)]
struct Seen {
    owner: HashMap<String, String>,
    order: VecDeque<String>,
}

/// Task id to the id of the instance that created it.
pub(super) struct TaskOwners {
    seen: OrderedMutex<Seen>,
}

impl Default for TaskOwners {
    fn default() -> Self {
        Self {
            seen: OrderedMutex::new(LockLevel::Relay, Seen::default()),
        }
    }
}

/// The task in a `tools/call` answer: 2025-11-25's `result.task.taskId`,
/// or 2026-07-28's `result.taskId` beside `resultType: "task"`.
fn created_task(answer: &[u8]) -> Option<String> {
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Created {
        task_id: Option<String>,
        result_type: Option<String>,
        task: Option<Box<Created>>,
    }
    #[derive(Deserialize)]
    struct Answer {
        result: Created,
    }
    let answer: Answer = serde_json::from_slice(answer).ok()?;
    let created = answer.result;
    match (created.task, created.result_type.as_deref()) {
        (Some(task), _) => task.task_id,
        (None, Some("task")) => created.task_id,
        _ => None,
    }
}

/// The `taskId` a task request names.
pub(super) fn named_task(params: Option<&RawValue>) -> Option<String> {
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Named {
        task_id: String,
    }
    serde_json::from_str::<Named>(params?.get())
        .ok()
        .map(|named| named.task_id)
}

impl TaskOwners {
    /// Notes the task a `tools/call` `answer` from `instance` created, if any.
    pub(super) fn note(&self, answer: &[u8], instance: &str) {
        // Nearly every answer is a plain result: look before parsing.
        if !answer.windows(8).any(|window| window == b"\"taskId\"") {
            return;
        }
        let Some(task) = created_task(answer) else {
            return;
        };
        let mut seen = self.seen.lock();
        if seen.order.len() == REMEMBERED
            && let Some(oldest) = seen.order.pop_front()
        {
            seen.owner.remove(&oldest);
        }
        seen.order.push_back(task.clone());
        seen.owner.insert(task, instance.to_owned());
    }

    /// Why a request for `task` cannot go to the instance `now` (none
    /// running: `None`): it was created by another one, which has stopped.
    pub(super) fn lost(&self, task: &str, now: Option<&str>) -> Option<String> {
        let owner = self.seen.lock().owner.get(task).cloned()?;
        if now == Some(owner.as_str()) {
            return None;
        }
        Some(format!(
            "Failed to retrieve task: the DCC that ran task {task} (dcclink instance {owner}) \
             has stopped, and the task's result went with it; run the tool again{}",
            now.map(|now| format!(" (now connected to instance {now})"))
                .unwrap_or_default()
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_task_of_either_revisions_answer_is_noted() {
        let owners = TaskOwners::default();
        let v2025 =
            br#"{"jsonrpc":"2.0","id":1,"result":{"task":{"taskId":"a","status":"working"}}}"#;
        let v2026 = br#"{"jsonrpc":"2.0","id":2,"result":{"resultType":"task","taskId":"b"}}"#;
        let plain = br#"{"jsonrpc":"2.0","id":3,"result":{"content":[],"structuredContent":{"taskId":"c"}}}"#;
        for answer in [&v2025[..], &v2026[..], &plain[..]] {
            owners.note(answer, "maya-1");
        }
        assert_eq!(
            owners.lost("a", Some("maya-1")),
            None,
            "its own instance answers"
        );
        let lost = owners.lost("b", Some("maya-2")).unwrap();
        assert!(
            lost.contains("maya-1") && lost.contains("run the tool again"),
            "{lost}"
        );
        assert!(owners.lost("b", None).is_some());
        assert_eq!(
            owners.lost("c", None),
            None,
            "a tool's own taskId is not a task"
        );
    }
}
