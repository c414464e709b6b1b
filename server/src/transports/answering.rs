//! The answers still on their way: `/mcp` responses being written, and MCP
//! tasks whose end has not gone out. Shutdown waits (bounded) for them
//! before it closes the sessions, so a call that finished just before
//! `dcclink.stop()` still reaches its client.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;

/// Counts answers on their way to clients.
#[derive(Debug, Clone)]
pub(crate) struct Answering(Arc<watch::Sender<usize>>);

impl Default for Answering {
    fn default() -> Self {
        Self(Arc::new(watch::Sender::new(0)))
    }
}

impl Answering {
    /// Counts one more answer until the returned guard drops.
    pub(crate) fn begin(&self) -> AnswerGuard {
        self.0.send_modify(|open| *open += 1);
        AnswerGuard(self.0.clone())
    }

    /// Waits until no answer is on its way, at most `bound`; true when none
    /// is.
    pub(crate) async fn settled(&self, bound: Duration) -> bool {
        let mut open = self.0.subscribe();
        tokio::time::timeout(bound, open.wait_for(|open| *open == 0))
            .await
            .is_ok_and(|seen| seen.is_ok())
    }
}

/// One answer on its way; dropped once it has gone out (or with the
/// response body that carries it).
#[derive(Debug)]
pub(crate) struct AnswerGuard(Arc<watch::Sender<usize>>);

impl Drop for AnswerGuard {
    fn drop(&mut self) {
        self.0.send_modify(|open| *open = open.saturating_sub(1));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn settles_when_the_last_answer_is_written() {
        let answering = Answering::default();
        let guard = answering.begin();
        assert!(!answering.settled(Duration::from_millis(10)).await);
        let waiter = tokio::spawn({
            let answering = answering.clone();
            async move { answering.settled(Duration::from_secs(10)).await }
        });
        drop(guard);
        assert!(waiter.await.is_ok_and(|settled| settled));
    }
}
