//! `_native.Host`: one dcclink instance inside a Python process — the
//! bridge, its pump, the tool registry and the running server.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use dcclink_bridge::lock_order::{LockLevel, OrderedMutex};
use dcclink_bridge::{Bridge, BridgeConfig, EventKind, Message, Pump, RunsOn};
use dcclink_server::HostInfo;
use dcclink_server::tls::CertificateFiles;
use dcclink_server::{
    ArgumentSpec, ClientLimits, PromptSpec, ResourceSpec, ServerConfig, ServerHandle, Shared,
    TaskSupport, ToolHints, ToolSpec,
};
use pyo3::exceptions::{PyOSError, PyRuntimeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyTuple};
use serde_json::Value;

use crate::callback::PyCallback;
use crate::convert::{from_py, to_py};
use crate::job::PyJob;
use crate::main_thread::{self, MainThreadCall};
use crate::seconds::seconds;

/// Where clients reach a server `Host.start` started.
#[pyclass(module = "dcclink._native", frozen, get_all)]
pub(crate) struct Serving {
    /// The loopback MCP endpoint, without HTTP `None`.
    url: Option<String>,
    /// The bearer token HTTP clients send.
    token: String,
    /// The panel's link, with the token for the first load.
    panel: Option<String>,
    /// The id in the instance registry.
    instance: Option<String>,
    /// The TLS endpoint other machines reach, when `http` is not loopback.
    remote_url: Option<String>,
    /// The SHA-256 fingerprint (hex) of the certificate at `remote_url`.
    fingerprint: Option<String>,
}

impl Serving {
    fn of(handle: &ServerHandle) -> Self {
        let remote = handle.remote();
        Self {
            url: handle.url().map(str::to_owned),
            token: handle.token().to_owned(),
            panel: handle.panel_url(),
            instance: handle.instance_id().map(str::to_owned),
            remote_url: remote.map(|remote| remote.url.clone()),
            fingerprint: remote.map(|remote| remote.fingerprint.to_string()),
        }
    }
}

/// One dcclink instance. The `dcclink` package keeps one per process.
#[pyclass(module = "dcclink._native", frozen)]
pub struct Host {
    shared: Arc<Shared>,
    pump: Pump,
    server: OrderedMutex<Option<ServerHandle>>,
    starting: AtomicBool,
}

#[pymethods]
impl Host {
    #[new]
    #[pyo3(signature = (*, queue_capacity = 1024, queue_timeout = 60.0, timeout = 60.0))]
    fn new(queue_capacity: usize, queue_timeout: f64, timeout: f64) -> PyResult<Self> {
        if queue_capacity == 0 {
            return Err(PyValueError::new_err("queue_capacity must be at least 1"));
        }
        let bridge = Bridge::new(BridgeConfig {
            queue_capacity,
            queue_timeout: seconds(queue_timeout, "queue_timeout")?,
            ..BridgeConfig::default()
        });
        let shared = Arc::new(Shared::new(bridge.clone(), seconds(timeout, "timeout")?));
        Ok(Self {
            shared,
            pump: Pump::new(bridge),
            server: OrderedMutex::new(LockLevel::Host, None),
            starting: AtomicBool::new(false),
        })
    }

    /// Registers (or replaces) a tool. `invoke(arguments, ctx)` runs it;
    /// `output_schema` describes its structured results, `hints` holds
    /// MCP's `read_only`, `destructive`, `idempotent` and `open_world`,
    /// `task` whether it may run as an MCP task, and `main_thread` whether
    /// its calls run on the main thread (else on a thread of their own).
    #[pyo3(signature = (name, description, schema, invoke, timeout = None, title = None, output_schema = None, hints = None, task = "forbidden", main_thread = true))]
    #[allow(clippy::too_many_arguments)] // Python keyword arguments
    fn register_tool(
        &self,
        name: String,
        description: String,
        schema: &Bound<'_, PyDict>,
        invoke: Py<PyAny>,
        timeout: Option<f64>,
        title: Option<String>,
        output_schema: Option<&Bound<'_, PyDict>>,
        hints: Option<HashMap<String, bool>>,
        task: &str,
        main_thread: bool,
    ) -> PyResult<()> {
        let task = TaskSupport::parse(task).ok_or_else(|| {
            PyValueError::new_err(format!(
                "task={task:?} is not one of forbidden, optional, required"
            ))
        })?;
        let object = |schema: &Bound<'_, PyDict>, what: &str| match from_py(schema.as_any())? {
            Value::Object(map) => Ok(map),
            _ => Err(PyValueError::new_err(format!(
                "a tool's {what} must be a dict"
            ))),
        };
        let input_schema = object(schema, "schema")?;
        let output_schema = output_schema
            .map(|s| object(s, "output schema"))
            .transpose()?;
        let hints = hints.unwrap_or_default();
        let hint = |name: &str| hints.get(name).copied();
        let spec = ToolSpec {
            name,
            title,
            description,
            input_schema,
            output_schema,
            hints: ToolHints {
                read_only: hint("read_only"),
                destructive: hint("destructive"),
                idempotent: hint("idempotent"),
                open_world: hint("open_world"),
            },
            timeout: timeout.map(|t| seconds(t, "timeout")).transpose()?,
            task,
            runs_on: if main_thread {
                RunsOn::MainThread
            } else {
                RunsOn::OwnThread
            },
        };
        self.shared
            .tools
            .register(spec, Arc::new(PyJob::new(invoke)))
            .map_err(|e| PyValueError::new_err(e.to_string()))
    }

    /// Removes the tool called `name`; false if there was none. Clients are
    /// told the list changed.
    fn unregister_tool(&self, name: &str) -> bool {
        self.shared.tools.remove(name)
    }

    /// Says the contents at `uri` changed: clients subscribed to it are told.
    fn resource_updated(&self, uri: &str) {
        self.shared.resources.updated(uri);
    }

    /// Removes the resource registered at `uri`; false if there was none.
    fn unregister_resource(&self, uri: &str) -> bool {
        self.shared.unregister_resource(uri)
    }

    /// Registers (or replaces) a prompt. `arguments` are `(name,
    /// description, required)`; `invoke(arguments, ctx)` fills it in.
    #[pyo3(signature = (name, description, arguments, invoke, timeout = None))]
    fn register_prompt(
        &self,
        name: String,
        description: String,
        arguments: Vec<(String, Option<String>, bool)>,
        invoke: Py<PyAny>,
        timeout: Option<f64>,
    ) -> PyResult<()> {
        let timeout = timeout.map(|t| seconds(t, "timeout")).transpose()?;
        let arguments = arguments
            .into_iter()
            .map(|(name, description, required)| ArgumentSpec {
                name,
                description,
                required,
            })
            .collect();
        let spec = PromptSpec {
            name,
            description,
            arguments,
            timeout,
        };
        self.shared
            .prompts
            .register(spec, Arc::new(PyJob::new(invoke)))
            .map_err(|e| PyValueError::new_err(e.to_string()))
    }

    /// Removes the prompt called `name`; false if there was none.
    fn unregister_prompt(&self, name: &str) -> bool {
        self.shared.unregister_prompt(name)
    }

    /// Registers the completer of a prompt's argument (`kind` "prompt") or
    /// a resource template's variable (`kind` "resource"):
    /// `invoke({"value", "context"}, ctx)` returns the suggestions.
    fn register_completer(
        &self,
        kind: &str,
        name: String,
        argument: String,
        invoke: Py<PyAny>,
    ) -> PyResult<()> {
        self.shared
            .register_completer(kind, name, argument, Arc::new(PyJob::new(invoke)))
            .map_err(PyValueError::new_err)
    }

    /// Registers (or replaces) a resource at a URI or URI template.
    /// `invoke(variables, ctx)` reads it, given the template's variables.
    #[pyo3(signature = (uri, name, description, invoke, mime_type = None, timeout = None))]
    fn register_resource(
        &self,
        uri: String,
        name: String,
        description: String,
        invoke: Py<PyAny>,
        mime_type: Option<String>,
        timeout: Option<f64>,
    ) -> PyResult<()> {
        let timeout = timeout.map(|t| seconds(t, "timeout")).transpose()?;
        let spec = ResourceSpec {
            uri,
            name,
            description,
            mime_type,
            timeout,
        };
        self.shared
            .resources
            .register(spec, Arc::new(PyJob::new(invoke)))
            .map_err(|e| PyValueError::new_err(e.to_string()))
    }

    /// Registers (or replaces) a panel callback: `window.dcclink.call(name,
    /// args)` in the panel's page runs `function` on the main thread.
    fn register_callback(&self, name: String, function: Py<PyAny>) {
        self.shared
            .callbacks
            .register(name, Arc::new(PyCallback::new(function)));
    }

    /// Publishes an application event for the panel (`dcclink.panel.emit`).
    #[pyo3(signature = (event, data = None))]
    fn emit(&self, event: String, data: Option<&Bound<'_, PyAny>>) -> PyResult<()> {
        let data = match data {
            Some(data) => from_py(data)?,
            None => Value::Null,
        };
        self.shared.bridge.events().publish(EventKind::Emit {
            call: None,
            name: event,
            data,
        });
        Ok(())
    }

    /// Shows a worker pool's state in the panel (`status` as
    /// `Pool.status()` gives it; `None` once the pool has closed).
    #[pyo3(signature = (pool, status = None))]
    fn publish_pool(&self, pool: String, status: Option<&Bound<'_, PyAny>>) -> PyResult<()> {
        let status = status.map(from_py).transpose()?.unwrap_or(Value::Null);
        self.shared
            .bridge
            .events()
            .publish(EventKind::Pool { pool, status });
        Ok(())
    }

    /// Starts serving MCP; says where clients reach it (the URLs and the id
    /// are `None` without HTTP). With HTTP the server is listed in the
    /// instance registry as `dcc` (`None` keeps it out: a pool's worker is
    /// no DCC for an IDE to find). An `http` address other than loopback
    /// needs `token` and is served over TLS (`tls_cert` and `tls_key`, or
    /// a self-signed certificate), answering to its address and
    /// `allow_hosts`; with `remote_panel` it serves the panel there too.
    #[pyo3(signature = (*, stdio = false, http = None, token = None, allow_hosts = Vec::new(), tls_cert = None, tls_key = None, remote_panel = false, max_request_bytes = 8 * 1024 * 1024, max_sessions = 16, max_in_flight = 64, max_calls_per_client = 64, handle_signals = false, dcc = Some("python".to_owned()), dcc_version = None, scene = None))]
    #[allow(clippy::too_many_arguments)] // Python keyword arguments
    fn start(
        &self,
        py: Python<'_>,
        stdio: bool,
        http: Option<&str>,
        token: Option<String>,
        allow_hosts: Vec<String>,
        tls_cert: Option<PathBuf>,
        tls_key: Option<PathBuf>,
        remote_panel: bool,
        max_request_bytes: usize,
        max_sessions: usize,
        max_in_flight: usize,
        max_calls_per_client: usize,
        handle_signals: bool,
        dcc: Option<String>,
        dcc_version: Option<String>,
        scene: Option<String>,
    ) -> PyResult<Serving> {
        let http = http
            .map(|addr| {
                addr.parse::<SocketAddr>().map_err(|e| {
                    PyValueError::new_err(format!(
                        "http must be HOST:PORT like 127.0.0.1:8765, not {addr:?} ({e})"
                    ))
                })
            })
            .transpose()?;
        for (name, value) in [
            ("max_sessions", max_sessions),
            ("max_in_flight", max_in_flight),
            ("max_calls_per_client", max_calls_per_client),
        ] {
            if value == 0 {
                return Err(PyValueError::new_err(format!("{name} must be at least 1")));
            }
        }
        let certificate = match (tls_cert, tls_key) {
            (Some(cert), Some(key)) => Some(CertificateFiles { cert, key }),
            (None, None) => None,
            _ => {
                return Err(PyValueError::new_err(
                    "tls_cert and tls_key go together: the certificate and its private key",
                ));
            }
        };
        let config = ServerConfig {
            stdio,
            http,
            allowed_hosts: allow_hosts,
            certificate,
            remote_panel,
            token,
            max_request_bytes,
            client_limits: ClientLimits {
                max_sessions,
                max_in_flight,
                max_calls_per_client,
                ..ClientLimits::default()
            },
            handle_signals,
            register: dcc.map(|dcc| HostInfo {
                dcc,
                dcc_version,
                scene,
            }),
            ..ServerConfig::default()
        };
        // Claimed with an atomic, not by holding the slot's lock: starting
        // waits (bounded) for the server thread, and stop() from another
        // thread must not wait behind it.
        if self.server.lock().is_some() || self.starting.swap(true, Ordering::AcqRel) {
            return Err(PyRuntimeError::new_err(
                "dcclink is already serving; call dcclink.stop() first",
            ));
        }
        let shared = self.shared.clone();
        let started = py.detach(|| ServerHandle::start(config, shared));
        let answer = started.map(|handle| {
            let answer = Serving::of(&handle);
            *self.server.lock() = Some(handle);
            answer
        });
        self.starting.store(false, Ordering::Release);
        answer.map_err(|e| PyRuntimeError::new_err(e.to_string()))
    }

    /// Records the scene or file now open in the host, for `dcclink list`.
    #[pyo3(signature = (scene))]
    fn set_scene(&self, scene: Option<String>) -> PyResult<()> {
        match self.server.lock().as_mut() {
            Some(handle) => handle
                .set_scene(scene)
                .map_err(|e| PyRuntimeError::new_err(e.to_string())),
            None => Ok(()),
        }
    }

    /// A file descriptor that is readable while calls wait: a host's event
    /// loop watches it (Qt's `QSocketNotifier`) and calls `pump()` when it
    /// is. Readable again after a pump that left work for later.
    fn wake_fd(&self) -> PyResult<dcclink_bridge::WakeHandle> {
        self.shared
            .bridge
            .wake_fd()
            .map_err(|e| PyOSError::new_err(format!("cannot make the wake descriptor: {e}")))
    }

    /// Opens the panel window on this instance's panel page, or focuses it.
    /// `mode` is "thread" (a UI thread of its own), "host" (this thread,
    /// driven by `pump`) or "auto".
    #[pyo3(signature = (mode = "auto"))]
    fn open_panel(&self, py: Python<'_>, mode: &str) -> PyResult<()> {
        let url = self
            .server
            .lock()
            .as_ref()
            .and_then(ServerHandle::panel_url);
        let url = url.ok_or_else(|| {
            PyRuntimeError::new_err(
                "the panel needs dcclink's HTTP server: start it with dcclink.start() or --http",
            )
        })?;
        let bridge = self.shared.bridge.clone();
        py.detach(|| crate::panel_plugin::open(&url, mode, Some(bridge)))
    }

    /// Runs tool calls on this thread as they arrive, until the server shuts
    /// down (a signal, stdin closing, or `stop()` from another thread).
    fn serve_forever(&self, py: Python<'_>) {
        py.detach(|| self.pump.run());
    }

    /// Runs queued work for at most `budget_ms` and returns how many
    /// messages ran, then serves a host-pumped panel's window. Called from
    /// the host's timer or idle callback, or from inside a tool (then it
    /// never starts another tool).
    #[pyo3(signature = (budget_ms = 10.0))]
    fn pump(&self, py: Python<'_>, budget_ms: f64) -> PyResult<usize> {
        let budget = seconds(budget_ms / 1000.0, "budget_ms")?;
        Ok(py.detach(|| {
            let ran = self.pump.pump(budget);
            crate::panel_plugin::serve(budget);
            ran
        }))
    }

    /// Posts `func(*args, **kwargs)` to the main thread through the FIFO.
    #[pyo3(signature = (func, args, kwargs = None))]
    fn post(
        &self,
        func: Bound<'_, PyAny>,
        args: Bound<'_, PyTuple>,
        kwargs: Option<Bound<'_, PyDict>>,
    ) -> PyResult<MainThreadCall> {
        let name = func
            .getattr("__qualname__")
            .and_then(|n| n.extract::<String>())
            .unwrap_or_else(|_| "the callable".to_owned());
        let (task, call) = main_thread::post(
            func.unbind(),
            args.unbind(),
            kwargs.map(Bound::unbind),
            name,
        );
        self.shared
            .bridge
            .submit(Message::MainThreadTask(task))
            .map_err(|e| PyRuntimeError::new_err(e.to_string()))?;
        Ok(call)
    }

    /// Stops the server (if serving) and the bridge: queued calls are
    /// answered "shutting down" and the running one gets `timeout` seconds.
    #[pyo3(signature = (timeout = 5.0))]
    fn stop(&self, py: Python<'_>, timeout: f64) -> PyResult<()> {
        let bound = seconds(timeout, "timeout")?;
        let handle = self.server.lock().take();
        py.detach(|| match handle {
            Some(mut handle) => handle.shutdown(bound),
            None => {
                self.shared.bridge.shutdown();
            }
        });
        Ok(())
    }

    /// The lifecycle state: Creating, Active, CloseRequested, Destroying or
    /// Destroyed.
    #[getter]
    fn state(&self) -> String {
        self.shared.bridge.state().to_string()
    }

    /// Counters: calls submitted, done, failed, cancelled, timed out, the
    /// queue depth and how long ago the main thread last pumped.
    fn stats<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let stats = serde_json::to_value(self.shared.bridge.stats())
            .map_err(|e| PyRuntimeError::new_err(e.to_string()))?;
        to_py(py, &stats)
    }

    /// The MCP tasks this host keeps, oldest first.
    fn tasks<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let tasks = serde_json::to_value(self.shared.tasks.summaries())
            .map_err(|e| PyRuntimeError::new_err(e.to_string()))?;
        to_py(py, &tasks)
    }
}
