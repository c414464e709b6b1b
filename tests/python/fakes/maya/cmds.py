"""Fake ``maya.cmds``: the commands dcclink uses, with Maya's rules: main
thread only, unknown flags refused, ``None`` where Maya returns nothing, and
every change an undo step (one per chunk)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Optional

from fakes import record
from fakes.images import grey_png
from fakes.maya import scene
from fakes.maya.scene import Node

VERSION = "2025"
state: dict[str, Any] = {"scene": "/projects/shot010/scenes/layout.ma", "batch": record.NO_UI}
shelves: dict[str, list[dict[str, Any]]] = {}
plugins: set[str] = set()
#: What ``cmds.file`` exports to, by ``type``: the plug-in that type needs.
FILE_TYPES = {
    "mayaAscii": None,
    "mayaBinary": None,
    "OBJexport": "objExport",
    "FBX export": "fbxmaya",
}
PRIMITIVES = {
    "polyCube": ("pCube1", {"width", "height", "depth"}),
    "polySphere": ("pSphere1", {"radius"}),
    "polyCylinder": ("pCylinder1", {"radius", "height"}),
    "polyCone": ("pCone1", {"radius", "height"}),
    "polyPlane": ("pPlane1", {"width", "height"}),
    "polyTorus": ("pTorus1", {"radius", "sectionRadius"}),
}
ATTRIBUTES = {
    "transform": {"translate", "rotate", "scale"},
    "standardSurface": {"baseColor", "opacity", "outColor"},
    "lambert": {"color", "transparency", "outColor"},
    "shadingEngine": {"surfaceShader", "dagSetMembers"},
}


def _flags(command: str, given: dict[str, Any], known: set[str]) -> None:
    record.call(f"cmds.{command}", given)
    for flag in given:
        if flag not in known:
            raise TypeError(f"Invalid flag '{flag}'")


def _query(command: str, flags: dict[str, Any], known: set[str]) -> str:
    """A query command's one question: Maya needs ``query=True`` and exactly
    one flag that says what to answer."""
    _flags(command, flags, known | {"query"})
    asked = [flag for flag in known if flags.get(flag)]
    if not flags.get("query") or len(asked) != 1:
        raise RuntimeError(f"{command}: query with query=True and one of {sorted(known)}")
    return asked[0]


def _names(args: Iterable[Any]) -> list[str]:
    """Positional object arguments, which Maya takes as names or lists."""
    names: list[str] = []
    for arg in args:
        names.extend([arg] if isinstance(arg, str) else arg)
    return names


def _plug(plug: str) -> tuple[str, str]:
    name, dot, attribute = plug.partition(".")
    node = scene.node(name)
    if not dot or attribute not in ATTRIBUTES.get(node.type, set()):
        raise ValueError(f"No object matches name: {plug}")
    return name, attribute


def about(**flags: Any) -> Any:
    _flags("about", flags, {"version", "batch", "apiVersion"})
    if len(flags) != 1:
        raise RuntimeError("about: give exactly one query flag")
    if flags.get("version"):
        return VERSION
    if flags.get("batch"):
        return state["batch"]
    return 20250000


def undoInfo(**flags: Any) -> Any:
    known = {"openChunk", "closeChunk", "chunkName", "query", "undoName", "redoName"}
    _flags("undoInfo", flags, known)
    if flags.get("openChunk") and flags.get("closeChunk"):
        raise RuntimeError("undoInfo: openChunk and closeChunk together")
    if "chunkName" in flags and not flags.get("openChunk"):
        raise TypeError("undoInfo: chunkName only goes with openChunk")
    if flags.get("query"):
        stack = scene.undo_stack if flags.get("undoName") else scene.redo_stack
        return stack[-1][0] if stack else ""
    if flags.get("openChunk"):
        scene.open_chunk(flags.get("chunkName", ""))
    elif flags.get("closeChunk"):
        scene.close_chunk()
    return None


def undo(**flags: Any) -> None:
    _flags("undo", flags, set())
    scene.step(back=True)


def redo(**flags: Any) -> None:
    _flags("redo", flags, set())
    scene.step(back=False)


def _primitive(command: str, flags: dict[str, Any]) -> list[str]:
    stem, sizes = PRIMITIVES[command]
    _flags(command, flags, sizes | {"name", "constructionHistory"})
    scene.changing(command)
    transform, _ = scene.add_transform(flags.get("name", stem), "mesh", {"creator": command})
    creator = scene.unique(f"{command}1")
    scene.current.nodes[creator] = Node(command, attrs={k: flags[k] for k in sizes & flags.keys()})
    scene.current.selection = [transform]
    return [transform, creator]


def polyCube(**flags: Any) -> list[str]:
    return _primitive("polyCube", flags)


def polySphere(**flags: Any) -> list[str]:
    return _primitive("polySphere", flags)


def polyCylinder(**flags: Any) -> list[str]:
    return _primitive("polyCylinder", flags)


def polyCone(**flags: Any) -> list[str]:
    return _primitive("polyCone", flags)


def polyPlane(**flags: Any) -> list[str]:
    return _primitive("polyPlane", flags)


def polyTorus(**flags: Any) -> list[str]:
    return _primitive("polyTorus", flags)


def spaceLocator(**flags: Any) -> list[str]:
    _flags("spaceLocator", flags, {"name", "position"})
    scene.changing("spaceLocator")
    return [scene.add_transform(flags.get("name", "locator1"), "locator", {})[0]]


def camera(*args: Any, **flags: Any) -> Any:
    _flags("camera", flags, {"query", "startupCamera", "focalLength"})
    if flags.get("query"):
        (name,) = _names(args)
        node = scene.node(name)
        if node.type != "camera":
            raise RuntimeError(f"camera: {name} is not a camera shape")
        return node.attrs.get("startupCamera", False)
    scene.changing("camera")
    attrs = {"focalLength": flags.get("focalLength", 35.0)}
    return list(scene.add_transform("camera1", "camera", attrs))


def pointLight(**flags: Any) -> str:
    _flags("pointLight", flags, {"name", "intensity", "rgb"})
    scene.changing("pointLight")
    attrs = {"intensity": flags.get("intensity", 1.0)}
    return scene.add_transform(flags.get("name", "pointLight1"), "pointLight", attrs)[1]


def rename(old: str, new: str, **flags: Any) -> str:
    _flags("rename", flags, set())
    scene.node(old)
    scene.changing("rename")
    return scene.rename(old, new)


def objExists(name: str) -> bool:
    record.call("cmds.objExists", name)
    return name in scene.current.nodes


def nodeType(name: str) -> str:
    record.call("cmds.nodeType", name)
    return scene.node(name).type


def ls(*args: Any, **flags: Any) -> list[str]:
    _flags("ls", flags, {"selection", "transforms", "type"})
    if flags.get("selection"):
        found = list(scene.current.selection)
    else:
        names = _names(args)
        found = [n for n in scene.current.nodes if not names or n in names]
    if flags.get("transforms"):
        found = [n for n in found if scene.current.nodes[n].type == "transform"]
    if "type" in flags:
        found = [n for n in found if scene.current.nodes[n].type == flags["type"]]
    return found


def listRelatives(name: str, **flags: Any) -> Optional[list[str]]:
    _flags("listRelatives", flags, {"shapes", "parent", "children"})
    node = scene.node(name)
    if flags.get("parent"):
        found = [node.parent] if node.parent else []
    else:
        found = scene.children(name)
        if flags.get("shapes"):
            found = [n for n in found if scene.current.nodes[n].type != "transform"]
    return found or None  # Maya answers None, not [], when there are none


def getAttr(plug: str, **flags: Any) -> Any:
    _flags("getAttr", flags, set())
    name, attribute = _plug(plug)
    value = scene.current.nodes[name].attrs[attribute]
    return [value] if isinstance(value, tuple) else value


def setAttr(plug: str, *values: Any, **flags: Any) -> None:
    _flags("setAttr", flags, {"type"})
    name, attribute = _plug(plug)
    old = scene.current.nodes[name].attrs.get(attribute)
    if isinstance(old, tuple):
        if len(values) != 3 or flags.get("type", "double3") != "double3":
            raise RuntimeError(f"setAttr: {plug} takes three values (type double3)")
        new: Any = tuple(float(v) for v in values)
    elif len(values) != 1:
        raise RuntimeError(f"setAttr: {plug} takes one value")
    else:
        new = values[0]
    scene.changing("setAttr")
    scene.current.nodes[name].attrs[attribute] = new


def delete(*args: Any, **flags: Any) -> None:
    _flags("delete", flags, set())
    names = _names(args)
    if not names:
        raise RuntimeError("delete: Not enough objects or values.")
    for name in names:
        scene.node(name)
    scene.changing("delete")
    for name in names:
        scene.remove(name)


def select(*args: Any, **flags: Any) -> None:
    _flags("select", flags, {"replace", "add", "clear", "deselect"})
    names = _names(args)
    if flags.get("clear"):
        if names:
            raise RuntimeError("select: -clear takes no objects")
        scene.changing("select")
        scene.current.selection = []
        return
    if not names:
        raise RuntimeError("select: Not enough objects or values.")
    for name in names:
        scene.node(name)
    scene.changing("select")
    kept = scene.current.selection if flags.get("add") else []
    scene.current.selection = kept + [n for n in names if n not in kept]


def shadingNode(node_type: str, **flags: Any) -> str:
    _flags("shadingNode", flags, {"asShader", "name"})
    if not flags.get("asShader") or node_type not in ("standardSurface", "lambert"):
        raise RuntimeError(f"shadingNode: the fake makes shaders only, not {node_type}")
    scene.changing("shadingNode")
    name = scene.unique(flags.get("name", f"{node_type}1"))
    color = "baseColor" if node_type == "standardSurface" else "color"
    alpha = "opacity" if node_type == "standardSurface" else "transparency"
    opaque = (1.0,) * 3 if node_type == "standardSurface" else (0.0,) * 3
    scene.current.nodes[name] = Node(node_type, attrs={color: (0.8, 0.8, 0.8), alpha: opaque})
    return name


def sets(*args: Any, **flags: Any) -> Optional[str]:
    known = {"renderable", "noSurfaceShader", "empty", "name", "edit", "forceElement"}
    _flags("sets", flags, known)
    if flags.get("edit"):
        group = flags.get("forceElement")
        if group is None or scene.node(group).type != "shadingEngine":
            raise RuntimeError("sets: -edit -forceElement takes a shading group")
        members = _names(args)
        scene.changing("sets")
        for member in members:
            shapes = scene.children(member) if scene.node(member).type == "transform" else [member]
            for shape in shapes:
                scene.current.connections = [
                    c for c in scene.current.connections if c[0] != f"{shape}.instObjGroups"
                ]
                scene.current.connections.append(
                    (f"{shape}.instObjGroups", f"{group}.dagSetMembers")
                )
        return None
    if args or not flags.get("empty"):
        raise RuntimeError("the fake sets makes empty shading groups only")
    scene.changing("sets")
    name = scene.unique(flags.get("name", "set1"))
    scene.current.nodes[name] = Node("shadingEngine" if flags.get("renderable") else "objectSet")
    return name


def connectAttr(source: str, destination: str, **flags: Any) -> None:
    _flags("connectAttr", flags, {"force"})
    _plug(source)
    _plug(destination)
    taken = [c for c in scene.current.connections if c[1] == destination]
    if taken and not flags.get("force"):
        raise RuntimeError(f"connectAttr: {destination} is already connected")
    scene.changing("connectAttr")
    scene.current.connections = [c for c in scene.current.connections if c not in taken]
    scene.current.connections.append((source, destination))


def listConnections(target: str, **flags: Any) -> Optional[list[str]]:
    _flags("listConnections", flags, {"type", "source", "destination"})
    name = target.partition(".")[0]
    scene.node(name)

    def touches(plug: str) -> bool:
        return plug == target if "." in target else plug.partition(".")[0] == name

    found: list[str] = []
    for source, destination in scene.current.connections:
        for here, other in ((source, destination), (destination, source)):
            other_node = other.partition(".")[0]
            if touches(here) and other_node not in found:
                found.append(other_node)
    if "type" in flags:
        found = [n for n in found if scene.current.nodes[n].type == flags["type"]]
    return found or None


def playbackOptions(**flags: Any) -> float:
    asked = _query("playbackOptions", flags, {"minTime", "maxTime"})
    return 1.0 if asked == "minTime" else 120.0


def currentTime(**flags: Any) -> float:
    _flags("currentTime", flags, {"query"})
    if not flags.get("query"):
        raise RuntimeError("currentTime: give a time, or query=True")
    return 1.0


def currentUnit(**flags: Any) -> str:
    _query("currentUnit", flags, {"linear"})
    return "cm"


def pluginInfo(name: str, **flags: Any) -> bool:
    _query("pluginInfo", flags, {"loaded"})
    return name in plugins


def loadPlugin(name: str, **flags: Any) -> list[str]:
    _flags("loadPlugin", flags, {"quiet"})
    if name not in {p for p in FILE_TYPES.values() if p}:
        raise RuntimeError(f"loadPlugin: plug-in {name!r} was not found")
    plugins.add(name)
    return [name]


def file(*args: Any, **flags: Any) -> Any:
    known = {"query", "q", "sceneName", "sn", "force", "type", "exportAll", "exportSelected"}
    _flags("file", flags, known | {"options"})
    if flags.get("query") or flags.get("q"):
        return state["scene"]
    (path,) = args
    file_type = flags.get("type")
    if file_type not in FILE_TYPES or (FILE_TYPES[file_type] or "") not in plugins | {""}:
        raise RuntimeError(f"Invalid file type specified: {file_type}")
    if bool(flags.get("exportAll")) == bool(flags.get("exportSelected")):
        raise RuntimeError("file: give exportAll or exportSelected")
    roots = scene.current.selection if flags.get("exportSelected") else scene.current.nodes
    meshes = [
        n
        for n in roots
        if scene.current.nodes[n].type == "transform"
        and any(scene.current.nodes[c].type == "mesh" for c in scene.children(n))
    ]
    with open(path, "w") as out:  # what the test reads back: the meshes, by name
        out.write(f"# fake {file_type}\n" + "".join(f"o {m}\n" for m in meshes))
    return path


def playblast(**flags: Any) -> str:
    known = {"frame", "format", "compression", "completeFilename", "viewer", "showOrnaments"}
    _flags("playblast", flags, known | {"widthHeight", "percent", "forceOverwrite", "offScreen"})
    if state["batch"]:
        raise RuntimeError("playblast: there is no view to capture in batch mode")
    if flags.get("format") != "image" or flags.get("compression") != "png":
        raise RuntimeError("the fake playblasts single PNG images only")
    width, height = flags.get("widthHeight", (960, 540))
    path = flags["completeFilename"]
    with open(path, "wb") as out:
        out.write(grey_png(width, height))
    return path


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
