//! A form's answer checked against the form's JSON Schema before the tool
//! sees it, whoever filled it in: the artist in the panel, or the user in
//! the IDE through the client's elicitation. Browsers and clients both
//! check the fields too, but a tool must not have to trust either.

use dcclink_bridge::{FormAction, FormReply};

use crate::tools::describe;

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
