//! dcclink's own commands, run as `cargo xtask <command>`:
//!
//! * `setup`: installs what is missing (Debian packages, the project's
//!   `.venv` with the Python tools, the `dcclink` package built by maturin in
//!   develop mode) and leaves `.venv/bin/dcclink` ready.
//! * `demo`: setup, then serves the example tools over HTTP and prints the
//!   IDE configuration to paste.
//! * `test`: setup, then every check: formatting, lints, cargo tests, the
//!   loom model checks, a 60-second smoke of each fuzz target, the release
//!   artefacts (as `dist` builds them), pytest and the end-to-end tests with
//!   the official MCP SDK, the installed wheel's among them.
//! * `fuzz [SECONDS [TARGET...]]`: each fuzz target (or those named) for
//!   SECONDS (600 by default), with AddressSanitizer, and what each run
//!   covered.
//! * `soak`: the long runs: a million messages through the bridge, and
//!   100,000 calls from clients that are killed on the way.
//! * `bench`: a release build, then every benchmark.
//! * `dist`: the release artefacts in `dist/`: a manylinux wheel and an
//!   sdist.

mod bench;
mod demo;
mod dist;
mod fuzz;
mod setup;
mod sh;
mod soak;

use anyhow::{Result, bail};

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let rest = args.get(1..).unwrap_or_default();
    match args.first().map(String::as_str) {
        Some("setup") => setup::run(setup::Profile::Dev).map(drop),
        Some("demo") => demo::run(rest),
        Some("test") => test(),
        Some("bench") => bench::run(rest),
        Some("dist") => dist::run(rest),
        Some("fuzz") => fuzz::run(rest),
        Some("soak") => soak::run(),
        _ => bail!(
            "usage: cargo xtask <setup|demo|test|bench|dist|fuzz|soak>\n\n\
             setup  install what is missing and build .venv/bin/dcclink\n\
             demo   serve the example tools over HTTP and print the IDE config\n\
             test   run every check and test\n\
             bench  run the benchmarks on a release build\n\
             dist   build the release wheel and sdist into dist/\n\
             fuzz   run each fuzz target (or those named) for SECONDS (600 by default)\n\
             soak   the long runs: 1,000,000 bridge messages, 100,000 calls"
        ),
    }
}

fn test() -> Result<()> {
    let env = setup::run(setup::Profile::Dev)?;
    sh::step("formatting and lints");
    sh::cargo(&env, &["fmt", "--all", "--", "--check"])?;
    sh::cargo(
        &env,
        &[
            "clippy",
            "--workspace",
            "--all-targets",
            "--",
            "-D",
            "warnings",
        ],
    )?;
    sh::run(
        env.venv_bin("ruff").as_os_str(),
        &["check", "python", "tests", "examples"],
        &env,
    )?;
    sh::step("Python types: mypy --strict, and the stub against the extension");
    let mypy = env.venv_bin("mypy");
    let config = ["--config-file", "python/pyproject.toml"];
    sh::run(
        mypy.as_os_str(),
        &[&config[..], &["python/dcclink"]].concat(),
        &env,
    )?;
    let python = env.venv_bin("python");
    sh::run(
        python.as_os_str(),
        &[
            "-m",
            "mypy.stubtest",
            "dcclink._native",
            "--allowlist",
            "python/stubtest-allowlist.txt",
            "--mypy-config-file",
            "python/pyproject.toml",
        ],
        &env,
    )?;
    sh::step("cargo tests");
    sh::cargo(
        &env,
        &["test", "--workspace", "--exclude", "dcclink-python"],
    )?;
    sh::step("model checks of the bridge's lock-free parts (loom)");
    // Its own target dir: `--cfg loom` changes every crate's build, and
    // sharing `target/` would rebuild the workspace twice per run.
    let loom = env.with_vars(&[("RUSTFLAGS", "--cfg loom")]);
    sh::cargo(
        &loom,
        &[
            "test",
            "-p",
            "dcclink-bridge",
            "--lib",
            "--release",
            "--target-dir",
            "target/loom",
            "--",
            "::loom::",
        ],
    )?;
    fuzz::smoke(&env)?;
    // The wheel users install, tested as they would use it (test_wheel.py).
    let dist = dist::build(&env)?;
    sh::step("pytest (under Xvfb, for the embedded panel)");
    let pytest = env.venv_bin("pytest");
    let pytest = pytest.to_string_lossy();
    // Under xtask the WebView, Blender and npm-tool tests must run: fail,
    // rather than skip, if the display, the Blender worker or .tools is
    // missing.
    let env = env.with_vars(&[
        ("DCCLINK_REQUIRE_DISPLAY", "1"),
        ("DCCLINK_REQUIRE_BLENDER", "1"),
        ("DCCLINK_REQUIRE_NPM_TOOLS", "1"),
        ("DCCLINK_DIST", &dist.to_string_lossy()),
    ]);
    sh::run_under_xvfb(&pytest, &["tests/python", "-q"], &env)?;
    sh::step("all checks passed");
    Ok(())
}
