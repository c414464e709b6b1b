//! What every session of one server shares: the bridge to the host's main
//! thread, the registries of tools, resources, prompts and completers, the
//! panel's callbacks, the audit log and the calls parked between rounds.
//! The server's rules that span registries (a prompt's completers go with
//! it) live here, not in the bindings.

use std::sync::Arc;
use std::time::Duration;

use dcclink_bridge::Bridge;

use crate::audit::AuditLog;
use crate::job::JobHandler;
use crate::job::round_trips::RoundTrips;
use crate::registries::{CompletionRegistry, PromptRegistry, ResourceRegistry, ToolRegistry};
use crate::tasks::Tasks;

/// What every session shares: the bridge to the host and the tools.
pub struct Shared {
    /// The FIFO to the host's main thread.
    pub bridge: Arc<Bridge>,
    /// The tools.
    pub tools: Arc<ToolRegistry>,
    /// The resources.
    pub resources: Arc<ResourceRegistry>,
    /// The prompts.
    pub prompts: Arc<PromptRegistry>,
    /// The completers of prompt arguments and template variables.
    pub completions: Arc<CompletionRegistry>,
    /// The timeout of tools that set none.
    pub default_timeout: Duration,
    /// The Python callbacks the panel's page may call.
    pub callbacks: Arc<crate::panel::Callbacks>,
    /// Where every call is recorded.
    pub audit: AuditLog,
    /// The calls waiting between rounds for their client's answer (MCP
    /// 2026-07-28).
    pub round_trips: Arc<RoundTrips>,
    /// The MCP tasks of this instance, whichever session made them.
    pub tasks: Arc<Tasks>,
}

impl Shared {
    /// The state of a server in front of `bridge`, with empty registries:
    /// tools, resources and prompts arrive while it runs. Tools that set no
    /// timeout get `default_timeout`.
    pub fn new(bridge: Arc<Bridge>, default_timeout: Duration) -> Self {
        Self {
            tasks: Arc::new(Tasks::new(bridge.clone())),
            bridge,
            tools: Arc::default(),
            resources: Arc::default(),
            prompts: Arc::default(),
            completions: Arc::default(),
            default_timeout,
            callbacks: Arc::default(),
            audit: AuditLog::default(),
            round_trips: Arc::default(),
        }
    }

    /// Removes the resource at `uri` and its completers; false when there
    /// was none.
    pub fn unregister_resource(&self, uri: &str) -> bool {
        self.completions.remove("resource", uri);
        self.resources.remove(uri)
    }

    /// Removes the prompt `name` and its completers; false when there was
    /// none.
    pub fn unregister_prompt(&self, name: &str) -> bool {
        self.completions.remove("prompt", name);
        self.prompts.remove(name)
    }

    /// Adds (or replaces) the completer of argument `argument` of a
    /// `"prompt"` or of variable `argument` of a `"resource"` template
    /// `name`; an error names a `kind` that is neither.
    pub fn register_completer(
        &self,
        kind: &str,
        name: String,
        argument: String,
        handler: Arc<dyn JobHandler>,
    ) -> Result<(), String> {
        let kind = match kind {
            "prompt" => "prompt",
            "resource" => "resource",
            other => {
                return Err(format!(
                    "a completer completes a \"prompt\" or a \"resource\", not {other:?}"
                ));
            }
        };
        let target = crate::registries::completions::Target {
            kind,
            name,
            argument,
        };
        self.completions.register(target, handler);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::registries::completions::Target;
    use crate::registries::tools::tests::Noop;

    #[test]
    fn removing_a_prompt_or_resource_removes_its_completers() {
        let shared = Shared::new(
            Bridge::new(dcclink_bridge::BridgeConfig::default()),
            Duration::from_secs(1),
        );
        let target = |kind, name: &str| Target {
            kind,
            name: name.into(),
            argument: "shot".into(),
        };
        for (kind, name) in [("prompt", "review"), ("resource", "shots://{shot}")] {
            shared
                .register_completer(kind, name.into(), "shot".into(), Arc::new(Noop))
                .expect("a known kind");
            assert!(shared.completions.job(&target(kind, name)).is_some());
        }
        shared.unregister_prompt("review");
        shared.unregister_resource("shots://{shot}");
        assert!(
            shared
                .completions
                .job(&target("prompt", "review"))
                .is_none()
        );
        assert!(
            shared
                .completions
                .job(&target("resource", "shots://{shot}"))
                .is_none()
        );
        let wrong = shared.register_completer("tool", "x".into(), "y".into(), Arc::new(Noop));
        assert!(wrong.is_err_and(|why| why.contains("\"prompt\" or a \"resource\"")));
    }
}
