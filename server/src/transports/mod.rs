//! How clients reach the server: newline-delimited JSON-RPC on stdio, and
//! Streamable HTTP on axum behind a bearer token ([`auth`]) with bounded
//! connections ([`connections`]). Both answer what rmcp cannot route the
//! same way ([`wire_errors`]).

pub(crate) mod answering;
pub(crate) mod auth;
pub(crate) mod connections;
pub(crate) mod host_gate;
pub(crate) mod http;
pub(crate) mod in_flight;
pub(crate) mod legacy_tasks;
pub(crate) mod sessions;
pub(crate) mod stdio;
pub(crate) mod task_param;
pub(crate) mod wire_errors;
