"""Turntables on a pool of headless Blender workers, as one MCP task.

An agent calls ``render_turntables`` as a task; the tool returns at once
with a task id, generates ``count`` objects and renders a turntable frame
of each on a pool of ``bpy`` workers, then returns one contact sheet. The
artist's session (or this server's main thread) never waits on a render.

Serve it from any Python with dcclink; the workers run the Python that
``BLENDER_PYTHON`` names (a venv with ``pip install bpy dcclink``)::

    BLENDER_PYTHON=/opt/bpy-venv/bin/python \\
        dcclink serve --http 127.0.0.1:0 --tools examples/turntables.py

The workers import this same file: ``turntable_frame`` and
``contact_sheet`` run there, on each worker's main thread, with ``bpy``.
"""

from __future__ import annotations

import atexit
import base64
import colorsys
import math
import os
import sys
import tempfile
import threading
from pathlib import Path
from typing import Optional

import dcclink
from dcclink.workers import Pool

#: The shapes the generated objects take, in turn.
SHAPES = ("cube", "uv_sphere", "cone", "torus", "monkey", "cylinder", "ico_sphere")

_pool: Optional[Pool] = None
_pool_lock = threading.Lock()


def pool() -> Pool:
    """The Blender workers, started on first use and kept warm."""
    global _pool
    with _pool_lock:
        if _pool is None:
            python = os.environ.get("BLENDER_PYTHON", sys.executable)
            size = int(os.environ.get("TURNTABLE_WORKERS", "2"))
            _pool = Pool([Path(__file__)], size=size, python=python, name="turntables")
            atexit.register(_pool.close)
        return _pool


@dcclink.tool(task="required", main_thread=False, timeout=1800, read_only=True)
def render_turntables(ctx: dcclink.Context, count: int = 8, size: int = 128) -> dcclink.Image:
    """Render a turntable frame of each of `count` generated objects on the
    Blender workers and return them as one contact sheet (PNG)."""
    if not 1 <= count <= 200 or not 32 <= size <= 512:
        raise ValueError("count must be 1..200 and size 32..512")
    items = [{"index": index, "count": count, "size": size} for index in range(count)]
    frames = pool().map("turntable_frame", items, ctx=ctx)
    columns = math.ceil(math.sqrt(count))
    encoded = [base64.b64encode(frame.data).decode() for frame in frames]
    sheet: dcclink.Image = pool().call(
        "contact_sheet", {"frames": encoded, "columns": columns, "size": size}, ctx=ctx
    )
    return sheet


# ---- on the workers ---------------------------------------------------------


@dcclink.tool(idempotent=True, timeout=300)
def turntable_frame(index: int, count: int, size: int = 128) -> dcclink.Image:
    """Generate object `index` of `count` (a shape and a colour of its own)
    and render it from its place on the turntable."""
    import bpy

    bpy.ops.wm.read_factory_settings(use_empty=True)
    shape = SHAPES[index % len(SHAPES)]
    getattr(bpy.ops.mesh, f"primitive_{shape}_add")()
    thing = bpy.context.active_object
    material = bpy.data.materials.new(f"turntable-{index}")
    material.use_nodes = True
    colour = (*colorsys.hsv_to_rgb(index / count, 0.6, 0.9), 1.0)
    material.node_tree.nodes["Principled BSDF"].inputs["Base Color"].default_value = colour
    thing.data.materials.append(material)
    thing.rotation_euler[2] = 2 * math.pi * index / count  # its turn on the table

    scene = bpy.context.scene
    camera = bpy.data.objects.new("camera", bpy.data.cameras.new("camera"))
    camera.location = (0.0, -4.2, 1.6)
    camera.rotation_euler = (math.radians(72), 0.0, 0.0)
    scene.collection.objects.link(camera)
    scene.camera = camera
    sun = bpy.data.objects.new("sun", bpy.data.lights.new("sun", type="SUN"))
    sun.rotation_euler = (math.radians(40), math.radians(20), 0.0)
    scene.collection.objects.link(sun)
    scene.world = bpy.data.worlds.new("grey")
    scene.world.color = (0.18, 0.18, 0.2)

    render = scene.render
    render.engine = "CYCLES"  # renders on any machine, with or without a GPU
    render.resolution_x = render.resolution_y = size
    render.resolution_percentage = 100
    render.film_transparent = False
    scene.cycles.samples = 4
    scene.cycles.use_denoising = False
    with tempfile.TemporaryDirectory() as folder:
        render.filepath = str(Path(folder, "frame.png"))
        bpy.ops.render.render(write_still=True)
        return dcclink.Image(Path(render.filepath).read_bytes())


@dcclink.tool(timeout=300)
def contact_sheet(frames: list[str], columns: int, size: int) -> dcclink.Image:
    """Lay square PNG frames (base64) out on a grid, `columns` wide, as one
    PNG."""
    import bpy
    import numpy

    rows = math.ceil(len(frames) / columns)
    sheet = numpy.zeros((rows * size, columns * size, 4), dtype=numpy.float32)
    sheet[..., :3], sheet[..., 3] = 0.1, 1.0  # empty cells stay dark grey
    with tempfile.TemporaryDirectory() as folder:
        for number, frame in enumerate(frames):
            path = Path(folder, f"{number}.png")
            path.write_bytes(base64.b64decode(frame))
            image = bpy.data.images.load(str(path))
            pixels = numpy.empty(size * size * 4, dtype=numpy.float32)
            image.pixels.foreach_get(pixels)
            bpy.data.images.remove(image)
            # Blender's rows run bottom to top, as the sheet's do.
            row, column = rows - 1 - number // columns, number % columns
            sheet[row * size : (row + 1) * size, column * size : (column + 1) * size] = (
                pixels.reshape(size, size, 4)
            )
        out = bpy.data.images.new("sheet", columns * size, rows * size, alpha=True)
        out.pixels.foreach_set(sheet.ravel())
        out.filepath_raw = str(Path(folder, "sheet.png"))
        out.file_format = "PNG"
        out.save()
        return dcclink.Image(Path(out.filepath_raw).read_bytes())
