"""The Blender pack: inspect and edit the scene, render, export.

Works in Blender's UI (3.4 to 5.0) and in the headless ``bpy`` module
(``pip install bpy`` on Python 3.11):

    dcclink serve --http 127.0.0.1:0 --tools dcclink.packs.blender

Objects are made through Blender's data API rather than operators, so the
tools work whether or not a window gives operators their context. Angles are
in degrees, distances in scene units, colours RGBA from 0 to 1.
"""

from __future__ import annotations

import math
import os
from typing import Any, Literal, Optional

import dcclink
from dcclink.hosts.undo import no_undo_step
from dcclink.packs._common import (
    Vec3,
    export_target,
    no_such_object,
    repeat,
    rgba,
    temporary_png,
    vector3,
)
from dcclink.packs.code import enable_execute_python

try:
    # isort: off
    import bpy  # first: it sets up Blender for bmesh and mathutils
    import bmesh
    from mathutils import Vector

    # isort: on
except ImportError:  # pragma: no cover - depends on the host
    raise ImportError(
        "dcclink.packs.blender needs Blender's bpy: run it inside Blender, "
        "or install the bpy module (pip install bpy, on Python 3.11)"
    ) from None

Kind = Literal["cube", "sphere", "cylinder", "cone", "plane", "monkey", "empty", "camera", "light"]


def _object(name: str) -> Any:
    found = bpy.data.objects.get(name)
    if found is None:
        no_such_object(name, (o.name for o in bpy.data.objects))
    return found


def _describe(obj: Any) -> dict[str, Any]:
    return {
        "name": obj.name,
        "type": obj.type,
        "location": [round(v, 4) for v in obj.location],
        "rotation": [round(math.degrees(v), 3) for v in obj.rotation_euler],
        "scale": [round(v, 4) for v in obj.scale],
        "dimensions": [round(v, 4) for v in obj.dimensions],
        "materials": [slot.material.name for slot in obj.material_slots if slot.material],
        "selected": obj.select_get(),
    }


@dcclink.resource("blender://scene")
@dcclink.tool(read_only=True)
@no_undo_step
def scene_summary() -> dict[str, Any]:
    """The open file, the scene's frame range, camera and render settings,
    and how many objects of each type it holds."""
    scene = bpy.context.scene
    counts: dict[str, int] = {}
    for obj in scene.objects:
        counts[obj.type] = counts.get(obj.type, 0) + 1
    return {
        "file": bpy.data.filepath or None,
        "blender": bpy.app.version_string,
        "scene": scene.name,
        "frames": [scene.frame_start, scene.frame_end],
        "frame": scene.frame_current,
        "camera": scene.camera.name if scene.camera else None,
        "render": {
            "engine": scene.render.engine,
            "resolution": [scene.render.resolution_x, scene.render.resolution_y],
        },
        "objects": counts,
        "selected": [o.name for o in scene.objects if o.select_get()],
    }


@dcclink.tool(read_only=True)
@no_undo_step
def list_objects(
    type: Optional[str] = None, name_contains: Optional[str] = None, limit: int = 100
) -> dict[str, Any]:
    """The scene's objects with their transforms and materials, filtered by
    type (MESH, CAMERA, LIGHT, EMPTY, …) and by part of the name."""
    objects = [
        o
        for o in bpy.context.scene.objects
        if (type is None or o.type == type.upper())
        and (name_contains is None or name_contains.lower() in o.name.lower())
    ]
    return {"count": len(objects), "objects": [_describe(o) for o in objects[:limit]]}


@dcclink.resource("blender://objects/{name}")
def object_info(name: str) -> dict[str, Any]:
    """One object, as list_objects describes it."""
    return _describe(_object(name))


def _mesh(kind: str, size: float) -> Any:
    mesh = bpy.data.meshes.new(kind)
    bm = bmesh.new()
    if kind == "cube":
        bmesh.ops.create_cube(bm, size=size)
    elif kind == "sphere":
        bmesh.ops.create_uvsphere(bm, u_segments=32, v_segments=16, radius=size / 2)
    elif kind in ("cylinder", "cone"):
        bmesh.ops.create_cone(
            bm,
            cap_ends=True,
            segments=32,
            radius1=size / 2,
            radius2=size / 2 if kind == "cylinder" else 0.0,
            depth=size,
        )
    elif kind == "plane":
        bmesh.ops.create_grid(bm, x_segments=1, y_segments=1, size=size / 2)
    else:
        bmesh.ops.create_monkey(bm)
    bm.to_mesh(mesh)
    bm.free()
    return mesh


@dcclink.tool
def create_object(
    kind: Kind,
    name: Optional[str] = None,
    location: Vec3 = [0.0, 0.0, 0.0],  # noqa: B006 (read only)
    rotation: Vec3 = [0.0, 0.0, 0.0],  # noqa: B006
    scale: Vec3 = [1.0, 1.0, 1.0],  # noqa: B006
    size: float = 2.0,
) -> dict[str, Any]:
    """Adds an object to the scene: a mesh primitive, an empty, a camera
    (made the scene's camera when it has none) or a point light. Returns it
    as list_objects describes it; Blender may add a suffix to the name."""
    if kind == "empty":
        data = None
    elif kind == "camera":
        data = bpy.data.cameras.new(name or "Camera")
    elif kind == "light":
        data = bpy.data.lights.new(name or "Light", type="POINT")
        data.energy = 1000.0
    else:
        data = _mesh(kind, size)
    obj = bpy.data.objects.new(name or kind.capitalize(), data)
    obj.location = vector3(location, "location")
    obj.rotation_euler = tuple(math.radians(v) for v in vector3(rotation, "rotation"))
    obj.scale = vector3(scale, "scale")
    scene = bpy.context.scene
    scene.collection.objects.link(obj)
    if kind == "camera" and scene.camera is None:
        scene.camera = obj
    return _describe(obj)


@dcclink.tool
def transform_object(
    name: str,
    location: Optional[Vec3] = None,
    rotation: Optional[Vec3] = None,
    scale: Optional[Vec3] = None,
) -> dict[str, Any]:
    """Moves, rotates (degrees) or scales an object; what is left out stays."""
    obj = _object(name)
    if location is not None:
        obj.location = vector3(location, "location")
    if rotation is not None:
        obj.rotation_euler = tuple(math.radians(v) for v in vector3(rotation, "rotation"))
    if scale is not None:
        obj.scale = vector3(scale, "scale")
    return _describe(obj)


@dcclink.tool(destructive=True)
def delete_objects(names: list[str]) -> dict[str, Any]:
    """Deletes objects by name. Every name must exist, or nothing is deleted."""
    objects = [_object(name) for name in names]
    for obj in objects:
        bpy.data.objects.remove(obj, do_unlink=True)
    return {"deleted": names}


@dcclink.tool
def set_material_color(name: str, color: list[float]) -> dict[str, Any]:
    """Gives an object a material of this RGBA colour (0 to 1; alpha may be
    left out), reusing the object's first material when it has one."""
    obj = _object(name)
    if obj.type not in ("MESH", "CURVE", "SURFACE", "META", "FONT"):
        raise ValueError(f"{name!r} is a {obj.type}, which has no material")
    value = rgba(color)
    material = obj.active_material
    if material is None:
        material = bpy.data.materials.new(f"{obj.name}_color")
        obj.data.materials.append(material)
    if not material.use_nodes:
        material.use_nodes = True
    shader = material.node_tree.nodes.get("Principled BSDF")
    if shader is not None:
        shader.inputs["Base Color"].default_value = value
    material.diffuse_color = value  # what the viewport's solid mode shows
    return {"object": obj.name, "material": material.name, "color": list(value)}


@dcclink.tool
def select_objects(names: list[str], extend: bool = False) -> dict[str, Any]:
    """Selects objects (the first becomes active); without ``extend`` the
    rest of the scene is deselected."""
    objects = [_object(name) for name in names]
    layer = bpy.context.view_layer
    if not extend:
        for obj in layer.objects:
            obj.select_set(False)
    for obj in objects:
        obj.select_set(True)
    if objects:
        layer.objects.active = objects[0]
    return {"selected": [o.name for o in layer.objects if o.select_get()]}


@dcclink.tool
@no_undo_step
def undo(steps: int = 1) -> dict[str, Any]:
    """Undoes the last steps in Blender's history; each dcclink call is one
    step, named after its tool."""
    return {"undone": repeat(steps, bpy.ops.ed.undo.poll, bpy.ops.ed.undo, "undo")}


@dcclink.tool
@no_undo_step
def redo(steps: int = 1) -> dict[str, Any]:
    """Redoes steps that were undone."""
    return {"redone": repeat(steps, bpy.ops.ed.redo.poll, bpy.ops.ed.redo, "redo")}


def _framing_camera(scene: Any) -> Any:
    """A temporary camera that sees every object, for a scene without one."""
    corners = [o.matrix_world @ Vector(c) for o in scene.objects for c in o.bound_box]
    if not corners:
        corners = [Vector((0.0, 0.0, 0.0))]
    center = sum(corners, Vector()) / len(corners)
    radius = max((c - center).length for c in corners) or 1.0
    camera = bpy.data.objects.new("dcclink_camera", bpy.data.cameras.new("dcclink_camera"))
    direction = Vector((1.0, -1.0, 0.8)).normalized()
    camera.location = center + direction * radius * 3.0
    camera.rotation_euler = (-direction).to_track_quat("-Z", "Y").to_euler()
    scene.collection.objects.link(camera)
    return camera


def _engine(name: str) -> str:
    """The engine's identifier in this Blender (EEVEE was EEVEE Next in 4.2
    to 4.4)."""
    known = {
        item.identifier for item in bpy.types.RenderSettings.bl_rna.properties["engine"].enum_items
    }
    if name not in known and f"{name}_NEXT" in known:
        return f"{name}_NEXT"
    return name


@dcclink.tool(timeout=300, read_only=True, task="optional")
@no_undo_step
def render_image(
    width: int = 320,
    height: int = 240,
    samples: int = 8,
    engine: Literal["CYCLES", "BLENDER_EEVEE", "BLENDER_WORKBENCH"] = "CYCLES",
) -> dcclink.Image:
    """Renders the scene's camera view and returns the PNG inline. A scene
    without a camera is framed by a temporary one, and one without lights
    gets a temporary sun. Cycles renders anywhere; EEVEE and Workbench need
    Blender's UI (a GPU)."""
    scene = bpy.context.scene
    render = scene.render
    saved = (render.engine, render.resolution_x, render.resolution_y, render.filepath)
    temporary = []
    if scene.camera is None:
        temporary.append(_framing_camera(scene))
        scene.camera = temporary[-1]
    if not any(o.type == "LIGHT" for o in scene.objects):
        sun = bpy.data.objects.new("dcclink_sun", bpy.data.lights.new("dcclink_sun", type="SUN"))
        sun.rotation_euler = (math.radians(45), 0.0, math.radians(30))
        scene.collection.objects.link(sun)
        temporary.append(sun)
    with temporary_png("dcclink-render-") as path:
        try:
            _render(scene, path, width, height, samples, engine)
            with open(path, "rb") as file:
                data = file.read()
        finally:
            render.engine, render.resolution_x, render.resolution_y, render.filepath = saved
            _remove(scene, temporary)
    return dcclink.Image(data, "image/png")


def _render(scene: Any, path: str, width: int, height: int, samples: int, engine: str) -> None:
    """Renders the scene's camera to the PNG at ``path``."""
    render = scene.render
    render.engine = _engine(engine)
    render.resolution_x, render.resolution_y = width, height
    render.resolution_percentage = 100
    render.image_settings.file_format = "PNG"
    render.filepath = path
    if engine == "CYCLES":
        scene.cycles.samples = samples
        scene.cycles.device = "CPU"
    bpy.ops.render.render(write_still=True)


def _remove(scene: Any, temporary: list[Any]) -> None:
    """Removes the render's temporary camera and sun, and their data."""
    for obj in temporary:
        if scene.camera is obj:
            scene.camera = None
        data_block = obj.data
        bpy.data.objects.remove(obj, do_unlink=True)
        if isinstance(data_block, bpy.types.Camera):
            bpy.data.cameras.remove(data_block)
        elif isinstance(data_block, bpy.types.Light):
            bpy.data.lights.remove(data_block)


@dcclink.tool(timeout=300, destructive=True, task="optional")  # it may overwrite the file
@no_undo_step
def export_gltf(path: str, selected_only: bool = False) -> dict[str, Any]:
    """Exports the scene (or the selection) as glTF binary (.glb) to
    ``path``, on the machine Blender runs on."""
    target = export_target(path, [".glb"])
    bpy.ops.export_scene.gltf(filepath=target, export_format="GLB", use_selection=selected_only)
    return {"path": target, "bytes": os.path.getsize(target)}


def allow_code_execution() -> None:
    """Adds ``execute_python`` (off by default): the agent may run Python
    in Blender, with ``bpy`` at hand, each time the user allows it in the
    dcclink panel."""
    enable_execute_python("Blender", lambda: {"bpy": bpy})
