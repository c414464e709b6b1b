//! The body of a panel's answer to a tool's question (`POST
//! /panel/api/question/{id}`), against a form of every field kind the
//! panel draws. Never a panic; a refused form says what to correct.
#![no_main]

use std::sync::LazyLock;

use libfuzzer_sys::fuzz_target;
use serde_json::{Value, json};

static FORM: LazyLock<Value> = LazyLock::new(|| {
    json!({
        "type": "object",
        "properties": {
            "name": {"type": "string", "minLength": 1, "maxLength": 20},
            "count": {"type": "integer", "minimum": 1, "maximum": 10},
            "scale": {"type": "number"},
            "keep": {"type": "boolean"},
            "shade": {"type": "string", "enum": ["smooth", "flat"]},
            "when": {"type": "string", "format": "date"}
        },
        "required": ["name", "count"]
    })
});

fuzz_target!(|body: &[u8]| {
    if let Ok(Some(problem)) = dcclink_server::fuzzing::panel_answer(body, &FORM) {
        assert!(!problem.is_empty());
    }
});
