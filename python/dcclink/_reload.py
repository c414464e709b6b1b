"""``dcclink.reload()``: edit a tool file, reload, and the agent sees the
change, without restarting the DCC."""

from __future__ import annotations

import importlib
import sys
from types import ModuleType
from typing import Any, Union

from dcclink import _prompts, _resources, _running, _tools

Definition = Union[_tools.ToolDef, _resources.ResourceDef, _prompts.PromptDef]


def _module_of(definition: Definition) -> str:
    return str(definition.function.__module__)


def _import_again(module: ModuleType) -> None:
    spec = module.__spec__
    try:
        importlib.reload(module)
    except ModuleNotFoundError:
        # A tool file loaded by its path (``--tools file.py``): no finder
        # knows its name (and reload has cleared its spec), but the spec
        # still knows the file.
        if spec is None or spec.loader is None:
            raise
        module.__spec__ = spec
        spec.loader.exec_module(module)


def reload(*modules: str) -> dict[str, list[str]]:
    """Imports again the modules named, or by default every module that
    defined tools, resources or prompts (the ``--tools`` files included),
    then drops the ones they no longer define. Connected clients are told
    the lists changed.

    Call it on the main thread: from the DCC's script editor, or from a
    tool. A module that fails to import keeps its previous definitions, and
    the error names it. Returns the modules reloaded and the tools,
    resources and prompts added and removed.

    ```python
    dcclink.reload()                   # after editing any tool file
    dcclink.reload("studio_tools")     # just this one
    ```
    """
    registries: list[dict[str, Any]] = [_tools.registry, _resources.registry, _prompts.registry]
    before = [dict(registry) for registry in registries]
    names = sorted(
        set(modules)
        or {_module_of(d) for registry in before for d in registry.values()} - {"__main__"}
    )
    failures: list[str] = []
    for name in names:
        module = sys.modules.get(name)
        if module is None:
            failures.append(f"{name}: it was never imported")
            continue
        kept = [{k: d for k, d in r.items() if _module_of(d) == name} for r in before]
        for registry, old in zip(registries, kept):
            for key in old:
                del registry[key]
        try:
            _import_again(module)
        except Exception as error:
            failures.append(f"{name}: {type(error).__name__}: {error}")
            for registry, old in zip(registries, kept):
                registry.update(old)
    _forget_removed(before)
    if failures:
        raise ImportError(
            "dcclink.reload: these modules failed to import and keep their previous tools: "
            + "; ".join(failures)
        )
    return {
        "modules": names,
        "added": sorted(_changed(registries, before, added=True)),
        "removed": sorted(_changed(registries, before, added=False)),
    }


def _changed(
    registries: list[dict[str, Any]], before: list[dict[str, Any]], added: bool
) -> set[str]:
    found: set[str] = set()
    for now, then in zip(registries, before):
        found |= (set(now) - set(then)) if added else (set(then) - set(now))
    return found


def _forget_removed(before: list[dict[str, Any]]) -> None:
    """Takes what the reloaded modules no longer define off the server."""
    host = _running.running_host()
    if host is None:
        return
    for name in set(before[0]) - set(_tools.registry):
        host.unregister_tool(name)
    for uri in set(before[1]) - set(_resources.registry):
        host.unregister_resource(uri)
    for name in set(before[2]) - set(_prompts.registry):
        host.unregister_prompt(name)
