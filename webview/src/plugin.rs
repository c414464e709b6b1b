//! The plugin's C entry points ([`crate::abi`]): each wraps one function of
//! [`crate::window`], converts strings and errors, and never lets a panic
//! cross into the host.

use std::ffi::{CStr, CString, c_char, c_void};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::time::Duration;

use crate::abi::{self, Answer, Hooks, PluginApi, Task};
use crate::error::PanelError;
use crate::gtk_claim::PanelMode;
use crate::host_link::{HostLink, MainThreadWork};
use crate::window;

static API: PluginApi = PluginApi {
    version: abi::VERSION,
    open,
    close,
    is_open,
    eval_js,
    eval_js_sync,
    wait_closed,
    serve,
    repaint,
    free_text,
};

/// The plugin's entry point ([`abi::ENTRY`]).
#[unsafe(no_mangle)]
pub(crate) extern "C" fn dcclink_panel_api() -> *const PluginApi {
    &API
}

fn text(value: String) -> *mut c_char {
    // A NUL inside is replaced rather than lost.
    CString::new(value.replace('\0', "\u{FFFD}")).map_or(std::ptr::null_mut(), CString::into_raw)
}

fn answer(result: std::thread::Result<Result<Option<String>, PanelError>>) -> Answer {
    let (status, message) = match result {
        Ok(Ok(value)) => (abi::status::OK, value),
        Ok(Err(error @ PanelError::Timeout(_))) => (abi::status::TIMEOUT, Some(error.to_string())),
        Ok(Err(error)) => (abi::status::FAILED, Some(error.to_string())),
        Err(_) => (
            abi::status::FAILED,
            Some("the panel window failed (a panic in the panel plugin)".into()),
        ),
    };
    Answer {
        status,
        text: message.map_or(std::ptr::null_mut(), text),
    }
}

/// # Safety
/// `value` is null or a NUL-terminated string.
unsafe fn string(value: *const c_char) -> Result<String, PanelError> {
    if value.is_null() {
        return Err(PanelError::Build("no text was given".into()));
    }
    // SAFETY: the caller's promise.
    let value = unsafe { CStr::from_ptr(value) };
    Ok(value.to_string_lossy().into_owned())
}

fn seconds(value: f64) -> Duration {
    Duration::try_from_secs_f64(value.max(0.0)).unwrap_or(Duration::MAX)
}

/// The host's hooks as a [`HostLink`]; releases them when the last user goes.
struct CHostLink(Hooks);

// SAFETY: the ABI requires the hooks to be callable from any thread.
unsafe impl Send for CHostLink {}
// SAFETY: as above.
unsafe impl Sync for CHostLink {}

impl HostLink for CHostLink {
    fn post(&self, work: MainThreadWork) -> Result<(), String> {
        unsafe extern "C" fn run(data: *mut c_void, run: bool) {
            // SAFETY: `data` is the box made below, handed back exactly once.
            let work = unsafe { Box::from_raw(data.cast::<MainThreadWork>()) };
            let _ = catch_unwind(AssertUnwindSafe(move || work(run)));
        }
        let data = Box::into_raw(Box::new(work)).cast::<c_void>();
        // SAFETY: the hooks are valid until released, and the host calls
        // `run` exactly once whatever happens.
        if unsafe { (self.0.post)(self.0.ctx, Task { data, run }) } {
            Ok(())
        } else {
            Err("the host is shutting down".into())
        }
    }

    fn mark_guard(&self, held: bool) {
        // SAFETY: valid until released.
        unsafe { (self.0.mark_guard)(self.0.ctx, held) }
    }
}

impl Drop for CHostLink {
    fn drop(&mut self) {
        // SAFETY: released once, after the last use.
        unsafe { (self.0.release)(self.0.ctx) }
    }
}

unsafe extern "C" fn open(url: *const c_char, mode: u8, hooks: *const Hooks) -> Answer {
    answer(catch_unwind(AssertUnwindSafe(|| {
        // Owned first, so the hooks are released whatever happens next.
        // SAFETY: null, or hooks the host hands over.
        let link =
            (!hooks.is_null()).then(|| Arc::new(CHostLink(unsafe { *hooks })) as Arc<dyn HostLink>);
        // SAFETY: the ABI's promise.
        let url = unsafe { string(url) }?;
        let mode = match mode {
            abi::mode::THREAD => PanelMode::OwnThread,
            abi::mode::HOST => PanelMode::HostPumped,
            _ => window::auto_mode(),
        };
        window::open(&url, mode, link).map(|()| None)
    })))
}

unsafe extern "C" fn close() -> Answer {
    answer(catch_unwind(|| window::close().map(|()| None)))
}

unsafe extern "C" fn is_open() -> bool {
    catch_unwind(window::is_open).unwrap_or(false)
}

unsafe extern "C" fn eval_js(script: *const c_char) -> Answer {
    answer(catch_unwind(AssertUnwindSafe(|| {
        // SAFETY: the ABI's promise.
        window::eval_js(&unsafe { string(script) }?).map(|()| None)
    })))
}

unsafe extern "C" fn eval_js_sync(script: *const c_char, timeout_s: f64) -> Answer {
    answer(catch_unwind(AssertUnwindSafe(|| {
        // SAFETY: the ABI's promise.
        window::eval_js_sync(&unsafe { string(script) }?, seconds(timeout_s)).map(Some)
    })))
}

unsafe extern "C" fn wait_closed(timeout_s: f64) -> bool {
    catch_unwind(|| window::wait_closed(seconds(timeout_s))).unwrap_or(true)
}

unsafe extern "C" fn serve(budget_s: f64) {
    let _ = catch_unwind(|| window::serve(seconds(budget_s)));
}

unsafe extern "C" fn repaint() {
    let _ = catch_unwind(window::repaint);
}

unsafe extern "C" fn free_text(value: *mut c_char) {
    if !value.is_null() {
        // SAFETY: made by `text` above and freed once.
        drop(unsafe { CString::from_raw(value) });
    }
}
