//! The WebView both in-process panels show: the panel page, loaded from
//! dcclink's HTTP server into a GTK container.

use crossbeam_channel::Sender;
use gtk::prelude::IsA;
use wry::{PageLoadEvent, WebView, WebViewBuilder, WebViewBuilderExtUnix};

use crate::error::PanelError;

/// Builds a WebView on `url` inside `container`. `loaded` is told once the
/// panel page (after the token redirect) has finished loading: scripts sent
/// before then could be lost in the navigation.
pub(crate) fn load(
    container: &impl IsA<gtk::Container>,
    url: &str,
    loaded: Sender<Result<(), PanelError>>,
) -> Result<WebView, PanelError> {
    WebViewBuilder::new()
        .with_url(url)
        .with_on_page_load_handler(move |event, url| {
            if matches!(event, PageLoadEvent::Finished) && !url.contains("token=") {
                let _ = loaded.try_send(Ok(()));
            }
        })
        .build_gtk(container)
        .map_err(|e| PanelError::Build(e.to_string()))
}
