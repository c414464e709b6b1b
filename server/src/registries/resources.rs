//! The run-time resource registry: what a client may read with
//! `resources/read`, by fixed URI or by URI template. A read runs on the
//! host's main thread, in turn with the tool calls, like a tool.

use std::sync::Arc;
use std::time::Duration;

use base64::Engine as _;
use rmcp::ErrorData as McpError;
use rmcp::model::{JsonObject, Resource, ResourceContents, ResourceTemplate};
use serde_json::Value;
use tokio::sync::broadcast;

use crate::job::output::JobOutput;
use crate::job::{Job, JobHandler, JobKind};
use crate::registries::tools::RegisterError;
use crate::registries::uri_template::UriTemplate;
use crate::registries::watched_list::WatchedList;
use dcclink_bridge::RunsOn;

/// How a resource presents itself.
#[derive(Debug, Clone)]
pub struct ResourceSpec {
    /// Its URI (`maya://scene`), or a URI template with `{variables}`
    /// (`maya://objects/{name}`), which the handler receives as arguments.
    pub uri: String,
    /// A short name for lists.
    pub name: String,
    /// What it holds, for the model.
    pub description: String,
    /// Its MIME type; by default `text/plain` for text, `application/json`
    /// for JSON, and the image's own type for images.
    pub mime_type: Option<String>,
    /// How long a read may run; the server's default when `None`.
    pub timeout: Option<Duration>,
}

/// A resource ready to be read.
pub struct RegisteredResource {
    spec: ResourceSpec,
    template: UriTemplate,
    handler: Arc<dyn JobHandler>,
}

impl RegisteredResource {
    /// The read of `uri` as a call for the bridge.
    pub fn job(&self, uri: &str) -> Job {
        Job {
            kind: JobKind::Resource,
            name: uri.to_owned(),
            timeout: self.spec.timeout,
            handler: self.handler.clone(),
            runs_on: RunsOn::MainThread,
        }
    }

    /// What a read of `uri` answered, as MCP resource contents; a failed
    /// read is an error that says what went wrong.
    pub fn contents(&self, uri: &str, output: JobOutput) -> Result<ResourceContents, McpError> {
        let mime = |default: &str| self.spec.mime_type.clone().unwrap_or(default.to_owned());
        Ok(match output {
            JobOutput::Text(text) => {
                ResourceContents::text(text, uri).with_mime_type(mime("text/plain"))
            }
            JobOutput::Structured(value) => ResourceContents::text(value.to_string(), uri)
                .with_mime_type(mime("application/json")),
            JobOutput::Image { data, mime: own } => {
                let encoded = base64::engine::general_purpose::STANDARD.encode(data);
                ResourceContents::blob(encoded, uri).with_mime_type(own)
            }
            JobOutput::Empty => ResourceContents::text("", uri).with_mime_type(mime("text/plain")),
            JobOutput::Content(_) => {
                return Err(McpError::internal_error(
                    format!(
                        "reading '{uri}' failed: a resource returns text, JSON, bytes or an \
                         image, not dcclink.Content"
                    ),
                    None,
                ));
            }
            JobOutput::Error { message, traceback } => {
                let data = traceback.map(|t| serde_json::json!({ "traceback": t }));
                return Err(McpError::internal_error(
                    format!("reading '{uri}' failed: {message}"),
                    data,
                ));
            }
        })
    }
}

/// Parses a resource's URI or URI template, or says what is wrong with it.
pub fn check_resource_uri(uri: &str) -> Result<UriTemplate, RegisterError> {
    if !uri.contains(':') {
        return Err(RegisterError::BadUri(uri.to_owned()));
    }
    Ok(UriTemplate::parse(uri)?)
}

/// The resources this server offers, by URI or template.
pub struct ResourceRegistry {
    entries: WatchedList<RegisteredResource>,
    updates: broadcast::Sender<String>,
}

/// How many update notices a slow session may fall behind by before it
/// misses some.
const UPDATES_BACKLOG: usize = 256;

impl Default for ResourceRegistry {
    fn default() -> Self {
        Self {
            entries: WatchedList::default(),
            updates: broadcast::channel(UPDATES_BACKLOG).0,
        }
    }
}

impl ResourceRegistry {
    /// Adds a resource, replacing one with the same URI or template.
    pub fn register(
        &self,
        spec: ResourceSpec,
        handler: Arc<dyn JobHandler>,
    ) -> Result<(), RegisterError> {
        let template = check_resource_uri(&spec.uri)?;
        let entry = RegisteredResource {
            spec,
            template,
            handler,
        };
        self.entries.insert(entry.spec.uri.clone(), entry);
        Ok(())
    }

    /// Removes the resource at `uri` (a URI or template, as registered);
    /// false if there was none.
    pub fn remove(&self, uri: &str) -> bool {
        self.entries.remove(uri)
    }

    /// Changes from now on: each registration or removal.
    pub fn changes(&self) -> tokio::sync::watch::Receiver<u64> {
        self.entries.changes()
    }

    /// Says the contents at `uri` changed: sessions subscribed to it tell
    /// their clients.
    pub fn updated(&self, uri: &str) {
        let _ = self.updates.send(uri.to_owned()); // no session listening is fine
    }

    /// The URIs said to have changed, from now on.
    pub fn updates(&self) -> broadcast::Receiver<String> {
        self.updates.subscribe()
    }

    /// The resources with a fixed URI, sorted by URI.
    pub fn list(&self) -> Vec<Resource> {
        self.entries.read(|entries| {
            let fixed = entries.values().filter(|e| !e.template.has_variables());
            fixed
                .map(|e| {
                    let resource = Resource::new(&e.spec.uri, &e.spec.name)
                        .with_description(&e.spec.description);
                    match &e.spec.mime_type {
                        Some(mime) => resource.with_mime_type(mime),
                        None => resource,
                    }
                })
                .collect()
        })
    }

    /// The resource templates, sorted.
    pub fn templates(&self) -> Vec<ResourceTemplate> {
        self.entries.read(|entries| {
            let templates = entries.values().filter(|e| e.template.has_variables());
            templates
                .map(|e| {
                    let template = ResourceTemplate::new(&e.spec.uri, &e.spec.name)
                        .with_description(&e.spec.description);
                    match &e.spec.mime_type {
                        Some(mime) => template.with_mime_type(mime),
                        None => template,
                    }
                })
                .collect()
        })
    }

    /// The resource `uri` names, with the values of its template's
    /// variables; a fixed URI wins over a template that also fits.
    pub fn find(&self, uri: &str) -> Option<(Arc<RegisteredResource>, JsonObject)> {
        self.entries.read(|entries| {
            if let Some(fixed) = entries.get(uri) {
                return Some((fixed.clone(), JsonObject::new()));
            }
            entries.values().find_map(|entry| {
                let values = entry.template.matches(uri)?;
                let arguments = values
                    .into_iter()
                    .map(|(name, value)| (name, Value::String(value)))
                    .collect();
                Some((entry.clone(), arguments))
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::registries::tools::tests::Noop;

    fn spec(uri: &str) -> ResourceSpec {
        ResourceSpec {
            uri: uri.into(),
            name: "r".into(),
            description: String::new(),
            mime_type: None,
            timeout: None,
        }
    }

    #[test]
    fn fixed_uris_win_over_templates_and_are_listed_apart() {
        let resources = ResourceRegistry::default();
        for uri in ["dcc://objects/{name}", "dcc://objects/camera"] {
            resources.register(spec(uri), Arc::new(Noop)).unwrap();
        }
        let (fixed, values) = resources.find("dcc://objects/camera").unwrap();
        assert_eq!(fixed.spec.uri, "dcc://objects/camera");
        assert!(values.is_empty());
        let (template, values) = resources.find("dcc://objects/cube").unwrap();
        assert_eq!(template.spec.uri, "dcc://objects/{name}");
        assert_eq!(values.get("name"), Some(&Value::String("cube".into())));
        assert!(resources.find("dcc://scene").is_none());
        assert_eq!(resources.list().len(), 1);
        assert_eq!(resources.templates().len(), 1);
    }

    #[test]
    fn a_uri_needs_a_scheme() {
        let error = ResourceRegistry::default()
            .register(spec("scene"), Arc::new(Noop))
            .unwrap_err();
        assert!(matches!(error, RegisterError::BadUri(_)), "{error}");
    }

    #[test]
    fn a_failed_read_is_an_error_with_its_traceback() {
        let resources = ResourceRegistry::default();
        resources
            .register(spec("dcc://scene"), Arc::new(Noop))
            .unwrap();
        let (resource, _) = resources.find("dcc://scene").unwrap();
        let failed = JobOutput::Error {
            message: "KeyError: 'x'".into(),
            traceback: Some("Traceback …".into()),
        };
        let error = resource.contents("dcc://scene", failed).unwrap_err();
        assert_eq!(error.message, "reading 'dcc://scene' failed: KeyError: 'x'");
        assert_eq!(
            error.data,
            Some(serde_json::json!({"traceback": "Traceback …"}))
        );
        let json = JobOutput::Structured(serde_json::json!({"a": 1}));
        let contents = resource.contents("dcc://scene", json).unwrap();
        assert_eq!(
            contents,
            ResourceContents::text(r#"{"a":1}"#, "dcc://scene").with_mime_type("application/json")
        );
    }
}
