"""Panel tools shared by the in-process WebView tests and the host-pumped
stand-in DCC (importing this module registers them)."""

from __future__ import annotations

import time

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
