//! Seconds from Python as a `Duration`, by one rule everywhere: a number of
//! seconds ≥ 0 that a `Duration` can hold, else a `ValueError` that names
//! the argument. (Some waits clamped a negative timeout to zero and others
//! refused it; a wrong value is now always said.)

use std::time::Duration;

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;

/// `seconds` as a duration, or a `ValueError` naming `what`.
pub(crate) fn seconds(seconds: f64, what: &str) -> PyResult<Duration> {
    Duration::try_from_secs_f64(seconds).map_err(|_| {
        PyValueError::new_err(format!(
            "{what} must be a number of seconds ≥ 0, not {seconds}"
        ))
    })
}
