//! 2025-11-25's tasks on a session's transport. rmcp 3.9 serves only the
//! 2026-07-28 tasks extension: it takes `tasks/get` and `tasks/cancel` for
//! that extension's (and refuses a client that did not declare it), and its
//! types have no room for the older revision's `CreateTaskResult`, a tool's
//! `execution` or the `tasks` capability. [`LegacyTasks`] wraps a session's
//! transport and translates between the two, so that the session speaks
//! rmcp's types throughout:
//!
//! - in, a 2025-11-25 `tasks/get` or `tasks/cancel` becomes a custom request
//!   that the session answers in that revision's shape;
//! - out, a `tools/call` result that carries a 2025-11-25 `CreateTaskResult`
//!   in its `_meta` becomes that result; a tool's `execution` moves out of
//!   its `_meta`; `initialize` gains the `tasks` capability.
//!
//! 2026-07-28 requests carry their revision in `_meta` and pass untouched.

use rmcp::model::{
    ClientRequest, CustomRequest, CustomResult, GetMeta, JsonRpcMessage, ProtocolVersion,
    RequestMetaObject, ServerResult,
};
use rmcp::service::{RoleServer, RxJsonRpcMessage, TxJsonRpcMessage};
use rmcp::transport::Transport;
use serde::Serialize;
use serde_json::{Value, json};

use crate::tasks::wire::{CREATED_TASK, EXECUTION};

/// A session's transport, with 2025-11-25's tasks translated (stdio, which
/// is dcclink's own, calls [`incoming`] and [`outgoing`] itself).
pub(crate) struct LegacyTasks<T> {
    inner: T,
}

impl<T> LegacyTasks<T> {
    /// Wraps `inner`.
    pub(crate) fn new(inner: T) -> Self {
        Self { inner }
    }
}

impl<T: Transport<RoleServer>> Transport<RoleServer> for LegacyTasks<T> {
    type Error = T::Error;

    fn send(
        &mut self,
        item: TxJsonRpcMessage<RoleServer>,
    ) -> impl Future<Output = Result<(), Self::Error>> + Send + 'static {
        self.inner.send(outgoing(item))
    }

    async fn receive(&mut self) -> Option<RxJsonRpcMessage<RoleServer>> {
        self.inner.receive().await.map(incoming)
    }

    async fn close(&mut self) -> Result<(), Self::Error> {
        self.inner.close().await
    }
}

/// True when a request's `_meta` says it speaks 2026-07-28 or later.
fn on_2026(meta: &RequestMetaObject) -> bool {
    (meta.protocol_version()).is_some_and(|version| version >= ProtocolVersion::V_2026_07_28)
}

/// A custom request for `method`, with `params` as they came.
fn custom(method: &str, params: impl Serialize) -> ClientRequest {
    ClientRequest::CustomRequest(CustomRequest::new(
        method.to_owned(),
        serde_json::to_value(params).ok(),
    ))
}

/// A message from the client, translated.
pub(crate) fn incoming(message: RxJsonRpcMessage<RoleServer>) -> RxJsonRpcMessage<RoleServer> {
    let JsonRpcMessage::Request(mut request) = message else {
        return message;
    };
    if on_2026(request.request.get_meta()) {
        return JsonRpcMessage::Request(request);
    }
    request.request = match request.request {
        ClientRequest::GetTaskRequest(get) => custom("tasks/get", get.params),
        ClientRequest::CancelTaskRequest(cancel) => custom("tasks/cancel", cancel.params),
        other => other,
    };
    JsonRpcMessage::Request(request)
}

/// A message to the client, translated.
pub(crate) fn outgoing(message: TxJsonRpcMessage<RoleServer>) -> TxJsonRpcMessage<RoleServer> {
    let JsonRpcMessage::Response(mut response) = message else {
        return message;
    };
    response.result = match response.result {
        ServerResult::CallToolResult(result)
            if result
                .meta
                .as_ref()
                .is_some_and(|m| m.contains_key(CREATED_TASK)) =>
        {
            let created = result.meta.and_then(|mut meta| meta.remove(CREATED_TASK));
            ServerResult::CustomResult(CustomResult(created.unwrap_or_default()))
        }
        ServerResult::ListToolsResult(list)
            if (list.tools.iter()).any(|tool| tool.meta.as_ref().is_some_and(has_execution)) =>
        {
            reshaped(&list, move_execution)
        }
        ServerResult::InitializeResult(hello) => reshaped(&hello, declare_tasks),
        other => other,
    };
    JsonRpcMessage::Response(response)
}

fn has_execution(meta: &rmcp::model::MetaObject) -> bool {
    meta.contains_key(EXECUTION)
}

/// `result` as JSON, changed by `change`.
fn reshaped(result: &impl Serialize, change: fn(&mut Value)) -> ServerResult {
    let mut value = serde_json::to_value(result).unwrap_or_default();
    change(&mut value);
    ServerResult::CustomResult(CustomResult(value))
}

/// Each tool's `_meta` execution becomes its `execution`.
fn move_execution(list: &mut Value) {
    let tools = (list.get_mut("tools")).and_then(Value::as_array_mut);
    for tool in tools.into_iter().flatten() {
        let Some(meta) = tool.get_mut("_meta").and_then(Value::as_object_mut) else {
            continue;
        };
        let Some(execution) = meta.remove(EXECUTION) else {
            continue;
        };
        if meta.is_empty() {
            tool.as_object_mut().map(|tool| tool.remove("_meta"));
        }
        tool["execution"] = execution;
    }
}

/// The `tasks` capability of 2025-11-25: task-augmented `tools/call`,
/// `tasks/list` and `tasks/cancel`.
pub(crate) fn declare_tasks(hello: &mut Value) {
    if let Some(capabilities) = hello.get_mut("capabilities") {
        capabilities["tasks"] = json!({
            "list": {},
            "cancel": {},
            "requests": { "tools": { "call": {} } },
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rmcp::model::{ClientJsonRpcMessage, RequestId, ServerJsonRpcMessage};

    fn method_after(line: &str) -> (String, bool) {
        let message: ClientJsonRpcMessage = serde_json::from_str(line).unwrap();
        let JsonRpcMessage::Request(request) = incoming(message) else {
            panic!("a request stays a request");
        };
        let custom = matches!(request.request, ClientRequest::CustomRequest(_));
        (request.request.method().to_owned(), custom)
    }

    #[test]
    fn only_2025_task_requests_become_custom() {
        let v2025 = r#"{"jsonrpc":"2.0","id":3,"method":"tasks/get","params":{"taskId":"t"}}"#;
        assert_eq!(method_after(v2025), ("tasks/get".to_owned(), true));
        let v2026 = r#"{"jsonrpc":"2.0","id":3,"method":"tasks/cancel","params":{"taskId":"t",
            "_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28"}}}"#;
        assert_eq!(method_after(v2026), ("tasks/cancel".to_owned(), false));
    }

    #[test]
    fn a_2025_tasks_answer_and_capability_take_their_shape() {
        let created = json!({"task": {"taskId": "t", "status": "working"}});
        let mut meta = rmcp::model::MetaObject::new();
        meta.insert(CREATED_TASK.to_owned(), created.clone());
        let result = rmcp::model::CallToolResult::success(Vec::new()).with_meta(Some(meta));
        let answer = ServerJsonRpcMessage::response(result.into(), RequestId::Number(1));
        let JsonRpcMessage::Response(answer) = outgoing(answer) else {
            panic!("a response stays a response");
        };
        assert_eq!(serde_json::to_value(answer.result).unwrap(), created);
        let mut hello = json!({"capabilities": {"tools": {}}});
        declare_tasks(&mut hello);
        assert_eq!(
            hello["capabilities"]["tasks"]["requests"]["tools"]["call"],
            json!({})
        );
    }
}
