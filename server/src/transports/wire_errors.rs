//! Answers to messages rmcp never sees or cannot route: lines that are not
//! JSON, batches, requests too large to read, and MCP methods whose params
//! have the wrong shape. Both transports use these, so stdio and HTTP give
//! the same JSON-RPC error for the same mistake.
//!
//! rmcp writes an error whose id it does not know without an `"id"` member
//! (MCP 2026-07-28's reading); JSON-RPC 2.0 requires `"id": null`, and the
//! official Python SDK rejects the message without it. So these errors are
//! written here, with `"id": null` when the id cannot be read. Better still,
//! the id of an oversized request is read from the start of its line, so
//! the caller's request fails at once instead of waiting for its timeout.

use std::cell::RefCell;
use std::fmt;

use rmcp::model::{ErrorCode, ErrorData, RequestId};
use serde::Deserializer as _;
use serde::de::{IgnoredAny, MapAccess, Visitor};
use serde_json::{Value, json};

/// The JSON-RPC error code of a request refused past one of the client
/// limits (sessions, requests in flight): in the range JSON-RPC leaves to
/// servers, one code for "too many", whichever bound it was.
pub(crate) const OVER_A_LIMIT: ErrorCode = ErrorCode(-32000);

/// How much of an oversized line is kept to find its id in.
pub(crate) const ID_SEARCH_BYTES: usize = 4096;

/// A JSON-RPC error response, as one line's worth of JSON (no newline),
/// with `"id": null` when `id` is unknown.
pub(crate) fn error_json(error: &ErrorData, id: Option<&RequestId>) -> Value {
    json!({"jsonrpc": "2.0", "id": id, "error": error})
}

/// What to answer a message that is not one rmcp can take (it failed to
/// parse as a JSON-RPC message), and the id to answer it with. `None` for
/// a notification, which is never answered.
///
/// JSON that breaks after its id (a lone surrogate escape, nesting past
/// the parser's depth) is answered with that id, so the caller's request
/// fails at once rather than waiting out its timeout.
pub(crate) fn diagnose(bytes: &[u8]) -> Option<(ErrorData, Option<RequestId>)> {
    let value: Value = match serde_json::from_slice(bytes) {
        Ok(value) => value,
        Err(error) => {
            let message = format!("parse error: the message is not valid JSON ({error})");
            let error = ErrorData::new(ErrorCode::PARSE_ERROR, message, None);
            return Some((error, leading_id(bytes)));
        }
    };
    let invalid = |message: String| ErrorData::new(ErrorCode::INVALID_REQUEST, message, None);
    match value {
        Value::Array(_) => Some((
            invalid(
                "invalid request: JSON-RPC batches are not supported (MCP removed them in \
                 2025-06-18); send each message on its own"
                    .into(),
            ),
            None,
        )),
        Value::Object(object) => {
            // A message without an id is a notification: never answered.
            let id = object.get("id")?;
            let id = serde_json::from_value::<RequestId>(id.clone()).ok();
            let why = match (&id, object.get("method")) {
                (None, _) => "the id must be a string or a number".to_owned(),
                (Some(_), Some(Value::String(_))) => {
                    "it is not a JSON-RPC 2.0 request (check \"jsonrpc\": \"2.0\")".to_owned()
                }
                (Some(_), _) => "it has no \"method\" string".to_owned(),
            };
            Some((invalid(format!("invalid request: {why}")), id))
        }
        other => Some((
            invalid(format!(
                "invalid request: a message must be a JSON object, not {other}"
            )),
            None,
        )),
    }
}

/// The error for an `initialize` refused while `max` sessions are open.
pub(crate) fn too_many_sessions(max: usize) -> ErrorData {
    ErrorData::new(
        OVER_A_LIMIT,
        format!(
            "too many sessions: dcclink already serves {max} sessions, each with a client \
             connected, the most it serves at once (--max-sessions); close a client you no \
             longer use, or start dcclink with a higher --max-sessions"
        ),
        None,
    )
}

/// The error for a message larger than `max` bytes, refused unread.
pub(crate) fn too_large(max: usize) -> ErrorData {
    ErrorData::new(
        ErrorCode::INVALID_REQUEST,
        format!(
            "request too large: a message may be at most {max} bytes; it was refused and the \
             connection is still open"
        ),
        None,
    )
}

/// The id of the message whose first bytes are `prefix`, if the top-level
/// `"id"` member comes before the cut (it does in what the SDKs send).
pub(crate) fn leading_id(prefix: &[u8]) -> Option<RequestId> {
    let found = RefCell::new(None);
    // The cut makes the document incomplete: the error is expected, and
    // whatever was found before it is kept.
    let _ = serde_json::Deserializer::from_slice(prefix).deserialize_map(IdFinder(&found));
    found.into_inner()
}

/// Walks a JSON object's members, keeping the `"id"` and skipping the rest
/// without building them.
struct IdFinder<'a>(&'a RefCell<Option<RequestId>>);

impl<'de> Visitor<'de> for IdFinder<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON-RPC message")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
            if key == "id" {
                *self.0.borrow_mut() = map.next_value::<RequestId>().ok();
                return Ok(());
            }
            map.next_value::<IgnoredAny>()?;
        }
        Ok(())
    }
}

/// The MCP methods a client may call on a server. A request for one of
/// these that rmcp could not read had params of the wrong shape.
const CLIENT_METHODS: &[&str] = &[
    "initialize",
    "ping",
    "completion/complete",
    "logging/setLevel",
    "prompts/get",
    "prompts/list",
    "resources/list",
    "resources/templates/list",
    "resources/read",
    "resources/subscribe",
    "resources/unsubscribe",
    "tools/call",
    "tools/list",
    "tasks/get",
    "tasks/list",
    "tasks/result",
    "tasks/cancel",
];

/// The error for a request rmcp handed over as a custom one: invalid params
/// (-32602) for a known MCP method, method not found (-32601) otherwise.
pub(crate) fn custom_request_error(method: &str) -> ErrorData {
    if CLIENT_METHODS.contains(&method) {
        ErrorData::invalid_params(
            format!(
                "invalid params for {method}: they are missing or not the shape the MCP \
                 schema gives (for tools/call: {{\"name\": string, \"arguments\": object}})"
            ),
            None,
        )
    } else {
        ErrorData::new(
            ErrorCode::METHOD_NOT_FOUND,
            format!("method not found: {method}"),
            None,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_without_an_id_carry_id_null() {
        let error = ErrorData::new(ErrorCode::PARSE_ERROR, "x", None);
        let line = error_json(&error, None).to_string();
        assert!(line.contains(r#""id":null"#), "{line}");
        let line = error_json(&error, Some(&RequestId::Number(7))).to_string();
        assert!(line.contains(r#""id":7"#), "{line}");
    }

    #[test]
    fn each_kind_of_bad_message_gets_its_code() {
        let code = |bytes: &[u8]| diagnose(bytes).map(|(error, id)| (error.code.0, id));
        assert_eq!(code(b"{not json"), Some((-32700, None)));
        assert_eq!(code(b"[]"), Some((-32600, None)));
        assert_eq!(
            code(br#"[{"jsonrpc":"2.0","id":1,"method":"ping"}]"#),
            Some((-32600, None))
        );
        assert_eq!(
            code(br#"{"jsonrpc":"2.0","id":null,"method":"ping"}"#),
            Some((-32600, None))
        );
        assert_eq!(
            code(br#"{"jsonrpc":"1.0","id":"a","method":"ping"}"#),
            Some((-32600, Some(RequestId::String("a".into()))))
        );
        assert_eq!(
            code(br#"{"jsonrpc":"2.0","method":5}"#),
            None,
            "a notification"
        );
        assert_eq!(code(b"42"), Some((-32600, None)));
        let id = Some(RequestId::String("s".into()));
        assert_eq!(
            code(br#"{"jsonrpc":"2.0","id":"s","method":"ping","params":{"x":"\ud800"}}"#),
            Some((-32700, id.clone())),
            "a lone surrogate after the id"
        );
        let deep = format!(
            r#"{{"id":"s","method":"ping","params":{}{}}}"#,
            "[".repeat(200),
            "]".repeat(200)
        );
        assert_eq!(
            code(deep.as_bytes()),
            Some((-32700, id)),
            "past the depth limit"
        );
    }

    #[test]
    fn the_id_is_found_at_the_start_of_a_cut_message() {
        let line =
            br#"{"jsonrpc":"2.0","id":42,"method":"tools/call","params":{"arguments":{"x":"aaaa"#;
        assert_eq!(leading_id(line), Some(RequestId::Number(42)));
        let line = br#"{"method":"tools/call","params":{"a":[1,2,{"id":9}]},"id":"k""#;
        assert_eq!(leading_id(line), Some(RequestId::String("k".into())));
        let line = br#"{"method":"tools/call","params":{"arguments":{"id":3,"x":"aaa"#;
        assert_eq!(leading_id(line), None, "a nested id is not the message's");
    }

    #[test]
    fn known_methods_with_bad_params_are_invalid_params() {
        assert_eq!(
            custom_request_error("tools/call").code,
            ErrorCode::INVALID_PARAMS
        );
        assert_eq!(
            custom_request_error("no/such").code,
            ErrorCode::METHOD_NOT_FOUND
        );
    }
}
