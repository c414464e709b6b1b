//! dcclink as a client of other dcclinks: the link a worker pool keeps to
//! each of its workers, headless DCC processes that serve MCP.
//!
//! A worker is the same product on the other side (its own FIFO, main
//! thread, progress, cancellation and errors), so the pool speaks MCP to it
//! with rmcp's client: over the worker's stdin and stdout when the pool
//! started it here ([`Endpoint::Process`]), or over Streamable HTTP when it
//! runs elsewhere, such as on a Ray node ([`Endpoint::Http`]). The pool
//! itself, which hands items to free workers and replaces dead ones, is
//! the Python package's `dcclink.workers`; this module gives it a blocking
//! API that never holds the GIL while it waits.
//!
//! [`worker`] opens and closes one link ([`endpoint`] says where to, the
//! [`listener`] takes what the worker says outside answers); [`call`] is
//! one call on it, as a stream of progress ending in the result.

mod call;
mod endpoint;
mod error;
mod listener;
mod worker;

use std::sync::OnceLock;

pub use call::{CallEvent, CallFailure, WorkerCall};
pub use endpoint::Endpoint;
pub use error::WorkerError;
pub use worker::Worker;

/// The runtime every worker link of this process runs on: one thread, as
/// a link only moves messages between a pipe or socket and its callers.
fn runtime() -> Result<&'static tokio::runtime::Runtime, WorkerError> {
    static RUNTIME: OnceLock<std::io::Result<tokio::runtime::Runtime>> = OnceLock::new();
    let built = RUNTIME.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("dcclink-workers")
            .enable_all()
            .build()
    });
    built
        .as_ref()
        .map_err(|error| WorkerError::Runtime(error.to_string()))
}
