//! The ids an agent sends back: a task's id (`tasks/get`, `tasks/result`,
//! `tasks/cancel`) and a round trip's `requestState`. Both name state held
//! in this process by a random 32-character key, and any string may come.
//!
//! An id is found exactly when it is one the store handed out; any other
//! gets -32602 ("Task not found", naming the id). An unknown
//! `requestState` is refused with -32602 and what to do. Never a panic.
#![no_main]

use dcclink_server::fuzzing::IdLookups;
use libfuzzer_sys::fuzz_target;

const INVALID_PARAMS: i32 = -32602;

fuzz_target!(|input: (u8, Vec<String>, Vec<u8>)| {
    let (kept, mut asked, picks) = input;
    let store = IdLookups::new(usize::from(kept % 8));
    // The real ids too, and each cut short by a character.
    for pick in picks.iter().take(4) {
        if let Some(id) = store.ids.get(usize::from(*pick) % store.ids.len().max(1)) {
            let mut altered = id.clone();
            altered.pop();
            asked.extend([id.clone(), altered]);
        }
    }
    for id in &asked {
        match store.task(id) {
            Ok(found) => {
                assert_eq!(&found, id);
                assert!(store.ids.contains(id), "found an id never handed out");
            }
            Err((code, message)) => {
                assert!(!store.ids.contains(id), "a kept task was not found");
                assert_eq!(code, INVALID_PARAMS);
                assert!(message.contains("Task not found"), "{message}");
                assert!(message.contains(id.as_str()), "{message}");
            }
        }
        let (code, message) = store.request_state(id).expect_err("no call is parked");
        assert_eq!(code, INVALID_PARAMS);
        assert!(
            message.contains("call again without requestState"),
            "{message}"
        );
    }
});
