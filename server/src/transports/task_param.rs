//! 2025-11-25 asks for a task with `params.task` on `tools/call`, a field
//! rmcp's `CallToolRequestParams` does not have (rmcp 3.9 serves only the
//! 2026-07-28 tasks extension), so serde would drop it. Both transports
//! hand each incoming message through here before rmcp parses it: the
//! field moves into `params._meta` under [`TASK_PARAM`], which rmcp keeps
//! and the session reads. HTTP hands rmcp bytes ([`lift`]); stdio hands it
//! the parsed message ([`parse`]), which also takes 2025-11-25's task
//! methods straight to the custom requests the session answers them as,
//! sparing rmcp's parser its long search through the methods it knows.

use rmcp::model::{ClientJsonRpcMessage, ClientRequest, CustomRequest, RequestId};
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

/// The message on `line`, parsed here when it concerns tasks (`params.task`
/// lifted, or a 2025-11-25 task method as a custom request); `None` for
/// every other message, which rmcp parses as it is.
pub(crate) fn parse(line: &[u8]) -> Option<ClientJsonRpcMessage> {
    let text = std::str::from_utf8(line).ok()?;
    if !text.contains("\"task") {
        return None;
    }
    let mut value: Value = serde_json::from_str(text).ok()?;
    if let Some(request) = legacy_task_request(&value) {
        return Some(request);
    }
    lift_one(&mut value)
        .then(|| serde_json::from_value(value).ok())
        .flatten()
}

/// A 2025-11-25 `tasks/*` request, as the custom request the session
/// answers it as.
fn legacy_task_request(message: &Value) -> Option<ClientJsonRpcMessage> {
    let method = message.get("method")?.as_str()?;
    if !matches!(
        method,
        "tasks/get" | "tasks/cancel" | "tasks/result" | "tasks/list"
    ) {
        return None;
    }
    let params = message.get("params");
    let revision = (params.and_then(|params| params.get("_meta")))
        .and_then(|meta| meta.get("io.modelcontextprotocol/protocolVersion"))
        .and_then(Value::as_str);
    if revision.is_some_and(|revision| revision >= "2026-07-28") {
        return None; // rmcp's own tasks extension
    }
    let id: RequestId = serde_json::from_value(message.get("id")?.clone()).ok()?;
    let request = CustomRequest::new(method.to_owned(), params.cloned());
    Some(ClientJsonRpcMessage::request(
        ClientRequest::CustomRequest(request),
        id,
    ))
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
    fn a_2025_task_method_becomes_a_custom_request() {
        let get = br#"{"jsonrpc":"2.0","id":7,"method":"tasks/get","params":{"taskId":"t"}}"#;
        let Some(rmcp::model::JsonRpcMessage::Request(request)) = parse(get) else {
            panic!("not parsed");
        };
        let ClientRequest::CustomRequest(custom) = request.request else {
            panic!("not custom");
        };
        assert_eq!(custom.method, "tasks/get");
        assert_eq!(custom.params, Some(json!({"taskId": "t"})));
        let v2026 = br#"{"jsonrpc":"2.0","id":7,"method":"tasks/get","params":{"taskId":"t",
            "_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28"}}}"#;
        assert!(parse(v2026).is_none(), "rmcp parses the extension's own");
        assert!(parse(br#"{"jsonrpc":"2.0","id":1,"method":"ping"}"#).is_none());
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
