"""The Maya pack: inspect and edit the scene, capture the viewport, export.

Import it inside Maya (2023 and later), after ``dcclink.start()``, for
instance in ``userSetup.py``::

    import dcclink.packs.maya

Angles are in degrees and distances in the scene's linear unit (see
``scene_summary``); colours are RGBA from 0 to 1. Each call is one undo
chunk, named after its tool.

Tested against a fake of ``maya.cmds`` that keeps Maya's rules, not against
Maya itself (see docs/ARCHITECTURE.md).
"""

from __future__ import annotations

import os
from typing import Any, Callable, Literal, Optional

from maya import cmds

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

Kind = Literal["cube", "sphere", "cylinder", "cone", "plane", "torus", "locator", "camera", "light"]

#: How each kind of object is made: the command, and its size flags for an
#: object ``size`` across.
#: Each primitive: its command, and its size flags for an edge of ``s``.
_PRIMITIVES: dict[str, tuple[Callable[..., Any], Callable[[float], dict[str, float]]]] = {
    "cube": (cmds.polyCube, lambda s: {"width": s, "height": s, "depth": s}),
    "sphere": (cmds.polySphere, lambda s: {"radius": s / 2}),
    "cylinder": (cmds.polyCylinder, lambda s: {"radius": s / 2, "height": s}),
    "cone": (cmds.polyCone, lambda s: {"radius": s / 2, "height": s}),
    "plane": (cmds.polyPlane, lambda s: {"width": s, "height": s}),
    "torus": (cmds.polyTorus, lambda s: {"radius": s / 2, "sectionRadius": s / 8}),
}
#: File types ``export_scene`` writes, by extension: Maya's type name and
#: the plug-in that provides it.
_EXPORTS = {
    ".ma": ("mayaAscii", None),
    ".mb": ("mayaBinary", None),
    ".obj": ("OBJexport", "objExport"),
    ".fbx": ("FBX export", "fbxmaya"),
}


def _transforms() -> list[str]:
    """The scene's transforms, without Maya's startup cameras."""
    return [t for t in cmds.ls(transforms=True) if not _is_startup_camera(t)]


def _shapes(node: str) -> list[str]:
    return cmds.listRelatives(node, shapes=True) or []


def _is_startup_camera(node: str) -> bool:
    shapes = _shapes(node)
    return (
        bool(shapes)
        and cmds.nodeType(shapes[0]) == "camera"
        and cmds.camera(shapes[0], query=True, startupCamera=True)
    )


def _kind(node: str) -> str:
    """An object's kind: its shape's node type, or "transform" for a group."""
    shapes = _shapes(node)
    return cmds.nodeType(shapes[0]) if shapes else "transform"


def _object(name: str) -> str:
    if not cmds.objExists(name) or cmds.nodeType(name) != "transform":
        no_such_object(name, _transforms())
    return name


def _materials(node: str) -> list[str]:
    found: list[str] = []
    for shape in _shapes(node):
        for group in cmds.listConnections(shape, type="shadingEngine") or []:
            for shader in cmds.listConnections(f"{group}.surfaceShader") or []:
                if shader not in found:
                    found.append(shader)
    return found


def _triple(plug: str, digits: int) -> list[float]:
    return [round(v, digits) for v in cmds.getAttr(plug)[0]]


def _describe(node: str) -> dict[str, Any]:
    return {
        "name": node,
        "type": _kind(node),
        "location": _triple(f"{node}.translate", 4),
        "rotation": _triple(f"{node}.rotate", 3),
        "scale": _triple(f"{node}.scale", 4),
        "materials": _materials(node),
        "selected": node in cmds.ls(selection=True),
    }


@dcclink.resource("maya://scene")
@dcclink.tool(read_only=True)
@no_undo_step
def scene_summary() -> dict[str, Any]:
    """The open file, the frame range, the cameras, the linear unit, and how
    many objects of each type the scene holds."""
    counts: dict[str, int] = {}
    for node in _transforms():
        kind = _kind(node)
        counts[kind] = counts.get(kind, 0) + 1
    return {
        "file": cmds.file(query=True, sceneName=True) or None,
        "maya": cmds.about(version=True),
        "frames": [
            cmds.playbackOptions(query=True, minTime=True),
            cmds.playbackOptions(query=True, maxTime=True),
        ],
        "frame": cmds.currentTime(query=True),
        "unit": cmds.currentUnit(query=True, linear=True),
        "cameras": [t for t in _transforms() if _kind(t) == "camera"],
        "objects": counts,
        "selected": cmds.ls(selection=True),
    }


@dcclink.tool(read_only=True)
@no_undo_step
def list_objects(
    type: Optional[str] = None, name_contains: Optional[str] = None, limit: int = 100
) -> dict[str, Any]:
    """The scene's objects (transforms) with their transforms and
    materials, filtered by type (mesh, camera, pointLight, locator,
    transform for groups, …) and by part of the name."""
    objects = [
        t
        for t in _transforms()
        if (type is None or _kind(t).lower() == type.lower())
        and (name_contains is None or name_contains.lower() in t.lower())
    ]
    return {"count": len(objects), "objects": [_describe(t) for t in objects[:limit]]}


@dcclink.resource("maya://objects/{name}")
def object_info(name: str) -> dict[str, Any]:
    """One object, as list_objects describes it."""
    return _describe(_object(name))


def _make(kind: str, size: float) -> str:
    """Makes an object of ``kind``; its transform."""
    if kind in _PRIMITIVES:
        command, flags = _PRIMITIVES[kind]
        made = command(**flags(size))
    elif kind == "locator":
        made = cmds.spaceLocator()
    elif kind == "camera":
        made = cmds.camera()
    else:
        made = cmds.listRelatives(cmds.pointLight(), parent=True)
    return str(made[0])


@dcclink.tool
def create_object(
    kind: Kind,
    name: Optional[str] = None,
    location: Vec3 = [0.0, 0.0, 0.0],  # noqa: B006 (read only)
    rotation: Vec3 = [0.0, 0.0, 0.0],  # noqa: B006
    scale: Vec3 = [1.0, 1.0, 1.0],  # noqa: B006
    size: float = 2.0,
) -> dict[str, Any]:
    """Adds an object to the scene: a polygon primitive, a locator, a camera
    or a point light. Returns it as list_objects describes it; Maya numbers
    the name when it is taken."""
    placement = {
        "translate": vector3(location, "location"),
        "rotate": vector3(rotation, "rotation"),
        "scale": vector3(scale, "scale"),
    }
    node = _make(kind, size)
    if name:
        node = cmds.rename(node, name)
    for attribute, value in placement.items():
        cmds.setAttr(f"{node}.{attribute}", *value, type="double3")
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
    for attribute, value in (("translate", location), ("rotate", rotation), ("scale", scale)):
        if value is not None:
            cmds.setAttr(f"{node}.{attribute}", *vector3(value, attribute), type="double3")
    return _describe(node)


@dcclink.tool(destructive=True)
def delete_objects(names: list[str]) -> dict[str, Any]:
    """Deletes objects by name. Every name must exist, or nothing is deleted."""
    nodes = [_object(name) for name in names]
    if nodes:
        cmds.delete(nodes)
    return {"deleted": nodes}


def _own_shader(node: str) -> Optional[str]:
    """The object's material, unless it is Maya's default that every new
    object shares (colouring that would colour them all)."""
    for shape in _shapes(node):
        for group in cmds.listConnections(shape, type="shadingEngine") or []:
            if group != "initialShadingGroup":
                shaders = cmds.listConnections(f"{group}.surfaceShader") or []
                if shaders:
                    return str(shaders[0])
    return None


@dcclink.tool
def set_material_color(name: str, color: list[float]) -> dict[str, Any]:
    """Gives an object a material of this RGBA colour (0 to 1; alpha may be
    left out): a new standardSurface, or the object's own material when it
    has one other than Maya's default."""
    node = _object(name)
    if _kind(node) not in ("mesh", "nurbsSurface", "subdiv"):
        raise ValueError(f"{name!r} is a {_kind(node)}, which has no material")
    red, green, blue, alpha = rgba(color)
    shader = _own_shader(node)
    if shader is None:
        shader = cmds.shadingNode("standardSurface", asShader=True, name=f"{node}_color")
        group = cmds.sets(renderable=True, noSurfaceShader=True, empty=True, name=f"{shader}SG")
        cmds.connectAttr(f"{shader}.outColor", f"{group}.surfaceShader", force=True)
        cmds.sets(node, edit=True, forceElement=group)
    if cmds.nodeType(shader) == "standardSurface":
        cmds.setAttr(f"{shader}.baseColor", red, green, blue, type="double3")
        cmds.setAttr(f"{shader}.opacity", alpha, alpha, alpha, type="double3")
    else:
        cmds.setAttr(f"{shader}.color", red, green, blue, type="double3")
        cmds.setAttr(f"{shader}.transparency", *[1.0 - alpha] * 3, type="double3")
    return {"object": node, "material": shader, "color": [red, green, blue, alpha]}


@dcclink.tool
def select_objects(names: list[str], extend: bool = False) -> dict[str, Any]:
    """Selects objects; without ``extend`` the rest of the scene is
    deselected."""
    nodes = [_object(name) for name in names]
    if nodes and extend:
        cmds.select(nodes, add=True)
    elif nodes:
        cmds.select(nodes, replace=True)
    elif not extend:
        cmds.select(clear=True)
    return {"selected": cmds.ls(selection=True)}


@dcclink.tool
@no_undo_step
def undo(steps: int = 1) -> dict[str, Any]:
    """Undoes the last steps in Maya's history; each dcclink call is one
    step, named after its tool."""
    return {
        "undone": repeat(
            steps, lambda: bool(cmds.undoInfo(query=True, undoName=True)), cmds.undo, "undo"
        )
    }


@dcclink.tool
@no_undo_step
def redo(steps: int = 1) -> dict[str, Any]:
    """Redoes steps that were undone."""
    return {
        "redone": repeat(
            steps, lambda: bool(cmds.undoInfo(query=True, redoName=True)), cmds.redo, "redo"
        )
    }


@dcclink.tool(timeout=120, read_only=True, task="optional")
@no_undo_step
def capture_viewport(width: int = 640, height: int = 360) -> dcclink.Image:
    """A picture of the active viewport at the current frame, returned
    inline as PNG (a one-frame playblast). Needs Maya's UI."""
    if cmds.about(batch=True):
        raise RuntimeError("Maya runs without its UI (batch mode): there is no viewport")
    frame = cmds.currentTime(query=True)
    return png_written(
        "dcclink-viewport-",
        lambda path: cmds.playblast(
            frame=[frame],
            format="image",
            compression="png",
            completeFilename=path,
            widthHeight=[width, height],
            percent=100,
            viewer=False,
            showOrnaments=False,
            offScreen=True,
            forceOverwrite=True,
        ),
    )


@dcclink.tool(timeout=300, destructive=True, task="optional")  # it may overwrite the file
@no_undo_step
def export_scene(path: str, selected_only: bool = False) -> dict[str, Any]:
    """Exports the scene (or the selection) to ``path`` on the machine Maya
    runs on; the extension picks the format: .ma, .mb, .obj or .fbx."""
    target = export_target(path, _EXPORTS)
    if selected_only and not cmds.ls(selection=True):
        raise ValueError("nothing is selected: select objects first, or export everything")
    file_type, plugin = _EXPORTS[os.path.splitext(target)[1].lower()]
    if plugin is not None and not cmds.pluginInfo(plugin, query=True, loaded=True):
        cmds.loadPlugin(plugin, quiet=True)
    which = "exportSelected" if selected_only else "exportAll"
    cmds.file(target, force=True, type=file_type, **{which: True})
    return {"path": target, "bytes": os.path.getsize(target)}


def allow_code_execution() -> None:
    """Adds ``execute_python`` (off by default): the agent may run Python
    in Maya, with ``cmds`` at hand, each time the user allows it in the
    dcclink panel."""
    enable_execute_python("Maya", lambda: {"cmds": cmds})
