"""Fake ``maya.api.OpenMaya``: scene messages."""

from __future__ import annotations

from typing import Any, Callable

from maya import cmds

from fakes import record

_callbacks: dict[int, tuple[int, Callable[..., Any], Any]] = {}


class MSceneMessage:
    kAfterOpen = 4
    kAfterSave = 7

    @staticmethod
    def addCallback(message: int, function: Any, clientData: Any = None) -> int:
        record.call("OpenMaya.MSceneMessage.addCallback", message)
        if message not in (MSceneMessage.kAfterOpen, MSceneMessage.kAfterSave):
            raise RuntimeError(f"the fake knows no scene message {message}")
        if not callable(function):
            raise TypeError("addCallback takes a callable")
        ident = len(_callbacks) + 1
        _callbacks[ident] = (message, function, clientData)
        return ident


class MMessage:
    @staticmethod
    def removeCallback(ident: int) -> None:
        record.call("OpenMaya.MMessage.removeCallback", ident)
        if ident not in _callbacks:
            raise RuntimeError(f"removeCallback: no callback {ident}")
        del _callbacks[ident]


def open_scene(path: str) -> None:
    """What Maya does when the user opens a file (test helper)."""
    cmds.state["scene"] = path
    for message, function, data in list(_callbacks.values()):
        if message == MSceneMessage.kAfterOpen:
            function(data)
