"""``dcclink blender-addon``: the Blender add-on as one zip that installs
from Blender's preferences, with this dcclink package inside it, so that
Blender's own Python needs nothing installed.

The zip holds ``dcclink_blender/`` (the add-on, a legacy add-on for 3.x
with a 4.2+ extension manifest) and ``dcclink_blender/vendor/dcclink/``, a
copy of this package with its compiled parts. Those are built for this
machine's operating system and CPU, so build the zip on the kind of machine
Blender runs on.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1]
ADDON = Path(__file__).with_name("dcclink_blender")
#: What the vendored package leaves out: caches, and the add-on itself.
SKIPPED = {"__pycache__", "dcclink_blender"}


def _files(folder: Path) -> list[Path]:
    return sorted(
        path
        for path in folder.rglob("*")
        if path.is_file() and not SKIPPED & set(path.relative_to(folder).parts)
    )


def build(out: Path) -> Path:
    """Writes the add-on zip to ``out``; returns its absolute path."""
    if not (PACKAGE / "libdcclink_webview.so").exists():
        raise FileNotFoundError(
            f"{PACKAGE} has no panel plugin (libdcclink_webview.so): build dcclink first "
            "(cargo xtask setup)"
        )
    out = out.resolve()
    out.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in _files(ADDON):
            archive.write(path, Path("dcclink_blender") / path.relative_to(ADDON))
        for path in _files(PACKAGE):
            vendored = Path("dcclink_blender", "vendor", "dcclink", path.relative_to(PACKAGE))
            archive.write(path, vendored)
    return out
