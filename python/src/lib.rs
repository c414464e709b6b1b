//! `dcclink._native`: the Rust half of the `dcclink` Python package.
//!
//! The package's Python code (`python/dcclink/`) builds tool schemas from type
//! hints and offers the public API; this module binds it to the bridge and
//! the MCP server. Python runs only on the host's main thread, inside the
//! pump; every server thread stays off the GIL.

mod callback;
mod cli;
mod content;
mod context;
mod convert;
mod host;
mod instances;
mod job;
mod main_thread;
mod panel_plugin;
mod seconds;
mod workers;

use pyo3::prelude::*;

#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add_class::<host::Host>()?;
    m.add_class::<host::Serving>()?;
    m.add_class::<context::Context>()?;
    m.add_class::<content::Image>()?;
    m.add_class::<content::Audio>()?;
    m.add_class::<content::EmbeddedResource>()?;
    m.add_class::<content::Content>()?;
    m.add_class::<main_thread::MainThreadCall>()?;
    m.add_class::<workers::Worker>()?;
    m.add_class::<workers::WorkerCall>()?;
    m.add_function(wrap_pyfunction!(cli::parse_args, m)?)?;
    m.add_function(wrap_pyfunction!(cli::init_logging, m)?)?;
    m.add_function(wrap_pyfunction!(cli::protect_stdout, m)?)?;
    m.add_function(wrap_pyfunction!(cli::connect, m)?)?;
    m.add_function(wrap_pyfunction!(instances::instances, m)?)?;
    m.add_function(wrap_pyfunction!(instances::select_instance, m)?)?;
    m.add_function(wrap_pyfunction!(check_resource_uri, m)?)?;
    m.add_function(wrap_pyfunction!(set_panel_plugin_dir, m)?)?;
    m.add_function(wrap_pyfunction!(open_panel_at, m)?)?;
    m.add_function(wrap_pyfunction!(wait_panel_closed, m)?)?;
    m.add_function(wrap_pyfunction!(close_panel, m)?)?;
    m.add_function(wrap_pyfunction!(panel_is_open, m)?)?;
    m.add_function(wrap_pyfunction!(eval_js, m)?)?;
    m.add_function(wrap_pyfunction!(eval_js_sync, m)?)?;
    Ok(())
}

/// Raises `ValueError` unless `uri` is a URI or a URI template a resource
/// may have (checked when the decorator runs, not when dcclink starts).
#[pyfunction]
fn check_resource_uri(uri: &str) -> PyResult<()> {
    dcclink_server::check_resource_uri(uri)
        .map(drop)
        .map_err(|e| pyo3::exceptions::PyValueError::new_err(e.to_string()))
}

/// Says where the panel plugin is (the package's folder); loads nothing.
#[pyfunction]
fn set_panel_plugin_dir(folder: std::path::PathBuf) {
    panel_plugin::set_folder(folder);
}

/// Opens the panel window on `url` (`dcclink panel`).
#[pyfunction]
fn open_panel_at(py: Python<'_>, url: &str) -> PyResult<()> {
    py.detach(|| panel_plugin::open(url, "thread", None))
}

/// Waits up to `timeout` seconds for the panel window to close; `True` when
/// it did.
#[pyfunction]
fn wait_panel_closed(py: Python<'_>, timeout: f64) -> PyResult<bool> {
    let bound = seconds::seconds(timeout, "timeout")?;
    Ok(py.detach(|| panel_plugin::wait_closed(bound)))
}

/// Closes the panel window, if open (the server keeps running).
#[pyfunction]
fn close_panel(py: Python<'_>) -> PyResult<()> {
    py.detach(panel_plugin::close)
}

/// True while the panel window is open.
#[pyfunction]
fn panel_is_open() -> bool {
    panel_plugin::is_open()
}

/// Runs `script` in the panel window without waiting.
#[pyfunction]
fn eval_js(py: Python<'_>, script: &str) -> PyResult<()> {
    py.detach(|| panel_plugin::eval_js(script))
}

/// Runs `script` in the panel window and returns its value as JSON text;
/// raises `TimeoutError` when the page does not answer in `timeout` seconds.
#[pyfunction]
#[pyo3(signature = (script, timeout = 5.0))]
fn eval_js_sync(py: Python<'_>, script: &str, timeout: f64) -> PyResult<String> {
    let bound = seconds::seconds(timeout, "timeout")?;
    py.detach(|| panel_plugin::eval_js_sync(script, bound))
}
