//! # dcclink-webview
//!
//! The panel in a window of its own: a wry WebView that loads the panel page
//! from dcclink's HTTP server (`/panel`), so the window shows exactly what a
//! browser would, driven by the same event stream.
//!
//! The window lives on a **UI thread of its own** with its own tao event
//! loop, so it stays live — and its Cancel button works — while a long tool
//! blocks the DCC's main thread. Other threads talk to it only through
//! [`Command`]s sent with the event loop's proxy; no lock is shared with the
//! UI thread, and every wait for an answer is bounded.
//!
//! ```no_run
//! use std::time::Duration;
//! let panel = dcclink_webview::Panel::get()?;
//! panel.open("http://127.0.0.1:8765/panel?token=…")?;   // or focus it
//! let title = panel.eval_js_sync("document.title", Duration::from_secs(5))?;
//! panel.close()?;
//! # Ok::<(), dcclink_webview::PanelError>(())
//! ```

mod command;
mod error;
mod ui_thread;

pub use command::Command;
pub use error::PanelError;
pub use ui_thread::Panel;
