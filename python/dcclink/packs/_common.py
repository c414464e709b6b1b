"""What every pack's tools share: the shapes of their arguments, checked the
same way in every DCC, with errors that tell the agent what to send."""

from __future__ import annotations

from collections.abc import Iterable
from typing import NoReturn

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
