"""``dcclink config <ide> --write`` against real sample configs
(``tests/fixtures/ide_configs``): dcclink's entry goes in, everything else
stays, and the entry it writes starts a working ``dcclink connect``. (The
``--launcher uvx`` entry, started from the release wheel: test_wheel.py.)"""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
from pathlib import Path

import anyio
import pytest
from conftest import DCCLINK, ROOT
from mcp import ClientSession, StdioServerParameters, stdio_client

SAMPLES = ROOT / "tests" / "fixtures" / "ide_configs"
IDES = ["claude-desktop", "claude-code", "cursor", "vscode", "windsurf"]


def configure(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(DCCLINK), "config", *args], capture_output=True, text=True, cwd=cwd, timeout=60
    )


async def first_tool(server: dict[str, object], runtime: Path) -> str:
    """Starts the server as the IDE would; the name of its first tool."""
    env = {**os.environ, "DCCLINK_RUNTIME_DIR": str(runtime)}
    args = [str(a) for a in server["args"]]  # type: ignore[union-attr]
    params = StdioServerParameters(command=str(server["command"]), args=args, env=env)
    with anyio.fail_after(60):
        async with stdio_client(params) as (read, write), ClientSession(read, write) as session:
            await session.initialize()
            return (await session.list_tools()).tools[0].name


@pytest.mark.parametrize("ide", IDES)
def test_write_merges_into_the_ides_file_and_the_entry_works(ide: str, tmp_path: Path) -> None:
    target = tmp_path / "config.json"
    shutil.copy(SAMPLES / f"{ide}.json", target)
    before = json.loads(target.read_text())
    written = configure(ide, "--write", "--path", str(target), "--dcc", "blender")
    assert written.returncode == 0, written.stderr
    after = json.loads(target.read_text())
    key = "servers" if ide == "vscode" else "mcpServers"
    ours = after[key].pop("dcclink")
    before[key].pop("dcclink", None)  # an outdated entry of ours is replaced
    assert after == before, "every other server and setting is kept as it was"
    assert ours["args"][-3:] == ["connect", "--dcc", "blender"]
    assert ("type" in ours) == (ide in ("claude-code", "vscode"))
    again = target.read_text()
    assert configure(ide, "--write", "--path", str(target), "--dcc", "blender").returncode == 0
    assert target.read_text() == again, "writing twice changes nothing"
    # The IDE's view: the entry starts dcclink connect, which answers even
    # with no DCC running.
    assert anyio.run(first_tool, ours, tmp_path / "runtime") == "dcclink_status"


def test_a_file_that_is_not_json_is_left_alone(tmp_path: Path) -> None:
    target = tmp_path / "mcp.json"
    target.write_text('{\n  // my servers\n  "servers": {}\n}\n')
    refused = configure("vscode", "--write", "--path", str(target))
    assert refused.returncode == 1
    assert "not plain JSON" in refused.stderr and '"dcclink"' in refused.stderr
    assert target.read_text() == '{\n  // my servers\n  "servers": {}\n}\n'


def test_project_configs_go_in_the_project(tmp_path: Path) -> None:
    assert configure("claude-code", "--write", cwd=tmp_path).returncode == 0
    assert configure("vscode", "--write", cwd=tmp_path).returncode == 0
    assert "dcclink" in json.loads((tmp_path / ".mcp.json").read_text())["mcpServers"]
    assert "dcclink" in json.loads((tmp_path / ".vscode" / "mcp.json").read_text())["servers"]
    printed = configure("cursor", cwd=tmp_path)
    assert json.loads(printed.stdout)["mcpServers"]["dcclink"]["args"] == ["connect"]


def test_the_uvx_entry_for_an_index_names_the_package() -> None:
    shown = configure("claude-code", "--launcher", "uvx")
    assert shown.returncode == 0, shown.stderr
    ours = json.loads(shown.stdout)["mcpServers"]["dcclink"]
    uvx = ["--from", "dcclink", "dcclink", "connect"]
    assert ours == {"type": "stdio", "command": "uvx", "args": uvx}


def test_a_remote_entry_pins_the_certificate_and_keeps_the_token_out_of_its_arguments(
    tmp_path: Path,
) -> None:
    pin = "ab" * 32
    remote = ["--url", "https://dcc-box:8765/mcp", "--fingerprint", pin]
    shown = configure("cursor", *remote)
    assert shown.returncode == 0, shown.stderr
    ours = json.loads(shown.stdout)["mcpServers"]["dcclink"]
    assert ours["args"][-5:] == [
        "connect",
        "--url",
        "https://dcc-box:8765/mcp",
        "--fingerprint",
        pin,
    ]
    assert "env" not in ours, "without --token the relay reads DCCLINK_TOKEN when it starts"

    target = tmp_path / "mcp.json"
    written = configure("cursor", *remote, "--token", "s3cret", "--write", "--path", str(target))
    assert written.returncode == 0, written.stderr
    ours = json.loads(target.read_text())["mcpServers"]["dcclink"]
    assert ours["env"] == {"DCCLINK_TOKEN": "s3cret"}
    assert "s3cret" not in ours["args"], "arguments show in every user's process list"
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert "keep it out of version control" in written.stderr
