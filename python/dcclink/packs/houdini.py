"""The Houdini pack: inspect and edit the objects in ``/obj``, capture the
viewport, export Alembic.

Import it inside Houdini (20 and later), after ``dcclink.start()``, for
instance from the dcclink shelf tool or ``456.py``::

    import dcclink.packs.houdini

Objects are the nodes in ``/obj``; a mesh is a ``geo`` node holding one
primitive SOP. Angles are in degrees, colours RGBA from 0 to 1. Each call is
one undo group, named after its tool.

Tested against a fake of ``hou`` that keeps Houdini's rules, not against
Houdini itself (see docs/ARCHITECTURE.md).
"""

from __future__ import annotations

import os
from typing import Any, Callable, Literal, Optional

import hou

import dcclink
from dcclink.hosts.undo import no_undo_step
from dcclink.packs._common import (
    Vec3,
    export_target,
    no_such_object,
    png_written,
    repeat,
    rgba,
    vector3,
)
from dcclink.packs.code import enable_execute_python

Kind = Literal["cube", "sphere", "cylinder", "torus", "plane", "null", "camera", "light"]

#: Meshes: the SOP inside the ``geo`` node, and its size parameters for an
#: object ``size`` across.
_SOPS: dict[str, tuple[str, Callable[[float], dict[str, Any]]]] = {
    "cube": ("box", lambda s: {"size": (s, s, s)}),
    "sphere": ("sphere", lambda s: {"rad": (s / 2, s / 2, s / 2)}),
    "cylinder": ("tube", lambda s: {"rad": (s / 2, s / 2), "height": s}),
    "torus": ("torus", lambda s: {"rad": (s / 2, s / 8)}),
    "plane": ("grid", lambda s: {"size": (s, s)}),
}
#: The other kinds: their object node types.
_OBJECTS = {"null": "null", "camera": "cam", "light": "hlight"}


def _objects() -> tuple[Any, ...]:
    return tuple(hou.node("/obj").children())


def _object(name: str) -> Any:
    found = hou.node(f"/obj/{name}") if "/" not in name else None
    if found is None:
        no_such_object(name, (n.name() for n in _objects()))
    return found


def _set(node: Any, name: str, value: Any) -> None:
    """Sets a parameter (or, for a tuple value, a parameter tuple)."""
    parm = node.parmTuple(name) if isinstance(value, tuple) else node.parm(name)
    if parm is None:
        raise RuntimeError(f"{node.path()} has no parameter {name!r}")
    parm.set(value)


def _triple(node: Any, name: str, digits: int) -> Optional[list[float]]:
    parm = node.parmTuple(name)
    return None if parm is None else [round(v, digits) for v in parm.eval()]


def _material(node: Any) -> Optional[str]:
    parm = node.parm("shop_materialpath")
    return (parm.eval() or None) if parm is not None else None


def _describe(node: Any) -> dict[str, Any]:
    material = _material(node)
    return {
        "name": node.name(),
        "type": node.type().name(),
        "location": _triple(node, "t", 4),
        "rotation": _triple(node, "r", 3),
        "scale": _triple(node, "s", 4),
        "materials": [material] if material else [],
        "selected": node.isSelected(),
    }


def _selected() -> list[str]:
    return [n.name() for n in hou.selectedNodes() if n.parent().path() == "/obj"]


@dcclink.resource("houdini://scene")
@dcclink.tool(read_only=True)
@no_undo_step
def scene_summary() -> dict[str, Any]:
    """The open .hip file, the frame range and rate, the cameras, and how
    many objects of each type ``/obj`` holds."""
    counts: dict[str, int] = {}
    for node in _objects():
        kind = node.type().name()
        counts[kind] = counts.get(kind, 0) + 1
    return {
        "file": hou.hipFile.path() or None,
        "houdini": hou.applicationVersionString(),
        "frames": list(hou.playbar.frameRange()),
        "frame": hou.frame(),
        "fps": hou.fps(),
        "cameras": [n.name() for n in _objects() if n.type().name() == "cam"],
        "objects": counts,
        "selected": _selected(),
    }


@dcclink.tool(read_only=True)
@no_undo_step
def list_objects(
    type: Optional[str] = None, name_contains: Optional[str] = None, limit: int = 100
) -> dict[str, Any]:
    """The objects in ``/obj`` with their transforms and materials, filtered
    by node type (geo, cam, hlight, null, …) and by part of the name."""
    objects = [
        n
        for n in _objects()
        if (type is None or n.type().name().split("::")[0] == type.lower().split("::")[0])
        and (name_contains is None or name_contains.lower() in n.name().lower())
    ]
    return {"count": len(objects), "objects": [_describe(n) for n in objects[:limit]]}


@dcclink.resource("houdini://objects/{name}")
def object_info(name: str) -> dict[str, Any]:
    """One object, as list_objects describes it."""
    return _describe(_object(name))


@dcclink.tool
def create_object(
    kind: Kind,
    name: Optional[str] = None,
    location: Vec3 = [0.0, 0.0, 0.0],  # noqa: B006 (read only)
    rotation: Vec3 = [0.0, 0.0, 0.0],  # noqa: B006
    scale: Vec3 = [1.0, 1.0, 1.0],  # noqa: B006
    size: float = 2.0,
) -> dict[str, Any]:
    """Adds an object to ``/obj``: a mesh (a geo node with one primitive
    SOP), a null, a camera or a light. Returns it as list_objects describes
    it; without a name Houdini numbers one."""
    placement = {
        "t": vector3(location, "location"),
        "r": vector3(rotation, "rotation"),
        "s": vector3(scale, "scale"),
    }
    network = hou.node("/obj")
    if name is not None and network.node(name) is not None:
        raise ValueError(f"an object is already called {name!r}: choose another name")
    if kind in _SOPS:
        node = network.createNode("geo", name)
        sop_type, sizes = _SOPS[kind]
        sop = node.createNode(sop_type)
        for parm, value in sizes(size).items():
            _set(sop, parm, value)
        sop.setDisplayFlag(True)
        sop.setRenderFlag(True)
    else:
        node = network.createNode(_OBJECTS[kind], name)
    for parm, value in placement.items():
        _set(node, parm, value)
    return _describe(node)


@dcclink.tool
def transform_object(
    name: str,
    location: Optional[Vec3] = None,
    rotation: Optional[Vec3] = None,
    scale: Optional[Vec3] = None,
) -> dict[str, Any]:
    """Moves, rotates (degrees) or scales an object; what is left out stays."""
    node = _object(name)
    changes = (("t", location, "location"), ("r", rotation, "rotation"), ("s", scale, "scale"))
    for parm, value, what in changes:
        if value is not None:
            _set(node, parm, vector3(value, what))
    return _describe(node)


@dcclink.tool(destructive=True)
def delete_objects(names: list[str]) -> dict[str, Any]:
    """Deletes objects by name. Every name must exist, or nothing is deleted."""
    nodes = [_object(name) for name in names]
    for node in nodes:
        node.destroy()
    return {"deleted": names}


def _new_material(name: str) -> Any:
    library = hou.node("/mat")
    unique, number = name, 1
    while library.node(unique) is not None:
        number += 1
        unique = f"{name}{number}"
    return library.createNode("principledshader", unique)


@dcclink.tool
def set_material_color(name: str, color: list[float]) -> dict[str, Any]:
    """Gives a geo object a Principled Shader of this RGBA colour (0 to 1;
    alpha may be left out), reusing the object's material when it is one."""
    node = _object(name)
    if node.type().name() != "geo":
        raise ValueError(f"{name!r} is a {node.type().name()} node, which has no material")
    red, green, blue, alpha = rgba(color)
    assigned = _material(node)
    material = hou.node(assigned) if assigned else None
    if material is None or material.parmTuple("basecolor") is None:
        material = _new_material(f"{node.name()}_color")
        _set(node, "shop_materialpath", material.path())
    _set(material, "basecolor", (red, green, blue))
    _set(material, "opac", alpha)
    return {"object": node.name(), "material": material.path(), "color": [red, green, blue, alpha]}


@dcclink.tool
def select_objects(names: list[str], extend: bool = False) -> dict[str, Any]:
    """Selects objects; without ``extend`` everything else is deselected."""
    nodes = [_object(name) for name in names]
    if not extend:
        hou.clearAllSelected()
    for node in nodes:
        node.setSelected(True)
    return {"selected": _selected()}


@dcclink.tool
@no_undo_step
def undo(steps: int = 1) -> dict[str, Any]:
    """Undoes the last steps in Houdini's history; each dcclink call is one
    step, named after its tool."""
    return {
        "undone": repeat(steps, lambda: bool(hou.undos.undoLabels()), hou.undos.performUndo, "undo")
    }


@dcclink.tool
@no_undo_step
def redo(steps: int = 1) -> dict[str, Any]:
    """Redoes steps that were undone."""
    return {
        "redone": repeat(steps, lambda: bool(hou.undos.redoLabels()), hou.undos.performRedo, "redo")
    }


@dcclink.tool(timeout=120, read_only=True, task="optional")
@no_undo_step
def capture_viewport(width: int = 640, height: int = 360) -> dcclink.Image:
    """A picture of the Scene Viewer at the current frame, returned inline
    as PNG (a one-frame flipbook). Needs Houdini's UI."""
    if not hou.isUIAvailable():
        raise RuntimeError("Houdini runs without its UI (hython): there is no viewport")
    viewer = hou.ui.paneTabOfType(hou.paneTabType.SceneViewer)
    if viewer is None:
        raise RuntimeError("no Scene Viewer is open: open one, then capture it")

    def flipbook(path: str) -> None:
        settings = viewer.flipbookSettings().stash()
        frame = hou.frame()
        settings.frameRange((frame, frame))
        settings.output(path)
        settings.outputToMPlay(False)
        settings.useResolution(True)
        settings.resolution((width, height))
        viewer.flipbook(viewer.curViewport(), settings)

    return png_written("dcclink-viewport-", flipbook)


@dcclink.tool(timeout=300, destructive=True, task="optional")  # it may overwrite the file
@no_undo_step
def export_scene(path: str, selected_only: bool = False) -> dict[str, Any]:
    """Exports the objects (or the selected ones) as Alembic (.abc) to
    ``path``, on the machine Houdini runs on, at the current frame."""
    target = export_target(path, [".abc"])
    chosen = " ".join(f"/obj/{n}" for n in _selected()) if selected_only else "*"
    if not chosen:
        raise ValueError("nothing is selected: select objects first, or export everything")
    with hou.undos.disabler():  # a helper ROP, gone before the call returns
        rop = hou.node("/out").createNode("alembic")
        try:
            _set(rop, "filename", target)
            _set(rop, "objects", chosen)
            _set(rop, "trange", 0)
            rop.render()
        finally:
            rop.destroy()
    return {"path": target, "bytes": os.path.getsize(target)}


def allow_code_execution() -> None:
    """Adds ``execute_python`` (off by default): the agent may run Python
    in Houdini, with ``hou`` at hand, each time the user allows it in the
    dcclink panel."""
    enable_execute_python("Houdini", lambda: {"hou": hou})
