"""Fake ``maya.utils``."""

from __future__ import annotations

from typing import Any

from fakes import record


def executeDeferred(function: Any, *args: Any) -> None:
    """Runs ``function`` on the main thread at the next idle time."""
    record.execute_deferred("maya.utils.executeDeferred", function, *args)
