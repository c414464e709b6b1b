//! An instance registry entry, which anyone who shares the runtime folder
//! can write. Reading it never panics; an entry is listed only when its
//! process is alive (never for pid 0, which names no process of its own),
//! and an entry that does not parse is left alone for its writer.
#![no_main]

use std::path::PathBuf;
use std::sync::LazyLock;

use libfuzzer_sys::fuzz_target;

static FOLDER: LazyLock<PathBuf> = LazyLock::new(|| {
    let folder = std::env::temp_dir().join(format!("dcclink-fuzz-registry-{}", std::process::id()));
    std::fs::create_dir_all(&folder).expect("a folder for the fuzzed entry");
    folder
});

fuzz_target!(|entry: &[u8]| {
    let path = FOLDER.join("entry.json");
    std::fs::write(&path, entry).expect("write the entry");
    let listed = dcclink_server::fuzzing::registry(&FOLDER);
    assert!(listed.len() <= 1);
    for instance in &listed {
        assert_ne!(instance.pid, 0, "pid 0 is the reader's own process group");
        let _ = instance.panel_url();
        let chosen = dcclink_server::instances::select(&listed, Some(&instance.id), None);
        assert_eq!(chosen.ok().as_ref(), Some(instance));
    }
    let parses = serde_json::from_slice::<dcclink_server::Instance>(entry).is_ok();
    if !parses {
        assert!(path.exists(), "an entry that does not parse is not removed");
    }
    let _ = std::fs::remove_file(&path);
});
