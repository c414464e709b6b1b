//! `dcclink.Context`: what a running tool sees of its call.

use dcclink_bridge::{CallContext, ClientRequestError, FormReply, LogLevel, QuestionError};
use pyo3::exceptions::{PyRuntimeError, PyTimeoutError, PyValueError};
use pyo3::prelude::*;

use crate::convert::{from_py, to_py};
use crate::seconds::seconds;

/// The context of one running tool call. Declare a parameter of this type
/// and dcclink passes it in; it never appears in the tool's schema.
///
/// `confirm`, `ask`, `sample` and `roots` wait for an answer, bounded and
/// with the GIL released; every other method returns at once. All are safe
/// to call from inside the tool.
#[pyclass(module = "dcclink", name = "Context", frozen)]
pub struct Context {
    inner: CallContext,
}

impl Context {
    /// Wraps the bridge's call context.
    pub fn new(inner: CallContext) -> Self {
        Self { inner }
    }

    /// Sends a request to the call's client, waiting without the GIL.
    fn client_request(
        &self,
        py: Python<'_>,
        method: &str,
        params: serde_json::Value,
        timeout: f64,
    ) -> PyResult<serde_json::Value> {
        let bound = seconds(timeout, "timeout")?;
        py.detach(|| self.inner.ask_client(method, params, bound))
            .map_err(|error| client_error(py, error))
    }
}

/// The Python exception for a client request that got no answer.
fn client_error(py: Python<'_>, error: ClientRequestError) -> PyErr {
    match error {
        ClientRequestError::TimedOut(_) => PyTimeoutError::new_err(error.to_string()),
        ClientRequestError::Cancelled => cancelled(py),
        _ => PyRuntimeError::new_err(error.to_string()),
    }
}

/// The Python exception for a question the panel did not answer.
fn question_error(py: Python<'_>, error: QuestionError) -> PyErr {
    match error {
        QuestionError::TimedOut(_) => PyTimeoutError::new_err(error.to_string()),
        QuestionError::Cancelled => cancelled(py),
        QuestionError::NoPanel => PyRuntimeError::new_err(error.to_string()),
    }
}

/// `dcclink.Cancelled`, for a wait the call's cancellation ended.
fn cancelled(py: Python<'_>) -> PyErr {
    let message = "the call was cancelled while it waited for an answer";
    let made = py
        .import("dcclink")
        .and_then(|dcclink| dcclink.getattr("Cancelled"))
        .and_then(|cancelled| cancelled.call1((message,)));
    match made {
        Ok(error) => PyErr::from_value(error),
        Err(error) => error,
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

    /// The id of the MCP task the call runs as; `None` for a plain call.
    #[getter]
    fn task_id(&self) -> Option<String> {
        self.inner.call().info().task.clone()
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
        let bound = seconds(timeout, "timeout")?;
        py.detach(|| self.inner.confirm(question, &detail, bound))
            .map_err(|error| question_error(py, error))
    }

    /// Asks the user for values: `message`, and a form described by
    /// `schema`, a JSON Schema object of plain fields (strings, numbers,
    /// booleans, enums). The client asks (MCP elicitation); when it cannot,
    /// the dcclink panel shows the form instead. Returns the answer,
    /// `{"action": "accept" | "decline" | "cancel", "content": {...}}`; an
    /// accepted answer has been checked against `schema`.
    /// Raises `RuntimeError` when neither the client nor an open panel can
    /// ask, `ValueError` when the client's answer does not fit the form,
    /// `TimeoutError` after `timeout` seconds, and `dcclink.Cancelled` when
    /// the call is cancelled meanwhile.
    #[pyo3(signature = (message, schema = None, timeout = 300.0))]
    fn ask<'py>(
        &self,
        py: Python<'py>,
        message: String,
        schema: Option<&Bound<'py, PyAny>>,
        timeout: f64,
    ) -> PyResult<Bound<'py, PyAny>> {
        let bound = seconds(timeout, "timeout")?;
        let schema = match schema {
            Some(schema) => from_py(schema)?,
            None => serde_json::json!({"type": "object", "properties": {}}),
        };
        let params = serde_json::json!({
            "mode": "form",
            "message": message,
            "requestedSchema": schema.clone(),
        });
        let asked =
            py.detach(
                || match self.inner.ask_client("elicitation/create", params, bound) {
                    Err(ClientRequestError::Unsupported(why)) => {
                        Err((why, self.inner.fill_in(&message, schema.clone(), bound)))
                    }
                    by_client => Ok(by_client),
                },
            );
        let answer = match asked {
            Ok(by_client) => {
                let answer = by_client.map_err(|error| client_error(py, error))?;
                check_client_form(&schema, &answer)?;
                answer
            }
            Err((why, Err(QuestionError::NoPanel))) => {
                return Err(PyRuntimeError::new_err(format!(
                    "{why}, and no dcclink panel is open to ask in instead: open the panel \
                     (dcclink.open_panel(), or your DCC's dcclink button), then try again"
                )));
            }
            Err((_, by_panel)) => {
                let reply = by_panel.map_err(|error| question_error(py, error))?;
                serde_json::to_value(reply)
                    .map_err(|error| PyRuntimeError::new_err(error.to_string()))?
            }
        };
        to_py(py, &answer)
    }

    /// Asks the client's model (MCP sampling) to answer `prompt`, in at
    /// most `max_tokens`; returns its text. Raises as `ask` does.
    #[pyo3(signature = (prompt, max_tokens = 1000, system = None, timeout = 300.0))]
    fn sample(
        &self,
        py: Python<'_>,
        prompt: String,
        max_tokens: u32,
        system: Option<String>,
        timeout: f64,
    ) -> PyResult<String> {
        let mut params = serde_json::json!({
            "messages": [{"role": "user", "content": {"type": "text", "text": prompt}}],
            "maxTokens": max_tokens,
        });
        if let Some(system) = system {
            params["systemPrompt"] = serde_json::Value::String(system);
        }
        let answer = self.client_request(py, "sampling/createMessage", params, timeout)?;
        let content = &answer["content"];
        let text = content["text"]
            .as_str()
            .or_else(|| content[0]["text"].as_str())
            .map(str::to_owned);
        Ok(text.unwrap_or_else(|| content.to_string()))
    }

    /// The client's workspace folders (MCP roots), as a list of
    /// `{"uri": "file:///…", "name": …}`: where the user's project lives,
    /// say to save an export beside it. Raises as `ask` does; a client
    /// without roots raises `RuntimeError`.
    #[pyo3(signature = (timeout = 30.0))]
    fn roots<'py>(&self, py: Python<'py>, timeout: f64) -> PyResult<Bound<'py, PyAny>> {
        let answer = self.client_request(py, "roots/list", serde_json::json!({}), timeout)?;
        to_py(py, &answer["roots"])
    }

    fn __repr__(&self) -> String {
        let info = self.inner.call().info();
        format!("<dcclink.Context call {} of {:?}>", info.id, info.tool)
    }
}

/// Refuses a client's form answer that does not fit the form, as the panel
/// refuses one (the panel's user can correct it; here the tool is told).
fn check_client_form(schema: &serde_json::Value, answer: &serde_json::Value) -> PyResult<()> {
    let reply = serde_json::from_value::<FormReply>(answer.clone()).map_err(|error| {
        PyValueError::new_err(format!(
            "the client's answer is not an elicitation result: {error}"
        ))
    })?;
    match dcclink_server::forms::misfit(schema, &reply) {
        None => Ok(()),
        Some(problem) => Err(PyValueError::new_err(format!(
            "the client's answer does not fit the form: {problem}"
        ))),
    }
}
