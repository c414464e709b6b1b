"""Fake ``maya.cmds``: the commands dcclink uses, with Maya's rules."""

from __future__ import annotations

from typing import Any

from fakes import record

VERSION = "2025"
state: dict[str, Any] = {"scene": "/projects/shot010/scenes/layout.ma", "chunks": []}
shelves: dict[str, list[dict[str, Any]]] = {}


def _flags(command: str, given: dict[str, Any], known: set[str]) -> None:
    record.call(f"cmds.{command}", given)
    for flag in given:
        if flag not in known:
            raise TypeError(f"Invalid flag '{flag}'")


def about(**flags: Any) -> Any:
    _flags("about", flags, {"version", "batch", "apiVersion"})
    if len(flags) != 1:
        raise RuntimeError("about: give exactly one query flag")
    if flags.get("version"):
        return VERSION
    if flags.get("batch"):
        return False
    return 20250000


def file(*args: Any, **flags: Any) -> Any:
    _flags("file", flags, {"query", "q", "sceneName", "sn"})
    if args or not (flags.get("query") or flags.get("q")):
        raise NotImplementedError("the fake file command only answers queries")
    return state["scene"]


def undoInfo(**flags: Any) -> Any:
    _flags("undoInfo", flags, {"openChunk", "closeChunk", "chunkName", "query", "state"})
    if flags.get("openChunk") and flags.get("closeChunk"):
        raise RuntimeError("undoInfo: openChunk and closeChunk together")
    if "chunkName" in flags and not flags.get("openChunk"):
        raise TypeError("undoInfo: chunkName only goes with openChunk")
    if flags.get("openChunk"):
        state["chunks"].append(flags.get("chunkName", ""))
    elif flags.get("closeChunk"):
        if not state["chunks"]:
            raise RuntimeError("undoInfo: closeChunk without an open chunk")
        state["chunks"].pop()
    return None


def shelfLayout(name: str, **flags: Any) -> Any:
    _flags("shelfLayout", flags, {"exists", "parent"})
    if flags.get("exists"):
        return name in shelves
    if flags.get("parent") != "ShelfLayout":
        raise RuntimeError("shelfLayout: a shelf's parent is the ShelfLayout")
    shelves[name] = []
    return f"ShelfLayout|{name}"


def shelfButton(**flags: Any) -> str:
    known = {"parent", "label", "command", "sourceType", "image", "annotation"}
    _flags("shelfButton", flags, known | {"imageOverlayLabel"})
    shelf = flags.get("parent")
    if shelf not in shelves:
        raise RuntimeError(f"shelfButton: no shelf called {shelf!r}")
    if flags.get("sourceType", "mel") not in ("mel", "python"):
        raise RuntimeError("shelfButton: sourceType is mel or python")
    if not isinstance(flags.get("command"), str):
        raise TypeError("shelfButton: command is a string")
    shelves[shelf].append(flags)
    return f"ShelfLayout|{shelf}|shelfButton{len(shelves[shelf])}"


def click(shelf: str, index: int = 0) -> None:
    """What a user's click on a shelf button does (test helper)."""
    button = shelves[shelf][index]
    assert button["sourceType"] == "python", "the fake only runs Python buttons"
    exec(button["command"], {})
