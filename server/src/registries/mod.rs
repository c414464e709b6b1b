//! The run-time registries: what a host offers, arriving from Python while
//! the server runs. One per kind of job, named alike ([`ToolRegistry`],
//! [`ResourceRegistry`], [`PromptRegistry`], [`CompletionRegistry`]), each
//! a [`watched_list`] that tells every session when it changes, and listed
//! in pages ([`pagination`]).

pub(crate) mod completions;
pub(crate) mod pagination;
pub(crate) mod prompts;
pub(crate) mod resources;
pub(crate) mod tools;
pub(crate) mod uri_template;
pub(crate) mod watched_list;

pub(crate) use completions::CompletionRegistry;
pub(crate) use prompts::PromptRegistry;
pub(crate) use resources::ResourceRegistry;
pub(crate) use tools::ToolRegistry;
