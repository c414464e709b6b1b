//! `dcclink.open_panel()` and `dcclink.panel.eval_js*`: the embedded WebView
//! panel, when the extension is built with the `panel` feature.

use std::time::Duration;

use pyo3::PyResult;
use pyo3::exceptions::PyRuntimeError;
#[cfg(feature = "panel")]
use pyo3::exceptions::PyTimeoutError;

#[cfg(feature = "panel")]
fn convert(error: dcclink_webview::PanelError) -> pyo3::PyErr {
    match error {
        dcclink_webview::PanelError::Timeout(_) => PyTimeoutError::new_err(error.to_string()),
        other => PyRuntimeError::new_err(other.to_string()),
    }
}

#[cfg(feature = "panel")]
fn panel() -> PyResult<&'static dcclink_webview::Panel> {
    dcclink_webview::Panel::get().map_err(convert)
}

/// Opens the panel window on `url`, or focuses it.
#[cfg(feature = "panel")]
pub fn open(url: &str) -> PyResult<()> {
    panel()?.open(url).map_err(convert)
}

/// Waits up to `timeout` for the panel window to close.
#[cfg(feature = "panel")]
pub fn wait_closed(timeout: Duration) -> bool {
    dcclink_webview::Panel::get().map_or(true, |panel| panel.wait_closed(timeout))
}

/// Closes the panel window, if open.
#[cfg(feature = "panel")]
pub fn close() -> PyResult<()> {
    match dcclink_webview::Panel::get() {
        Ok(panel) => panel.close().map_err(convert),
        Err(_) => Ok(()),
    }
}

/// True while the panel window is open.
#[cfg(feature = "panel")]
pub fn is_open() -> bool {
    dcclink_webview::Panel::get().is_ok_and(|panel| panel.is_open())
}

/// Runs `script` in the panel.
#[cfg(feature = "panel")]
pub fn eval_js(script: &str) -> PyResult<()> {
    panel()?.eval_js(script).map_err(convert)
}

/// Runs `script` in the panel and returns its JSON value.
#[cfg(feature = "panel")]
pub fn eval_js_sync(script: &str, timeout: Duration) -> PyResult<String> {
    panel()?.eval_js_sync(script, timeout).map_err(convert)
}

#[cfg(not(feature = "panel"))]
fn unavailable<T>() -> PyResult<T> {
    Err(PyRuntimeError::new_err(
        "this dcclink was built without the embedded panel; open the panel link in a browser",
    ))
}

#[cfg(not(feature = "panel"))]
pub fn open(_url: &str) -> PyResult<()> {
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
