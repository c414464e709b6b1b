"""Fake ``hdefereval``."""

from __future__ import annotations

from typing import Any

from fakes import record


def executeDeferred(function: Any, *args: Any) -> None:
    """Runs ``function`` on the main thread when Houdini is next idle."""
    record.execute_deferred("hdefereval.executeDeferred", function, *args)
