//! # dcclink-server
//!
//! The MCP side of dcclink: one rmcp session per client ([`DccServer`]) over
//! run-time registries of tools, resources, prompts and completers, served
//! on stdio and on Streamable HTTP, plus the `dcclink` command line and the
//! relay it starts for IDEs (`dcclink connect`).
//!
//! A request never runs here: its job is queued on the
//! [`Bridge`](dcclink_bridge::Bridge) and the session waits, without
//! blocking a thread, for the host's main thread to run it. The server runs
//! on one thread of its own with a current-thread tokio runtime, so requests
//! are handled in the order they arrive and nothing here ever waits on the
//! GIL.
//!
//! The modules follow a request: [`transports`] take it in, a [`session`]
//! answers it, the [`registries`] say what runs, a [`job`] runs it on the
//! main thread and the [`audit`] log records it; a call made a task is
//! kept in [`tasks`] until its client fetches the result. The [`panel`] watches it
//! all; the [`relay`] passes it on from an IDE to a running instance, over
//! [`tls`] when the instance is on another machine.
//! Only what the Python binding, the CLI and the tests use is public.

mod audit;
pub mod cli;
pub mod forms;
#[cfg(feature = "fuzzing")]
pub mod fuzzing;
pub mod instances;
mod job;
mod limits;
mod log_levels;
mod panel;
mod platform;
mod registries;
pub mod relay;
mod runtime;
mod runtime_dir;
mod session;
mod shared;
mod tasks;
pub mod tls;
mod transports;
pub mod workers;

pub use instances::{HostInfo, Instance};
pub use job::JobHandler;
pub use job::output::{Block, JobOutput, ResourceBody};
pub use limits::ClientLimits;
pub use panel::PanelCallback;
pub use platform::protect_stdout;
pub use registries::prompts::{ArgumentSpec, PromptSpec};
pub use registries::resources::{ResourceSpec, check_resource_uri};
pub use registries::tools::{RegisterError, TaskSupport, ToolHints, ToolSpec};
pub use runtime::{RemoteAccess, ServerConfig, ServerHandle, StartError};
pub use session::DccServer;
pub use shared::Shared;
pub use tasks::{TaskSummary, Tasks};
pub use transports::connections::HttpLimits;
pub use transports::stdio::StdioTransport;
