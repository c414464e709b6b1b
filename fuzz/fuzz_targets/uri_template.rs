//! A resource template and a URI a client reads. Parsing never panics, and
//! a match names every variable of the template once, in order, each with
//! a value.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: (&str, &str)| {
    let (template, uri) = input;
    let Some(matched) = dcclink_server::fuzzing::uri_template(template, uri) else {
        return;
    };
    if let Some(values) = matched {
        let names: Vec<&str> = template
            .split('{')
            .skip(1)
            .filter_map(|rest| rest.split_once('}').map(|(name, _)| name))
            .collect();
        let matched: Vec<&str> = values.iter().map(|(name, _)| name.as_str()).collect();
        assert_eq!(names, matched, "{template:?} against {uri:?}");
        assert!(values.iter().all(|(_, value)| !value.is_empty()));
    }
});
