"""The fake Maya's scene: nodes, connections, the selection, and an undo
history of chunks, as ``maya.cmds`` sees them."""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass, field
from typing import Any, Optional

#: The attributes a transform has, each three doubles.
TRANSFORM_ATTRIBUTES = {
    "translate": (0.0, 0.0, 0.0),
    "rotate": (0.0, 0.0, 0.0),
    "scale": (1.0,) * 3,
}


@dataclass
class Node:
    """A dependency node: its type, DAG parent and attribute values."""

    type: str
    parent: Optional[str] = None
    attrs: dict[str, Any] = field(default_factory=dict)


@dataclass
class State:
    """Everything undo restores."""

    nodes: dict[str, Node] = field(default_factory=dict)
    #: (source plug, destination plug), such as ("lambert1.outColor",
    #: "initialShadingGroup.surfaceShader").
    connections: list[tuple[str, str]] = field(default_factory=list)
    selection: list[str] = field(default_factory=list)


def _startup() -> State:
    state = State()
    for camera in ("persp", "top", "front", "side"):
        state.nodes[camera] = Node("transform", attrs=dict(TRANSFORM_ATTRIBUTES))
        state.nodes[f"{camera}Shape"] = Node("camera", camera, {"startupCamera": True})
    state.nodes["lambert1"] = Node("lambert", attrs={"color": (0.5, 0.5, 0.5)})
    state.nodes["initialShadingGroup"] = Node("shadingEngine")
    state.connections.append(("lambert1.outColor", "initialShadingGroup.surfaceShader"))
    return state


current = _startup()
#: Closed chunks (and commands run outside any chunk): (name, state before).
undo_stack: list[tuple[str, State]] = []
redo_stack: list[tuple[str, State]] = []
#: The names of the chunks open now, outermost first.
open_chunks: list[str] = []
#: The state before the first change inside the open chunks.
_chunk_before: Optional[State] = None


def changing(command: str) -> None:
    """Call before a command changes the scene: records the undo step."""
    global _chunk_before
    if open_chunks:
        if _chunk_before is None:
            _chunk_before = copy.deepcopy(current)
        return
    undo_stack.append((command, copy.deepcopy(current)))
    redo_stack.clear()


def open_chunk(name: str) -> None:
    open_chunks.append(name)


def close_chunk() -> None:
    global _chunk_before
    if not open_chunks:
        raise RuntimeError("undoInfo: closeChunk without an open chunk")
    name = open_chunks.pop()
    if not open_chunks and _chunk_before is not None:
        undo_stack.append((name, _chunk_before))
        redo_stack.clear()
        _chunk_before = None


def step(back: bool) -> None:
    """Undo (``back``) or redo one step."""
    global current
    if open_chunks:
        raise RuntimeError(
            f"{'undo' if back else 'redo'} inside the open undo chunk {open_chunks[-1]!r} "
            "would corrupt Maya's undo queue"
        )
    source, target = (undo_stack, redo_stack) if back else (redo_stack, undo_stack)
    if not source:
        raise RuntimeError(f"There are no more commands to {'undo' if back else 'redo'}.")
    name, state = source.pop()
    target.append((name, current))
    current = state


def unique(stem: str) -> str:
    """``stem`` if no node has that name, else ``stem`` numbered as Maya
    does (pCube1, pCube2, …)."""
    if stem not in current.nodes and not stem[-1:].isdigit():
        return stem
    base = re.sub(r"\d+$", "", stem)
    number = 1
    while f"{base}{number}" in current.nodes:
        number += 1
    return f"{base}{number}"


def node(name: str) -> Node:
    """The node called ``name``, or Maya's error."""
    found = current.nodes.get(name)
    if found is None:
        raise ValueError(f"No object matches name: {name}")
    return found


def children(name: str) -> list[str]:
    return [child for child, n in current.nodes.items() if n.parent == name]


def add_transform(stem: str, shape_type: str, shape_attrs: dict[str, Any]) -> tuple[str, str]:
    """A transform with one shape under it, as the creation commands make."""
    transform = unique(stem)
    base, number = re.fullmatch(r"(.*?)(\d*)", transform).groups()  # type: ignore[union-attr]
    shape = unique(f"{base}Shape{number}")
    current.nodes[transform] = Node("transform", attrs=dict(TRANSFORM_ATTRIBUTES))
    current.nodes[shape] = Node(shape_type, transform, dict(shape_attrs))
    return transform, shape


def remove(name: str) -> None:
    """Deletes a node, the DAG below it and its connections."""
    for child in children(name):
        remove(child)
    del current.nodes[name]
    current.connections = [
        (a, b)
        for a, b in current.connections
        if a.split(".")[0] != name and b.split(".")[0] != name
    ]
    if name in current.selection:
        current.selection.remove(name)


def rename(old: str, new: str) -> str:
    name = unique(new)
    current.nodes = {(name if n == old else n): v for n, v in current.nodes.items()}
    for other in current.nodes.values():
        if other.parent == old:
            other.parent = name

    def plug(p: str) -> str:
        node_name, _, attribute = p.partition(".")
        return f"{name}.{attribute}" if node_name == old else p

    current.connections = [(plug(a), plug(b)) for a, b in current.connections]
    current.selection = [name if n == old else n for n in current.selection]
    return name
