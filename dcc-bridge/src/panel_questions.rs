//! Questions a running tool asks the person at the panel, and the answers
//! the panel sends back: yes or no ("Run this Python in Blender?"), or a
//! form to fill in when the tool needs values and its client cannot ask
//! the user itself.
//!
//! A question is an event on the bus ([`EventKind::QuestionOpened`]); every
//! open panel shows it, and the first answer counts. The asking thread
//! waits, bounded, and stops waiting when its call is cancelled. With no
//! panel watching, asking fails at once rather than waiting for nobody.
//! "Trust this session" answers every later yes-or-no question yes until
//! the bridge goes away; forms are always asked.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, RecvTimeoutError, Sender, bounded};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::events::{EventBus, EventKind};
use crate::lock_order::{LockLevel, OrderedMutex};

/// How often a waiting question checks whether its call was cancelled.
const CANCEL_CHECK: Duration = Duration::from_millis(20);

/// Why a question got no answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QuestionError {
    /// No panel is open to ask in.
    #[error(
        "this needs your answer in the dcclink panel, and no panel is open: open it (dcclink.open_panel(), or your DCC's dcclink button), then try again"
    )]
    NoPanel,
    /// Nobody answered in time.
    #[error("nobody answered in the dcclink panel within {0:?}")]
    TimedOut(Duration),
    /// The call was cancelled while it waited.
    #[error("the call was cancelled while it waited for an answer")]
    Cancelled,
}

/// Why the panel's answer was not taken.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AnswerError {
    /// No such question waits: it was answered from another panel, timed
    /// out, or its call was cancelled.
    #[error("question {0} no longer waits for an answer")]
    NotWaiting(u64),
    /// A yes or no to a form, or a form's values to a yes-or-no question.
    #[error("question {0} asks for {1}")]
    WrongKind(u64, &'static str),
}

/// What the person did with a form.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FormAction {
    /// Filled it in and sent it.
    Accept,
    /// Refused to answer.
    Decline,
    /// Dismissed it without choosing.
    Cancel,
}

/// The panel's answer to a form: `{"action": "accept", "content": {...}}`,
/// the shape of an MCP elicitation result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FormReply {
    /// Sent, declined or dismissed.
    pub action: FormAction,
    /// The values, by field name, when sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content: Option<Map<String, Value>>,
}

/// A question waiting for its answer.
#[derive(Debug)]
enum Waiting {
    YesNo(Sender<bool>),
    Form {
        schema: Value,
        answer: Sender<FormReply>,
    },
}

/// The bridge's open questions.
#[derive(Debug)]
pub struct PanelQuestions {
    next: AtomicU64,
    pending: OrderedMutex<HashMap<u64, Waiting>>,
    trusted: AtomicBool,
    watchers: AtomicUsize,
}

impl Default for PanelQuestions {
    fn default() -> Self {
        Self {
            next: AtomicU64::new(1),
            pending: OrderedMutex::new(LockLevel::PanelQuestions, HashMap::new()),
            trusted: AtomicBool::new(false),
            watchers: AtomicUsize::new(0),
        }
    }
}

/// A question as the panel shows it.
struct Question<'a> {
    call: Option<u64>,
    text: &'a str,
    detail: &'a str,
    form: Option<Value>,
}

impl PanelQuestions {
    /// Counts an open panel that can answer; [`PanelQuestions::unwatch`] when it
    /// closes.
    pub fn watch(&self) {
        self.watchers.fetch_add(1, Ordering::AcqRel);
    }

    /// Stops counting a panel counted by [`PanelQuestions::watch`].
    pub fn unwatch(&self) {
        self.watchers.fetch_sub(1, Ordering::AcqRel);
    }

    /// True while at least one panel can answer.
    pub fn is_watched(&self) -> bool {
        self.watchers.load(Ordering::Acquire) > 0
    }

    /// True once the user chose "trust this session".
    pub fn is_trusted(&self) -> bool {
        self.trusted.load(Ordering::Acquire)
    }

    /// Asks `question` (about `detail`) for `call`, and waits up to `timeout`
    /// for the answer, or until `cancelled()` is true. Yes at once when the
    /// session is trusted.
    pub fn confirm(
        &self,
        events: &EventBus,
        call: Option<u64>,
        question: &str,
        detail: &str,
        timeout: Duration,
        cancelled: impl Fn() -> bool,
    ) -> Result<bool, QuestionError> {
        if self.is_trusted() {
            return Ok(true);
        }
        let question = Question {
            call,
            text: question,
            detail,
            form: None,
        };
        let outcome = |allowed: &bool| if *allowed { "allowed" } else { "denied" };
        self.wait(
            events,
            question,
            Waiting::YesNo,
            outcome,
            timeout,
            cancelled,
        )
    }

    /// Asks the person to fill in a form: `message`, with the fields that
    /// `schema` (a JSON Schema object) describes. Waits as [`PanelQuestions::confirm`]
    /// does, and returns what the person did and the values they sent.
    pub fn fill_in(
        &self,
        events: &EventBus,
        call: Option<u64>,
        message: &str,
        schema: Value,
        timeout: Duration,
        cancelled: impl Fn() -> bool,
    ) -> Result<FormReply, QuestionError> {
        let question = Question {
            call,
            text: message,
            detail: "",
            form: Some(schema.clone()),
        };
        let waiting = |answer| Waiting::Form { schema, answer };
        let outcome = |reply: &FormReply| match reply.action {
            FormAction::Accept => "accepted",
            FormAction::Decline => "declined",
            FormAction::Cancel => "dismissed",
        };
        self.wait(events, question, waiting, outcome, timeout, cancelled)
    }

    /// Publishes `question`, waits for its answer and publishes how it
    /// ended.
    fn wait<T>(
        &self,
        events: &EventBus,
        question: Question<'_>,
        waiting: impl FnOnce(Sender<T>) -> Waiting,
        outcome: impl Fn(&T) -> &'static str,
        timeout: Duration,
        cancelled: impl Fn() -> bool,
    ) -> Result<T, QuestionError> {
        if !self.is_watched() {
            return Err(QuestionError::NoPanel);
        }
        let number = self.next.fetch_add(1, Ordering::Relaxed);
        let (answer, answered) = bounded(1);
        self.pending.lock().insert(number, waiting(answer));
        events.publish(EventKind::QuestionOpened {
            question: number,
            call: question.call,
            text: question.text.to_owned(),
            detail: question.detail.to_owned(),
            form: question.form,
        });
        let result = receive(&answered, timeout, cancelled);
        self.pending.lock().remove(&number);
        let outcome = match &result {
            Ok(answer) => outcome(answer),
            Err(QuestionError::TimedOut(_)) => "timed out",
            Err(_) => "cancelled",
        };
        events.publish(EventKind::QuestionClosed {
            question: number,
            outcome: outcome.to_owned(),
        });
        result
    }

    /// The JSON Schema of form question `number`, while it waits.
    pub fn form(&self, number: u64) -> Option<Value> {
        match self.pending.lock().get(&number) {
            Some(Waiting::Form { schema, .. }) => Some(schema.clone()),
            _ => None,
        }
    }

    /// Answers yes-or-no question `number`; with `trust`, a yes also
    /// answers every later question yes.
    pub fn answer(&self, number: u64, allow: bool, trust: bool) -> Result<(), AnswerError> {
        match self.take(number)? {
            Waiting::YesNo(answer) => {
                if allow && trust {
                    self.trusted.store(true, Ordering::Release);
                }
                answer
                    .send(allow)
                    .map_err(|_| AnswerError::NotWaiting(number))
            }
            form => Err(self.put_back(number, form, "a form")),
        }
    }

    /// Answers form question `number`. The caller checks the values
    /// against [`PanelQuestions::form`]'s schema first.
    pub fn answer_form(&self, number: u64, reply: FormReply) -> Result<(), AnswerError> {
        match self.take(number)? {
            Waiting::Form { answer, .. } => answer
                .send(reply)
                .map_err(|_| AnswerError::NotWaiting(number)),
            yes_no => Err(self.put_back(number, yes_no, "yes or no")),
        }
    }

    /// Removes question `number`, if it waits.
    fn take(&self, number: u64) -> Result<Waiting, AnswerError> {
        let waiting = self.pending.lock().remove(&number);
        waiting.ok_or(AnswerError::NotWaiting(number))
    }

    /// Puts back question `number`, which an answer did not fit: it asks
    /// for `expected`.
    fn put_back(&self, number: u64, waiting: Waiting, expected: &'static str) -> AnswerError {
        self.pending.lock().insert(number, waiting);
        AnswerError::WrongKind(number, expected)
    }
}

/// Waits up to `timeout` for an answer on `answered`, checking
/// `cancelled()` as it goes.
fn receive<T>(
    answered: &Receiver<T>,
    timeout: Duration,
    cancelled: impl Fn() -> bool,
) -> Result<T, QuestionError> {
    let deadline = Instant::now() + timeout;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match answered.recv_timeout(left.min(CANCEL_CHECK)) {
            Ok(answer) => return Ok(answer),
            Err(RecvTimeoutError::Timeout) if cancelled() => return Err(QuestionError::Cancelled),
            Err(RecvTimeoutError::Timeout) if left.is_zero() => {
                return Err(QuestionError::TimedOut(timeout));
            }
            Err(RecvTimeoutError::Timeout) => {}
            // Unreachable: the sender lives in `pending` until the asker
            // removes it.
            Err(RecvTimeoutError::Disconnected) => return Err(QuestionError::Cancelled),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use std::sync::Arc;

    fn asked(
        questions: &Arc<PanelQuestions>,
        bus: &Arc<EventBus>,
    ) -> std::thread::JoinHandle<Result<bool, QuestionError>> {
        let (questions, bus) = (questions.clone(), bus.clone());
        std::thread::spawn(move || {
            questions.confirm(
                &bus,
                Some(7),
                "Run this?",
                "print(1)",
                Duration::from_secs(10),
                || false,
            )
        })
    }

    /// The next question opened: its number and form.
    fn opened(events: &crossbeam_channel::Receiver<Arc<crate::Event>>) -> (u64, Option<Value>) {
        loop {
            let event = events.recv_timeout(Duration::from_secs(10)).unwrap();
            if let EventKind::QuestionOpened {
                question: number,
                call,
                form,
                ..
            } = &event.kind
            {
                assert_eq!(*call, Some(7));
                return (*number, form.clone());
            }
        }
    }

    /// The next question closed, and how.
    fn closed(events: &crossbeam_channel::Receiver<Arc<crate::Event>>) -> String {
        loop {
            let event = events.recv_timeout(Duration::from_secs(10)).unwrap();
            if let EventKind::QuestionClosed { outcome, .. } = &event.kind {
                return outcome.clone();
            }
        }
    }

    #[test]
    fn an_answer_from_the_panel_reaches_the_asker() {
        let (questions, bus) = (
            Arc::new(PanelQuestions::default()),
            Arc::new(EventBus::new(64)),
        );
        let events = bus.subscribe(64);
        questions.watch();
        let waiting = asked(&questions, &bus);
        let (number, form) = opened(&events);
        assert_eq!(form, None, "a yes-or-no question has no form");
        assert_eq!(questions.answer(number, false, false), Ok(()));
        assert_eq!(waiting.join().unwrap(), Ok(false));
        assert_eq!(closed(&events), "denied");
        assert_eq!(
            questions.answer(number, true, false),
            Err(AnswerError::NotWaiting(number)),
            "answered once"
        );

        let waiting = asked(&questions, &bus);
        assert_eq!(questions.answer(opened(&events).0, true, true), Ok(()));
        assert_eq!(waiting.join().unwrap(), Ok(true));
        assert!(questions.is_trusted());
        let trusted = questions.confirm(&bus, None, "Again?", "", Duration::ZERO, || false);
        assert_eq!(trusted, Ok(true), "a trusted session is not asked again");
    }

    #[test]
    fn a_form_gets_the_values_the_panel_sent() {
        let (questions, bus) = (
            Arc::new(PanelQuestions::default()),
            Arc::new(EventBus::new(64)),
        );
        let events = bus.subscribe(64);
        questions.watch();
        questions.trusted.store(true, Ordering::Release);
        let schema = json!({"type": "object", "properties": {"take": {"type": "integer"}}});
        let waiting = {
            let (questions, bus, schema) = (questions.clone(), bus.clone(), schema.clone());
            std::thread::spawn(move || {
                let long = Duration::from_secs(10);
                questions.fill_in(&bus, Some(7), "Which take?", schema, long, || false)
            })
        };
        let (number, form) = opened(&events);
        assert_eq!(form.as_ref(), Some(&schema), "trust does not skip a form");
        assert_eq!(questions.form(number), Some(schema));
        assert_eq!(
            questions.answer(number, true, false),
            Err(AnswerError::WrongKind(number, "a form")),
            "a yes is no answer to a form"
        );
        let values = Map::from_iter([("take".to_owned(), json!(3))]);
        let reply = FormReply {
            action: FormAction::Accept,
            content: Some(values),
        };
        assert_eq!(questions.answer_form(number, reply.clone()), Ok(()));
        assert_eq!(waiting.join().unwrap(), Ok(reply));
        assert_eq!(closed(&events), "accepted");
        assert_eq!(questions.form(number), None);
    }

    #[test]
    fn form_values_are_no_answer_to_a_yes_or_no_question() {
        let (questions, bus) = (
            Arc::new(PanelQuestions::default()),
            Arc::new(EventBus::new(64)),
        );
        let events = bus.subscribe(64);
        questions.watch();
        let waiting = asked(&questions, &bus);
        let (number, _) = opened(&events);
        let declined = FormReply {
            action: FormAction::Decline,
            content: None,
        };
        assert_eq!(
            questions.answer_form(number, declined),
            Err(AnswerError::WrongKind(number, "yes or no"))
        );
        assert_eq!(
            questions.answer(number, true, false),
            Ok(()),
            "it still waits"
        );
        assert_eq!(waiting.join().unwrap(), Ok(true));
    }

    #[test]
    fn no_panel_timeout_and_cancel_each_end_the_wait() {
        let (questions, bus) = (PanelQuestions::default(), EventBus::new(64));
        let never = || false;
        assert_eq!(
            questions.confirm(&bus, None, "?", "", Duration::from_secs(60), never),
            Err(QuestionError::NoPanel)
        );
        let schema = json!({"type": "object"});
        assert_eq!(
            questions.fill_in(&bus, None, "?", schema, Duration::from_secs(60), never),
            Err(QuestionError::NoPanel)
        );
        questions.watch();
        let short = Duration::from_millis(50);
        assert_eq!(
            questions.confirm(&bus, None, "?", "", short, never),
            Err(QuestionError::TimedOut(short))
        );
        let long = Duration::from_secs(60);
        assert_eq!(
            questions.confirm(&bus, None, "?", "", long, || true),
            Err(QuestionError::Cancelled)
        );
    }
}
