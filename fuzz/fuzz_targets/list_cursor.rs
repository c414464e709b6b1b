//! A `*/list` request's cursor, which the client may send back changed.
//! A bad cursor is refused with a message; a good one gives a page of at
//! most 100 items that follow on from it, and following every next cursor
//! covers the rest of the list exactly once.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: (u16, Option<String>)| {
    let (items, cursor) = input;
    let items = usize::from(items % 1000);
    let start = match cursor.as_deref() {
        None => 0,
        Some(text) => match text.parse::<usize>() {
            Ok(start) if start <= items => start,
            _ => {
                let refused = dcclink_server::fuzzing::page(items, cursor.clone());
                let message = refused.expect_err("a cursor past the list or not a number");
                assert!(message.contains("nextCursor"), "{message}");
                return;
            }
        },
    };
    let mut seen = Vec::new();
    let mut next = cursor;
    loop {
        let (page, after) = dcclink_server::fuzzing::page(items, next).expect("a valid cursor");
        assert!(page.len() <= 100);
        seen.extend(page);
        match after {
            Some(cursor) => next = Some(cursor),
            None => break,
        }
    }
    assert_eq!(seen, (start..items).collect::<Vec<_>>());
});
