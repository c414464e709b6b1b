//! Multi-round-trip requests (MCP 2026-07-28, SEP-2322). On that revision a
//! server sends its client no request while a call runs. A tool's
//! `ctx.ask`, `ctx.sample` or `ctx.roots()` ends the current round instead:
//! the client is answered with an `InputRequiredResult` that holds the
//! question and a `requestState` handle, while the tool waits on the main
//! thread. The client's retry brings the answer and the handle back; the
//! call carries on where it stood, and the retry gets its result (or the
//! next question).
//!
//! The handle is a random key into [`RoundTrips`], never state a client
//! could forge: the call itself stays in this process. A call whose client
//! does not come back within the question's bound is abandoned: its tool
//! is told to stop, and its audit record ends.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::Duration;

use crossbeam_channel::Sender;
use dcclink_bridge::Outcome;
use dcclink_bridge::lock_order::{LockLevel, OrderedMutex};
use rmcp::ErrorData as McpError;
use rmcp::model::{InputRequiredResult, InputResponses};
use serde_json::Value;

use crate::audit::Record;
use crate::job::question::Question;
use crate::job::running::Running;

/// The key of the one question in each round.
const QUESTION: &str = "dcclink";
/// How long past the question's own bound a call waits for its client.
const GRACE: Duration = Duration::from_secs(5);

/// A call between rounds.
struct Parked {
    running: Running,
    record: Record,
    reply: Sender<Result<Value, String>>,
}

/// The calls waiting for their client's answer, by `requestState` handle.
pub struct RoundTrips {
    parked: OrderedMutex<HashMap<String, Parked>>,
}

impl Default for RoundTrips {
    fn default() -> Self {
        Self {
            parked: OrderedMutex::new(LockLevel::RoundTrips, HashMap::new()),
        }
    }
}

impl RoundTrips {
    /// Parks `running` until the client answers `question`, and returns what
    /// this round answers the client. When the client does not come back
    /// in time, the call is abandoned and `audit` gets its record.
    pub fn suspend(
        self: &Arc<Self>,
        running: Running,
        record: Record,
        question: Question,
        audit: impl FnOnce(Record, Outcome) + Send + 'static,
    ) -> InputRequiredResult {
        let handle = crate::transports::auth::random_token();
        let parked = Parked {
            running,
            record,
            reply: question.reply,
        };
        self.parked.lock().insert(handle.clone(), parked);
        let (round_trips, expiring) = (self.clone(), handle.clone());
        tokio::spawn(async move {
            tokio::time::sleep(question.timeout + GRACE).await;
            let abandoned = round_trips.parked.lock().remove(&expiring);
            if let Some(parked) = abandoned {
                let outcome = parked.running.abandon();
                audit(parked.record, outcome);
            }
        });
        let questions = BTreeMap::from([(QUESTION.to_owned(), question.request)]);
        InputRequiredResult::new(Some(questions), Some(handle))
    }

    /// Takes the call `handle` names back, for a retry of the job `name`,
    /// and hands the tool the client's answer from `responses`.
    pub fn resume(
        &self,
        handle: &str,
        name: &str,
        responses: Option<InputResponses>,
    ) -> Result<(Running, Record), McpError> {
        let mut parked = self.parked.lock();
        let waiting = parked.remove(handle).ok_or_else(|| {
            McpError::invalid_params(
                "requestState names no call waiting for an answer: it was answered, or it \
                 waited too long and was stopped; call again without requestState"
                    .to_owned(),
                None,
            )
        })?;
        if waiting.record.name() != name {
            let owner = waiting.record.name().to_owned();
            parked.insert(handle.to_owned(), waiting);
            return Err(McpError::invalid_params(
                format!("requestState belongs to '{owner}', not '{name}': retry the same request"),
                None,
            ));
        }
        drop(parked);
        let answer = responses
            .and_then(|mut responses| responses.remove(QUESTION))
            .ok_or_else(|| "the client retried without an answer to the question".to_owned());
        let _ = waiting.reply.send(answer);
        Ok((waiting.running, waiting.record))
    }
}
