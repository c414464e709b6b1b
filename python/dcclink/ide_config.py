"""``dcclink config <ide>``: the MCP config an IDE needs to reach dcclink,
printed, or merged into the IDE's own file with ``--write``.

Every IDE launches ``dcclink connect``, which relays to the DCC where dcclink
runs; so the config is written once and keeps working as DCCs start and
stop. Merging keeps every other server and setting in the file, and a file
that is not valid JSON is left alone with an error that says so.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Optional

#: The name of dcclink's entry in the IDE's server list.
SERVER_NAME = "dcclink"


@dataclass(frozen=True)
class Ide:
    """Where an IDE keeps its MCP servers, and how it describes one."""

    #: The file, for the user or the project in this folder.
    path: Callable[[], Path]
    #: The key of the server list: ``mcpServers``, or ``servers`` in VS Code.
    key: str
    #: Whether entries name their transport (``"type": "stdio"``).
    typed: bool


def _home() -> Path:
    return Path.home()


def _claude_desktop() -> Path:
    if sys.platform == "darwin":
        return _home() / "Library" / "Application Support" / "Claude" / "claude_desktop_config.json"
    if sys.platform == "win32":
        return Path(os.environ.get("APPDATA", _home())) / "Claude" / "claude_desktop_config.json"
    config = Path(os.environ.get("XDG_CONFIG_HOME", _home() / ".config"))
    return config / "Claude" / "claude_desktop_config.json"


IDES = {
    "claude-desktop": Ide(_claude_desktop, "mcpServers", typed=False),
    "claude-code": Ide(lambda: Path.cwd() / ".mcp.json", "mcpServers", typed=True),
    "cursor": Ide(lambda: _home() / ".cursor" / "mcp.json", "mcpServers", typed=False),
    "vscode": Ide(lambda: Path.cwd() / ".vscode" / "mcp.json", "servers", typed=True),
    "windsurf": Ide(
        lambda: _home() / ".codeium" / "windsurf" / "mcp_config.json", "mcpServers", typed=False
    ),
}


@dataclass(frozen=True)
class Launch:
    """How the IDE starts dcclink: ``"path"``, this installation's own
    ``dcclink``; or ``"uvx"``, ``uvx --from SOURCE dcclink``, where
    ``source`` is a requirement (``dcclink``) or a wheel's path."""

    launcher: str = "path"
    source: str = "dcclink"

    def command(self) -> list[str]:
        """The program and its first arguments."""
        if self.launcher == "uvx":
            return ["uvx", "--from", self.source, "dcclink"]
        script = Path(sys.executable).with_name("dcclink.exe" if os.name == "nt" else "dcclink")
        if script.exists():
            return [str(script)]
        found = shutil.which("dcclink")
        return [found] if found else [sys.executable, "-m", "dcclink"]


@dataclass(frozen=True)
class Target:
    """Which instance ``dcclink connect`` relays to: the only one running,
    the only one of ``dcc``, or the one on another machine at ``url``
    (with its ``token``, and the ``fingerprint`` of its certificate)."""

    dcc: Optional[str] = None
    url: Optional[str] = None
    token: Optional[str] = None
    fingerprint: Optional[str] = None

    def args(self) -> list[str]:
        """The arguments of ``dcclink connect``. The token is not one of
        them: it goes in the entry's environment, out of process lists."""
        if self.url is None:
            return ["--dcc", self.dcc] if self.dcc else []
        pin = ["--fingerprint", self.fingerprint] if self.fingerprint else []
        return ["--url", self.url, *pin]

    def env(self) -> dict[str, str]:
        """The environment ``dcclink connect`` needs."""
        return {"DCCLINK_TOKEN": self.token} if self.token else {}


def entry(ide: Ide, target: Target = Target(), launch: Launch = Launch()) -> dict[str, Any]:
    """dcclink's entry in the IDE's server list."""
    program, *rest = launch.command()
    server: dict[str, Any] = {"type": "stdio"} if ide.typed else {}
    server["command"] = program
    server["args"] = [*rest, "connect", *target.args()]
    if target.env():
        server["env"] = target.env()
    return server


def merged(
    existing: dict[str, Any], ide: Ide, target: Target, launch: Launch = Launch()
) -> dict[str, Any]:
    """``existing`` with dcclink's entry set, everything else as it was."""
    servers = existing.get(ide.key, {})
    if not isinstance(servers, dict):
        raise ValueError(f"its {ide.key!r} is not an object; fix it by hand, then run this again")
    return {**existing, ide.key: {**servers, SERVER_NAME: entry(ide, target, launch)}}


def write(
    name: str, path: Optional[Path] = None, target: Target = Target(), launch: Launch = Launch()
) -> Path:
    """Merges dcclink's entry into the IDE's config file (made if missing);
    returns the file. A file that gains a token is made private (0600)."""
    ide = IDES[name]
    destination = path or ide.path()
    existing: dict[str, Any] = {}
    if destination.exists() and destination.read_text().strip():
        try:
            existing = json.loads(destination.read_text())
        except json.JSONDecodeError as error:
            ours = json.dumps({SERVER_NAME: entry(ide, target, launch)}, indent=2)
            raise ValueError(
                f"{destination} is not plain JSON ({error}); it was left as it is. Add this under "
                f"{ide.key!r} by hand:\n{ours}"
            ) from None
        if not isinstance(existing, dict):
            raise ValueError(f"{destination} does not hold a JSON object; it was left as it is")
    try:
        config = merged(existing, ide, target, launch)
    except ValueError as error:
        raise ValueError(f"{destination}: {error}") from None
    destination.parent.mkdir(parents=True, exist_ok=True)
    staged = destination.with_name(f".{destination.name}.dcclink-new")
    # Private from the start when it holds a token.
    with os.fdopen(os.open(staged, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w") as file:
        file.write(json.dumps(config, indent=2) + "\n")
    if not target.env():
        staged.chmod(destination.stat().st_mode & 0o777 if destination.exists() else 0o644)
    staged.replace(destination)  # whole or not at all
    return destination


def show(name: str, target: Target = Target(), launch: Launch = Launch()) -> str:
    """The config to paste into the IDE's file, as JSON."""
    ide = IDES[name]
    return json.dumps({ide.key: {SERVER_NAME: entry(ide, target, launch)}}, indent=2)
