"""Panel tools shared by the in-process WebView tests and the stand-in DCCs
(importing this module registers them)."""

from __future__ import annotations

import time
from typing import Any

import dcclink


@dcclink.tool
def close_midway(ctx: dcclink.Context) -> str:
    """Closes the panel while it runs, and keeps reporting."""
    for i in range(1, 11):
        ctx.progress(i, 10)
        if i == 5:
            dcclink.panel.close()
        time.sleep(0.01)
    return "survived"


@dcclink.tool
def panel_state() -> dict[str, Any]:
    """Whether the panel is open, and its page's title once loaded."""
    if not dcclink.panel.is_open():
        return {"open": False}
    try:
        return {"open": True, "title": dcclink.panel.eval_js_sync("document.title", timeout=10)}
    except RuntimeError as error:  # this call ran while the page still loaded
        return {"open": True, "error": str(error)}
