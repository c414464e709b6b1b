//! `dcclink.Context`: what a running tool sees of its call.

use dcclink_bridge::{CallContext, LogLevel};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;

use crate::convert::from_py;

/// The context of one running tool call. Declare a parameter of this type
/// and dcclink passes it in; it never appears in the tool's schema.
///
/// Every method returns at once and is safe to call from inside the tool.
#[pyclass(module = "dcclink", name = "Context", frozen)]
pub struct Context {
    inner: CallContext,
}

impl Context {
    /// Wraps the bridge's call context.
    pub fn new(inner: CallContext) -> Self {
        Self { inner }
    }
}

#[pymethods]
impl Context {
    /// True once the client cancelled the call or its timeout passed. A
    /// long tool should check it and raise `dcclink.Cancelled`.
    #[getter]
    fn cancelled(&self) -> bool {
        self.inner.is_cancelled()
    }

    /// The call's number, in order of arrival.
    #[getter]
    fn call_id(&self) -> u64 {
        self.inner.call().info().id
    }

    /// The client that made the call.
    #[getter]
    fn client(&self) -> String {
        self.inner.call().info().client.clone()
    }

    /// Reports progress. Values must increase; a value that does not is
    /// ignored (and `False` is returned). Never blocks. A host-pumped panel
    /// gets to repaint (at most once a frame); no other message runs.
    #[pyo3(signature = (progress, total = None, message = None))]
    fn progress(&self, progress: f64, total: Option<f64>, message: Option<String>) -> bool {
        let accepted = self.inner.progress(progress, total, message);
        crate::panel_plugin::repaint();
        accepted
    }

    /// Sends a log message to the client (MCP logging) and the panel.
    /// `level` is one of debug, info, notice, warning, error, critical,
    /// alert, emergency.
    fn log(&self, level: &str, message: String) -> PyResult<()> {
        let level = LogLevel::parse(level).ok_or_else(|| {
            PyValueError::new_err(format!(
                "unknown log level {level:?}: use debug, info, notice, warning, error, critical, alert or emergency"
            ))
        })?;
        self.inner.log(level, message);
        Ok(())
    }

    /// Publishes an event for the panel; kept until a panel listens.
    #[pyo3(signature = (event, data = None))]
    fn emit(&self, event: String, data: Option<&Bound<'_, PyAny>>) -> PyResult<()> {
        let data = match data {
            Some(data) => from_py(data)?,
            None => serde_json::Value::Null,
        };
        self.inner.emit(event, data);
        Ok(())
    }

    fn __repr__(&self) -> String {
        let info = self.inner.call().info();
        format!("<dcclink.Context call {} of {:?}>", info.id, info.tool)
    }
}
