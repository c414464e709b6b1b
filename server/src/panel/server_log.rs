//! dcclink's own warnings and errors, shown in the panel's log beside the
//! tools' `ctx.log` lines: a tracing layer that publishes them on the event
//! bus of the running bridge.

use std::fmt::Write as _;
use std::sync::{Arc, Weak};

use dcclink_bridge::lock_order::{LockLevel, OrderedMutex};
use dcclink_bridge::{Bridge, EventKind};
use tracing::field::{Field, Visit};
use tracing::{Level, Subscriber};
use tracing_subscriber::Layer;
use tracing_subscriber::layer::Context;

/// The bridge whose panel gets the server's log (the latest one started).
static SINK: OrderedMutex<Weak<Bridge>> = OrderedMutex::new(LockLevel::LogSink, Weak::new());

/// Sends the server's warnings and errors to `bridge`'s panel from now on.
pub(crate) fn attach(bridge: &Arc<Bridge>) {
    *SINK.lock() = Arc::downgrade(bridge);
}

/// The tracing layer that forwards warnings and errors to the panel.
pub(crate) struct PanelLogLayer;

struct Message<'a>(&'a mut String);

impl Visit for Message<'_> {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        if !self.0.is_empty() {
            self.0.push(' ');
        }
        if field.name() == "message" {
            let _ = write!(self.0, "{value:?}");
        } else {
            let _ = write!(self.0, "{}={value:?}", field.name());
        }
    }
}

impl<S: Subscriber> Layer<S> for PanelLogLayer {
    fn on_event(&self, event: &tracing::Event<'_>, _context: Context<'_, S>) {
        let level = *event.metadata().level();
        let name = match level {
            Level::ERROR => "error",
            Level::WARN => "warning",
            _ => return,
        };
        // Taken and released before publishing: no lock is held across it.
        let Some(bridge) = SINK.lock().upgrade() else {
            return;
        };
        let mut message = String::new();
        event.record(&mut Message(&mut message));
        bridge.events().publish(EventKind::Log {
            call: None,
            level: name.to_owned(),
            message: format!("[{}] {message}", event.metadata().target()),
        });
    }
}
