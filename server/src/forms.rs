//! Values checked against a JSON Schema, with errors that read as
//! sentences: a tool's arguments, and a form's answer before the tool sees
//! it, whoever filled it in (the artist in the panel, or the user in the
//! IDE through the client's elicitation). Browsers and clients check the
//! fields too, but a tool must not have to trust either. A leaf: it needs
//! nothing else of the server.

use dcclink_bridge::{FormAction, FormReply};

/// What is wrong with a sent form's values, judged by its `schema`; `None`
/// when they fit, or the form was not sent (declined or dismissed).
pub fn misfit(schema: &serde_json::Value, reply: &FormReply) -> Option<String> {
    if reply.action != FormAction::Accept {
        return None;
    }
    let values = serde_json::Value::Object(reply.content.clone().unwrap_or_default());
    let validator = match jsonschema::validator_for(schema) {
        Ok(validator) => validator,
        Err(error) => return Some(format!("the tool's form has an invalid schema: {error}")),
    };
    let problems: Vec<String> = validator
        .iter_errors(&values)
        .map(|error| describe(&error, "field"))
        .collect();
    (!problems.is_empty()).then(|| problems.join("; "))
}

/// Turns a schema error about an object's properties into a sentence that
/// names the property, calling it a `noun` (parameter, field).
pub(crate) fn describe(error: &jsonschema::ValidationError<'_>, noun: &str) -> String {
    let path = error.instance_path().to_string();
    let param = path.trim_start_matches('/').replace('/', ".");
    let message = error.to_string();
    if param.is_empty() {
        // Errors about the object itself: a missing or an unexpected property.
        message
            .strip_suffix(" is a required property")
            .map(|name| format!("missing required {noun} {name}"))
            .unwrap_or(message)
    } else {
        format!("{noun} '{param}': {message}")
    }
}
