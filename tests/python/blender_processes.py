"""Starts Blender for the tests and benchmarks: Debian's Blender with its UI
and the dcclink add-on running (under Xvfb), or the headless worker, the
``bpy`` module in ``.venv-blender`` serving the Blender pack."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
BLENDER = shutil.which("blender")
DCCLINK = ROOT / ".venv" / "bin" / "dcclink"
BOOT = Path(__file__).with_name("blender_gui_boot.py")
BLENDER_PYTHON = ROOT / ".venv-blender" / "bin" / "python"


@contextmanager
def blender_worker(*more_tools: str) -> Iterator[dict[str, Any]]:
    """``dcclink serve --http --tools dcclink.packs.blender`` (and
    `more_tools`) on the bpy module; yields its JSON line (url, token…)."""
    serve = ["serve", "--http", "127.0.0.1:0", "--tools", "dcclink.packs.blender"]
    for tools in more_tools:
        serve += ["--tools", tools]
    process = subprocess.Popen(
        [str(BLENDER_PYTHON), "-m", "dcclink", *serve],
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stderr is not None
        line = process.stderr.readline()
        try:
            yield json.loads(line)
        except json.JSONDecodeError:
            process.kill()
            rest = process.communicate(timeout=10)[1]
            raise RuntimeError(f"the Blender worker did not start: {line}{rest}") from None
    finally:
        if process.poll() is None:
            process.terminate()
        process.wait(timeout=30)


@contextmanager
def blender_ui(bound: float = 120) -> Iterator[dict[str, Any]]:
    """Blender with the add-on enabled and started (blender_gui_boot.py);
    yields ``{"url": ..., "token": ...}`` and stops Blender afterwards."""
    if BLENDER is None:
        raise RuntimeError("Debian's blender is not installed (cargo xtask setup installs it)")
    with tempfile.TemporaryDirectory(prefix="dcclink-blender-") as home:
        scripts, config = Path(home, "scripts"), Path(home, "config")
        # The add-on as a user gets it: `dcclink blender-addon`'s zip, which
        # the boot script installs; nothing else puts dcclink on Blender's path.
        addon = Path(home, "dcclink_blender.zip")
        subprocess.run(
            [DCCLINK, "blender-addon", "--out", str(addon)],
            capture_output=True,
            timeout=bound,
            check=True,
        )
        env = {
            **{k: v for k, v in os.environ.items() if k != "PYTHONPATH"},
            "BLENDER_USER_SCRIPTS": str(scripts),
            "BLENDER_USER_CONFIG": str(config),
            "DCCLINK_ADDON_ZIP": str(addon),
            "WEBKIT_DISABLE_DMABUF_RENDERER": "1",
        }
        # Preferences of a user who has seen the splash screen before, so it
        # does not cover the viewport.
        no_splash = "import bpy; bpy.context.preferences.view.show_splash = False; "
        no_splash += "bpy.ops.wm.save_userpref()"
        subprocess.run(
            [BLENDER, "-b", "--factory-startup", "--python-expr", no_splash],
            env=env,
            capture_output=True,
            timeout=bound,
            check=True,
        )
        process = subprocess.Popen(
            [BLENDER, "--python", str(BOOT)],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env=env,
        )
        try:
            yield _announcement(process, bound)
        finally:
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)


def _announcement(process: subprocess.Popen[str], bound: float) -> dict[str, Any]:
    assert process.stdout is not None
    deadline = time.monotonic() + bound
    seen: list[str] = []
    for line in process.stdout:
        if line.startswith("DCCLINK "):
            return json.loads(line[len("DCCLINK ") :])
        seen.append(line)
        if time.monotonic() > deadline:
            break
    raise RuntimeError("dcclink did not start in Blender:\n" + "".join(seen[-30:]))


def alive(pid: int) -> bool:
    """Whether process ``pid`` runs (a zombie, exited but not yet reaped,
    does not)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    with open(f"/proc/{pid}/stat") as stat:
        return stat.read().split(") ")[-1][0] != "Z"
