//! Entry points for the coverage-guided fuzz targets in `fuzz/`, built only
//! with the `fuzzing` feature.
//!
//! Each takes what an outsider controls (a client's bytes, a registry file
//! someone else wrote, a panel request's body) through the product's own
//! code, unchanged, and hands back what came out, so that the targets can
//! check what must hold. Nothing here is a second implementation.

use std::path::Path;

use serde_json::Value;

use crate::registries::uri_template::UriTemplate;

/// What the stdio transport made of a client's bytes.
#[derive(Debug, Default)]
pub struct StdioOutcome {
    /// The messages handed on to the session, as JSON.
    pub received: Vec<Value>,
    /// The lines written back without the session (the transport's own
    /// error answers), newline included.
    pub written: Vec<u8>,
}

/// Runs `input` through the stdio transport, as stdin, with lines of at
/// most `max_line` bytes, until it ends.
pub fn stdio(input: &[u8], max_line: usize) -> StdioOutcome {
    use rmcp::transport::Transport;
    use tokio::io::AsyncReadExt;

    thread_local! {
        static RUNTIME: tokio::runtime::Runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a current-thread runtime for the fuzz target");
    }
    RUNTIME.with(|runtime| {
        runtime.block_on(async {
            let (writer, mut written) = tokio::io::duplex(64 * 1024);
            let mut transport =
                crate::transports::stdio::StdioTransport::new(input, writer, max_line);
            let mut outcome = StdioOutcome::default();
            let reading = async {
                let mut bytes = Vec::new();
                let _ = written.read_to_end(&mut bytes).await;
                bytes
            };
            let serving = async {
                while let Some(message) = transport.receive().await {
                    if let Ok(json) = serde_json::to_value(&message) {
                        outcome.received.push(json);
                    }
                }
                let _ = Transport::close(&mut transport).await;
                drop(transport);
            };
            let ((), bytes) = tokio::join!(serving, reading);
            outcome.written = bytes;
            outcome
        })
    })
}

/// Registers a tool whose input schema is `schema` and checks `arguments`
/// against it, as a `tools/call` does: `None` when the registry refuses
/// the schema, else the validation's verdict.
pub fn tool_arguments(
    schema: rmcp::model::JsonObject,
    arguments: &rmcp::model::JsonObject,
) -> Option<Result<(), String>> {
    struct Never;
    impl crate::JobHandler for Never {
        fn call(
            &self,
            _: rmcp::model::JsonObject,
            _: &dcclink_bridge::CallContext,
        ) -> crate::JobOutput {
            crate::JobOutput::Empty
        }
    }
    let registry = crate::registries::tools::ToolRegistry::default();
    let spec = crate::ToolSpec {
        name: "fuzzed".into(),
        input_schema: schema,
        ..crate::ToolSpec::default()
    };
    registry.register(spec, std::sync::Arc::new(Never)).ok()?;
    Some(registry.get("fuzzed")?.validate(arguments))
}

/// Parses a resource template and matches `uri` against it: `None` when
/// the template is refused, else the variables' values when it matches.
pub fn uri_template(template: &str, uri: &str) -> Option<Option<Vec<(String, String)>>> {
    Some(UriTemplate::parse(template).ok()?.matches(uri))
}

/// What the panel makes of a question's answer, `body`, to a form whose
/// schema is `form`: the text of the 422 it answers, when it refuses the
/// values; `Err` when the body is not an answer at all (axum's 4xx).
pub fn panel_answer(body: &[u8], form: &Value) -> Result<Option<String>, String> {
    match serde_json::from_slice(body).map_err(|e| e.to_string())? {
        crate::panel::QuestionAnswer::YesNo { .. } => Ok(None),
        crate::panel::QuestionAnswer::Form(reply) => Ok(crate::forms::misfit(form, &reply)),
    }
}

/// The instances `folder`'s registry entries name, as `dcclink list` and
/// `dcclink connect` read them (entries of processes that have exited are
/// removed).
pub fn registry(folder: &Path) -> Vec<crate::Instance> {
    crate::instances::running_in(folder)
}

/// The page of `items` items that `cursor` names, as a `*/list` request
/// with it gets: the items' positions and the next cursor.
pub fn page(items: usize, cursor: Option<String>) -> Result<(Vec<usize>, Option<String>), String> {
    let mut request = rmcp::model::PaginatedRequestParams::default();
    request.cursor = cursor;
    crate::registries::pagination::page((0..items).collect(), Some(&request))
        .map_err(|error| error.message.to_string())
}

/// A task store holding `kept` new tasks, and an empty set of parked
/// round trips: what the ids an agent sends back are looked up in.
pub struct IdLookups {
    tasks: crate::Tasks,
    round_trips: crate::job::round_trips::RoundTrips,
    /// The ids of the tasks the store holds.
    pub ids: Vec<String>,
}

impl IdLookups {
    /// A store of `kept` new tasks.
    pub fn new(kept: usize) -> Self {
        let bridge = dcclink_bridge::Bridge::new(dcclink_bridge::BridgeConfig::default());
        let tasks = crate::Tasks::new(bridge);
        let ids = (0..kept)
            .filter_map(|_| tasks.create("fuzzed", "fuzz", Some(60_000)).ok())
            .map(|task| task.id.clone())
            .collect();
        Self {
            tasks,
            round_trips: crate::job::round_trips::RoundTrips::default(),
            ids,
        }
    }

    /// The task `id` names (`tasks/get`), or the error's code and message.
    pub fn task(&self, id: &str) -> Result<String, (i32, String)> {
        (self.tasks.find(id))
            .map(|task| task.id.clone())
            .map_err(|error| (error.code.0, error.message.to_string()))
    }

    /// What resuming the round trip `handle` names answers.
    pub fn request_state(&self, handle: &str) -> Result<(), (i32, String)> {
        (self.round_trips.resume(handle, "fuzzed", None))
            .map(drop)
            .map_err(|error| (error.code.0, error.message.to_string()))
    }
}
