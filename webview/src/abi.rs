//! The C ABI between the `dcclink` extension and the panel plugin.
//!
//! The window (GTK, WebKit, wry, tao) is built as a plugin of its own,
//! `libdcclink_webview.so`, which the extension loads the first time a panel
//! window opens. A DCC that never opens the window never loads GTK or
//! WebKit: they are large, and a DCC may ship libraries that clash with
//! them. This module is the whole contract, and builds without GTK.
//!
//! The plugin exports one symbol, [`ENTRY`], a function that returns a
//! pointer to its static [`PluginApi`]. Strings cross as NUL-terminated
//! UTF-8; a string the plugin returns is freed with [`PluginApi::free_text`].

use std::ffi::{c_char, c_void};

/// The name of the plugin's entry point: `extern "C" fn() -> *const PluginApi`.
pub const ENTRY: &[u8] = b"dcclink_panel_api\0";

/// The ABI version: the host refuses a plugin with another.
pub const VERSION: u32 = 1;

/// Where the window lives (see `PanelMode`); `AUTO` lets the plugin choose.
pub mod mode {
    /// A UI thread of its own, except where the platform forbids it.
    pub const AUTO: u8 = 0;
    /// A UI thread of its own.
    pub const THREAD: u8 = 1;
    /// The host's main thread, driven by its pump.
    pub const HOST: u8 = 2;
}

/// How an operation ended.
pub mod status {
    /// It worked; `text` is its value, if any.
    pub const OK: u8 = 0;
    /// The page did not answer in time; `text` says so.
    pub const TIMEOUT: u8 = 1;
    /// It failed; `text` says why.
    pub const FAILED: u8 = 2;
}

/// What an operation returns: a status and, when not null, a text that the
/// host frees with [`PluginApi::free_text`].
#[repr(C)]
#[derive(Debug)]
pub struct Answer {
    /// One of [`status`].
    pub status: u8,
    /// The value (JSON for `eval_js_sync`) or the error message.
    pub text: *mut c_char,
}

/// Work the plugin asks the host to run on its main thread. The host calls
/// `run(data, true)` to run it or `run(data, false)` to drop it, exactly once.
#[repr(C)]
#[derive(Debug)]
pub struct Task {
    /// The plugin's state for the work.
    pub data: *mut c_void,
    /// Runs or drops the work, and frees `data`.
    pub run: unsafe extern "C" fn(data: *mut c_void, run: bool),
}

/// The host's side, for a host-pumped window. The plugin calls these from
/// any thread, and `release` once when it no longer needs `ctx`.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct Hooks {
    /// The host's state.
    pub ctx: *const c_void,
    /// Queues `task` behind the host's queued messages; false when it could
    /// not (the host has then dropped the task).
    pub post: unsafe extern "C" fn(ctx: *const c_void, task: Task) -> bool,
    /// Marks the WebView guard taken or released on this thread.
    pub mark_guard: unsafe extern "C" fn(ctx: *const c_void, held: bool),
    /// Frees `ctx`.
    pub release: unsafe extern "C" fn(ctx: *const c_void),
}

/// The plugin's operations. Each one is safe to call from any thread; what
/// each does on which thread is documented on `dcclink_webview::window`.
#[repr(C)]
#[derive(Debug)]
pub struct PluginApi {
    /// [`VERSION`].
    pub version: u32,
    /// Opens the window on `url` in `mode`, or focuses it; `hooks` is null,
    /// or the host's side for a host-pumped window (the plugin then owns it).
    pub open: unsafe extern "C" fn(url: *const c_char, mode: u8, hooks: *const Hooks) -> Answer,
    /// Closes the window, if open.
    pub close: unsafe extern "C" fn() -> Answer,
    /// True while the window is open.
    pub is_open: unsafe extern "C" fn() -> bool,
    /// Runs a script in the page without waiting.
    pub eval_js: unsafe extern "C" fn(script: *const c_char) -> Answer,
    /// Runs a script in the page and answers its value as JSON.
    pub eval_js_sync: unsafe extern "C" fn(script: *const c_char, timeout_s: f64) -> Answer,
    /// Waits up to `timeout_s` for a window on its own thread to close.
    pub wait_closed: unsafe extern "C" fn(timeout_s: f64) -> bool,
    /// After a pump: serves a host-pumped window for at most `budget_s`.
    pub serve: unsafe extern "C" fn(budget_s: f64),
    /// From a tool's progress: lets a host-pumped window repaint.
    pub repaint: unsafe extern "C" fn(),
    /// Frees a text from an [`Answer`].
    pub free_text: unsafe extern "C" fn(text: *mut c_char),
}
