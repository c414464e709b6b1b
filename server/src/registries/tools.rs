//! The run-time tool registry: tools arrive from Python (or any other host)
//! while the server runs, each with a JSON Schema for its arguments and a
//! handler that runs on the host's main thread.

use std::sync::Arc;
use std::time::Duration;

use dcclink_bridge::{CallContext, RunsOn};
use rmcp::model::{JsonObject, Tool, ToolAnnotations};
use serde_json::Value;

use crate::job::output::JobOutput;
use crate::job::{Job, JobHandler, JobKind};
use crate::registries::watched_list::WatchedList;
use crate::tasks::wire::EXECUTION;

/// A tool with an output schema: its result is checked before the call
/// ends, and one that does not fit becomes an error for the tool's author
/// (MCP requires structured content to match the schema).
struct CheckedOutput {
    tool: String,
    validator: jsonschema::Validator,
    inner: Arc<dyn JobHandler>,
}

impl JobHandler for CheckedOutput {
    fn call(&self, arguments: JsonObject, ctx: &CallContext) -> JobOutput {
        let output = self.inner.call(arguments, ctx);
        let problem = match &output {
            JobOutput::Error { .. } => None,
            JobOutput::Structured(value) => self
                .validator
                .iter_errors(value)
                .next()
                .map(|error| format!("{error} at '{}'", error.instance_path())),
            _ => Some("it is not structured (None, text or an image)".to_owned()),
        };
        match problem {
            None => output,
            Some(problem) => JobOutput::Error {
                message: format!(
                    "tool '{}' returned a result that does not match its return type: \
                     {problem}. Fix the tool, or its return annotation",
                    self.tool
                ),
                traceback: None,
            },
        }
    }
}

/// How a tool presents itself: its MCP definition and its limits.
#[derive(Debug, Clone, Default)]
pub struct ToolSpec {
    /// The tool's name (unique in the registry).
    pub name: String,
    /// A title for people, when it differs from the name.
    pub title: Option<String>,
    /// What it does, for the model.
    pub description: String,
    /// The JSON Schema of its arguments (an object schema).
    pub input_schema: JsonObject,
    /// The JSON Schema of its structured result (an object schema), when
    /// its results are structured; every result is checked against it.
    pub output_schema: Option<JsonObject>,
    /// What it does to the DCC, as MCP's hints.
    pub hints: ToolHints,
    /// How long it may run; the server's default when `None`.
    pub timeout: Option<Duration>,
    /// Whether it may run as an MCP task.
    pub task: TaskSupport,
    /// Where its calls run: the host's main thread (the default), or a
    /// thread of their own for a tool that touches no scene.
    pub runs_on: RunsOn,
}

/// Whether a tool may run as an MCP task, one that answers its call at once
/// and is fetched later: its `execution.taskSupport`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum TaskSupport {
    /// Never: the call's answer is its result (the spec's default).
    #[default]
    Forbidden,
    /// As the client likes.
    Optional,
    /// Only as a task (long work: renders, caches, exports).
    Required,
}

impl TaskSupport {
    /// The spec's word for it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Forbidden => "forbidden",
            Self::Optional => "optional",
            Self::Required => "required",
        }
    }

    /// The value the spec's word names.
    pub fn parse(word: &str) -> Option<Self> {
        [Self::Forbidden, Self::Optional, Self::Required]
            .into_iter()
            .find(|support| support.as_str() == word)
    }
}

/// MCP's hints about a tool, for the client to decide what to ask the
/// user before calling it. `None` leaves a hint out.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ToolHints {
    /// It changes nothing.
    pub read_only: Option<bool>,
    /// What it changes may be lost (deleted, overwritten).
    pub destructive: Option<bool>,
    /// Calling it twice with the same arguments does no more than once.
    pub idempotent: Option<bool>,
    /// It reaches beyond the DCC (the network, other programs).
    pub open_world: Option<bool>,
}

impl ToolHints {
    fn annotations(self, title: Option<&str>) -> Option<ToolAnnotations> {
        if self == Self::default() && title.is_none() {
            return None;
        }
        let mut annotations = match title {
            Some(title) => ToolAnnotations::with_title(title),
            None => ToolAnnotations::new(),
        };
        annotations.read_only_hint = self.read_only;
        annotations.destructive_hint = self.destructive;
        annotations.idempotent_hint = self.idempotent;
        annotations.open_world_hint = self.open_world;
        Some(annotations)
    }
}

/// Why a tool could not be registered.
#[derive(Debug, thiserror::Error)]
pub enum RegisterError {
    /// The name is not a valid MCP tool name.
    #[error(
        "tool name {0:?} is not valid: use 1–128 characters from A–Z, a–z, 0–9, '_', '-' and '.'"
    )]
    BadName(String),
    /// A resource's URI has no scheme.
    #[error("resource URI {0:?} has no scheme: write it as scheme://path, such as maya://scene")]
    BadUri(String),
    /// A resource's URI template does not parse.
    #[error(transparent)]
    BadTemplate(#[from] crate::registries::uri_template::TemplateError),
    /// The input schema is not a valid JSON Schema.
    #[error("tool {name:?} has an invalid input schema: {reason}")]
    BadSchema {
        /// The tool.
        name: String,
        /// What the schema compiler said.
        reason: String,
    },
}

/// A tool ready to be called.
pub struct RegisteredTool {
    tool: Tool,
    validator: jsonschema::Validator,
    timeout: Option<Duration>,
    task: TaskSupport,
    runs_on: RunsOn,
    /// The tool's handler, wrapped in [`CheckedOutput`] when it declares an
    /// output schema: the check runs as part of the call, so the call's one
    /// verdict (client, panel, audit log, stats) already includes it.
    handler: Arc<dyn JobHandler>,
}

impl RegisteredTool {
    /// The MCP definition.
    pub fn tool(&self) -> &Tool {
        &self.tool
    }

    /// The tool's own timeout, if it has one.
    pub fn timeout(&self) -> Option<Duration> {
        self.timeout
    }

    /// Whether it may run as a task.
    pub fn task_support(&self) -> TaskSupport {
        self.task
    }

    /// A call of this tool, for the bridge.
    pub fn job(&self) -> Job {
        Job {
            kind: JobKind::Tool,
            name: self.tool.name.to_string(),
            timeout: self.timeout,
            handler: self.handler.clone(),
            runs_on: self.runs_on,
        }
    }

    /// Checks `arguments` against the input schema. The error names every
    /// offending parameter.
    pub fn validate(&self, arguments: &JsonObject) -> Result<(), String> {
        let instance = Value::Object(arguments.clone());
        let problems: Vec<String> = self
            .validator
            .iter_errors(&instance)
            .map(|error| crate::forms::describe(&error, "parameter"))
            .collect();
        if problems.is_empty() {
            Ok(())
        } else {
            Err(format!(
                "invalid arguments for tool '{}': {}",
                self.tool.name,
                problems.join("; ")
            ))
        }
    }
}

/// True for a valid MCP tool or prompt name.
pub(crate) fn valid_name(name: &str) -> bool {
    (1..=128).contains(&name.len())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
}

/// The tools this server offers, by name.
#[derive(Default)]
pub struct ToolRegistry {
    tools: WatchedList<RegisteredTool>,
}

impl ToolRegistry {
    /// Adds a tool, replacing one of the same name.
    pub fn register(
        &self,
        spec: ToolSpec,
        handler: Arc<dyn JobHandler>,
    ) -> Result<(), RegisterError> {
        if !valid_name(&spec.name) {
            return Err(RegisterError::BadName(spec.name));
        }
        let schema = Value::Object(spec.input_schema.clone());
        let validator =
            jsonschema::validator_for(&schema).map_err(|e| RegisterError::BadSchema {
                name: spec.name.clone(),
                reason: e.to_string(),
            })?;
        let output_validator = spec
            .output_schema
            .as_ref()
            .map(|schema| jsonschema::validator_for(&Value::Object(schema.clone())))
            .transpose()
            .map_err(|e| RegisterError::BadSchema {
                name: spec.name.clone(),
                reason: format!("its output schema: {e}"),
            })?;
        let mut tool = Tool::new(
            spec.name.clone(),
            spec.description,
            Arc::new(spec.input_schema),
        );
        if let Some(annotations) = spec.hints.annotations(spec.title.as_deref()) {
            tool = tool.with_annotations(annotations);
        }
        if let Some(title) = spec.title {
            tool = tool.with_title(title);
        }
        if let Some(schema) = spec.output_schema {
            tool = tool.with_raw_output_schema(Arc::new(schema));
        }
        if spec.task != TaskSupport::Forbidden {
            let execution = serde_json::json!({ "taskSupport": spec.task.as_str() });
            let mut meta = rmcp::model::MetaObject::new();
            meta.insert(EXECUTION.to_owned(), execution);
            tool.meta = Some(meta);
        }
        let handler = match output_validator {
            Some(validator) => Arc::new(CheckedOutput {
                tool: spec.name.clone(),
                validator,
                inner: handler,
            }),
            None => handler,
        };
        let entry = RegisteredTool {
            tool,
            validator,
            timeout: spec.timeout,
            task: spec.task,
            runs_on: spec.runs_on,
            handler,
        };
        self.tools.insert(spec.name, entry);
        Ok(())
    }

    /// Removes the tool called `name`; false if there was none.
    pub fn remove(&self, name: &str) -> bool {
        self.tools.remove(name)
    }

    /// Changes from now on: each registration or removal.
    pub fn changes(&self) -> tokio::sync::watch::Receiver<u64> {
        self.tools.changes()
    }

    /// The tool called `name`.
    pub fn get(&self, name: &str) -> Option<Arc<RegisteredTool>> {
        self.tools.get(name)
    }

    /// Every tool's definition, sorted by name.
    pub fn list(&self) -> Vec<Tool> {
        self.tools
            .read(|tools| tools.values().map(|t| t.tool.clone()).collect())
    }

    /// Every tool's name, sorted.
    pub fn names(&self) -> Vec<String> {
        self.tools.keys()
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use serde_json::json;

    /// A handler that does nothing, for registry tests.
    pub(crate) struct Noop;
    impl JobHandler for Noop {
        fn call(&self, _: JsonObject, _: &CallContext) -> JobOutput {
            JobOutput::Empty
        }
    }

    fn object(value: Value) -> JsonObject {
        match value {
            Value::Object(map) => map,
            _ => unreachable!("test schemas are objects"),
        }
    }

    fn registry_with_add() -> ToolRegistry {
        let registry = ToolRegistry::default();
        let spec = ToolSpec {
            name: "add".into(),
            description: "Add two integers.".into(),
            input_schema: object(json!({
                "type": "object",
                "properties": {"a": {"type": "integer"}, "b": {"type": "integer"}},
                "required": ["a", "b"],
                "additionalProperties": false
            })),
            ..ToolSpec::default()
        };
        registry.register(spec, Arc::new(Noop)).unwrap();
        registry
    }

    #[test]
    fn validation_errors_name_the_parameter() {
        let registry = registry_with_add();
        let add = registry.get("add").unwrap();
        assert!(add.validate(&object(json!({"a": 1, "b": 2}))).is_ok());
        let err = add
            .validate(&object(json!({"a": "x", "b": 2})))
            .unwrap_err();
        assert!(err.contains("parameter 'a'"), "{err}");
        let err = add.validate(&object(json!({"a": 1}))).unwrap_err();
        assert!(err.contains("missing required parameter \"b\""), "{err}");
    }

    #[test]
    fn bad_names_and_schemas_are_refused() {
        let registry = ToolRegistry::default();
        let spec = |name: &str, schema: Value| ToolSpec {
            name: name.into(),
            input_schema: object(schema),
            ..ToolSpec::default()
        };
        let err = registry
            .register(spec("has space", json!({"type": "object"})), Arc::new(Noop))
            .unwrap_err();
        assert!(matches!(err, RegisterError::BadName(_)));
        let err = registry
            .register(spec("ok", json!({"type": 12})), Arc::new(Noop))
            .unwrap_err();
        assert!(matches!(err, RegisterError::BadSchema { .. }), "{err}");
        assert!(registry.list().is_empty());
    }

    #[test]
    fn registering_again_replaces() {
        let registry = registry_with_add();
        let spec = ToolSpec {
            name: "add".into(),
            description: "Add, again.".into(),
            input_schema: object(json!({"type": "object"})),
            timeout: Some(Duration::from_secs(5)),
            ..ToolSpec::default()
        };
        registry.register(spec, Arc::new(Noop)).unwrap();
        assert_eq!(registry.names(), ["add"]);
        let add = registry.get("add").unwrap();
        assert_eq!(add.tool().description.as_deref(), Some("Add, again."));
        assert_eq!(add.timeout(), Some(Duration::from_secs(5)));
    }
}
