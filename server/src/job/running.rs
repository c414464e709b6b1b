//! Running one job (a `tools/call`, a resource read, a prompt, a
//! completion): queue it on the bridge, forward its progress and logs while
//! it runs, and answer within every bound.
//!
//! The server task never touches Python and never blocks: it waits on
//! oneshot channels, the client's cancellation and two timers (the queue
//! deadline, then the tool's timeout).
// MCP logging is deprecated from protocol 2026-07-28 (SEP-2577), but every
// client of the 2025 revisions still uses it.
#![allow(deprecated)]

use std::sync::Arc;
use std::time::Duration;

use base64::Engine as _;
use dcclink_bridge::{
    Bridge, CallContext, CallHandle, CallInfo, CancelReason, EventKind, Outbox, Outcome, Pending,
    Progress, QueuedCall,
};
use rmcp::model::{
    CallToolResult, ClientCapabilities, ContentBlock, JsonObject, LoggingMessageNotificationParam,
    ProgressNotificationParam, ProgressToken, ResourceContents,
};
use rmcp::service::{Peer, RoleServer};
use tokio::sync::{Notify, mpsc, oneshot};
use tokio_util::sync::CancellationToken;

use crate::job::client_requests::SessionRequests;
use crate::job::output::{Block, JobOutput, ResourceBody};
use crate::job::question::{Question, RoundTrip};
use crate::job::{Job, JobKind};
use crate::limits::CallQuota;

/// Where a call comes from and where its notifications go.
pub struct Caller {
    /// The client's name and transport, for logs and the panel.
    pub label: String,
    /// The client's connection.
    pub peer: Peer<RoleServer>,
    /// The progress token the client sent, if any.
    pub progress_token: Option<ProgressToken>,
    /// Fires when the client cancels the request.
    pub cancelled: CancellationToken,
    /// Fires when the client's connection closes.
    pub disconnected: CancellationToken,
    /// The least severe log level the client wants.
    pub min_log_level: dcclink_bridge::LogLevel,
    /// On MCP 2026-07-28, what the client said it can answer: its tool's
    /// questions then go out in an `InputRequiredResult`. `None` on the
    /// 2025 revisions, where they are requests of their own. A task's
    /// questions always come back as a [`Step::Asking`], on either revision.
    pub round_trips: Option<ClientCapabilities>,
    /// The MCP task the call runs as, if any.
    pub task: Option<String>,
    /// Sees each progress report on its way to the client (a task keeps
    /// the latest message as its status).
    pub on_progress: Option<ProgressSeen>,
    /// The client's calls queued or running, against its bound.
    pub(crate) quota: CallQuota,
}

/// Sees a call's progress reports.
pub(crate) type ProgressSeen = Arc<dyn Fn(&Progress) + Send + Sync>;

/// A job queued on the bridge, from its submission to its answer.
///
/// A job is answered in one round, except on MCP 2026-07-28 when its tool
/// asks the client something: [`Running::next`] then returns the question,
/// and a later call of it, with the next round's caller, carries on where
/// the wait stood (see [`crate::job::round_trips`]).
pub struct Running {
    bridge: Arc<Bridge>,
    call: Arc<CallHandle>,
    notify: Arc<Notify>,
    /// Until the host starts the job.
    started: Option<oneshot::Receiver<()>>,
    done: oneshot::Receiver<JobOutput>,
    /// The tool's questions for the client, on MCP 2026-07-28.
    questions: Option<mpsc::UnboundedReceiver<Question>>,
    label: String,
    decorator: &'static str,
}

/// Where a round of a job ended.
pub enum Step {
    /// The tool asks the client something, and waits for the answer.
    Asking(Box<Question>),
    /// The job's output, and its verdict.
    Done(JobOutput, Outcome),
}

impl Running {
    /// Queues `job` with `arguments` on the host's main thread, in turn with
    /// every other call. A job the host does not take is answered at once,
    /// with an error that says why.
    pub fn start(
        bridge: &Arc<Bridge>,
        job: Job,
        arguments: JsonObject,
        default_timeout: Duration,
        caller: &Caller,
    ) -> Result<Self, (JobOutput, Outcome)> {
        let (label, kind, runs_on) = (job.label(), job.kind, job.runs_on);
        let decorator = job.decorator();
        let notify = Arc::new(Notify::new());
        let outbox = {
            let notify = notify.clone();
            Outbox::new(move || notify.notify_one())
        };
        let info = CallInfo {
            id: bridge.next_call_id(),
            tool: job.name,
            client: caller.label.clone(),
            arguments: shorten(serde_json::to_string(&arguments).unwrap_or_default()),
            task: caller.task.clone(),
        };
        let call = Arc::new(CallHandle::new(
            info,
            bridge.config().queue_timeout,
            job.timeout.unwrap_or(default_timeout),
            outbox,
        ));
        let questions = match (&caller.round_trips, job.kind) {
            (Some(capabilities), JobKind::Tool | JobKind::Resource | JobKind::Prompt) => {
                let (questions_tx, questions) = mpsc::unbounded_channel();
                let client = caller.label.clone();
                call.set_client(Arc::new(RoundTrip::new(
                    questions_tx,
                    capabilities.clone(),
                    client,
                )));
                Some(questions)
            }
            _ => {
                call.set_client(Arc::new(SessionRequests::new(caller.peer.clone())));
                None
            }
        };

        let (started_tx, started_rx) = oneshot::channel::<()>();
        let (done_tx, done_rx) = oneshot::channel::<JobOutput>();
        let refuse = |why: String| {
            let output = failure(format!("{label} was not run: {why}"));
            publish_result(bridge, &call, &output);
            (output, call.decide(Outcome::Refused))
        };
        // The client's place is held until the call has run, or until the
        // queue lets go of it unrun.
        let slot = caller.quota.take().map_err(refuse)?;
        let run_bridge = bridge.clone();
        let handler = job.handler;
        let run = Box::new(move |call: &Arc<CallHandle>| {
            let _ = started_tx.send(());
            let ctx = CallContext::new(call.clone(), run_bridge);
            let output = handler.call(arguments, &ctx);
            drop(slot);
            let outcome = output.proposed_outcome();
            let _ = done_tx.send(output);
            outcome
        });
        bridge
            .submit(kind.message(QueuedCall {
                handle: call.clone(),
                run,
                runs_on,
            }))
            .map_err(|refused| refuse(refused.to_string()))?;
        Ok(Self {
            bridge: bridge.clone(),
            call,
            notify,
            started: Some(started_rx),
            done: done_rx,
            questions,
            label,
            decorator,
        })
    }

    /// Waits, for `caller`, until the job ends or its tool asks the client
    /// something: forwards progress and logs meanwhile, and answers within
    /// every bound (queue deadline, timeout, cancellation).
    pub async fn next(&mut self, caller: &Caller) -> Step {
        let answer = {
            let wait = wait_for_answer(
                &self.bridge,
                &self.call,
                &mut self.started,
                &mut self.done,
                &mut self.questions,
                caller,
            );
            let forward = forward_notifications(&self.call, &self.notify, caller);
            tokio::pin!(wait);
            tokio::select! {
                biased;
                answer = &mut wait => answer,
                () = forward => Answer::Withdrawn,
            }
        };
        // The progress so far and the last logs go out before the answer.
        send_pending(self.call.outbox().take(), caller).await;
        if let Answer::Asking(question) = answer {
            return Step::Asking(question);
        }
        let outcome = self.call.decide(proposed_outcome(&answer, &self.call));
        let output = self.reply(answer, outcome);
        publish_result(&self.bridge, &self.call, &output);
        Step::Done(output, outcome)
    }

    /// What the client is answered, given the call's verdict: the tool's own
    /// output when it returned (or raised), else why it did not.
    fn reply(&mut self, answer: Answer, outcome: Outcome) -> JobOutput {
        let call = &self.call;
        match (outcome, answer) {
            (Outcome::Done | Outcome::Failed, Answer::Output(output)) => output,
            // The pump settled the verdict first: the output is waiting.
            (Outcome::Done | Outcome::Failed, _) => self.done.try_recv().unwrap_or_else(|_| {
                failure("the call ended without an answer (the host dropped it)".into())
            }),
            (Outcome::TimedOut, _) if call.cancel_reason() != Some(CancelReason::Expired) => {
                failure(format!(
                    "{} timed out after {} and was asked to stop (ctx.cancelled is now true). \
                     The host's main thread stays busy until it returns. Make it check \
                     ctx.cancelled, or give it a longer timeout with {}(timeout=...).",
                    self.label,
                    seconds(call.timeout()),
                    self.decorator
                ))
            }
            (Outcome::TimedOut | Outcome::Cancelled | Outcome::Refused, _) => {
                failure(cancelled_message(call, &self.bridge, &self.label))
            }
        }
    }

    /// True when dcclink's shutdown (the DCC quitting) ended the call.
    pub fn stopped_by_shutdown(&self) -> bool {
        self.call.cancel_reason() == Some(CancelReason::ShuttingDown)
    }

    /// Gives up on a job whose client never came back for its answer: the
    /// tool is told to stop (`ctx.cancelled`). Returns its verdict.
    pub fn abandon(self) -> Outcome {
        self.bridge.cancel(&self.call, CancelReason::Disconnected);
        let outcome = self.call.decide(Outcome::Cancelled);
        let output = failure(format!(
            "{} was stopped: its client never came back with the answer the tool asked for",
            self.label
        ));
        publish_result(&self.bridge, &self.call, &output);
        outcome
    }
}

/// The verdict the server proposes from how its wait ended: the tool's
/// own when it returned (as a cancel meanwhile leaves it), else from why
/// the call was cancelled.
fn proposed_outcome(answer: &Answer, call: &CallHandle) -> Outcome {
    match answer {
        Answer::TimedOut => Outcome::TimedOut,
        Answer::Output(output) => call.verdict_after_return(output.proposed_outcome()),
        Answer::Withdrawn | Answer::Asking(_) => {
            call.cancelled_outcome().unwrap_or(Outcome::Cancelled)
        }
    }
}

/// Tells the panel what the client was answered.
fn publish_result(bridge: &Bridge, call: &CallHandle, output: &JobOutput) {
    bridge.events().publish(EventKind::CallResult {
        call: call.info().id,
        is_error: matches!(output, JobOutput::Error { .. }),
        text: shorten(output_text(output)),
    });
}

/// The longest text an event carries for display.
const DISPLAY_LIMIT: usize = 4096;

/// `text`, cut to [`DISPLAY_LIMIT`] bytes (on a character boundary).
fn shorten(mut text: String) -> String {
    if text.len() > DISPLAY_LIMIT {
        let mut end = DISPLAY_LIMIT;
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        text.truncate(end);
        text.push('…');
    }
    text
}

/// The output as text, for the panel.
fn output_text(output: &JobOutput) -> String {
    match output {
        JobOutput::Text(text) => text.clone(),
        JobOutput::Structured(value) => value.to_string(),
        JobOutput::Image { .. } => "[image]".to_owned(),
        JobOutput::Content(blocks) => blocks
            .iter()
            .map(|block| match block {
                Block::Text(text) => text.clone(),
                Block::Image { .. } => "[image]".to_owned(),
                Block::Audio { .. } => "[audio]".to_owned(),
                Block::Resource { uri, .. } => format!("[resource {uri}]"),
            })
            .collect::<Vec<_>>()
            .join("\n"),
        JobOutput::Empty => String::new(),
        JobOutput::Error { message, .. } => message.clone(),
    }
}

/// An error output with no traceback.
pub(crate) fn failure(message: String) -> JobOutput {
    JobOutput::Error {
        message,
        traceback: None,
    }
}

enum Answer {
    Output(JobOutput),
    Withdrawn,
    TimedOut,
    Asking(Box<Question>),
}

async fn wait_for_answer(
    bridge: &Bridge,
    call: &CallHandle,
    started: &mut Option<oneshot::Receiver<()>>,
    done: &mut oneshot::Receiver<JobOutput>,
    questions: &mut Option<mpsc::UnboundedReceiver<Question>>,
    caller: &Caller,
) -> Answer {
    if let Some(starting) = started.as_mut() {
        let queue_deadline = tokio::time::Instant::from_std(call.expires_at());
        // While queued: it starts, or it is withdrawn, cancelled or expires.
        let started_now = tokio::select! {
            biased;
            started = starting => started.is_ok(),
            reason = cancellation(caller) => {
                bridge.cancel(call, reason);
                return Answer::Withdrawn;
            }
            () = tokio::time::sleep_until(queue_deadline) => {
                !bridge.cancel(call, CancelReason::Expired)
            }
        };
        if !started_now {
            return Answer::Withdrawn;
        }
        *started = None;
    }
    // While running: it returns, or is cancelled, or runs past its timeout.
    let started_at = call.started_at().unwrap_or_else(std::time::Instant::now);
    let deadline = tokio::time::Instant::from_std(started_at + call.timeout());
    tokio::select! {
        biased;
        output = done => match output {
            Ok(output) => Answer::Output(output),
            Err(_) => Answer::Output(failure(
                "the call ended without an answer (the host dropped it)".into(),
            )),
        },
        Some(question) = next_question(questions) => Answer::Asking(Box::new(question)),
        reason = cancellation(caller) => {
            bridge.cancel(call, reason);
            Answer::Withdrawn
        }
        () = tokio::time::sleep_until(deadline) => {
            bridge.cancel(call, CancelReason::TimedOut);
            Answer::TimedOut
        }
    }
}

/// The tool's next question for the client; never, when it cannot ask.
async fn next_question(
    questions: &mut Option<mpsc::UnboundedReceiver<Question>>,
) -> Option<Question> {
    match questions {
        Some(questions) => questions.recv().await,
        None => std::future::pending().await,
    }
}

/// Resolves when the client cancels the call or goes away, with the reason.
async fn cancellation(caller: &Caller) -> CancelReason {
    tokio::select! {
        () = caller.cancelled.cancelled() => CancelReason::Client,
        () = caller.disconnected.cancelled() => CancelReason::Disconnected,
    }
}

fn cancelled_message(call: &CallHandle, bridge: &Bridge, label: &str) -> String {
    match call.cancel_reason() {
        Some(CancelReason::Expired) => format!(
            "{label} waited {} in the host's queue behind other calls and was not run \
             (queue timeout {}). The DCC's main thread is busy; retry when it is free.",
            seconds(call.queued_at().elapsed()),
            seconds(bridge.config().queue_timeout)
        ),
        Some(CancelReason::ShuttingDown) if call.has_run() => {
            format!("{label} was stopped: dcclink is shutting down")
        }
        Some(CancelReason::ShuttingDown) => {
            format!("{label} was not run: dcclink is shutting down")
        }
        Some(CancelReason::TimedOut) => format!("{label} timed out"),
        Some(CancelReason::Disconnected) => {
            format!("{label} was cancelled: its client disconnected")
        }
        Some(CancelReason::Panel) => format!("{label} was cancelled from the dcclink panel"),
        Some(CancelReason::Client) | None => format!("{label} was cancelled by the client"),
    }
}

fn seconds(duration: Duration) -> String {
    format!("{:.1} s", duration.as_secs_f64())
}

/// Sends the call's progress and logs whenever the tool reports some, until
/// the call is cancelled from the panel: then the client is answered at once,
/// as for a timeout, while the tool winds down. Dropped when the answer is
/// ready.
async fn forward_notifications(call: &CallHandle, notify: &Notify, caller: &Caller) {
    loop {
        notify.notified().await;
        send_pending(call.outbox().take(), caller).await;
        if call.cancel_reason() == Some(CancelReason::Panel) {
            return;
        }
    }
}

async fn send_pending(pending: Pending, caller: &Caller) {
    for record in pending.logs {
        if record.level < caller.min_log_level {
            continue;
        }
        let param = LoggingMessageNotificationParam::new(
            crate::log_levels::to_mcp(record.level),
            serde_json::Value::String(record.message),
        );
        if caller.peer.notify_logging_message(param).await.is_err() {
            return;
        }
    }
    if let (Some(progress), Some(seen)) = (&pending.progress, &caller.on_progress) {
        seen(progress);
    }
    if let (Some(progress), Some(token)) = (pending.progress, &caller.progress_token) {
        let mut param = ProgressNotificationParam::new(token.clone(), progress.progress);
        param.total = progress.total;
        param.message = progress.message;
        let _ = caller.peer.notify_progress(param).await;
    }
}

/// A tool-level error result: the client shows `message` to the model.
pub(crate) fn error_result(message: String) -> CallToolResult {
    CallToolResult::error(vec![ContentBlock::text(message)])
}

/// A tool's output as the `tools/call` result.
pub(crate) fn tool_result(output: JobOutput) -> CallToolResult {
    match output {
        JobOutput::Text(text) => CallToolResult::success(vec![ContentBlock::text(text)]),
        JobOutput::Structured(value) => CallToolResult::structured(value),
        JobOutput::Image { data, mime } => {
            CallToolResult::success(vec![ContentBlock::image(base64(&data), mime)])
        }
        JobOutput::Content(blocks) => {
            CallToolResult::success(blocks.into_iter().map(content_block).collect())
        }
        JobOutput::Empty => CallToolResult::success(Vec::new()),
        JobOutput::Error { message, traceback } => error_result(match traceback {
            Some(traceback) => format!("{message}\n\n{traceback}"),
            None => message,
        }),
    }
}

fn base64(data: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(data)
}

/// One block as MCP content.
pub(crate) fn content_block(block: Block) -> ContentBlock {
    match block {
        Block::Text(text) => ContentBlock::text(text),
        Block::Image { data, mime } => ContentBlock::image(base64(&data), mime),
        Block::Audio { data, mime } => ContentBlock::audio(base64(&data), mime),
        Block::Resource { uri, mime, body } => {
            let contents = match body {
                ResourceBody::Text(text) => ResourceContents::text(text, uri),
                ResourceBody::Blob(data) => ResourceContents::blob(base64(&data), uri),
            };
            ContentBlock::resource(match mime {
                Some(mime) => contents.with_mime_type(mime),
                None => contents,
            })
        }
    }
}
