//! Running the real `dcclink` command (the Python package's console script,
//! installed by `cargo xtask setup`) as a child process.

use std::path::PathBuf;
use std::process::Stdio;

use tokio::process::{Child, Command};

use crate::RawClient;

/// The workspace root.
pub fn workspace() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(PathBuf::from)
        .unwrap_or_default()
}

/// The `dcclink` executable: `$DCCLINK_BIN`, or the project's `.venv`.
pub fn dcclink_bin() -> PathBuf {
    let path = std::env::var_os("DCCLINK_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace().join(".venv/bin/dcclink"));
    assert!(
        path.exists(),
        "{} does not exist: run `cargo xtask setup` (or set DCCLINK_BIN)",
        path.display()
    );
    path
}

/// A file under `tests/fixtures/`.
pub fn fixture(name: &str) -> PathBuf {
    workspace().join("tests/fixtures").join(name)
}

/// `dcclink serve --stdio --tools tests/fixtures/tools.py`, with a raw client
/// on its stdin/stdout. Its stderr is inherited so failures show the logs.
pub fn serve_stdio(extra: &[&str]) -> (Child, RawClient) {
    let mut child = Command::new(dcclink_bin())
        .args(["serve", "--stdio", "--tools"])
        .arg(fixture("tools.py"))
        .args(extra)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .kill_on_drop(true)
        .spawn()
        .expect("spawn dcclink");
    let stdin = child.stdin.take().expect("piped stdin");
    let stdout = child.stdout.take().expect("piped stdout");
    (child, RawClient::new(stdout, stdin))
}
