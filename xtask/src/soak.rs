//! `cargo xtask soak`: the long runs whose figures `docs/RELIABILITY.md`
//! gives. A million messages through the bridge alone (the stress test, in
//! a release build), then 100,000 calls from 8 clients, some killed on the
//! way, against one `dcclink serve` (tests/soak/soak.py).

use anyhow::Result;

use crate::{setup, sh};

pub(crate) fn run() -> Result<()> {
    let env = setup::run(setup::Profile::Dev)?;
    sh::step("a million messages through the bridge, with cancels and nested pumps");
    sh::cargo(
        &env,
        &[
            "test",
            "-p",
            "dcclink-bridge",
            "--release",
            "--test",
            "stress",
        ],
    )?;
    sh::step("100,000 calls from 8 clients, stdio and HTTP, some killed (tests/soak)");
    let python = env.venv_bin("python");
    sh::run(python.as_os_str(), &["tests/soak/soak.py"], &env)
}
