//! The process's panel window, in whichever mode the first opening chose:
//! the operations `dcclink.open_panel()` and `dcclink.panel.*` need, routed
//! to [`Panel`] (a UI thread of its own) or [`HostedPanel`] (the host's main
//! thread).

use std::sync::Arc;
use std::time::Duration;

use crate::error::PanelError;
use crate::gtk_claim::{PanelMode, claimed};
use crate::host_link::HostLink;
use crate::host_pumped::HostedPanel;
use crate::ui_thread::Panel;

/// The mode "auto" stands for: the mode already chosen, else a UI thread of
/// its own, except on macOS, which keeps every window on the main thread.
pub fn auto_mode() -> PanelMode {
    claimed().unwrap_or(if cfg!(target_os = "macos") {
        PanelMode::HostPumped
    } else {
        PanelMode::OwnThread
    })
}

/// Opens the window on `url` in `mode`, or focuses it. A host-pumped window
/// needs the host's `link`, and must be opened on the thread that pumps.
pub fn open(url: &str, mode: PanelMode, link: Option<Arc<dyn HostLink>>) -> Result<(), PanelError> {
    match (mode, link) {
        (PanelMode::OwnThread, _) => Panel::get()?.open(url),
        (PanelMode::HostPumped, Some(link)) => HostedPanel::get().open(url, link),
        (PanelMode::HostPumped, None) => Err(PanelError::NoHost),
    }
}

/// Closes the window, if open. The server keeps running.
pub fn close() -> Result<(), PanelError> {
    match claimed() {
        Some(PanelMode::OwnThread) => Panel::running().map_or(Ok(()), Panel::close),
        Some(PanelMode::HostPumped) => HostedPanel::get().close(),
        None => Ok(()),
    }
}

/// True while the window is open.
pub fn is_open() -> bool {
    match claimed() {
        Some(PanelMode::OwnThread) => Panel::running().is_some_and(Panel::is_open),
        Some(PanelMode::HostPumped) => HostedPanel::get().is_open(),
        None => false,
    }
}

/// Runs `script` in the page without waiting.
pub fn eval_js(script: &str) -> Result<(), PanelError> {
    match claimed() {
        Some(PanelMode::OwnThread) => Panel::get()?.eval_js(script),
        Some(PanelMode::HostPumped) => HostedPanel::get().eval_js(script),
        None => Err(PanelError::Closed),
    }
}

/// Runs `script` in the page and returns its value as JSON, waiting at most
/// `timeout`.
pub fn eval_js_sync(script: &str, timeout: Duration) -> Result<String, PanelError> {
    match claimed() {
        Some(PanelMode::OwnThread) => Panel::get()?.eval_js_sync(script, timeout),
        Some(PanelMode::HostPumped) => HostedPanel::get().eval_js_sync(script, timeout),
        None => Err(PanelError::Closed),
    }
}

/// Waits up to `timeout` for a window on its own thread to close; true when
/// none is open.
pub fn wait_closed(timeout: Duration) -> bool {
    Panel::running().is_none_or(|panel| panel.wait_closed(timeout))
}

/// After a pump: serves a host-pumped window on this thread.
pub fn serve(budget: Duration) {
    if claimed() == Some(PanelMode::HostPumped) {
        HostedPanel::get().serve(budget);
    }
}

/// From a tool's progress: lets a host-pumped window repaint.
pub fn repaint() {
    if claimed() == Some(PanelMode::HostPumped) {
        HostedPanel::get().repaint();
    }
}
