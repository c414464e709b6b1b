"""The ``dcclink`` command (also ``python -m dcclink``)."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any, Optional

from dcclink import _native
from dcclink._host import serve
from dcclink.workers._farm import PoolFarm


def main(argv: Optional[list[str]] = None) -> int:
    """Runs the CLI; returns the process exit code."""
    options = _native.parse_args(sys.argv[1:] if argv is None else argv)
    if isinstance(options, int):
        return options
    command = options.pop("command")
    if command == "list":
        _native.init_logging(0)  # says which registry entries it skipped, and why
        return list_instances(as_json=options["json"])
    if command == "panel":
        return show_panel(**options)
    if command == "connect":
        _native.init_logging(0)
        try:
            _native.connect(**options)
        except (OSError, ValueError) as error:
            print(f"dcclink connect: {error}", file=sys.stderr)
            return 1
        return 0
    if command == "blender-addon":
        return blender_addon(**options)
    if command == "config":
        return ide_config(**options)
    options["tools"] = tuple(options["tools"])
    farm = {key: options.pop(key) for key in ("workers", "engine", "address", "worker_python")}
    try:
        if farm["workers"]:
            options["farm"] = start_farm(options, **farm)
        serve(**options)
    except KeyboardInterrupt:
        return 0
    except Exception as error:
        print(f"dcclink: {type(error).__name__}: {error}", file=sys.stderr)
        return 1
    return 0


def start_farm(
    options: dict[str, Any],
    workers: int,
    engine: str,
    address: Optional[str],
    worker_python: Optional[str],
) -> PoolFarm:
    """``serve --workers``: the pool whose tools the farm serves, started
    (so that a worker that cannot start stops the farm before it serves)."""
    from dcclink.workers import Pool

    tools = options.pop("tools")
    pool = Pool(
        tools,
        workers,
        python=worker_python,
        engine=engine,
        address=address,
        timeout=options["timeout"],
    )
    return PoolFarm(pool, engine)


def _age(started: int) -> str:
    seconds = max(0, int(time.time()) - started)
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def list_instances(as_json: bool) -> int:
    """``dcclink list``: the running instances, as a table (tokens left
    out) or as JSON lines."""
    try:
        found: list[dict[str, Any]] = _native.instances()
    except PermissionError as error:  # the registry's folder was refused: say why
        print(f"dcclink: {error}", file=sys.stderr)
        return 1
    if as_json:
        for instance in found:
            print(json.dumps(instance))
        return 0
    if not found:
        print("no dcclink instance is running", file=sys.stderr)
        return 0
    header = ("ID", "DCC", "VERSION", "PID", "UP", "URL", "SCENE")
    rows = [header] + [
        (
            i["id"],
            i["dcc"],
            i["dcc_version"] or "-",
            str(i["pid"]),
            _age(i["started"]),
            i["url"],
            i["scene"] or "-",
        )
        for i in found
    ]
    widths = [max(len(row[column]) for row in rows) for column in range(len(header) - 1)]
    for row in rows:
        cells = [cell.ljust(width) for cell, width in zip(row, widths)]
        print("  ".join([*cells, row[-1]]))
    return 0


def blender_addon(out: str, wheel: Optional[str]) -> int:
    """``dcclink blender-addon``: writes the add-on zip: the 4.2+ extension
    that installs ``wheel``, or the legacy add-on with dcclink inside."""
    from dcclink.hosts import blender_zip

    try:
        written = blender_zip.build(Path(out), Path(wheel) if wheel else None)
    except (OSError, ValueError) as error:
        print(f"dcclink: {error}", file=sys.stderr)
        return 1
    where = (
        "Edit > Preferences > Get Extensions > (menu) Install from Disk"
        if wheel
        else "Edit > Preferences > Add-ons > Install (Blender 3.x), then tick dcclink"
    )
    print(
        f"wrote {written}\nIn Blender: {where}; then the 3D View's sidebar (N) > dcclink > Start.",
        file=sys.stderr,
    )
    return 0


def ide_config(
    ide: str,
    write: bool,
    path: Optional[str],
    dcc: Optional[str],
    url: Optional[str],
    token: Optional[str],
    fingerprint: Optional[str],
    launcher: str,
    source: str,
) -> int:
    """``dcclink config``: prints the IDE's config, or merges it into the
    IDE's file."""
    from dcclink import ide_config as configs

    launch = configs.Launch(launcher, source)
    target = configs.Target(dcc, url, token, fingerprint)
    if not write:
        print(configs.show(ide, target, launch))
        print(
            f"(dcclink config {ide} --write merges it into {configs.IDES[ide].path()})",
            file=sys.stderr,
        )
        return 0
    try:
        written = configs.write(ide, Path(path) if path else None, target, launch)
    except (OSError, ValueError) as error:
        print(f"dcclink: {error}", file=sys.stderr)
        return 1
    print(f"dcclink is in {written}; restart {ide} (or reload its MCP servers)", file=sys.stderr)
    if token is not None:
        print(
            f"{written} now holds the instance's token: keep it out of version control",
            file=sys.stderr,
        )
    return 0


def show_panel(
    instance: Optional[str] = None, dcc: Optional[str] = None, url: Optional[str] = None
) -> int:
    """``dcclink panel``: the panel of a running instance (chosen by id, by
    DCC, or the only one) or at ``url``, in a window of this process, until
    the window is closed (or Ctrl-C / SIGTERM). A crash here cannot take the
    DCC down."""
    import signal

    signal.signal(signal.SIGTERM, signal.default_int_handler)
    try:
        if url is None:
            url = _native.select_instance(instance, dcc)["panel"]
        _native.open_panel_at(url)
        print(json.dumps({"panel": "open"}), file=sys.stderr, flush=True)
        # Wake now and then only so that Python can notice Ctrl-C.
        while not _native.wait_panel_closed(0.25):
            pass
    except KeyboardInterrupt:
        _native.close_panel()
    except LookupError as error:  # which instance: the message says what to do
        print(f"dcclink: {error}", file=sys.stderr)
        return 1
    except Exception as error:
        print(f"dcclink: {type(error).__name__}: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
