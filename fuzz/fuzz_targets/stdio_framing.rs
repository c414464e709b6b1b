//! A client's bytes on stdin, through the stdio transport: the framing, the
//! JSON-RPC decoding, the `params.task` lift and the 2025-11-25 task
//! methods. Whatever arrives, stdout carries only JSON-RPC: each line the
//! transport answers by itself is one error object, and each message it
//! hands on is JSON-RPC 2.0.
#![no_main]

use libfuzzer_sys::fuzz_target;
use serde_json::Value;

/// Small, so that the oversized-line path is reached as often as the rest.
const MAX_LINE: usize = 512;

fuzz_target!(|input: &[u8]| {
    let outcome = dcclink_server::fuzzing::stdio(input, MAX_LINE);
    let lines_in = input.split(|&b| b == b'\n').count();
    let written: Vec<&[u8]> = outcome
        .written
        .split(|&b| b == b'\n')
        .filter(|line| !line.is_empty())
        .collect();
    assert!(
        written.len() + outcome.received.len() <= lines_in,
        "more messages out than lines in"
    );
    assert!(outcome.written.is_empty() || outcome.written.ends_with(b"\n"));
    for line in written {
        let error: Value = serde_json::from_slice(line).expect("each line written is JSON");
        assert_eq!(error["jsonrpc"], "2.0", "{error}");
        assert!(error["error"]["code"].is_i64(), "{error}");
        assert!(error["error"]["message"].is_string(), "{error}");
        assert!(error.get("result").is_none(), "{error}");
    }
    for message in &outcome.received {
        assert_eq!(message["jsonrpc"], "2.0", "{message}");
    }
});
