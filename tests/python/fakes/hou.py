"""Fake ``hou``: the parts dcclink uses, with Houdini's rules: main thread
only, ``None`` for a parameter a node does not have, node types checked
against their network, and every change an undo step (one per group)."""

from __future__ import annotations

import copy
import enum
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Callable, ClassVar, Optional

from fakes import record
from fakes.images import grey_png


class OperationFailed(Exception):
    """Houdini's error for a call it cannot carry out."""


class ObjectWasDeleted(Exception):
    """Houdini's error for a handle on a deleted node."""


class hipFileEventType(enum.Enum):
    BeforeLoad = 1
    AfterLoad = 2
    BeforeSave = 3
    AfterSave = 4


#: The node types each network takes, with their parameters' defaults.
TRANSFORM = {"t": (0.0, 0.0, 0.0), "r": (0.0, 0.0, 0.0), "s": (1.0, 1.0, 1.0)}
NODE_TYPES: dict[str, dict[str, dict[str, Any]]] = {
    "obj": {
        "geo": {**TRANSFORM, "shop_materialpath": ""},
        "null": dict(TRANSFORM),
        "cam": {**TRANSFORM, "resx": 1920, "resy": 1080},
        "hlight::2.0": {**TRANSFORM, "light_intensity": 1.0},
    },
    "geo": {
        "box": {"size": (1.0, 1.0, 1.0)},
        "sphere": {"rad": (1.0, 1.0, 1.0), "type": "prim"},
        "tube": {"rad": (1.0, 1.0), "height": 1.0},
        "torus": {"rad": (1.0, 0.5)},
        "grid": {"size": (10.0, 10.0)},
    },
    "mat": {"principledshader::2.0": {"basecolor": (0.8, 0.8, 0.8), "opac": 1.0}},
    "out": {"alembic": {"filename": "$HIP/output.abc", "objects": "*", "trange": 0}},
}
#: What a type name resolves to (Houdini picks a namespaced type's latest
#: version).
LATEST = {"hlight": "hlight::2.0", "principledshader": "principledshader::2.0"}


@dataclass
class _Node:
    type: str
    parms: dict[str, Any] = field(default_factory=dict)
    children: dict[str, _Node] = field(default_factory=dict)
    selected: bool = False
    flags: set[str] = field(default_factory=set)


def _startup() -> _Node:
    root = _Node("root")
    for network in ("obj", "mat", "out"):
        root.children[network] = _Node(network)
    return root


_root = _startup()
groups: list[str] = []
_undo: list[tuple[str, _Node]] = []
_redo: list[tuple[str, _Node]] = []
_group_before: Optional[_Node] = None
_undo_disabled = 0


def _changing(label: str) -> None:
    global _group_before
    if _undo_disabled:
        return
    if groups:
        if _group_before is None:
            _group_before = copy.deepcopy(_root)
        return
    _undo.append((label, copy.deepcopy(_root)))
    _redo.clear()


def _find(path: str) -> Optional[_Node]:
    found: Optional[_Node] = _root
    for part in path.strip("/").split("/") if path.strip("/") else []:
        found = found.children.get(part) if found is not None else None
    return found


class NodeType:
    def __init__(self, name: str) -> None:
        self._name = name

    def name(self) -> str:
        return self._name


class Parm:
    def __init__(self, node: Node, name: str) -> None:
        self._node, self._name = node, name

    def eval(self) -> Any:
        record.call("hou.Parm.eval", (self._node.path(), self._name))
        return self._node._data().parms[self._name]

    def set(self, value: Any) -> None:
        record.call("hou.Parm.set", (self._node.path(), self._name, value))
        old = self._node._data().parms[self._name]
        if isinstance(old, str) != isinstance(value, str):
            raise TypeError(f"parameter {self._name} takes a {type(old).__name__}")
        _changing(f"Change parameter {self._name}")
        self._node._data().parms[self._name] = value


class ParmTuple(Parm):
    def set(self, values: Any) -> None:
        record.call("hou.ParmTuple.set", (self._node.path(), self._name, values))
        old = self._node._data().parms[self._name]
        if not isinstance(old, tuple) or len(values) != len(old):
            raise OperationFailed(f"parameter tuple {self._name} takes {len(old)} values")
        _changing(f"Change parameter {self._name}")
        self._node._data().parms[self._name] = tuple(float(v) for v in values)


class Node:
    """A handle on the node at a path, as ``hou.Node`` is."""

    def __init__(self, path: str) -> None:
        self._path = path

    def _data(self) -> _Node:
        data = _find(self._path)
        if data is None:
            raise ObjectWasDeleted(f"the node {self._path} was deleted")
        return data

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Node) and other._path == self._path

    def __hash__(self) -> int:
        return hash(self._path)

    def path(self) -> str:
        record.call("hou.Node.path", self._path)
        return self._path

    def name(self) -> str:
        record.call("hou.Node.name", self._path)
        return self._path.rsplit("/", 1)[-1]

    def type(self) -> NodeType:
        record.call("hou.Node.type", self._path)
        return NodeType(self._data().type)

    def parent(self) -> Node:
        record.call("hou.Node.parent", self._path)
        return Node(self._path.rsplit("/", 1)[0] or "/")

    def children(self) -> tuple[Node, ...]:
        record.call("hou.Node.children", self._path)
        return tuple(Node(f"{self._path.rstrip('/')}/{n}") for n in self._data().children)

    def node(self, relative: str) -> Optional[Node]:
        path = f"{self._path.rstrip('/')}/{relative}"
        return Node(path) if _find(path) is not None else None

    def parm(self, name: str) -> Optional[Parm]:
        record.call("hou.Node.parm", (self._path, name))
        value = self._data().parms.get(name)
        return Parm(self, name) if value is not None and not isinstance(value, tuple) else None

    def parmTuple(self, name: str) -> Optional[ParmTuple]:
        record.call("hou.Node.parmTuple", (self._path, name))
        return ParmTuple(self, name) if isinstance(self._data().parms.get(name), tuple) else None

    def createNode(self, node_type_name: str, node_name: Optional[str] = None) -> Node:
        record.call("hou.Node.createNode", (self._path, node_type_name, node_name))
        data = self._data()
        type_name = LATEST.get(node_type_name, node_type_name)
        types = NODE_TYPES.get(data.type, {})
        if type_name not in types:
            raise OperationFailed(f"Invalid node type name: {node_type_name} in {self._path}")
        if node_name is not None and not re.fullmatch(r"[A-Za-z0-9_.\-]+", node_name):
            raise OperationFailed(f"Invalid node name: {node_name!r}")
        stem = node_name or f"{type_name.split('::')[0]}1"
        if node_name is not None and node_name in data.children:
            raise OperationFailed(f"Node name already exists: {node_name}")
        name, number = stem, 1
        while name in data.children:
            number += 1
            name = f"{stem.rstrip('0123456789')}{number}"
        _changing(f"Create {type_name}")
        data.children[name] = _Node(type_name, dict(types[type_name]))
        return Node(f"{self._path.rstrip('/')}/{name}")

    def destroy(self) -> None:
        record.call("hou.Node.destroy", self._path)
        self._data()
        _changing("Delete")
        parent = _find(self.parent().path())
        assert parent is not None
        del parent.children[self.name()]

    def isSelected(self) -> bool:
        return self._data().selected

    def setSelected(self, on: bool, clear_all_selected: bool = False) -> None:
        record.call("hou.Node.setSelected", (self._path, on, clear_all_selected))
        _changing("Select")
        if clear_all_selected:
            _clear_selection(_root)
        self._data().selected = on

    def setDisplayFlag(self, on: bool) -> None:
        self._flag("display", on)

    def setRenderFlag(self, on: bool) -> None:
        self._flag("render", on)

    def _flag(self, flag: str, on: bool) -> None:
        record.call(f"hou.Node.set{flag.capitalize()}Flag", (self._path, on))
        if self.parent().type().name() != "geo":
            raise OperationFailed(f"only SOPs have a {flag} flag here")
        for sibling in _find(self.parent().path()).children.values():  # type: ignore[union-attr]
            sibling.flags.discard(flag)
        if on:
            self._data().flags.add(flag)

    def render(self) -> None:
        record.call("hou.RopNode.render", self._path)
        data = self._data()
        if data.type != "alembic":
            raise OperationFailed(f"{self._path} is not a ROP")
        objects = data.parms["objects"].split()
        names = [
            n
            for n, child in _root.children["obj"].children.items()
            if child.type == "geo" and ("*" in objects or f"/obj/{n}" in objects)
        ]
        path = os.path.expandvars(data.parms["filename"])
        with open(path, "w") as out:  # what the test reads back: the objects, by name
            out.write("# fake alembic\n" + "".join(f"o {n}\n" for n in names))


def _clear_selection(node: _Node) -> None:
    node.selected = False
    for child in node.children.values():
        _clear_selection(child)


def node(path: str) -> Optional[Node]:
    record.call("hou.node", path)
    return Node(path) if _find(path) is not None else None


def selectedNodes() -> tuple[Node, ...]:
    record.call("hou.selectedNodes", ())
    found: list[Node] = []

    def walk(path: str, data: _Node) -> None:
        for name, child in data.children.items():
            if child.selected:
                found.append(Node(f"{path}/{name}"))
            walk(f"{path}/{name}", child)

    walk("", _root)
    return tuple(found)


def clearAllSelected() -> None:
    record.call("hou.clearAllSelected", ())
    _changing("Select")
    _clear_selection(_root)


def isUIAvailable() -> bool:
    record.call("hou.isUIAvailable", ())
    return not record.NO_UI  # hython has no UI


def applicationVersionString() -> str:
    record.call("hou.applicationVersionString", ())
    return "20.5.278"


def frame() -> float:
    record.call("hou.frame", ())
    return 1.0


def fps() -> float:
    record.call("hou.fps", ())
    return 24.0


class playbar:
    @staticmethod
    def frameRange() -> tuple[float, float]:
        record.call("hou.playbar.frameRange", ())
        return (1.0, 240.0)


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
        record.call("hou.hipFile.eventCallbacks", ())
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
        global _group_before
        record.call("hou.undos.group", label)
        if not isinstance(label, str):
            raise TypeError("an undo group's label is a string")
        groups.append(label)
        try:
            yield
        finally:
            groups.pop()
            if not groups and _group_before is not None:
                _undo.append((label, _group_before))
                _redo.clear()
                _group_before = None

    @staticmethod
    @contextmanager
    def disabler() -> Iterator[None]:
        global _undo_disabled
        record.call("hou.undos.disabler", ())
        _undo_disabled += 1
        try:
            yield
        finally:
            _undo_disabled -= 1

    @staticmethod
    def undoLabels() -> tuple[str, ...]:
        record.call("hou.undos.undoLabels", ())
        return tuple(label for label, _ in reversed(_undo))

    @staticmethod
    def redoLabels() -> tuple[str, ...]:
        record.call("hou.undos.redoLabels", ())
        return tuple(label for label, _ in reversed(_redo))

    @staticmethod
    def performUndo() -> None:
        undos._step(_undo, _redo, "undo")

    @staticmethod
    def performRedo() -> None:
        undos._step(_redo, _undo, "redo")

    @staticmethod
    def _step(source: list[tuple[str, _Node]], target: list[tuple[str, _Node]], what: str) -> None:
        global _root
        record.call(f"hou.undos.perform{what.capitalize()}", ())
        if groups:
            raise OperationFailed(f"{what} inside the open undo group {groups[-1]!r}")
        if source:
            label, before = source.pop()
            target.append((label, _root))
            _root = before


class paneTabType(enum.Enum):
    SceneViewer = 1
    NetworkEditor = 2


class FlipbookSettings:
    def __init__(self) -> None:
        self.settings: dict[str, Any] = {"outputToMPlay": True, "useResolution": False}

    def stash(self) -> FlipbookSettings:
        copied = FlipbookSettings()
        copied.settings = dict(self.settings)
        return copied

    def _set(self, name: str, value: Any) -> None:
        record.call(f"hou.FlipbookSettings.{name}", value)
        self.settings[name] = value

    def frameRange(self, value: tuple[float, float]) -> None:
        self._set("frameRange", value)

    def output(self, value: str) -> None:
        self._set("output", value)

    def outputToMPlay(self, value: bool) -> None:
        self._set("outputToMPlay", value)

    def useResolution(self, value: bool) -> None:
        self._set("useResolution", value)

    def resolution(self, value: tuple[int, int]) -> None:
        self._set("resolution", value)


class SceneViewer:
    def __init__(self) -> None:
        self._settings = FlipbookSettings()

    def flipbookSettings(self) -> FlipbookSettings:
        return self._settings

    def curViewport(self) -> str:
        return "persp1"

    def flipbook(self, viewport: Any = None, settings: Optional[FlipbookSettings] = None) -> None:
        record.call("hou.SceneViewer.flipbook", viewport)
        chosen = (settings or self._settings).settings
        if chosen["outputToMPlay"] or "output" not in chosen:
            raise OperationFailed("the fake flipbooks to a file only: set output, not MPlay")
        first, last = chosen.get("frameRange", (1, 240))
        if first != last:
            raise OperationFailed("the fake flipbooks one frame only")
        width, height = chosen["resolution"] if chosen["useResolution"] else (1280, 720)
        with open(chosen["output"], "wb") as out:
            out.write(grey_png(width, height))


class ui:
    @staticmethod
    def paneTabOfType(kind: paneTabType) -> Optional[SceneViewer]:
        record.call("hou.ui.paneTabOfType", kind)
        return SceneViewer() if kind is paneTabType.SceneViewer else None
