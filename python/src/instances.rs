//! The instance registry from Python: `dcclink list` and `dcclink panel
//! --instance` read it through these.

use dcclink_server::instances::{Instance, running, select_running};
use pyo3::exceptions::{PyLookupError, PyPermissionError, PyRuntimeError};
use pyo3::prelude::*;

use crate::convert::to_py;

fn to_dict<'py>(py: Python<'py>, instance: &Instance) -> PyResult<Bound<'py, PyAny>> {
    let mut value =
        serde_json::to_value(instance).map_err(|e| PyRuntimeError::new_err(e.to_string()))?;
    value["panel"] = instance.panel_url().into();
    to_py(py, &value)
}

/// The running instances, oldest first, as dicts (`id`, `pid`, `dcc`,
/// `dcc_version`, `scene`, `url`, `token`, `started`, `panel`).
#[pyfunction]
pub(crate) fn instances(py: Python<'_>) -> PyResult<Vec<Bound<'_, PyAny>>> {
    running()
        .map_err(|e| PyPermissionError::new_err(e.to_string()))?
        .iter()
        .map(|instance| to_dict(py, instance))
        .collect()
}

/// The one running instance with id `instance`, else the only one of `dcc`,
/// else the only one; raises `LookupError` saying what to do otherwise.
#[pyfunction]
#[pyo3(signature = (instance = None, dcc = None))]
pub(crate) fn select_instance<'py>(
    py: Python<'py>,
    instance: Option<&str>,
    dcc: Option<&str>,
) -> PyResult<Bound<'py, PyAny>> {
    let chosen =
        select_running(instance, dcc).map_err(|e| PyLookupError::new_err(e.to_string()))?;
    to_dict(py, &chosen)
}
