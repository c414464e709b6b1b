//! `dcclink.Context`: what a running tool sees of its call.

use dcclink_bridge::{CallContext, LogLevel, PromptError};
use pyo3::exceptions::{PyRuntimeError, PyTimeoutError, PyValueError};
use pyo3::prelude::*;

use crate::convert::from_py;

/// The context of one running tool call. Declare a parameter of this type
/// and dcclink passes it in; it never appears in the tool's schema.
///
/// Every method but `confirm` returns at once; all are safe to call from
/// inside the tool.
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

    /// Asks the person at the dcclink panel a yes-or-no `question` about
    /// `detail` (code to run, a file to delete), and waits for the answer
    /// with the GIL released: True for yes. Raises ``RuntimeError`` when no
    /// panel is open, ``TimeoutError`` when nobody answers within `timeout`
    /// seconds, and ``dcclink.Cancelled`` when the call is cancelled. In a
    /// session the person chose to trust it answers True at once.
    #[pyo3(signature = (question, detail = String::new(), timeout = 120.0))]
    fn confirm(
        &self,
        py: Python<'_>,
        question: &str,
        detail: String,
        timeout: f64,
    ) -> PyResult<bool> {
        let bound = std::time::Duration::try_from_secs_f64(timeout).map_err(|_| {
            PyValueError::new_err(format!("timeout must be seconds ≥ 0, not {timeout}"))
        })?;
        match py.detach(|| self.inner.confirm(question, &detail, bound)) {
            Ok(answer) => Ok(answer),
            Err(error @ PromptError::TimedOut(_)) => {
                Err(PyTimeoutError::new_err(error.to_string()))
            }
            Err(PromptError::Cancelled) => {
                let cancelled = py.import("dcclink")?.getattr("Cancelled")?;
                Err(PyErr::from_value(cancelled.call1((
                    "the call was cancelled while it waited for an answer",
                ))?))
            }
            Err(error) => Err(PyRuntimeError::new_err(error.to_string())),
        }
    }

    fn __repr__(&self) -> String {
        let info = self.inner.call().info();
        format!("<dcclink.Context call {} of {:?}>", info.id, info.tool)
    }
}
