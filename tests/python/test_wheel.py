"""dcclink as a user installs it: the wheel ``cargo xtask dist`` built, in
a fresh venv of the system's Python, with no Rust, no build tools and no
checkout on ``PATH`` or in the working directory. There the CLI, the
package, the example tools and the panel work, and an IDE entry that
``dcclink config --launcher uvx`` wrote reaches a DCC in another network
namespace over TLS.

``cargo xtask test`` builds ``dist/`` and names it in ``DCCLINK_DIST``;
without it (a bare ``pytest``) these tests are skipped."""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import anyio
import pytest
from conftest import ROOT, announcement
from mcp import ClientSession, StdioServerParameters, stdio_client
from network_namespaces import (
    PORT,
    TOKEN,
    Network,
    network_fixture,  # noqa: F401 (the fixture `network`)
    serve,
)

EXAMPLE_TOOLS = ROOT / "examples" / "tools.py"
#: Where uv is (installed from PyPI with the test tools).
UV_TOOLS = Path(sys.executable).parent


@dataclass(frozen=True)
class Installed:
    """dcclink installed from the wheel into ``venv``, used from ``home``."""

    wheel: Path
    venv: Path
    home: Path

    @property
    def dcclink(self) -> Path:
        return self.venv / "bin" / "dcclink"

    def env(self, **extra: str) -> dict[str, str]:
        """A user's environment: the venv's scripts alone on ``PATH``."""
        kept = ("DISPLAY", "XAUTHORITY", "DCCLINK_RUNTIME_DIR", "LANG")
        inherited = {name: os.environ[name] for name in kept if name in os.environ}
        own = {"PATH": str(self.venv / "bin"), "HOME": str(self.home)}
        return {**inherited, **own, "XDG_CONFIG_HOME": str(self.home / ".config"), **extra}

    def run(self, *args: str, **extra: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(self.dcclink), *args],
            capture_output=True,
            text=True,
            timeout=60,
            cwd=self.home,
            env=self.env(**extra),
            stdin=subprocess.DEVNULL,
        )


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Installed:
    dist = os.environ.get("DCCLINK_DIST")
    if dist is None:
        pytest.skip("DCCLINK_DIST is not set: `cargo xtask test` builds dist/ and sets it")
    (wheel,) = Path(dist).glob("dcclink-*.whl")
    home = tmp_path_factory.mktemp("user")
    venv = home / "venv"
    subprocess.run(["/usr/bin/python3", "-m", "venv", str(venv)], check=True, timeout=120)
    user = Installed(wheel, venv, home)
    pip = [str(venv / "bin" / "pip"), "install", "--quiet", "--no-index", str(wheel)]
    subprocess.run(pip, check=True, timeout=300, cwd=home, env=user.env())
    shutil.copy(EXAMPLE_TOOLS, home / "tools.py")
    return user


def test_the_wheel_is_manylinux_abi3_and_carries_the_panel_plugin(installed: Installed) -> None:
    assert installed.wheel.name.endswith("-cp39-abi3-manylinux_2_28_x86_64.whl")
    names = zipfile.ZipFile(installed.wheel).namelist()
    assert {"dcclink/_native.abi3.so", "dcclink/libdcclink_webview.so"} <= set(names)


def test_nothing_to_build_with_is_in_reach(installed: Installed) -> None:
    path = installed.env()["PATH"]
    for tool in ("cargo", "rustc", "cc", "gcc", "maturin"):
        assert shutil.which(tool, path=path) is None, tool
    python = str(installed.venv / "bin" / "python")
    where = subprocess.run(
        [python, "-c", "import dcclink; print(dcclink.__file__)"],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=installed.home,
        env=installed.env(),
        check=True,
    )
    assert where.stdout.startswith(str(installed.venv)), where.stdout


def test_the_cli_runs(installed: Installed) -> None:
    listed = installed.run("list")
    assert listed.returncode == 0, listed.stderr
    version = installed.run("--version")
    assert version.returncode == 0 and version.stdout.startswith("dcclink "), version


@pytest.mark.anyio
async def test_serve_stdio_runs_the_example_tools(installed: Installed) -> None:
    params = StdioServerParameters(
        command=str(installed.dcclink),
        args=["serve", "--stdio", "--tools", "tools.py"],
        env=installed.env(),
        cwd=installed.home,
    )
    with anyio.fail_after(60):
        async with stdio_client(params) as (read, write), ClientSession(read, write) as session:
            await session.initialize()
            added = await session.call_tool("add", {"a": 2, "b": 40})
            echoed = await session.call_tool("echo", {"text": "hi", "shout": True})
    assert added.structured_content == {"result": 42}
    assert echoed.content[0].text == "HI"  # type: ignore[union-attr]


def test_the_panel_opens_under_xvfb(installed: Installed) -> None:
    def start(*args: str) -> subprocess.Popen[str]:
        return subprocess.Popen(
            [str(installed.dcclink), *args],
            stderr=subprocess.PIPE,
            text=True,
            cwd=installed.home,
            env=installed.env(DCCLINK_LOG="warn"),
        )

    server = start("serve", "--http", "127.0.0.1:0", "--tools", "tools.py")
    try:
        instance = announcement(server)["instance"]
        window = start("panel", "--instance", instance)
        try:
            assert announcement(window) == {"panel": "open"}
        finally:
            window.terminate()
            window.wait(timeout=30)
    finally:
        server.terminate()
        server.wait(timeout=30)


@pytest.fixture
def remote_dcc(network: Network, installed: Installed) -> Iterator[dict[str, Any]]:
    """The installed dcclink serving in the DCC's namespace, over TLS."""
    with serve(network, PORT + 10, installed.home / "dcc", dcclink=installed.dcclink) as dcc:
        yield dcc.announced


@pytest.mark.anyio
async def test_an_ide_entry_launched_with_uvx_reaches_a_dcc_in_another_namespace(
    network: Network, installed: Installed, remote_dcc: dict[str, Any], tmp_path: Path
) -> None:
    url, fingerprint = remote_dcc["remote_url"], remote_dcc["fingerprint"]
    config = tmp_path / ".mcp.json"
    written = installed.run(
        "config", "claude-code", "--write", "--path", str(config),
        "--launcher", "uvx", "--from", str(installed.wheel),
        "--url", url, "--token", TOKEN, "--fingerprint", fingerprint,
    )  # fmt: skip
    assert written.returncode == 0, written.stderr
    assert "keep it out of version control" in written.stderr
    assert stat.S_IMODE(config.stat().st_mode) == 0o600, "it holds the token"
    entry = json.loads(config.read_text())["mcpServers"]["dcclink"]
    assert entry == {
        "type": "stdio",
        "command": "uvx",
        "args": [
            "--from", str(installed.wheel), "dcclink", "connect",
            "--url", url, "--fingerprint", fingerprint,
        ],
        "env": {"DCCLINK_TOKEN": TOKEN},
    }  # fmt: skip
    # The IDE, in its own namespace: uv on its PATH installs the wheel into
    # a cache, offline (dcclink needs nothing else), and starts the relay.
    ide_bin = tmp_path / "bin"
    ide_bin.mkdir()
    for program in ("uv", "uvx"):
        (ide_bin / program).symlink_to(UV_TOOLS / program)
    ide = {
        "PATH": f"{ide_bin}{os.pathsep}/usr/bin",
        "HOME": str(tmp_path),
        "UV_OFFLINE": "1",
        "UV_CACHE_DIR": str(tmp_path / "uv-cache"),
        "UV_PYTHON": "/usr/bin/python3",
        **entry["env"],
    }
    uvx = shutil.which(entry["command"], path=ide["PATH"])
    assert uvx is not None
    params = StdioServerParameters(
        command="ip", args=["netns", "exec", network.ide, uvx, *entry["args"]], env=ide
    )
    with anyio.fail_after(120):
        async with stdio_client(params) as (read, write), ClientSession(read, write) as session:
            await session.initialize()
            tools = {tool.name for tool in (await session.list_tools()).tools}
            assert "add" in tools, tools
            added = await session.call_tool("add", {"a": 20, "b": 22})
    assert added.structured_content == {"result": 42}


def test_without_webkitgtk_the_panel_says_what_to_install(installed: Installed) -> None:
    """On a machine without WebKitGTK the wheel still installs and runs;
    only the window cannot open, and it says what to install. (WebKitGTK
    is hidden here in a mount namespace of the test's own.)"""
    if os.geteuid() != 0:
        pytest.skip("hiding a system library in a mount namespace needs root")
    webkit = Path("/usr/lib/x86_64-linux-gnu/libwebkit2gtk-4.1.so.0").resolve()
    hide_and_open = (
        f"mount --bind /dev/null {webkit} && "
        f"exec {installed.dcclink} panel --url http://127.0.0.1:9/panel"
    )
    done = subprocess.run(
        ["unshare", "--mount", "sh", "-c", hide_and_open],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=installed.home,
        env={**installed.env(), "PATH": f"{installed.env()['PATH']}{os.pathsep}/usr/bin:/bin"},
    )
    assert done.returncode == 1, done.stderr
    assert "install WebKitGTK 4.1 (Debian: libwebkit2gtk-4.1-0)" in done.stderr
    assert "open the panel link in a browser" in done.stderr
    listed = installed.run("list")
    assert listed.returncode == 0, "the rest of dcclink does not need it"
