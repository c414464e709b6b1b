//! 2025-11-25 asks for a task with `params.task` on `tools/call`, a field
//! rmcp's `CallToolRequestParams` does not have (rmcp 3.9 serves only the
//! 2026-07-28 tasks extension), so serde would drop it. Both transports
//! hand each incoming message through [`lift`] before rmcp parses it: the
//! field moves into `params._meta` under [`TASK_PARAM`], which rmcp keeps
//! and the session reads.

use serde_json::Value;

/// The `_meta` key a lifted `params.task` travels under.
pub(crate) const TASK_PARAM: &str = "dcclink.dev/task";

/// `message` with a `tools/call`'s `params.task` moved into `params._meta`;
/// `None` when there is none to move (nearly always: a byte search rules
/// it out before anything is parsed).
pub(crate) fn lift(message: &[u8]) -> Option<Vec<u8>> {
    let text = std::str::from_utf8(message).ok()?;
    if !text.contains("\"task\"") {
        return None;
    }
    let mut value: Value = serde_json::from_str(text).ok()?;
    let moved = match &mut value {
        Value::Array(batch) => batch.iter_mut().fold(false, |moved, m| lift_one(m) | moved),
        single => lift_one(single),
    };
    moved.then(|| serde_json::to_vec(&value).ok()).flatten()
}

fn lift_one(message: &mut Value) -> bool {
    if message.get("method").and_then(Value::as_str) != Some("tools/call") {
        return false;
    }
    let Some(params) = message.get_mut("params").and_then(Value::as_object_mut) else {
        return false;
    };
    let Some(task) = params.remove("task") else {
        return false;
    };
    let meta = params
        .entry("_meta")
        .or_insert_with(|| Value::Object(Default::default()));
    match meta.as_object_mut() {
        Some(meta) => {
            meta.insert(TASK_PARAM.to_owned(), task);
            true
        }
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn lifted(message: Value) -> Option<Value> {
        let bytes = serde_json::to_vec(&message).unwrap();
        lift(&bytes).map(|bytes| serde_json::from_slice(&bytes).unwrap())
    }

    #[test]
    fn a_task_param_moves_into_meta() {
        let call = json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call",
            "params": {"name": "render", "arguments": {"task": 1}, "task": {"ttl": 60000},
                       "_meta": {"progressToken": 7}}});
        let lifted = lifted(call).unwrap();
        let params = &lifted["params"];
        assert_eq!(params.get("task"), None);
        assert_eq!(params["_meta"][TASK_PARAM], json!({"ttl": 60000}));
        assert_eq!(params["_meta"]["progressToken"], 7);
        assert_eq!(
            params["arguments"],
            json!({"task": 1}),
            "arguments are the tool's own"
        );
    }

    #[test]
    fn other_messages_stay_as_they_are() {
        let plain = json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call",
            "params": {"name": "render", "arguments": {"task": 1}}});
        assert_eq!(lifted(plain), None);
        let other = json!({"jsonrpc": "2.0", "id": 1, "method": "tasks/get",
            "params": {"taskId": "x", "task": {}}});
        assert_eq!(lifted(other), None);
        assert_eq!(lift(b"not json \"task\""), None);
    }
}
