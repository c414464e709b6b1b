//! Argument completion (`completion/complete`): suggestions for a prompt's
//! argument or a resource template's variable as the user types, computed
//! on the host's main thread (they may read the scene).

use std::collections::BTreeMap;
use std::sync::Arc;

use dcclink_bridge::lock_order::{LockLevel, OrderedMutex};
use rmcp::ErrorData as McpError;
use rmcp::model::{CompletionInfo, JsonObject, Reference};
use serde_json::Value;

use crate::job::output::JobOutput;
use crate::job::{Job, JobHandler, JobKind};
use dcclink_bridge::RunsOn;

/// What is being completed: a prompt's argument, or a template's variable.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Target {
    /// `"prompt"` or `"resource"`.
    pub kind: &'static str,
    /// The prompt's name, or the resource template.
    pub name: String,
    /// The argument or variable.
    pub argument: String,
}

impl Target {
    /// The target a request's reference and argument name, when it
    /// refers to a prompt or a resource template.
    pub fn of(reference: &Reference, argument: &str) -> Option<Self> {
        let (kind, name) = match (reference.as_prompt_name(), reference.as_resource_uri()) {
            (Some(prompt), _) => ("prompt", prompt),
            (None, Some(uri)) => ("resource", uri),
            (None, None) => return None,
        };
        Some(Self {
            kind,
            name: name.to_owned(),
            argument: argument.to_owned(),
        })
    }
}

/// The completers, by what they complete.
pub struct CompletionRegistry {
    completers: OrderedMutex<BTreeMap<Target, Arc<dyn JobHandler>>>,
}

impl Default for CompletionRegistry {
    fn default() -> Self {
        Self {
            completers: OrderedMutex::new(LockLevel::Registry, BTreeMap::new()),
        }
    }
}

impl CompletionRegistry {
    /// Adds (or replaces) the completer of `target`. It is called with
    /// `{"value": …, "context": {…}}` and returns a list of strings.
    pub fn register(&self, target: Target, handler: Arc<dyn JobHandler>) {
        self.completers.lock().insert(target, handler);
    }

    /// Removes every completer of the prompt or template `name`.
    pub fn remove(&self, kind: &str, name: &str) {
        self.completers
            .lock()
            .retain(|target, _| !(target.kind == kind && target.name == name));
    }

    /// The completion of `target` as a job for the bridge, if it has one.
    pub fn job(&self, target: &Target) -> Option<Job> {
        let handler = self.completers.lock().get(target).cloned()?;
        Some(Job {
            kind: JobKind::Completion,
            name: format!("{}:{}", target.name, target.argument),
            timeout: None,
            handler,
            runs_on: RunsOn::MainThread,
        })
    }
}

/// The arguments a completer receives.
pub(crate) fn arguments(value: &str, context: BTreeMap<String, String>) -> JsonObject {
    let context = context
        .into_iter()
        .map(|(k, v)| (k, Value::String(v)))
        .collect();
    JsonObject::from_iter([
        ("value".to_owned(), Value::String(value.to_owned())),
        ("context".to_owned(), Value::Object(context)),
    ])
}

/// What a completer returned, as MCP's completion (the first 100 values,
/// with the total).
pub(crate) fn completion(output: JobOutput) -> Result<CompletionInfo, McpError> {
    let values = match output {
        JobOutput::Structured(Value::Object(mut map)) => map.remove("result"),
        JobOutput::Empty => Some(Value::Array(Vec::new())),
        JobOutput::Error { message, .. } => {
            return Err(McpError::internal_error(
                format!("completion failed: {message}"),
                None,
            ));
        }
        _ => None,
    };
    let values: Option<Vec<String>> = values.and_then(|v| serde_json::from_value(v).ok());
    let Some(mut values) = values else {
        return Err(McpError::internal_error(
            "a completer returns a list of strings".to_owned(),
            None,
        ));
    };
    let total = values.len();
    values.truncate(CompletionInfo::MAX_VALUES);
    let has_more = total > values.len();
    CompletionInfo::with_pagination(values, u32::try_from(total).ok(), has_more)
        .map_err(|reason| McpError::internal_error(reason, None))
}
