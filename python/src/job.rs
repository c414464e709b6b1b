//! A Python callable as the handler of a dcclink job: a tool, a resource
//! reader, a prompt or a completer.

use dcclink_bridge::CallContext;
use dcclink_server::{JobHandler, JobOutput};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList, PyString, PyTuple};
use serde_json::{Map, Value};

use crate::content::{Content, Image, block_of};
use crate::context::Context;
use crate::convert::{dict_to_py, from_py, type_name};

/// Runs a Python `invoke(arguments: dict, ctx: Context)` callable, built by
/// the `dcclink` package around the user's function.
pub(crate) struct PyJob {
    invoke: Py<PyAny>,
}

impl PyJob {
    /// A handler that calls `invoke`.
    pub(crate) fn new(invoke: Py<PyAny>) -> Self {
        Self { invoke }
    }
}

impl JobHandler for PyJob {
    fn call(&self, arguments: Map<String, Value>, ctx: &CallContext) -> JobOutput {
        Python::attach(|py| {
            let called = dict_to_py(py, &arguments).and_then(|args| {
                let ctx = Py::new(py, Context::new(ctx.clone()))?;
                self.invoke.bind(py).call1((args, ctx))
            });
            match called {
                Ok(value) => output_of(&value),
                Err(error) => error_output(py, &error),
            }
        })
    }
}

/// Maps a tool's return value onto MCP content.
fn output_of(value: &Bound<'_, PyAny>) -> JobOutput {
    if value.is_none() {
        return JobOutput::Empty;
    }
    if let Ok(text) = value.cast::<PyString>() {
        return match text.to_cow() {
            Ok(text) => JobOutput::Text(text.into_owned()),
            Err(error) => error_output(value.py(), &error),
        };
    }
    if let Ok(image) = value.cast::<Image>() {
        let image = image.get();
        return JobOutput::Image {
            data: image.data.clone(),
            mime: image.mime.clone(),
        };
    }
    if let Ok(content) = value.cast::<Content>() {
        return JobOutput::Content(content.get().blocks());
    }
    if let Ok(Some(block)) = block_of(value) {
        return JobOutput::Content(vec![block]); // audio, or an embedded resource
    }
    let is_json_like = value.is_instance_of::<PyDict>()
        || value.is_instance_of::<PyList>()
        || value.is_instance_of::<PyTuple>()
        || value.extract::<f64>().is_ok();
    if !is_json_like {
        return JobOutput::Error {
            message: format!(
                "the tool returned a {}, which dcclink cannot send: return str, int, float, \
                 bool, list, dict, None, dcclink.Image, dcclink.Audio, \
                 dcclink.EmbeddedResource or dcclink.Content",
                type_name(value)
            ),
            traceback: None,
        };
    }
    match from_py(value) {
        Ok(Value::Object(map)) => JobOutput::Structured(Value::Object(map)),
        Ok(other) => JobOutput::Structured(serde_json::json!({ "result": other })),
        Err(error) => JobOutput::Error {
            message: format!("the tool's result is not JSON: {error}"),
            traceback: None,
        },
    }
}

/// The exception as `Type: message`, with its formatted traceback.
pub(crate) fn error_output(py: Python<'_>, error: &PyErr) -> JobOutput {
    let message = format!(
        "{}: {}",
        type_name(error.value(py).as_any()),
        error.value(py)
    );
    let traceback = py
        .import("traceback")
        .and_then(|tb| {
            tb.call_method1(
                "format_exception",
                (error.get_type(py), error.value(py), error.traceback(py)),
            )
        })
        .and_then(|lines| lines.extract::<Vec<String>>())
        .map(|lines| lines.concat())
        .ok();
    JobOutput::Error { message, traceback }
}
