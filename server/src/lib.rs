//! # dcclink-server
//!
//! The MCP side of dcclink: a hand-written rmcp [`ServerHandler`](rmcp::ServerHandler)
//! over a run-time tool [`Registry`] and [`Resources`], served on stdio and on Streamable HTTP
//! (axum), plus the `dcclink` command line.
//!
//! A `tools/call` never runs here: [`dispatch`] queues it on the
//! [`Bridge`](dcclink_bridge::Bridge) and waits, without blocking a thread,
//! for the host's main thread to run it. The server runs on one thread of its
//! own with a current-thread tokio runtime, so requests are handled in the
//! order they arrive and nothing here ever waits on the GIL.

pub mod answering;
pub mod audit;
pub mod auth;
pub mod cli;
pub mod client_requests;
pub mod completions;
pub mod connections;
pub mod dispatch;
pub mod forms;
pub mod handler;
pub mod http;
pub mod instances;
pub mod job;
mod log_levels;
pub mod output;
pub mod pagination;
pub mod panel;
pub mod prompts;
mod question;
pub mod relay;
pub mod resources;
pub mod round_trips;
pub mod runtime;
pub mod runtime_dir;
pub mod shared;
pub mod stdio;
pub mod tools;
pub mod uri_template;
pub mod watched_list;
pub mod wire_errors;

pub use handler::DccServer;
pub use job::ToolHandler;
pub use output::{Block, ResourceBody, ToolOutput};
pub use prompts::{ArgumentSpec, PromptRegistry, PromptSpec};
pub use resources::{ResourceSpec, Resources};
pub use runtime::{ServerConfig, ServerHandle, StartError};
pub use shared::Shared;
pub use tools::{RegisterError, RegisteredTool, Registry, ToolHints, ToolSpec};
pub use uri_template::UriTemplate;
