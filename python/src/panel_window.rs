//! `dcclink.open_panel()` and `dcclink.panel.*`: the embedded WebView panel,
//! when the extension is built with the `panel` feature. The window lives on
//! a UI thread of its own (`mode="thread"`) or on the host's main thread,
//! driven by `dcclink.pump()` (`mode="host"`); the first one opened decides
//! for the process.

use std::sync::Arc;
use std::time::Duration;

use dcclink_bridge::Bridge;
use pyo3::PyResult;
use pyo3::exceptions::PyRuntimeError;
#[cfg(feature = "panel")]
use pyo3::exceptions::PyValueError;

#[cfg(feature = "panel")]
use dcclink_webview::{HostedPanel, Panel, PanelError, PanelMode};

/// Reads the `mode` argument of `open_panel`.
#[cfg(feature = "panel")]
fn parse_mode(mode: &str) -> PyResult<PanelMode> {
    match mode {
        "thread" => Ok(PanelMode::OwnThread),
        "host" => Ok(PanelMode::HostPumped),
        // macOS keeps every window on the main thread.
        "auto" => Ok(
            dcclink_webview::claimed().unwrap_or(if cfg!(target_os = "macos") {
                PanelMode::HostPumped
            } else {
                PanelMode::OwnThread
            }),
        ),
        other => Err(PyValueError::new_err(format!(
            "mode must be \"auto\", \"thread\" or \"host\", not {other:?}"
        ))),
    }
}

#[cfg(feature = "panel")]
fn convert(error: PanelError) -> pyo3::PyErr {
    match error {
        PanelError::Timeout(_) => pyo3::exceptions::PyTimeoutError::new_err(error.to_string()),
        other => PyRuntimeError::new_err(other.to_string()),
    }
}

/// Opens the panel window on `url` in `mode`, or focuses it. `bridge`
/// carries a host-pumped panel's operations from other threads; only a
/// running host has one.
#[cfg(feature = "panel")]
pub fn open(url: &str, mode: &str, bridge: Option<Arc<Bridge>>) -> PyResult<()> {
    match (parse_mode(mode)?, bridge) {
        (PanelMode::OwnThread, _) => Panel::get().and_then(|panel| panel.open(url)),
        (PanelMode::HostPumped, Some(bridge)) => HostedPanel::get().open(url, bridge),
        (PanelMode::HostPumped, None) => {
            return Err(PyRuntimeError::new_err(
                "a host-pumped panel belongs to a running host: use dcclink.open_panel(mode=\"host\")",
            ));
        }
    }
    .map_err(convert)
}

/// Waits up to `timeout` for the panel window (on its own thread) to close.
#[cfg(feature = "panel")]
pub fn wait_closed(timeout: Duration) -> bool {
    Panel::running().is_none_or(|panel| panel.wait_closed(timeout))
}

/// Closes the panel window, if open.
#[cfg(feature = "panel")]
pub fn close() -> PyResult<()> {
    match dcclink_webview::claimed() {
        Some(PanelMode::OwnThread) => Panel::running().map_or(Ok(()), Panel::close),
        Some(PanelMode::HostPumped) => HostedPanel::get().close(),
        None => Ok(()),
    }
    .map_err(convert)
}

/// True while the panel window is open.
#[cfg(feature = "panel")]
pub fn is_open() -> bool {
    match dcclink_webview::claimed() {
        Some(PanelMode::OwnThread) => Panel::running().is_some_and(Panel::is_open),
        Some(PanelMode::HostPumped) => HostedPanel::get().is_open(),
        None => false,
    }
}

/// Runs `script` in the panel.
#[cfg(feature = "panel")]
pub fn eval_js(script: &str) -> PyResult<()> {
    match dcclink_webview::claimed() {
        Some(PanelMode::OwnThread) => Panel::get().and_then(|panel| panel.eval_js(script)),
        Some(PanelMode::HostPumped) => HostedPanel::get().eval_js(script),
        None => Err(PanelError::Closed),
    }
    .map_err(convert)
}

/// Runs `script` in the panel and returns its JSON value.
#[cfg(feature = "panel")]
pub fn eval_js_sync(script: &str, timeout: Duration) -> PyResult<String> {
    match dcclink_webview::claimed() {
        Some(PanelMode::OwnThread) => {
            Panel::get().and_then(|panel| panel.eval_js_sync(script, timeout))
        }
        Some(PanelMode::HostPumped) => HostedPanel::get().eval_js_sync(script, timeout),
        None => Err(PanelError::Closed),
    }
    .map_err(convert)
}

/// After a pump: serves a host-pumped panel's window on this thread.
#[cfg(feature = "panel")]
pub fn serve(budget: Duration) {
    if dcclink_webview::claimed() == Some(PanelMode::HostPumped) {
        HostedPanel::get().serve(budget);
    }
}

/// From a tool's progress: lets a host-pumped panel repaint.
#[cfg(feature = "panel")]
pub fn repaint() {
    if dcclink_webview::claimed() == Some(PanelMode::HostPumped) {
        HostedPanel::get().repaint();
    }
}

#[cfg(not(feature = "panel"))]
fn unavailable<T>() -> PyResult<T> {
    Err(PyRuntimeError::new_err(
        "this dcclink was built without the embedded panel; open the panel link in a browser",
    ))
}

#[cfg(not(feature = "panel"))]
pub fn open(_url: &str, _mode: &str, _bridge: Option<Arc<Bridge>>) -> PyResult<()> {
    unavailable()
}

#[cfg(not(feature = "panel"))]
pub fn wait_closed(_timeout: Duration) -> bool {
    true
}

#[cfg(not(feature = "panel"))]
pub fn close() -> PyResult<()> {
    Ok(())
}

#[cfg(not(feature = "panel"))]
pub fn is_open() -> bool {
    false
}

#[cfg(not(feature = "panel"))]
pub fn eval_js(_script: &str) -> PyResult<()> {
    unavailable()
}

#[cfg(not(feature = "panel"))]
pub fn eval_js_sync(_script: &str, _timeout: Duration) -> PyResult<String> {
    unavailable()
}

#[cfg(not(feature = "panel"))]
pub fn serve(_budget: Duration) {}

#[cfg(not(feature = "panel"))]
pub fn repaint() {}
