//! The run-time prompt registry: message templates a client fetches with
//! `prompts/get`, filled in on the host's main thread (a prompt may read the
//! scene), in turn with the tool calls.

use std::sync::Arc;
use std::time::Duration;

use rmcp::ErrorData as McpError;
use rmcp::model::{JsonObject, Prompt, PromptArgument, PromptMessage, Role};

use crate::job::output::{Block, JobOutput};
use crate::job::running::content_block;
use crate::job::{Job, JobHandler, JobKind};
use crate::registries::tools::{RegisterError, valid_name};
use crate::registries::watched_list::WatchedList;
use dcclink_bridge::RunsOn;

/// One argument of a prompt (always a string, as MCP has it).
#[derive(Debug, Clone)]
pub struct ArgumentSpec {
    /// Its name.
    pub name: String,
    /// What it is, for the user choosing it.
    pub description: Option<String>,
    /// Whether the prompt needs it.
    pub required: bool,
}

/// How a prompt presents itself.
#[derive(Debug, Clone)]
pub struct PromptSpec {
    /// Its name.
    pub name: String,
    /// What it is for.
    pub description: String,
    /// Its arguments.
    pub arguments: Vec<ArgumentSpec>,
    /// How long filling it in may take; the server's default when `None`.
    pub timeout: Option<Duration>,
}

/// A prompt ready to be fetched.
pub struct RegisteredPrompt {
    prompt: Prompt,
    spec: PromptSpec,
    handler: Arc<dyn JobHandler>,
}

impl RegisteredPrompt {
    /// Checks the arguments a client sent: every required one, and no other.
    pub fn check(&self, arguments: &JsonObject) -> Result<(), McpError> {
        let known = |name: &str| self.spec.arguments.iter().any(|a| a.name == name);
        let unknown: Vec<&str> = arguments
            .keys()
            .map(String::as_str)
            .filter(|n| !known(n))
            .collect();
        let missing: Vec<&str> = self
            .spec
            .arguments
            .iter()
            .filter(|a| a.required && !arguments.contains_key(&a.name))
            .map(|a| a.name.as_str())
            .collect();
        let not_text: Vec<&str> = arguments
            .iter()
            .filter(|(_, v)| !v.is_string())
            .map(|(k, _)| k.as_str())
            .collect();
        let mut problems = Vec::new();
        if !missing.is_empty() {
            problems.push(format!("missing {}", missing.join(", ")));
        }
        if !unknown.is_empty() {
            problems.push(format!("no argument called {}", unknown.join(", ")));
        }
        if !not_text.is_empty() {
            problems.push(format!("not a string: {}", not_text.join(", ")));
        }
        if problems.is_empty() {
            return Ok(());
        }
        Err(McpError::invalid_params(
            format!(
                "prompt '{}': {}; prompts/list shows its arguments",
                self.spec.name,
                problems.join("; ")
            ),
            None,
        ))
    }

    /// Filling it in, as a call for the bridge.
    pub fn job(&self) -> Job {
        Job {
            kind: JobKind::Prompt,
            name: self.spec.name.clone(),
            timeout: self.spec.timeout,
            handler: self.handler.clone(),
            runs_on: RunsOn::MainThread,
        }
    }

    /// What the prompt function returned, as messages from the user: one
    /// per block.
    pub fn messages(&self, output: JobOutput) -> Result<Vec<PromptMessage>, McpError> {
        let blocks = match output {
            JobOutput::Text(text) => vec![Block::Text(text)],
            JobOutput::Image { data, mime } => vec![Block::Image { data, mime }],
            JobOutput::Content(blocks) => blocks,
            JobOutput::Empty => Vec::new(),
            JobOutput::Structured(_) => {
                return Err(McpError::internal_error(
                    format!(
                        "prompt '{}' returned JSON: a prompt returns str, dcclink.Image, \
                         dcclink.EmbeddedResource or dcclink.Content",
                        self.spec.name
                    ),
                    None,
                ));
            }
            JobOutput::Error { message, traceback } => {
                let data = traceback.map(|t| serde_json::json!({ "traceback": t }));
                return Err(McpError::internal_error(
                    format!("prompt '{}' failed: {message}", self.spec.name),
                    data,
                ));
            }
        };
        Ok(blocks
            .into_iter()
            .map(|block| PromptMessage::new(Role::User, content_block(block)))
            .collect())
    }

    /// Its description, for the result.
    pub fn description(&self) -> &str {
        &self.spec.description
    }
}

/// The prompts this server offers, by name.
#[derive(Default)]
pub struct PromptRegistry {
    prompts: WatchedList<RegisteredPrompt>,
}

impl PromptRegistry {
    /// Adds a prompt, replacing one of the same name.
    pub fn register(
        &self,
        spec: PromptSpec,
        handler: Arc<dyn JobHandler>,
    ) -> Result<(), RegisterError> {
        if !valid_name(&spec.name) {
            return Err(RegisterError::BadName(spec.name));
        }
        let arguments = spec
            .arguments
            .iter()
            .map(|a| {
                let argument = PromptArgument::new(&a.name).with_required(a.required);
                match &a.description {
                    Some(description) => argument.with_description(description),
                    None => argument,
                }
            })
            .collect();
        let prompt = Prompt::new(&spec.name, Some(&spec.description), Some(arguments));
        let entry = RegisteredPrompt {
            prompt,
            spec,
            handler,
        };
        self.prompts.insert(entry.spec.name.clone(), entry);
        Ok(())
    }

    /// Removes the prompt called `name`; false if there was none.
    pub fn remove(&self, name: &str) -> bool {
        self.prompts.remove(name)
    }

    /// The prompt called `name`.
    pub fn get(&self, name: &str) -> Option<Arc<RegisteredPrompt>> {
        self.prompts.get(name)
    }

    /// Every prompt, sorted by name.
    pub fn list(&self) -> Vec<Prompt> {
        self.prompts
            .read(|prompts| prompts.values().map(|p| p.prompt.clone()).collect())
    }

    /// Every prompt's name, sorted.
    pub fn names(&self) -> Vec<String> {
        self.prompts.keys()
    }

    /// Changes from now on: each registration or removal.
    pub fn changes(&self) -> tokio::sync::watch::Receiver<u64> {
        self.prompts.changes()
    }
}
