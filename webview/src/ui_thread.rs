//! The panel's UI thread: one tao event loop for the life of the process,
//! holding at most one panel window at a time.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use crossbeam_channel::{Receiver, Sender, bounded};
use dcclink_bridge::Lifecycle;
use tao::dpi::LogicalSize;
use tao::event::{Event, WindowEvent};
use tao::event_loop::{ControlFlow, EventLoopBuilder, EventLoopProxy, EventLoopWindowTarget};
use tao::platform::unix::{EventLoopBuilderExtUnix, WindowExtUnix};
use tao::window::{Window, WindowBuilder};
use wry::WebView;

use crate::command::Command;
use crate::error::PanelError;
use crate::gtk_claim::{PanelMode, claim, require_display};
use crate::page;

/// How long opening a window (and starting the UI thread) may take.
const OPEN_BOUND: Duration = Duration::from_secs(15);

/// The process's panel window, reached from any thread.
pub struct Panel {
    proxy: EventLoopProxy<Command>,
    open: Arc<AtomicBool>,
    closed: Receiver<()>,
}

static PANEL: OnceLock<Result<Panel, PanelError>> = OnceLock::new();

impl Panel {
    /// The panel, starting its UI thread on first use.
    pub fn get() -> Result<&'static Panel, PanelError> {
        PANEL
            .get_or_init(Panel::spawn)
            .as_ref()
            .map_err(Clone::clone)
    }

    /// The panel if its UI thread is running; never starts it.
    pub fn running() -> Option<&'static Panel> {
        PANEL.get().and_then(|panel| panel.as_ref().ok())
    }

    fn spawn() -> Result<Panel, PanelError> {
        require_display()?;
        claim(PanelMode::OwnThread)?;
        let open = Arc::new(AtomicBool::new(false));
        let (ready_tx, ready_rx) = bounded(1);
        let (closed_tx, closed) = bounded(1);
        let flag = open.clone();
        std::thread::Builder::new()
            .name("dcclink-panel".into())
            .spawn(move || run(ready_tx, flag, closed_tx))
            .map_err(|e| PanelError::Build(e.to_string()))?;
        let proxy = ready_rx
            .recv_timeout(OPEN_BOUND)
            .map_err(|_| PanelError::Timeout(OPEN_BOUND))??;
        Ok(Panel {
            proxy,
            open,
            closed,
        })
    }

    /// Waits up to `timeout` for the window to close; true when it did.
    pub fn wait_closed(&self, timeout: Duration) -> bool {
        !self.is_open() || self.closed.recv_timeout(timeout).is_ok()
    }

    fn send(&self, command: Command) -> Result<(), PanelError> {
        self.proxy
            .send_event(command)
            .map_err(|_| PanelError::UiThreadGone)
    }

    /// Sends the command `make` builds around a reply channel, and waits at
    /// most `bound` for the UI thread's answer.
    fn ask<T>(
        &self,
        make: impl FnOnce(Sender<Result<T, PanelError>>) -> Command,
        bound: Duration,
    ) -> Result<T, PanelError> {
        let (done, answer) = bounded(1);
        self.send(make(done))?;
        answer
            .recv_timeout(bound)
            .map_err(|_| PanelError::Timeout(bound))?
    }

    /// Opens the window on `url`, or brings it to the front when it is open.
    pub fn open(&self, url: &str) -> Result<(), PanelError> {
        let url = url.to_owned();
        self.ask(|done| Command::Open { url, done }, OPEN_BOUND)
    }

    /// Closes the window. The server keeps running, and the panel can be
    /// opened again.
    pub fn close(&self) -> Result<(), PanelError> {
        self.send(Command::Close)
    }

    /// True while the window is open.
    pub fn is_open(&self) -> bool {
        self.open.load(Ordering::Acquire)
    }

    /// Runs `script` in the page without waiting for it.
    pub fn eval_js(&self, script: &str) -> Result<(), PanelError> {
        if !self.is_open() {
            return Err(PanelError::Closed);
        }
        self.send(Command::EvalJs(script.to_owned()))
    }

    /// Runs `script` in the page and returns its value as JSON, waiting at
    /// most `timeout`.
    pub fn eval_js_sync(&self, script: &str, timeout: Duration) -> Result<String, PanelError> {
        if !self.is_open() {
            return Err(PanelError::Closed);
        }
        let script = script.to_owned();
        self.ask(|done| Command::EvalJsWithResult { script, done }, timeout)
    }
}

/// One open panel window.
struct PanelWindow {
    lifecycle: Lifecycle,
    webview: WebView,
    window: Window,
}

/// The UI thread's body: builds the event loop, then serves commands forever.
fn run(
    ready: Sender<Result<EventLoopProxy<Command>, PanelError>>,
    open: Arc<AtomicBool>,
    closed: Sender<()>,
) {
    let built = catch_unwind(AssertUnwindSafe(|| {
        let mut builder = EventLoopBuilder::<Command>::with_user_event();
        builder.with_any_thread(true);
        builder.build()
    }));
    let event_loop = match built {
        Ok(event_loop) => event_loop,
        Err(_) => {
            let _ = ready.send(Err(PanelError::NoDisplay("GTK could not start".into())));
            return;
        }
    };
    let _ = ready.send(Ok(event_loop.create_proxy()));
    let mut current: Option<PanelWindow> = None;
    event_loop.run(move |event, target, flow| {
        *flow = ControlFlow::Wait;
        match event {
            Event::UserEvent(command) => handle(command, &mut current, target, &open, &closed),
            Event::WindowEvent {
                event: WindowEvent::CloseRequested,
                ..
            } => {
                close(&mut current, &open, &closed);
            }
            _ => {}
        }
    });
}

fn handle(
    command: Command,
    current: &mut Option<PanelWindow>,
    target: &EventLoopWindowTarget<Command>,
    open: &AtomicBool,
    closed: &Sender<()>,
) {
    match command {
        Command::Open { url, done } => {
            let result = match current {
                Some(panel) => {
                    panel.window.set_visible(true);
                    panel.window.set_focus();
                    Ok(())
                }
                None => match build(&url, target, done.clone()) {
                    Ok(panel) => {
                        *current = Some(panel);
                        open.store(true, Ordering::Release);
                        // `done` is answered when the page has loaded.
                        return;
                    }
                    Err(error) => Err(error),
                },
            };
            let _ = done.send(result);
        }
        Command::Close => close(current, open, closed),
        Command::EvalJs(script) => {
            if let Some(panel) = current
                && let Err(error) = panel.webview.evaluate_script(&script)
            {
                tracing::warn!(%error, "eval_js failed");
            }
        }
        Command::EvalJsWithResult { script, done } => match current {
            Some(panel) => {
                let reply = done.clone();
                let sent = panel
                    .webview
                    .evaluate_script_with_callback(&script, move |json| {
                        let _ = reply.send(Ok(json));
                    });
                if let Err(error) = sent {
                    let _ = done.send(Err(PanelError::Build(error.to_string())));
                }
            }
            None => {
                let _ = done.send(Err(PanelError::Closed));
            }
        },
    }
}

/// Builds the window and its WebView on `url`; `loaded` is told when the
/// page is up.
fn build(
    url: &str,
    target: &EventLoopWindowTarget<Command>,
    loaded: Sender<Result<(), PanelError>>,
) -> Result<PanelWindow, PanelError> {
    let lifecycle = Lifecycle::new();
    let window = WindowBuilder::new()
        .with_title("dcclink")
        .with_inner_size(LogicalSize::new(1100.0, 720.0))
        .build(target)
        .map_err(|e| PanelError::Build(e.to_string()))?;
    let container = window
        .default_vbox()
        .ok_or_else(|| PanelError::Build("the window has no GTK container".into()))?;
    let webview = page::load(container, url, loaded)?;
    let _ = lifecycle.activate();
    Ok(PanelWindow {
        lifecycle,
        webview,
        window,
    })
}

/// Closes the window, if one is open, through its lifecycle. The WebView is
/// dropped before its window.
fn close(current: &mut Option<PanelWindow>, open: &AtomicBool, closed: &Sender<()>) {
    let Some(panel) = current.take() else { return };
    if panel.lifecycle.request_close().is_err() {
        return;
    }
    open.store(false, Ordering::Release);
    let _ = panel.lifecycle.begin_destroy();
    let PanelWindow {
        lifecycle,
        webview,
        window,
    } = panel;
    drop(webview);
    drop(window);
    let _ = lifecycle.finish_destroy();
    let _ = closed.try_send(());
}
