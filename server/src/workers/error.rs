//! Why a link to a worker could not be opened or used.

use std::time::Duration;

/// Why a link to a worker could not be opened or used.
#[derive(Debug, thiserror::Error)]
pub enum WorkerError {
    /// The links' runtime could not start.
    #[error("cannot start dcclink's worker runtime: {0}")]
    Runtime(String),
    /// The endpoint names no program.
    #[error("the worker's command is empty: name the program to start")]
    NoCommand,
    /// The program could not be started.
    #[error("cannot start the worker {worker}: {why}")]
    Spawn {
        /// The worker, as its endpoint names it.
        worker: String,
        /// Why.
        why: String,
    },
    /// It started but did not become a working MCP server.
    #[error("the worker {worker} did not start: {why}")]
    NotStarted {
        /// The worker, as its endpoint names it.
        worker: String,
        /// Why, with what it said on stderr.
        why: String,
    },
    /// It did not initialize within the bound.
    #[error(
        "the worker {worker} did not start within {within:?}; give it longer (start_timeout) \
         if the DCC is slow to load"
    )]
    TooSlow {
        /// The worker, as its endpoint names it.
        worker: String,
        /// The bound.
        within: Duration,
    },
}
