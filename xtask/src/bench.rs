//! `cargo xtask bench`: installs a release build, then runs every benchmark.
//! The tables it prints are what `docs/BENCHMARKS.md` records.

use anyhow::{Result, bail};

use crate::setup;
use crate::sh;

pub(crate) fn run(args: &[String]) -> Result<()> {
    if !args.is_empty() {
        bail!("usage: cargo xtask bench");
    }
    let env = setup::run(setup::Profile::Release)?;
    sh::step("wake and cancel latency (threading core)");
    sh::cargo(
        &env,
        &["bench", "-q", "-p", "dcclink-bridge", "--bench", "wake"],
    )?;
    sh::step("wake latency from a Python thread");
    let python = env.venv_bin("python");
    sh::run(
        python.as_os_str(),
        &["tests/benches/wake_from_python.py"],
        &env,
    )?;
    sh::step("round trip over stdio: dcclink, plain rmcp, the Python SDK");
    sh::cargo(
        &env,
        &["bench", "-q", "-p", "dcclink-tests", "--bench", "roundtrip"],
    )?;
    sh::step("what dcclink connect adds, against direct HTTP");
    sh::run(
        python.as_os_str(),
        &["tests/benches/relay_overhead.py"],
        &env,
    )?;
    sh::step("what an MCP task costs, against a plain call");
    sh::run(
        python.as_os_str(),
        &["tests/benches/task_overhead.py"],
        &env,
    )?;
    sh::step("worker pools: per-item overhead, an undo step, 100 bpy items (local and Ray)");
    sh::run(
        env.root.join(".venv-blender/bin/python").as_os_str(),
        &["tests/benches/pool_overhead.py"],
        &env,
    )?;
    sh::step("wake latency on the Qt host, beside timer-driven pumps");
    sh::run(python.as_os_str(), &["tests/benches/qt_wake.py"], &env)?;
    sh::step("a call in Blender's UI, against running it directly (under Xvfb)");
    sh::run_under_xvfb(
        &python.to_string_lossy(),
        &["tests/benches/blender_gui.py"],
        &env,
    )?;
    sh::step("the browser panel in headless Chromium");
    sh::run(
        python.as_os_str(),
        &["tests/benches/panel_latency.py"],
        &env,
    )?;
    sh::step("the embedded WebView panel, in each in-process mode (under Xvfb)");
    sh::run_under_xvfb(
        &python.to_string_lossy(),
        &["tests/benches/webview_latency.py"],
        &env,
    )?;
    Ok(())
}
