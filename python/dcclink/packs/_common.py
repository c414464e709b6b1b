"""What every pack's tools share: the shapes of their arguments, checked the
same way in every DCC, with errors that tell the agent what to send."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Callable, NoReturn

import dcclink

#: A point or a triple of angles or factors: x, y, z.
Vec3 = list[float]


def vector3(value: Vec3, what: str) -> tuple[float, float, float]:
    """``value`` as three floats; ``what`` names it in the error."""
    if len(value) != 3:
        raise ValueError(f"{what} needs three numbers (x, y, z), not {len(value)}")
    return (float(value[0]), float(value[1]), float(value[2]))


def rgba(color: list[float]) -> tuple[float, float, float, float]:
    """A colour of three or four numbers from 0 to 1, alpha 1 when left out."""
    if len(color) not in (3, 4) or not all(0.0 <= float(c) <= 1.0 for c in color):
        raise ValueError("color needs three or four numbers from 0 to 1 (red, green, blue, alpha)")
    red, green, blue = (float(c) for c in color[:3])
    return (red, green, blue, float(color[3]) if len(color) == 4 else 1.0)


def no_such_object(name: str, existing: Iterable[str]) -> NoReturn:
    """Raises the error for an unknown object, naming some that exist."""
    names = ", ".join(sorted(existing)[:20]) or "none"
    raise ValueError(f"no object is called {name!r}; objects: {names}")


def repeat(
    steps: int, possible: Callable[[], bool], perform: Callable[[], object], what: str
) -> int:
    """Undo or redo: ``perform`` up to ``steps`` times while ``possible()``;
    how many were done. Doing none of at least one is an error ("there is
    nothing to undo")."""
    done = 0
    while done < steps and possible():
        perform()
        done += 1
    if done == 0 and steps > 0:
        raise RuntimeError(f"there is nothing to {what}")
    return done


@contextmanager
def temporary_png(prefix: str) -> Iterator[str]:
    """A path for the DCC to write a PNG to, removed afterwards."""
    handle, path = tempfile.mkstemp(suffix=".png", prefix=prefix)
    os.close(handle)
    try:
        yield path
    finally:
        os.unlink(path)


def png_written(prefix: str, write: Callable[[str], object]) -> dcclink.Image:
    """The PNG that ``write(path)`` makes, as an image for the client."""
    with temporary_png(prefix) as path:
        write(path)
        with open(path, "rb") as file:
            return dcclink.Image(file.read(), "image/png")


def export_target(path: str, extensions: Iterable[str]) -> str:
    """``path`` made absolute, once it ends with one of ``extensions`` and
    its folder exists."""
    allowed = tuple(extensions)
    if not path.lower().endswith(allowed):
        raise ValueError(f"path must end with {' or '.join(allowed)}")
    target = os.path.abspath(path)
    if not os.path.isdir(os.path.dirname(target)):
        raise ValueError(f"the folder {os.path.dirname(target)!r} does not exist")
    return target
