//! `dcclink._native`: the Rust half of the `dcclink` Python package.
//!
//! The package's Python code (`python/dcclink/`) builds tool schemas from type
//! hints and offers the public API; this module binds it to the bridge and
//! the MCP server. Python runs only on the host's main thread, inside the
//! pump; every server thread stays off the GIL.

mod callback;
mod cli;
mod context;
mod convert;
mod host;
mod image;
mod main_thread;
mod tool;

use pyo3::prelude::*;

#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add_class::<host::Host>()?;
    m.add_class::<context::Context>()?;
    m.add_class::<image::Image>()?;
    m.add_class::<main_thread::MainThreadCall>()?;
    m.add_function(wrap_pyfunction!(cli::parse_args, m)?)?;
    m.add_function(wrap_pyfunction!(cli::init_logging, m)?)?;
    m.add_function(wrap_pyfunction!(cli::protect_stdout, m)?)?;
    Ok(())
}
