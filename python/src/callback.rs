//! A Python callable as a panel callback.

use dcclink_server::PanelCallback;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyTuple};
use serde_json::Value;

use crate::convert::{from_py, to_py, type_name};

/// Calls a Python function with the page's arguments: an object becomes
/// keyword arguments, an array positional ones, `null` none at all.
pub(crate) struct PyCallback {
    function: Py<PyAny>,
}

impl PyCallback {
    /// A callback that calls `function`.
    pub(crate) fn new(function: Py<PyAny>) -> Self {
        Self { function }
    }
}

impl PanelCallback for PyCallback {
    fn call(&self, arguments: Value) -> Result<Value, String> {
        Python::attach(|py| {
            let function = self.function.bind(py);
            let called = match &arguments {
                Value::Object(map) => {
                    let kwargs = PyDict::new(py);
                    for (key, value) in map {
                        kwargs.set_item(key, to_py(py, value)?)?;
                    }
                    function.call((), Some(&kwargs))
                }
                Value::Array(items) => {
                    let items: Vec<Bound<'_, PyAny>> = items
                        .iter()
                        .map(|v| to_py(py, v))
                        .collect::<PyResult<_>>()?;
                    function.call1(PyTuple::new(py, items)?)
                }
                Value::Null => function.call0(),
                other => function.call1((to_py(py, other)?,)),
            };
            called.and_then(|result| from_py(&result))
        })
        .map_err(|error: PyErr| {
            Python::attach(|py| {
                format!(
                    "{}: {}",
                    type_name(error.value(py).as_any()),
                    error.value(py)
                )
            })
        })
    }
}
