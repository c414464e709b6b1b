"""``dcclink blender-addon``: the Blender add-on as one zip that installs
from Blender's preferences with dcclink inside, so that Blender's own Python
needs nothing installed. Two kinds:

- **A Blender 4.2+ extension** (``--wheel``): ``dcclink_blender/`` holds
  the add-on, its ``blender_manifest.toml`` and the dcclink wheel, which
  the manifest lists under ``wheels``, with the wheel's platform under
  ``platforms``; Blender installs the wheel itself. One zip per platform,
  from that platform's wheel (``cargo xtask dist`` makes Linux's).
- **A legacy add-on for Blender 3.x**: ``dcclink_blender/`` with
  ``vendor/dcclink/``, a copy of this installed package and its compiled
  parts, built for this machine's system and CPU.
"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path
from typing import Optional

PACKAGE = Path(__file__).resolve().parents[1]
ADDON = Path(__file__).with_name("dcclink_blender")
MANIFEST = "blender_manifest.toml"
#: What the vendored package leaves out: caches, and the add-on itself.
SKIPPED = {"__pycache__", "dcclink_blender"}
#: Blender's name for the platform of each wheel tag's system and CPU.
PLATFORMS = {
    ("manylinux", "x86_64"): "linux-x64",
    ("manylinux", "aarch64"): "linux-arm64",
    ("macosx", "x86_64"): "macos-x64",
    ("macosx", "arm64"): "macos-arm64",
    ("win", "amd64"): "windows-x64",
    ("win", "arm64"): "windows-arm64",
}


def _files(folder: Path) -> list[Path]:
    return sorted(
        path
        for path in folder.rglob("*")
        if path.is_file() and not SKIPPED & set(path.relative_to(folder).parts)
    )


def build(out: Path, wheel: Optional[Path] = None) -> Path:
    """Writes the add-on zip to ``out``: the extension that installs
    ``wheel``, or without one the legacy add-on with this package inside.
    Returns its absolute path."""
    out = out.resolve()
    out.parent.mkdir(parents=True, exist_ok=True)
    if wheel is None:
        _legacy(out)
    else:
        _extension(out, wheel)
    return out


def blender_platform(wheel: Path) -> str:
    """The Blender platform a wheel is for, from its file name's tag."""
    tag = wheel.name.rsplit("-", 1)[-1].removesuffix(".whl")
    for (system, cpu), platform in PLATFORMS.items():
        if tag.startswith(system) and tag.endswith(cpu):
            return platform
    raise ValueError(f"{wheel.name} is not a wheel for a platform Blender runs on")


def _extension(out: Path, wheel: Path) -> None:
    if not wheel.is_file():
        raise FileNotFoundError(f"no wheel at {wheel}")
    version = wheel.name.split("-")[1]
    head, permissions = (ADDON / MANIFEST).read_text().split("\n[permissions]", 1)
    head = re.sub(r'^version = ".*"$', f'version = "{version}"', head, flags=re.MULTILINE)
    listed = f'platforms = ["{blender_platform(wheel)}"]\nwheels = ["./wheels/{wheel.name}"]\n'
    manifest = f"{head}{listed}\n[permissions]{permissions}"
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in _files(ADDON):
            if path.name != MANIFEST:
                archive.write(path, Path("dcclink_blender") / path.relative_to(ADDON))
        archive.writestr(f"dcclink_blender/{MANIFEST}", manifest)
        archive.write(wheel, f"dcclink_blender/wheels/{wheel.name}")


def _legacy(out: Path) -> None:
    if not (PACKAGE / "libdcclink_webview.so").exists():
        raise FileNotFoundError(
            f"{PACKAGE} has no panel plugin (libdcclink_webview.so): build dcclink first "
            "(cargo xtask setup)"
        )
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in _files(ADDON):
            if path.name != MANIFEST:  # Blender 4.2+ would take it for an extension
                archive.write(path, Path("dcclink_blender") / path.relative_to(ADDON))
        for path in _files(PACKAGE):
            vendored = Path("dcclink_blender", "vendor", "dcclink", path.relative_to(PACKAGE))
            archive.write(path, vendored)
