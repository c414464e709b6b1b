//! # dcclink-webview
//!
//! The panel in a window of its own: a wry WebView that loads the panel page
//! from dcclink's HTTP server (`/panel`), so the window shows exactly what a
//! browser would, driven by the same event stream.
//!
//! The window lives in one of two places, chosen by the first panel a
//! process opens (GTK lives on one thread per process, see [`PanelMode`]):
//!
//! * [`Panel`]: on a **UI thread of its own** with its own tao event loop, so
//!   it stays live — and its Cancel button works — while a long tool blocks
//!   the DCC's main thread. Other threads talk to it only through
//!   [`Command`]s sent with the event loop's proxy; no lock is shared with
//!   the UI thread.
//! * [`HostedPanel`]: on the **host's main thread**, driven by the host's
//!   pump, under RFC 0006's WebView guard (see its module).
//!
//! Every wait for an answer is bounded.
//!
//! ```no_run
//! use std::time::Duration;
//! let panel = dcclink_webview::Panel::get()?;
//! panel.open("http://127.0.0.1:8765/panel?token=…")?;   // or focus it
//! let title = panel.eval_js_sync("document.title", Duration::from_secs(5))?;
//! panel.close()?;
//! # Ok::<(), dcclink_webview::PanelError>(())
//! ```

//!
//! Built with the `panel` feature (the default), the crate is also the panel
//! plugin, `libdcclink_webview.so`, which the `dcclink` extension loads the
//! first time a window opens; see [`abi`]. Without it, only [`abi`] is
//! built, and nothing needs GTK.

pub mod abi;

#[cfg(feature = "panel")]
mod command;
#[cfg(feature = "panel")]
mod error;
#[cfg(feature = "panel")]
mod gtk_claim;
#[cfg(feature = "panel")]
mod host_link;
#[cfg(feature = "panel")]
mod host_pumped;
#[cfg(feature = "panel")]
mod page;
#[cfg(feature = "panel")]
mod plugin;
#[cfg(feature = "panel")]
mod ui_thread;
#[cfg(feature = "panel")]
pub mod window;

#[cfg(feature = "panel")]
pub use command::Command;
#[cfg(feature = "panel")]
pub use error::PanelError;
#[cfg(feature = "panel")]
pub use gtk_claim::{PanelMode, claimed};
#[cfg(feature = "panel")]
pub use host_link::{HostLink, MainThreadWork};
#[cfg(feature = "panel")]
pub use host_pumped::HostedPanel;
#[cfg(feature = "panel")]
pub use ui_thread::Panel;
