//! `_native.Worker` and `_native.WorkerCall`: the links `dcclink.workers`
//! keeps to its workers, over the server crate's MCP client. Every wait
//! here releases the GIL, so a pool's threads wait side by side.

use dcclink_server::workers::{
    CallEvent, CallFailure, Endpoint, Worker as Link, WorkerCall as Call,
};
use pyo3::exceptions::{PyRuntimeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList};

use crate::convert::{from_py, to_py};
use crate::seconds::seconds;

/// A link to one worker, a headless dcclink serving MCP. Used by one
/// thread at a time (the pool's thread for that worker).
#[pyclass(module = "dcclink")]
pub struct Worker {
    link: Option<Link>,
}

impl Worker {
    fn link(&self) -> PyResult<&Link> {
        self.link
            .as_ref()
            .ok_or_else(|| PyRuntimeError::new_err("this worker link is closed"))
    }

    fn open(py: Python<'_>, endpoint: Endpoint, start_timeout: f64) -> PyResult<Self> {
        let within = seconds(start_timeout, "start_timeout")?;
        let link = py
            .detach(|| Link::start(endpoint, within))
            .map_err(|error| PyRuntimeError::new_err(error.to_string()))?;
        Ok(Self { link: Some(link) })
    }
}

#[pymethods]
impl Worker {
    /// Starts `command` (a program and its arguments that serves MCP on
    /// stdio) and opens a session with it; raises `RuntimeError` with what
    /// it said on stderr when it does not start.
    #[staticmethod]
    #[pyo3(signature = (command, env = None, cwd = None, start_timeout = 60.0))]
    fn spawn(
        py: Python<'_>,
        command: Vec<String>,
        env: Option<Vec<(String, String)>>,
        cwd: Option<std::path::PathBuf>,
        start_timeout: f64,
    ) -> PyResult<Self> {
        let env = env.unwrap_or_default();
        Self::open(py, Endpoint::Process { command, env, cwd }, start_timeout)
    }

    /// Opens a session with a worker serving Streamable HTTP at `url`.
    #[staticmethod]
    #[pyo3(signature = (url, token, fingerprint = None, start_timeout = 60.0))]
    fn connect(
        py: Python<'_>,
        url: String,
        token: String,
        fingerprint: Option<&str>,
        start_timeout: f64,
    ) -> PyResult<Self> {
        let fingerprint = fingerprint.map(str::parse).transpose().map_err(
            |error: dcclink_server::tls::FingerprintError| PyValueError::new_err(error.to_string()),
        )?;
        let endpoint = Endpoint::Http {
            url,
            token,
            fingerprint,
        };
        Self::open(py, endpoint, start_timeout)
    }

    /// The worker's process id, when this link started it.
    #[getter]
    fn pid(&self) -> PyResult<Option<u32>> {
        Ok(self.link()?.pid())
    }

    /// Its tools as `tools/list` gave them (MCP's JSON shape).
    #[getter]
    fn tools<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        let list = PyList::empty(py);
        for tool in self.link()?.tools() {
            let json = serde_json::to_value(tool)
                .map_err(|error| PyRuntimeError::new_err(error.to_string()))?;
            list.append(to_py(py, &json)?)?;
        }
        Ok(list)
    }

    /// False once its process has exited or its session has closed.
    fn alive(&mut self) -> bool {
        self.link.as_mut().is_some_and(Link::is_alive)
    }

    /// Calls `tool` with `arguments` and returns at once; `timeout` bounds
    /// the wait for its answer.
    fn call(
        &self,
        tool: &str,
        arguments: &Bound<'_, PyDict>,
        timeout: f64,
    ) -> PyResult<WorkerCall> {
        let within = seconds(timeout, "timeout")?;
        let serde_json::Value::Object(arguments) = from_py(arguments.as_any())? else {
            return Err(PyValueError::new_err("arguments must be a dict"));
        };
        let call = self
            .link()?
            .call(tool, arguments, within)
            .map_err(|error| PyRuntimeError::new_err(error.to_string()))?;
        Ok(WorkerCall { call })
    }

    /// The last lines the worker process wrote on stderr, once it has
    /// exited (waiting at most `timeout` for them).
    #[pyo3(signature = (timeout = 2.0))]
    fn last_words(&self, py: Python<'_>, timeout: f64) -> PyResult<String> {
        let within = seconds(timeout, "timeout")?;
        let link = self.link()?;
        Ok(py.detach(|| link.last_words(within)))
    }

    /// Kills the worker process at once.
    fn kill(&mut self) {
        if let Some(link) = self.link.as_mut() {
            link.kill();
        }
    }

    /// Ends the session; a worker process still running `timeout` seconds
    /// later is killed. Does nothing when already closed.
    #[pyo3(signature = (timeout = 5.0))]
    fn close(&mut self, py: Python<'_>, timeout: f64) -> PyResult<()> {
        let within = seconds(timeout, "timeout")?;
        if let Some(link) = self.link.take() {
            py.detach(|| link.close(within));
        }
        Ok(())
    }
}

/// A call in flight on a worker. `next` gives its events in order: any
/// number of `("progress", (progress, total, message))`, then one of
/// `("result", CallToolResult dict)`, `("refused", why)` (the tool did not
/// run), `("lost", why)` (the link broke: it may have run) or
/// `("cancelled", None)`.
#[pyclass(module = "dcclink", frozen)]
pub struct WorkerCall {
    call: Call,
}

#[pymethods]
impl WorkerCall {
    /// The next event, waiting at most `timeout` seconds; `None` when none
    /// came.
    fn next<'py>(
        &self,
        py: Python<'py>,
        timeout: f64,
    ) -> PyResult<Option<(&'static str, Bound<'py, PyAny>)>> {
        let within = seconds(timeout, "timeout")?;
        let Some(event) = py.detach(|| self.call.next(within)) else {
            return Ok(None);
        };
        let event = match event {
            CallEvent::Progress {
                progress,
                total,
                message,
            } => (
                "progress",
                (progress, total, message).into_pyobject(py)?.into_any(),
            ),
            CallEvent::Ended(Ok(result)) => ("result", to_py(py, &result)?),
            CallEvent::Ended(Err(CallFailure::Refused(why))) => {
                ("refused", why.into_pyobject(py)?.into_any())
            }
            CallEvent::Ended(Err(CallFailure::Lost(why))) => {
                ("lost", why.into_pyobject(py)?.into_any())
            }
            CallEvent::Ended(Err(CallFailure::Cancelled)) => {
                ("cancelled", py.None().into_bound(py))
            }
        };
        Ok(Some(event))
    }

    /// Cancels the call: the worker's tool sees `ctx.cancelled`.
    fn cancel(&self) {
        self.call.cancel();
    }
}
