//! The relay's side toward the IDE: lines to the relay's stdout, in order,
//! and the instances' requests to the IDE (elicitation, sampling, roots).
//! Their ids are renamed on the way, so that two instances' requests never
//! collide, and named back when the IDE answers.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock, Weak};

use dcclink_bridge::lock_order::{LockLevel, OrderedMutex};
use serde_json::value::RawValue;
use serde_json::{Map, Value};

use super::upstream::{Inbox, Link};
use crate::transports::stdio::LineSender;

/// A request an instance sent the IDE, waiting for the IDE's answer.
struct Asked {
    link: Weak<Link>,
    id: Value,
}

/// The IDE, as the relay sees it.
pub(super) struct Ide {
    out: LineSender,
    asked: OrderedMutex<HashMap<String, Asked>>,
    next: AtomicU64,
    /// The parameters of the IDE's `initialize`, which each session with an
    /// instance repeats; an IDE on MCP 2026-07-28 sends none.
    pub(super) hello: OnceLock<Box<RawValue>>,
}

impl Ide {
    /// Writes to `out`.
    pub(super) fn new(out: LineSender) -> Self {
        Self {
            out,
            asked: OrderedMutex::new(LockLevel::Relay, HashMap::new()),
            next: AtomicU64::new(1),
            hello: OnceLock::new(),
        }
    }

    /// The IDE's answer `line` to the request the relay named `id`: the
    /// answer under the instance's own id, and the link to send it on.
    /// `None` when no such request waits.
    pub(super) fn answered(&self, id: &str, line: &[u8]) -> Option<(Arc<Link>, String)> {
        let asked = self.asked.lock().remove(id)?;
        let link = asked.link.upgrade()?;
        let mut answer = serde_json::from_slice::<Map<String, Value>>(line).ok()?;
        answer.insert("id".into(), asked.id);
        Some((link, serde_json::to_string(&answer).ok()?))
    }

    /// The IDE's `initialize` parameters for a session with an instance:
    /// its own, named as coming through the relay, or (for an IDE on MCP
    /// 2026-07-28, which sends none) the relay's.
    pub(super) fn hello(&self) -> Box<RawValue> {
        let mut hello: Map<String, Value> = self
            .hello
            .get()
            .and_then(|raw| serde_json::from_str(raw.get()).ok())
            .unwrap_or_else(|| {
                let fallback = serde_json::json!({
                    "protocolVersion": rmcp::model::ProtocolVersion::LATEST_WITH_INITIALIZE,
                    "capabilities": {},
                    "clientInfo": {"name": "an IDE", "version": "0"},
                });
                fallback.as_object().cloned().unwrap_or_default()
            });
        if let Some(Value::Object(info)) = hello.get_mut("clientInfo") {
            let ide = info.get("name").and_then(Value::as_str).unwrap_or("an IDE");
            let name = format!("{ide} via dcclink connect");
            info.insert("name".into(), name.into());
        }
        let text = serde_json::to_string(&hello).unwrap_or_else(|_| "{}".into());
        RawValue::from_string(text).unwrap_or_else(|_| empty_object())
    }
}

impl Inbox for Ide {
    /// Queues one message for the IDE, after those queued before it.
    fn send(&self, line: Vec<u8>) {
        // Queued at once; the future only says when it was written.
        drop(self.out.queue(line));
    }

    /// Passes `data`, a request from the instance behind `link`, to the IDE
    /// under an id of the relay's.
    fn ask(&self, link: &Arc<Link>, data: &str) {
        let Ok(mut request) = serde_json::from_str::<Map<String, Value>>(data) else {
            return;
        };
        let ours = format!(
            "dcclink-connect-{}",
            self.next.fetch_add(1, Ordering::Relaxed)
        );
        let Some(theirs) = request.insert("id".into(), ours.clone().into()) else {
            return;
        };
        let asked = Asked {
            link: Arc::downgrade(link),
            id: theirs,
        };
        self.asked.lock().insert(ours, asked);
        if let Ok(line) = serde_json::to_vec(&request) {
            self.send(line);
        }
    }
}

/// `{}`, as a raw value.
fn empty_object() -> Box<RawValue> {
    serde_json::value::to_raw_value(&Map::new()).unwrap_or_default()
}
