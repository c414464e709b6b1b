"""Fake ``hou``: the parts dcclink uses, with Houdini's rules."""

from __future__ import annotations

import enum
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Callable, ClassVar

from fakes import record

groups: list[str] = []


class OperationFailed(Exception):
    """Houdini's error for a call it cannot carry out."""


class hipFileEventType(enum.Enum):
    BeforeLoad = 1
    AfterLoad = 2
    BeforeSave = 3
    AfterSave = 4


def isUIAvailable() -> bool:
    record.call("hou.isUIAvailable", ())
    return True


def applicationVersionString() -> str:
    record.call("hou.applicationVersionString", ())
    return "20.5.278"


class hipFile:
    _path = "/projects/shot010/fx.hip"
    _callbacks: ClassVar[list[Callable[[Any], Any]]] = []

    @staticmethod
    def path() -> str:
        record.call("hou.hipFile.path", ())
        return hipFile._path

    @staticmethod
    def addEventCallback(callback: Callable[[Any], Any]) -> None:
        record.call("hou.hipFile.addEventCallback", callback)
        hipFile._callbacks.append(callback)

    @staticmethod
    def removeEventCallback(callback: Callable[[Any], Any]) -> None:
        record.call("hou.hipFile.removeEventCallback", callback)
        if callback not in hipFile._callbacks:
            raise OperationFailed("the callback is not registered")
        hipFile._callbacks.remove(callback)

    @staticmethod
    def eventCallbacks() -> tuple[Callable[[Any], Any], ...]:
        return tuple(hipFile._callbacks)

    @staticmethod
    def load(path: str) -> None:
        """What Houdini does when the user opens a .hip file (test helper)."""
        hipFile._path = path
        for callback in list(hipFile._callbacks):
            callback(hipFileEventType.AfterLoad)


class undos:
    @staticmethod
    @contextmanager
    def group(label: str) -> Iterator[None]:
        record.call("hou.undos.group", label)
        if not isinstance(label, str):
            raise TypeError("an undo group's label is a string")
        groups.append(label)
        try:
            yield
        finally:
            groups.pop()
