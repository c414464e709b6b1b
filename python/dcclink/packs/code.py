"""``execute_python``: the agent runs Python in the DCC, but only with the
user's yes in the dcclink panel for each call (or "trust this session").

It is off by default: a pack switches it on only when the user asks for it
(the Blender add-on's "Allow code execution" preference). Running code is
the most an agent can do in a DCC, so it is never on behind the user's back.
"""

from __future__ import annotations

import contextlib
import io
import traceback
from typing import Any, Callable

import dcclink

#: How much of the code's output goes back to the agent.
OUTPUT_LIMIT = 20_000


def enable_execute_python(dcc: str, namespace: Callable[[], dict[str, Any]]) -> None:
    """Registers ``execute_python`` for `dcc`; each run's globals come from
    ``namespace()`` (the DCC's modules)."""

    @dcclink.tool(name="execute_python", timeout=600, destructive=True, open_world=True)
    def execute_python(ctx: dcclink.Context, code: str) -> dict[str, Any]:
        """Runs Python code in the DCC, after the user allows it in the
        dcclink panel. Returns what it printed, and the value of a variable
        named ``result`` if the code sets one. Prefer the other tools: use
        this only for what they cannot do."""
        if not ctx.confirm(f"Run this Python in {dcc}?", code):
            raise PermissionError(
                "the user said no in the dcclink panel: do not run this code; ask them what to do"
            )
        printed = io.StringIO()
        scope = {"__name__": "__dcclink__", **namespace()}
        try:
            with contextlib.redirect_stdout(printed):
                exec(compile(code, "<agent code>", "exec"), scope)
        except Exception:
            raise RuntimeError(
                f"the code failed:\n{traceback.format_exc(limit=-3)}"
                f"printed before it failed:\n{printed.getvalue()[-OUTPUT_LIMIT:]}"
            ) from None
        result = scope.get("result")
        return {
            "printed": printed.getvalue()[-OUTPUT_LIMIT:],
            "result": None if result is None else repr(result)[:OUTPUT_LIMIT],
        }
