//! What the relay answers by itself, without an instance: the IDE's
//! `initialize` and `ping`; while no instance can be reached, a tool list
//! of one `dcclink_status` tool and empty lists; and the optional
//! `dcclink_instance` argument that sends one call to another instance.

use std::sync::Arc;

use rmcp::model::{
    CallToolResult, ContentBlock, Implementation, InitializeResult, JsonObject, ListToolsResult,
    ProtocolVersion, Tool,
};
use serde::Serialize;
use serde_json::value::RawValue;
use serde_json::{Map, Value};

/// The tool the IDE sees while no instance can be reached.
pub(super) const STATUS_TOOL: &str = "dcclink_status";
/// The argument that sends one tool call to another running instance.
pub(super) const INSTANCE_ARGUMENT: &str = "dcclink_instance";

/// The line that answers request `id` with `result`.
pub(super) fn answer(id: &RawValue, result: &impl Serialize) -> Vec<u8> {
    line(
        id,
        "result",
        serde_json::to_value(result).unwrap_or_default(),
    )
}

/// The line that answers request `id` with a JSON-RPC error: `message`
/// says what went wrong and what to do.
pub(super) fn failure(id: &RawValue, message: &str) -> Vec<u8> {
    error(id, -32603, message)
}

/// The line that answers request `id` with the JSON-RPC error `code`.
pub(super) fn error(id: &RawValue, code: i32, message: &str) -> Vec<u8> {
    line(
        id,
        "error",
        serde_json::json!({ "code": code, "message": message }),
    )
}

fn line(id: &RawValue, field: &str, value: Value) -> Vec<u8> {
    let message = serde_json::json!({ "jsonrpc": "2.0", "id": id, field: value });
    serde_json::to_vec(&message).unwrap_or_default()
}

/// The revision a request names in its `params`, from MCP 2026-07-28 on
/// (earlier revisions name it once, in `initialize`).
pub(super) fn revision(params: Option<&RawValue>) -> Option<String> {
    #[derive(serde::Deserialize)]
    struct Params {
        #[serde(rename = "_meta", default)]
        meta: Map<String, Value>,
    }
    // Read only when the key is there: most requests come from 2025 IDEs.
    let raw = params?.get();
    if !raw.contains(PROTOCOL_VERSION_KEY) {
        return None;
    }
    let params = serde_json::from_str::<Params>(raw).ok()?;
    let version = params.meta.get(PROTOCOL_VERSION_KEY)?.as_str()?;
    (version >= ProtocolVersion::V_2026_07_28.as_str()).then(|| version.to_owned())
}

/// Where MCP 2026-07-28 carries the protocol version, in each request.
const PROTOCOL_VERSION_KEY: &str = "io.modelcontextprotocol/protocolVersion";

/// The relay's answer to the IDE's `initialize`: dcclink's capabilities,
/// at the version the IDE asked for when the relay knows it.
pub(super) fn initialize_result(params: Option<&RawValue>) -> InitializeResult {
    #[derive(serde::Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Hello {
        protocol_version: ProtocolVersion,
    }
    let asked = params
        .and_then(|params| serde_json::from_str::<Hello>(params.get()).ok())
        .map(|hello| hello.protocol_version)
        .filter(|version| {
            ProtocolVersion::KNOWN_VERSIONS.contains(version)
                && *version <= ProtocolVersion::LATEST_WITH_INITIALIZE
        });
    let mut result = InitializeResult::new(crate::session::capabilities())
        .with_server_info(Implementation::new("dcclink", env!("CARGO_PKG_VERSION")))
        .with_instructions(
            "dcclink connect relays to a DCC application (Blender, Maya, Houdini, …) where \
             dcclink runs; its tools run there, one at a time, on its main thread. When \
             several instances run, every tool takes an optional dcclink_instance argument \
             that sends that one call to another instance; dcclink_status(instance=ID) \
             switches for good.",
        );
    result.protocol_version = asked.unwrap_or(ProtocolVersion::LATEST_WITH_INITIALIZE);
    result
}

/// The tool list while no instance can be reached: one tool that says why.
pub(super) fn status_tools(why: &str) -> ListToolsResult {
    let properties = serde_json::json!({
        "instance": {
            "type": "string",
            "description": "the id of the instance to use from now on, when several run"
        }
    });
    let schema = JsonObject::from_iter([
        ("type".to_owned(), "object".into()),
        ("properties".to_owned(), properties),
        ("additionalProperties".to_owned(), false.into()),
    ]);
    let tool = Tool::new(
        STATUS_TOOL,
        format!(
            "dcclink cannot reach a DCC: {why}. Call this tool to check again, or with \
             instance=ID to choose one of several."
        ),
        Arc::new(schema),
    );
    ListToolsResult::with_all_items(vec![tool])
}

/// A tool call's answer that is an error the agent reads: `why`.
pub(super) fn tool_error(why: String) -> CallToolResult {
    CallToolResult::error(vec![ContentBlock::text(why)])
}

/// A tool call's answer that is text.
pub(super) fn tool_text(text: String) -> CallToolResult {
    CallToolResult::success(vec![ContentBlock::text(text)])
}

/// The empty answer to list `method` while no instance can be reached;
/// `None` for a method that is not such a list.
pub(super) fn empty_list(method: &str) -> Option<Value> {
    let field = match method {
        "resources/list" => "resources",
        "resources/templates/list" => "resourceTemplates",
        "prompts/list" => "prompts",
        _ => return None,
    };
    Some(serde_json::json!({ field: [] }))
}

/// A `tools/list` answer whose every tool takes the optional
/// [`INSTANCE_ARGUMENT`], naming the `running` instances; `None` when the
/// answer is not a tool list.
pub(super) fn with_instance_argument(answer: &str, running: &str) -> Option<String> {
    let mut answer: Value = serde_json::from_str(answer).ok()?;
    let tools = answer.pointer_mut("/result/tools")?.as_array_mut()?;
    let argument = serde_json::json!({
        "type": "string",
        "description": format!(
            "run this one call on another running dcclink instance, by id ({running}); \
             leave it out for the current one"
        ),
    });
    for tool in tools {
        let properties = tool
            .pointer_mut("/inputSchema")
            .and_then(Value::as_object_mut);
        if let Some(schema) = properties {
            let properties = schema
                .entry("properties")
                .or_insert_with(|| serde_json::json!({}));
            if let Some(properties) = properties.as_object_mut() {
                properties.insert(INSTANCE_ARGUMENT.into(), argument.clone());
            }
        }
    }
    serde_json::to_string(&answer).ok()
}

/// A `tools/call` request, read only when it names the status tool or the
/// instance argument (the relay passes every other call on unread).
pub(super) struct Call {
    /// The tool called.
    pub(super) name: String,
    /// The call's params, as an object.
    pub(super) params: Map<String, Value>,
}

impl Call {
    /// Reads `params` if they may name [`STATUS_TOOL`] or carry
    /// [`INSTANCE_ARGUMENT`]; `None` for every other call.
    pub(super) fn special(params: Option<&RawValue>) -> Option<Self> {
        let raw = params?.get();
        if !raw.contains(STATUS_TOOL) && !raw.contains(INSTANCE_ARGUMENT) {
            return None;
        }
        let params: Map<String, Value> = serde_json::from_str(raw).ok()?;
        let name = params.get("name")?.as_str()?.to_owned();
        Some(Self { name, params })
    }

    /// The call's string argument `name`, if any.
    pub(super) fn argument(&self, name: &str) -> Option<&str> {
        self.params.get("arguments")?.get(name)?.as_str()
    }

    /// Takes [`INSTANCE_ARGUMENT`] out of the arguments: the instance it
    /// names, if any.
    pub(super) fn take_instance(&mut self) -> Result<Option<String>, String> {
        let arguments = self
            .params
            .get_mut("arguments")
            .and_then(Value::as_object_mut);
        match arguments.and_then(|arguments| arguments.remove(INSTANCE_ARGUMENT)) {
            None => Ok(None),
            Some(Value::String(id)) => Ok(Some(id)),
            Some(other) => Err(format!(
                "{INSTANCE_ARGUMENT} must be an instance id such as \"blender-1234\" \
                 (dcclink_status lists them), not {other}"
            )),
        }
    }

    /// The request, as a line for the instance, with `id`.
    pub(super) fn line(&self, id: &RawValue) -> String {
        let message = serde_json::json!({
            "jsonrpc": "2.0",
            "id": id,
            "method": "tools/call",
            "params": self.params,
        });
        message.to_string()
    }
}
