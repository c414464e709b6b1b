//! Posting Python callables to the host's main thread, through the same FIFO
//! as tool calls (RFC 0002's `dcc_thread_safe`, with a bound on every wait).

use std::sync::Arc;
use std::sync::atomic::{AtomicU8, Ordering};

use crossbeam_channel::{Receiver, RecvTimeoutError, Sender};
use dcclink_bridge::{MainThreadTask, TaskFate};
use pyo3::exceptions::{PyRuntimeError, PyTimeoutError};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyTuple};

const PENDING: u8 = 0;
const RUNNING: u8 = 1;
const ABANDONED: u8 = 2;

enum Reply {
    Returned(Py<PyAny>),
    Raised(PyErr),
    Refused,
}

/// A callable posted to the main thread; `wait` for its result.
#[pyclass(module = "dcclink", frozen)]
pub struct MainThreadCall {
    state: Arc<AtomicU8>,
    reply: Receiver<Reply>,
    name: String,
}

/// Builds the FIFO task that runs `func(*args, **kwargs)` on the main thread,
/// and the handle that waits for it. A task refused at shutdown never touches
/// Python: the thread that drains the queue must not wait on the GIL.
pub(crate) fn post(
    func: Py<PyAny>,
    args: Py<PyTuple>,
    kwargs: Option<Py<PyDict>>,
    name: String,
) -> (MainThreadTask, MainThreadCall) {
    let state = Arc::new(AtomicU8::new(PENDING));
    let (tx, rx) = crossbeam_channel::bounded(1);
    let task_state = state.clone();
    let task: MainThreadTask =
        Box::new(move |fate| run(fate, &task_state, &tx, func, args, kwargs));
    (
        task,
        MainThreadCall {
            state,
            reply: rx,
            name,
        },
    )
}

fn run(
    fate: TaskFate,
    state: &AtomicU8,
    reply: &Sender<Reply>,
    func: Py<PyAny>,
    args: Py<PyTuple>,
    kwargs: Option<Py<PyDict>>,
) {
    if fate == TaskFate::Refused {
        let _ = reply.send(Reply::Refused);
        return;
    }
    if state
        .compare_exchange(PENDING, RUNNING, Ordering::AcqRel, Ordering::Acquire)
        .is_err()
    {
        return; // the waiter gave up; never run late
    }
    Python::attach(|py| {
        let result = func
            .bind(py)
            .call(args.bind(py), kwargs.as_ref().map(|k| k.bind(py)));
        let outcome = match result {
            Ok(value) => Reply::Returned(value.unbind()),
            Err(error) => Reply::Raised(error),
        };
        if let Err(crossbeam_channel::SendError(Reply::Raised(error))) = reply.send(outcome) {
            error.write_unraisable(py, None);
        }
    });
}

#[pymethods]
impl MainThreadCall {
    /// Waits up to `timeout` seconds for the result. Raises `TimeoutError`
    /// when the main thread does not answer in time (the call is then
    /// withdrawn if it has not started), the callable's own exception when
    /// it raised, and `RuntimeError` when dcclink is shutting down.
    #[pyo3(signature = (timeout = 30.0))]
    fn wait(&self, py: Python<'_>, timeout: f64) -> PyResult<Py<PyAny>> {
        let bound = crate::seconds::seconds(timeout, "timeout")?;
        match py.detach(|| self.reply.recv_timeout(bound)) {
            Ok(Reply::Returned(value)) => Ok(value),
            Ok(Reply::Raised(error)) => Err(error),
            Ok(Reply::Refused) | Err(RecvTimeoutError::Disconnected) => {
                Err(PyRuntimeError::new_err(format!(
                    "{} was not run: dcclink is shutting down",
                    self.name
                )))
            }
            Err(RecvTimeoutError::Timeout) => {
                let withdrawn = self
                    .state
                    .compare_exchange(PENDING, ABANDONED, Ordering::AcqRel, Ordering::Acquire)
                    .is_ok();
                let what = if withdrawn {
                    "it was withdrawn and will not run"
                } else {
                    "it is still running"
                };
                Err(PyTimeoutError::new_err(format!(
                    "the DCC's main thread did not run {} within {timeout} s ({what}); is the host pumping dcclink (dcclink.serve(), or dcclink.pump() from a timer)?",
                    self.name
                )))
            }
        }
    }
}
