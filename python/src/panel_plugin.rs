//! `dcclink.open_panel()` and `dcclink.panel.*`: the panel window, through
//! the panel plugin (`libdcclink_webview.so`, see `dcclink_webview::abi`).
//!
//! The plugin is loaded the first time a window opens, so importing dcclink
//! never loads GTK or WebKit into the DCC. Until then every other operation
//! answers as for a closed window, without loading anything. The plugin
//! stays loaded for the life of the process (GTK cannot be unloaded).

use std::cell::RefCell;
use std::ffi::{CString, c_void};
use std::path::PathBuf;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use dcclink_bridge::lock_order::{HeldMark, LockLevel, mark_held};
use dcclink_bridge::{Bridge, Message, TaskFate};
use dcclink_webview::abi::{self, Answer, Hooks, PluginApi, Task};
use pyo3::exceptions::{PyRuntimeError, PyTimeoutError, PyValueError};
use pyo3::{PyErr, PyResult};

/// The folder the plugin is in (the `dcclink` package's), set at import.
static FOLDER: OnceLock<PathBuf> = OnceLock::new();
/// The loaded plugin.
static PLUGIN: OnceLock<&'static PluginApi> = OnceLock::new();

/// Records where the plugin is; nothing is loaded yet.
pub(crate) fn set_folder(folder: PathBuf) {
    let _ = FOLDER.set(folder);
}

fn load() -> PyResult<&'static PluginApi> {
    if let Some(api) = PLUGIN.get() {
        return Ok(api);
    }
    let name = libloading::library_filename("dcclink_webview");
    let folder = FOLDER
        .get()
        .ok_or_else(|| PyRuntimeError::new_err("import dcclink before opening the panel"))?;
    let path = folder.join(&name);
    if !path.exists() {
        return Err(PyRuntimeError::new_err(format!(
            "this dcclink has no panel window ({} is not in {}); open the panel link in a browser instead",
            name.to_string_lossy(),
            folder.display()
        )));
    }
    // SAFETY: our own plugin, whose initialisers only set up statics.
    let library = unsafe { libloading::Library::new(&path) }.map_err(|e| {
        PyRuntimeError::new_err(format!(
            "cannot load the panel window ({e}); install WebKitGTK 4.1 (Debian: libwebkit2gtk-4.1-0), or open the panel link in a browser"
        ))
    })?;
    // SAFETY: the entry point has this signature by the ABI.
    let api = unsafe {
        let entry = library
            .get::<unsafe extern "C" fn() -> *const PluginApi>(abi::ENTRY)
            .map_err(|e| {
                PyRuntimeError::new_err(format!(
                    "{} is not a dcclink panel plugin: {e}",
                    path.display()
                ))
            })?;
        &*entry()
    };
    if api.version != abi::VERSION {
        return Err(PyRuntimeError::new_err(format!(
            "{} speaks panel ABI {}, this dcclink {}: reinstall dcclink",
            path.display(),
            api.version,
            abi::VERSION
        )));
    }
    // Never unloaded: its threads and GTK live until the process ends.
    std::mem::forget(library);
    Ok(PLUGIN.get_or_init(|| api))
}

/// Turns the plugin's answer into a value or a Python exception.
fn take(api: &PluginApi, answer: Answer) -> PyResult<Option<String>> {
    let text = (!answer.text.is_null()).then(|| {
        // SAFETY: a NUL-terminated string from the plugin, freed right after.
        let text = unsafe { std::ffi::CStr::from_ptr(answer.text) }
            .to_string_lossy()
            .into_owned();
        // SAFETY: the plugin's own string, freed once.
        unsafe { (api.free_text)(answer.text) };
        text
    });
    match answer.status {
        abi::status::OK => Ok(text),
        abi::status::TIMEOUT => Err(PyTimeoutError::new_err(text.unwrap_or_default())),
        _ => Err(PyRuntimeError::new_err(text.unwrap_or_default())),
    }
}

fn c_string(value: &str) -> PyResult<CString> {
    CString::new(value).map_err(|_| PyValueError::new_err("the text contains a NUL character"))
}

fn closed() -> PyErr {
    PyRuntimeError::new_err("the panel window is not open; call dcclink.open_panel() first")
}

/// Opens the panel window on `url` in `mode` ("auto", "thread" or "host"),
/// or focuses it. `bridge` carries a host-pumped window's operations from
/// other threads; only a running host has one.
pub(crate) fn open(url: &str, mode: &str, bridge: Option<Arc<Bridge>>) -> PyResult<()> {
    let mode = match mode {
        "auto" => abi::mode::AUTO,
        "thread" => abi::mode::THREAD,
        "host" => abi::mode::HOST,
        other => {
            return Err(PyValueError::new_err(format!(
                "mode must be \"auto\", \"thread\" or \"host\", not {other:?}"
            )));
        }
    };
    let api = load()?;
    let url = c_string(url)?;
    let hooks = bridge.map(|bridge| Hooks {
        ctx: Arc::into_raw(bridge).cast::<c_void>(),
        post,
        mark_guard,
        release,
    });
    let hooks_ptr = hooks.as_ref().map_or(std::ptr::null(), std::ptr::from_ref);
    // SAFETY: valid strings and hooks; the plugin takes the hooks over.
    take(api, unsafe { (api.open)(url.as_ptr(), mode, hooks_ptr) }).map(drop)
}

/// Closes the panel window, if open.
pub(crate) fn close() -> PyResult<()> {
    match PLUGIN.get() {
        // SAFETY: a plain call.
        Some(api) => take(api, unsafe { (api.close)() }).map(drop),
        None => Ok(()),
    }
}

/// True while the panel window is open.
pub(crate) fn is_open() -> bool {
    // SAFETY: a plain call.
    PLUGIN.get().is_some_and(|api| unsafe { (api.is_open)() })
}

/// Runs `script` in the panel without waiting.
pub(crate) fn eval_js(script: &str) -> PyResult<()> {
    let api = PLUGIN.get().ok_or_else(closed)?;
    let script = c_string(script)?;
    // SAFETY: a valid string.
    take(api, unsafe { (api.eval_js)(script.as_ptr()) }).map(drop)
}

/// Runs `script` in the panel and returns its value as JSON.
pub(crate) fn eval_js_sync(script: &str, timeout: Duration) -> PyResult<String> {
    let api = PLUGIN.get().ok_or_else(closed)?;
    let script = c_string(script)?;
    // SAFETY: a valid string.
    let value = take(api, unsafe {
        (api.eval_js_sync)(script.as_ptr(), timeout.as_secs_f64())
    })?;
    Ok(value.unwrap_or_default())
}

/// Waits up to `timeout` for a window on its own thread to close.
pub(crate) fn wait_closed(timeout: Duration) -> bool {
    // SAFETY: a plain call.
    PLUGIN
        .get()
        .is_none_or(|api| unsafe { (api.wait_closed)(timeout.as_secs_f64()) })
}

/// After a pump: serves a host-pumped window on this thread.
pub(crate) fn serve(budget: Duration) {
    if let Some(api) = PLUGIN.get() {
        // SAFETY: a plain call.
        unsafe { (api.serve)(budget.as_secs_f64()) }
    }
}

/// From a tool's progress: lets a host-pumped window repaint.
pub(crate) fn repaint() {
    if let Some(api) = PLUGIN.get() {
        // SAFETY: a plain call.
        unsafe { (api.repaint)() }
    }
}

/// A plugin task in the FIFO: run or dropped exactly once.
struct PluginTask(Task);

// SAFETY: the ABI requires the plugin's work to be sendable.
unsafe impl Send for PluginTask {}

impl PluginTask {
    fn finish(self, run: bool) {
        let task = std::mem::ManuallyDrop::new(self);
        // SAFETY: handed back exactly once (Drop is skipped).
        unsafe { (task.0.run)(task.0.data, run) }
    }
}

impl Drop for PluginTask {
    fn drop(&mut self) {
        // SAFETY: dropped unrun, exactly once.
        unsafe { (self.0.run)(self.0.data, false) }
    }
}

unsafe extern "C" fn post(ctx: *const c_void, task: Task) -> bool {
    // SAFETY: `ctx` is the bridge `open` handed over, alive until released.
    let bridge = unsafe { &*ctx.cast::<Bridge>() };
    let task = PluginTask(task);
    bridge
        .submit(Message::MainThreadTask(Box::new(move |fate| {
            task.finish(fate == TaskFate::Run);
        })))
        .is_ok()
}

thread_local! {
    /// The WebView guard's marks in this extension's lock checks.
    static GUARD_MARKS: RefCell<Vec<HeldMark>> = const { RefCell::new(Vec::new()) };
}

unsafe extern "C" fn mark_guard(_ctx: *const c_void, held: bool) {
    GUARD_MARKS.with(|marks| {
        let mut marks = marks.borrow_mut();
        if held {
            marks.push(mark_held(LockLevel::WebView));
        } else {
            marks.pop();
        }
    });
}

unsafe extern "C" fn release(ctx: *const c_void) {
    // SAFETY: the reference `open` made, released once.
    drop(unsafe { Arc::from_raw(ctx.cast::<Bridge>()) });
}
