"""The Qt binding the host already uses: PySide6 (Maya 2025+, Houdini 20.5+,
Nuke 16), PySide2 (Maya 2023 and 2024, Houdini 20, Nuke 14 and 15), PyQt6 or PyQt5.
dcclink never imports one a host has not."""

from __future__ import annotations

import importlib
import sys
from types import ModuleType
from typing import Optional

BINDINGS = ("PySide6", "PySide2", "PyQt6", "PyQt5")


def loaded_binding() -> Optional[str]:
    """The first binding the process has imported, if any."""
    return next((name for name in BINDINGS if name in sys.modules), None)


def modules(binding: str) -> tuple[ModuleType, ModuleType]:
    """``(QtCore, QtWidgets)`` of ``binding``."""
    core = importlib.import_module(f"{binding}.QtCore")
    widgets = importlib.import_module(f"{binding}.QtWidgets")
    return core, widgets
