"""Example dcclink tools: run them with

dcclink serve --http 127.0.0.1:0 --tools examples/tools.py
"""

from __future__ import annotations

import enum
import time
from typing import Annotated, Literal, Optional

import dcclink


class Axis(enum.Enum):
    X = "x"
    Y = "y"
    Z = "z"


@dcclink.tool
def add(a: int, b: int) -> int:
    """Add two integers."""
    return a + b


@dcclink.tool
def echo(text: Annotated[str, "What to say back"], shout: bool = False) -> str:
    """Say the text back, in capitals when asked."""
    return text.upper() if shout else text


@dcclink.tool
def move(
    name: str,
    axis: Axis,
    distance: float = 1.0,
    space: Literal["world", "object"] = "world",
    tags: Optional[list[str]] = None,
) -> dict:
    """Pretend to move an object along an axis."""
    return {
        "name": name,
        "axis": axis.value,
        "distance": distance,
        "space": space,
        "tags": tags or [],
    }


@dcclink.tool(name="render_frames", timeout=600)
def render(frames: int, ctx: dcclink.Context, seconds_per_frame: float = 0.05) -> str:
    """Pretend to render frames, reporting progress; stops when cancelled."""
    for i in range(frames):
        if ctx.cancelled:
            raise dcclink.Cancelled()
        time.sleep(seconds_per_frame)
        ctx.progress(i + 1, frames, f"frame {i + 1}")
        ctx.log("info", f"frame {i + 1} done")
        ctx.emit("frame_done", {"i": i})
    return "ok"


@dcclink.tool
def fail(message: str = "something broke") -> None:
    """Raise an error, to see how failures reach the agent."""
    raise RuntimeError(message)
