//! The host-pumped panel (RFC 0006): the WebView lives on the host's main
//! thread, and the host's pump drives it. This is the seeds' embedded mode,
//! and the only one macOS allows.
//!
//! * The window sits in a thread-local slot on its owner thread. Borrowing
//!   the slot is taking the **WebView guard**. It is held for WebView
//!   operations only (build, evaluate a script, present, destroy), never
//!   while native events are dispatched and never while Python runs: in a
//!   host's GLib loop, dispatching events runs the host's own sources, and
//!   they may run Python, our pump included. It is marked with
//!   [`LockLevel::WebView`], so the pump's no-lock-around-Python check sees
//!   it in debug builds. A tool that calls `eval_js`, `emit` or
//!   `dcclink.pump()` finds the guard free.
//! * Other threads reach the window only through the bridge's FIFO, so their
//!   operations keep their place among tool calls.
//! * [`HostedPanel::serve`], called after each pump, dispatches the window's
//!   native events, unless the host called the pump from inside its own
//!   GLib loop. Then the host's loop dispatches them, and dcclink takes the
//!   **IPC-only path**: it never runs a second message pump that would steal
//!   the host's messages.
//! * Waits that need the page's answer (opening, `eval_js_sync`) on the
//!   owner thread dispatch native events until the answer comes, bounded,
//!   as a modal dialog does.

use std::cell::{Cell, RefCell};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::thread::{self, ThreadId};
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, RecvTimeoutError, Sender, TryRecvError, bounded};
use dcclink_bridge::lock_order::{LockLevel, OrderedMutex, mark_held};
use dcclink_bridge::{Lifecycle, LifecycleState};
use gtk::glib;
use gtk::prelude::*;
use wry::WebView;

use crate::error::PanelError;
use crate::gtk_claim::{PanelMode, claim, require_display};
use crate::host_link::HostLink;
use crate::page;

/// How long opening the window may take.
const OPEN_BOUND: Duration = Duration::from_secs(15);
/// How often a running tool's progress lets the window repaint: once a frame.
const FRAME: Duration = Duration::from_millis(16);
/// How long one repaint may dispatch native events.
const REPAINT_BUDGET: Duration = Duration::from_millis(4);

/// One open window, owned by its thread.
struct Window {
    /// Which opening of the panel this is.
    generation: u64,
    lifecycle: Arc<Lifecycle>,
    webview: WebView,
    window: gtk::Window,
}

thread_local! {
    /// The window, on its owner thread; a borrow is the WebView guard.
    static SLOT: RefCell<Option<Window>> = const { RefCell::new(None) };
    /// When a running tool's progress last let the window repaint.
    static LAST_REPAINT: Cell<Option<Instant>> = const { Cell::new(None) };
}

/// The WebView guard's mark in the host's lock checks, while it lives.
struct HostMark(Arc<dyn HostLink>);

impl HostMark {
    fn new(link: Arc<dyn HostLink>) -> Self {
        link.mark_guard(true);
        Self(link)
    }
}

impl Drop for HostMark {
    fn drop(&mut self) {
        self.0.mark_guard(false);
    }
}

/// Runs `f` on this thread's window slot under the WebView guard.
fn with_guard<R>(f: impl FnOnce(&mut Option<Window>) -> R) -> Result<R, PanelError> {
    let link = HostedPanel::get().route.lock().clone();
    let _held = mark_held(LockLevel::WebView);
    let _host_mark = link.map(HostMark::new);
    SLOT.with(|slot| {
        // Never fails by construction: the guard is not held across Python.
        // Were that broken, this is an error, not the seeds' deadlock.
        let mut slot = slot
            .try_borrow_mut()
            .map_err(|_| PanelError::Build("the WebView guard is already held".into()))?;
        Ok(f(&mut slot))
    })
}

/// The process's host-pumped panel, reached from any thread.
///
/// ```no_run
/// # use std::sync::Arc;
/// # use std::time::Duration;
/// # struct Fifo;
/// # impl dcclink_webview::HostLink for Fifo {
/// #     fn post(&self, work: dcclink_webview::MainThreadWork) -> Result<(), String> { Ok(()) }
/// #     fn mark_guard(&self, held: bool) {}
/// # }
/// # fn pump() {}
/// use dcclink_webview::HostedPanel;
/// let panel = HostedPanel::get();
/// // On the host's main thread, the one that pumps; `Fifo` queues work
/// // for that thread in order with the host's other messages:
/// panel.open("http://127.0.0.1:8765/panel?token=…", Arc::new(Fifo))?;
/// loop {
///     pump();
///     panel.serve(Duration::from_millis(10));
///     # break;
/// }
/// # Ok::<(), dcclink_webview::PanelError>(())
/// ```
pub struct HostedPanel {
    owner: OnceLock<ThreadId>,
    route: OrderedMutex<Option<Arc<dyn HostLink>>>,
    open: AtomicBool,
    /// Counts openings, so a close queued from another thread closes the
    /// window it meant and not a later one.
    generation: AtomicU64,
}

static HOSTED: OnceLock<HostedPanel> = OnceLock::new();

impl HostedPanel {
    /// The process's host-pumped panel. Nothing starts until it is opened.
    pub fn get() -> &'static HostedPanel {
        HOSTED.get_or_init(|| HostedPanel {
            owner: OnceLock::new(),
            route: OrderedMutex::new(LockLevel::PanelRoute, None),
            open: AtomicBool::new(false),
            generation: AtomicU64::new(0),
        })
    }

    fn on_owner(&self) -> bool {
        self.owner.get() == Some(&thread::current().id())
    }

    /// True while the window is open.
    pub fn is_open(&self) -> bool {
        self.open.load(Ordering::Acquire)
    }

    /// True when the host dispatches the window's native events itself: the
    /// pump was called from inside a running GLib loop.
    pub fn host_owns_loop() -> bool {
        glib::main_depth() > 0
    }

    /// Opens the window on `url` on this thread, which must be the thread
    /// that pumps, or brings it to the front. `link` carries operations
    /// from other threads to this one.
    pub fn open(&'static self, url: &str, link: Arc<dyn HostLink>) -> Result<(), PanelError> {
        require_display()?;
        claim(PanelMode::HostPumped)?;
        let me = thread::current().id();
        if *self.owner.get_or_init(|| me) != me {
            return Err(PanelError::WrongThread);
        }
        gtk::init().map_err(|e| PanelError::NoDisplay(e.to_string()))?;
        *self.route.lock() = Some(link);
        let loading = with_guard(|slot| {
            self.reap(slot);
            if let Some(open) = slot {
                open.window.present();
                return Ok(None);
            }
            let (loaded, answer) = bounded(1);
            let generation = self.generation.fetch_add(1, Ordering::AcqRel) + 1;
            *slot = Some(build(url, generation, loaded)?);
            self.open.store(true, Ordering::Release);
            Ok::<_, PanelError>(Some(answer))
        })??;
        match loading {
            Some(answer) => wait_modal(&answer, OPEN_BOUND),
            None => Ok(()),
        }
    }

    /// Closes the window. The server keeps running, and the panel can be
    /// opened again. From another thread the close is queued in the FIFO.
    pub fn close(&'static self) -> Result<(), PanelError> {
        if self.on_owner() {
            return with_guard(|slot| self.destroy(slot));
        }
        if !self.is_open() {
            return Ok(());
        }
        self.open.store(false, Ordering::Release);
        let meant = self.generation.load(Ordering::Acquire);
        self.post(move || {
            let _ = with_guard(|slot| {
                if slot.as_ref().is_some_and(|open| open.generation == meant) {
                    self.destroy(slot);
                }
            });
        })
    }

    /// Runs `script` in the page without waiting for it.
    pub fn eval_js(&'static self, script: &str) -> Result<(), PanelError> {
        let script = script.to_owned();
        self.on_window(move |open| {
            if let Err(error) = open.webview.evaluate_script(&script) {
                tracing::warn!(%error, "eval_js failed");
            }
        })
    }

    /// Runs `script` in the page and returns its value as JSON, waiting at
    /// most `timeout`.
    pub fn eval_js_sync(
        &'static self,
        script: &str,
        timeout: Duration,
    ) -> Result<String, PanelError> {
        let script = script.to_owned();
        let (done, answer) = bounded(1);
        self.on_window(move |open| {
            let reply = done.clone();
            let sent = open
                .webview
                .evaluate_script_with_callback(&script, move |json| {
                    let _ = reply.send(Ok(json));
                });
            if let Err(error) = sent {
                let _ = done.send(Err(PanelError::Build(error.to_string())));
            }
        })?;
        if self.on_owner() {
            wait_modal(&answer, timeout)
        } else {
            match answer.recv_timeout(timeout) {
                Ok(result) => result,
                Err(RecvTimeoutError::Timeout) => Err(PanelError::Timeout(timeout)),
                // The window closed before the script could run.
                Err(RecvTimeoutError::Disconnected) => Err(PanelError::Closed),
            }
        }
    }

    /// Serves the window after a pump, on its owner thread (elsewhere it does
    /// nothing): dispatches pending native events for at most `budget`,
    /// unless the host's own loop is dispatching them (the IPC-only path),
    /// and finishes a close the user asked for. It goes on after the window
    /// closes, while the WebView tears down. Returns how many native events
    /// it dispatched.
    pub fn serve(&self, budget: Duration) -> usize {
        if !self.on_owner() || !gtk::is_initialized_main_thread() {
            return 0;
        }
        // Native events are dispatched without the guard: in a host's GLib
        // loop they include the host's own sources, which may run Python.
        let mut dispatched = 0;
        if !Self::host_owns_loop() {
            let start = Instant::now();
            while gtk::events_pending() && start.elapsed() < budget {
                gtk::main_iteration_do(false);
                dispatched += 1;
            }
        }
        let _ = with_guard(|slot| self.reap(slot));
        dispatched
    }

    /// Lets the window repaint from inside a running tool (`ctx.progress`):
    /// at most once a frame, native events only, never another message.
    pub fn repaint(&self) {
        if !self.on_owner() || !self.is_open() {
            return;
        }
        let now = Instant::now();
        if LAST_REPAINT.get().is_some_and(|last| now - last < FRAME) {
            return;
        }
        LAST_REPAINT.set(Some(now));
        self.serve(REPAINT_BUDGET);
    }

    /// Runs `op` on the open window: at once on the owner thread, otherwise
    /// through the FIFO, behind the messages already queued.
    fn on_window(
        &'static self,
        op: impl FnOnce(&Window) + Send + 'static,
    ) -> Result<(), PanelError> {
        if !self.is_open() {
            return Err(PanelError::Closed);
        }
        if self.on_owner() {
            return with_guard(|slot| slot.as_ref().map(op).ok_or(PanelError::Closed))?;
        }
        self.post(move || {
            let _ = with_guard(|slot| slot.as_ref().map(op));
        })
    }

    /// Queues `task` for the owner thread in the host's FIFO.
    fn post(&self, task: impl FnOnce() + Send + 'static) -> Result<(), PanelError> {
        let link = self.route.lock().clone().ok_or(PanelError::Closed)?;
        link.post(Box::new(move |run| {
            if run {
                task();
            }
        }))
        .map_err(PanelError::Unreachable)
    }

    /// Destroys the window if the user asked to close it.
    fn reap(&self, slot: &mut Option<Window>) {
        if slot
            .as_ref()
            .is_some_and(|open| open.lifecycle.state() == LifecycleState::CloseRequested)
        {
            self.destroy(slot);
        }
    }

    /// Destroys the window through its lifecycle; the WebView goes first.
    fn destroy(&self, slot: &mut Option<Window>) {
        let Some(Window {
            lifecycle,
            generation: _,
            webview,
            window,
        }) = slot.take()
        else {
            return;
        };
        self.open.store(false, Ordering::Release);
        let _ = lifecycle.request_close();
        let _ = lifecycle.begin_destroy();
        drop(webview);
        // SAFETY: a toplevel this module created and alone refers to; it is
        // not touched again after this.
        unsafe { window.destroy() };
        let _ = lifecycle.finish_destroy();
    }
}

/// Builds the window and its WebView on `url`. The user's close button only
/// hides it and records the request; the next serve destroys it, outside any
/// native callback.
fn build(
    url: &str,
    generation: u64,
    loaded: Sender<Result<(), PanelError>>,
) -> Result<Window, PanelError> {
    let lifecycle = Arc::new(Lifecycle::new());
    let window = gtk::Window::new(gtk::WindowType::Toplevel);
    window.set_title("dcclink");
    window.set_default_size(1100, 720);
    let container = gtk::Box::new(gtk::Orientation::Vertical, 0);
    window.add(&container);
    let webview = page::load(&container, url, loaded)?;
    let asked = lifecycle.clone();
    window.connect_delete_event(move |window, _| {
        if asked.request_close().is_ok() {
            window.hide();
            HostedPanel::get().open.store(false, Ordering::Release);
        }
        glib::Propagation::Stop
    });
    window.show_all();
    let _ = lifecycle.activate();
    Ok(Window {
        generation,
        lifecycle,
        webview,
        window,
    })
}

/// Waits for `answer` on the owner thread, dispatching native events (the
/// page answers through them) until it comes or `bound` passes.
fn wait_modal<T>(
    answer: &Receiver<Result<T, PanelError>>,
    bound: Duration,
) -> Result<T, PanelError> {
    let deadline = Instant::now() + bound;
    loop {
        match answer.try_recv() {
            Ok(result) => return result,
            // The page dropped it (a navigation, or a close dispatched here).
            Err(TryRecvError::Disconnected) => return Err(PanelError::NoAnswer),
            Err(TryRecvError::Empty) => {}
        }
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(PanelError::Timeout(bound));
        }
        // Wakes the blocking iteration at the deadline at the latest.
        let alarm = glib::timeout_source_new(left, None, glib::Priority::DEFAULT, || {
            glib::ControlFlow::Break
        });
        alarm.attach(None);
        // Without the guard: this dispatches every source of the thread's
        // GLib context, and in a GLib host some of them run Python.
        gtk::main_iteration_do(true);
        alarm.destroy();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::host_link::MainThreadWork;

    /// A host that records the guard's marks.
    struct Marks(OrderedMutex<Vec<bool>>);

    impl HostLink for Marks {
        fn post(&self, _work: MainThreadWork) -> Result<(), String> {
            Ok(())
        }

        fn mark_guard(&self, held: bool) {
            self.0.lock().push(held);
        }
    }

    #[test]
    fn the_host_sees_the_guard_held_exactly_while_it_is() {
        let marks = Arc::new(Marks(OrderedMutex::new(LockLevel::PanelRoute, Vec::new())));
        *HostedPanel::get().route.lock() = Some(marks.clone());
        let inside = with_guard(|_| marks.0.lock().clone());
        assert_eq!(
            inside.ok(),
            Some(vec![true]),
            "marked before the slot is used"
        );
        assert_eq!(*marks.0.lock(), [true, false], "and unmarked after");
        *HostedPanel::get().route.lock() = None;
    }
}
