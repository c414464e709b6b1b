//! Yes-or-no questions a running tool asks the person at the panel, such as
//! "Run this Python in Blender?", and the answers the panel sends back.
//!
//! A question is an event on the bus ([`EventKind::PromptOpened`]); every
//! open panel shows it, and the first answer counts. The asking thread
//! waits, bounded, and stops waiting when its call is cancelled. With no
//! panel watching, asking fails at once rather than waiting for nobody.
//! "Trust this session" answers every later question yes until the bridge
//! goes away.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use crossbeam_channel::{RecvTimeoutError, Sender, bounded};

use crate::events::{EventBus, EventKind};
use crate::lock_order::{LockLevel, OrderedMutex};

/// How often a waiting question checks whether its call was cancelled.
const CANCEL_CHECK: Duration = Duration::from_millis(20);

/// Why a question got no answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PromptError {
    /// No panel is open to ask in.
    #[error(
        "this needs your approval in the dcclink panel, and no panel is open: open it (dcclink.open_panel(), or your DCC's dcclink button), then try again"
    )]
    NoPanel,
    /// Nobody answered in time.
    #[error("nobody answered in the dcclink panel within {0:?}")]
    TimedOut(Duration),
    /// The call was cancelled while it waited.
    #[error("the call was cancelled while it waited for an answer")]
    Cancelled,
}

/// The bridge's open questions.
#[derive(Debug)]
pub struct Prompts {
    next: AtomicU64,
    pending: OrderedMutex<HashMap<u64, Sender<bool>>>,
    trusted: AtomicBool,
    watchers: AtomicUsize,
}

impl Default for Prompts {
    fn default() -> Self {
        Self {
            next: AtomicU64::new(1),
            pending: OrderedMutex::new(LockLevel::Prompts, HashMap::new()),
            trusted: AtomicBool::new(false),
            watchers: AtomicUsize::new(0),
        }
    }
}

impl Prompts {
    /// Counts an open panel that can answer; [`Prompts::unwatch`] when it
    /// closes.
    pub fn watch(&self) {
        self.watchers.fetch_add(1, Ordering::AcqRel);
    }

    /// Stops counting a panel counted by [`Prompts::watch`].
    pub fn unwatch(&self) {
        self.watchers.fetch_sub(1, Ordering::AcqRel);
    }

    /// True once the user chose "trust this session".
    pub fn is_trusted(&self) -> bool {
        self.trusted.load(Ordering::Acquire)
    }

    /// Asks `question` (about `detail`) for `call`, and waits up to `timeout`
    /// for the answer, or until `cancelled()` is true. Yes at once when the
    /// session is trusted.
    pub fn ask(
        &self,
        events: &EventBus,
        call: Option<u64>,
        question: &str,
        detail: &str,
        timeout: Duration,
        cancelled: impl Fn() -> bool,
    ) -> Result<bool, PromptError> {
        if self.is_trusted() {
            return Ok(true);
        }
        if self.watchers.load(Ordering::Acquire) == 0 {
            return Err(PromptError::NoPanel);
        }
        let prompt = self.next.fetch_add(1, Ordering::Relaxed);
        let (answer, answered) = bounded(1);
        self.pending.lock().insert(prompt, answer);
        events.publish(EventKind::PromptOpened {
            prompt,
            call,
            question: question.to_owned(),
            detail: detail.to_owned(),
        });
        let deadline = Instant::now() + timeout;
        let result = loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match answered.recv_timeout(left.min(CANCEL_CHECK)) {
                Ok(allowed) => break Ok(allowed),
                Err(RecvTimeoutError::Timeout) if cancelled() => break Err(PromptError::Cancelled),
                Err(RecvTimeoutError::Timeout) if left.is_zero() => {
                    break Err(PromptError::TimedOut(timeout));
                }
                Err(RecvTimeoutError::Timeout) => {}
                // Unreachable: the sender lives in `pending` until removed below.
                Err(RecvTimeoutError::Disconnected) => break Err(PromptError::Cancelled),
            }
        };
        self.pending.lock().remove(&prompt);
        let outcome = match &result {
            Ok(true) => "allowed",
            Ok(false) => "denied",
            Err(PromptError::TimedOut(_)) => "timed out",
            Err(_) => "cancelled",
        };
        events.publish(EventKind::PromptClosed {
            prompt,
            outcome: outcome.to_owned(),
        });
        result
    }

    /// Answers question `prompt`; with `trust`, a yes also answers every
    /// later question yes. False when no such question waits.
    pub fn answer(&self, prompt: u64, allow: bool, trust: bool) -> bool {
        let waiting = self.pending.lock().remove(&prompt);
        let Some(answer) = waiting else {
            return false;
        };
        if allow && trust {
            self.trusted.store(true, Ordering::Release);
        }
        answer.send(allow).is_ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    fn asked(
        prompts: &Arc<Prompts>,
        bus: &Arc<EventBus>,
    ) -> std::thread::JoinHandle<Result<bool, PromptError>> {
        let (prompts, bus) = (prompts.clone(), bus.clone());
        std::thread::spawn(move || {
            prompts.ask(
                &bus,
                Some(7),
                "Run this?",
                "print(1)",
                Duration::from_secs(10),
                || false,
            )
        })
    }

    fn opened(events: &crossbeam_channel::Receiver<Arc<crate::Event>>) -> u64 {
        loop {
            let event = events.recv_timeout(Duration::from_secs(10)).unwrap();
            if let EventKind::PromptOpened { prompt, call, .. } = event.kind {
                assert_eq!(call, Some(7));
                return prompt;
            }
        }
    }

    #[test]
    fn an_answer_from_the_panel_reaches_the_asker() {
        let (prompts, bus) = (Arc::new(Prompts::default()), Arc::new(EventBus::new(64)));
        let events = bus.subscribe(64);
        prompts.watch();
        let waiting = asked(&prompts, &bus);
        let prompt = opened(&events);
        assert!(prompts.answer(prompt, false, false));
        assert_eq!(waiting.join().unwrap(), Ok(false));
        assert!(!prompts.answer(prompt, true, false), "answered once");

        let waiting = asked(&prompts, &bus);
        assert!(prompts.answer(opened(&events), true, true));
        assert_eq!(waiting.join().unwrap(), Ok(true));
        assert!(prompts.is_trusted());
        let trusted = prompts.ask(&bus, None, "Again?", "", Duration::ZERO, || false);
        assert_eq!(trusted, Ok(true), "a trusted session is not asked again");
    }

    #[test]
    fn no_panel_timeout_and_cancel_each_end_the_wait() {
        let (prompts, bus) = (Prompts::default(), EventBus::new(64));
        let never = || false;
        assert_eq!(
            prompts.ask(&bus, None, "?", "", Duration::from_secs(60), never),
            Err(PromptError::NoPanel)
        );
        prompts.watch();
        let short = Duration::from_millis(50);
        assert_eq!(
            prompts.ask(&bus, None, "?", "", short, never),
            Err(PromptError::TimedOut(short))
        );
        let long = Duration::from_secs(60);
        assert_eq!(
            prompts.ask(&bus, None, "?", "", long, || true),
            Err(PromptError::Cancelled)
        );
    }
}
