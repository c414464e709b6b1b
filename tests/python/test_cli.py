"""The command line: the console script and `python -m dcclink` are the same
CLI, and stdio and HTTP can serve at once."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

import anyio
import pytest
import tomllib
from conftest import DCCLINK, FIXTURE_TOOLS, start_http
from mcp import ClientSession, StdioServerParameters, stdio_client
from mcp.client.streamable_http import streamable_http_client
from mcp.shared._httpx_utils import create_mcp_http_client


@pytest.mark.parametrize("command", [[str(DCCLINK)], [sys.executable, "-m", "dcclink"]])
def test_help_and_version(command: list[str]) -> None:
    helped = subprocess.run([*command, "serve", "--help"], capture_output=True, text=True)
    assert helped.returncode == 0
    for flag in ("--stdio", "--http", "--token", "--tools", "--queue-capacity", "--timeout"):
        assert flag in helped.stdout
    version = subprocess.run([*command, "--version"], capture_output=True, text=True)
    assert version.returncode == 0 and version.stdout.startswith("dcclink ")


def test_a_usage_error_says_what_is_wrong() -> None:
    result = subprocess.run(
        [str(DCCLINK), "serve", "--http", "nonsense"], capture_output=True, text=True
    )
    assert result.returncode == 2
    assert "invalid value 'nonsense' for '--http <ADDR>'" in result.stderr


def test_a_missing_tool_file_is_a_clear_error() -> None:
    result = subprocess.run(
        [str(DCCLINK), "serve", "--http", "127.0.0.1:0", "--tools", "no/such/file.py"],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 1
    assert "tool file 'no/such/file.py' does not exist" in result.stderr


def test_stdio_and_http_serve_at_once() -> None:
    async def main(errlog: Path) -> tuple[object, object]:
        params = StdioServerParameters(
            command=str(DCCLINK),
            args=["serve", "--stdio", "--http", "127.0.0.1:0", "--tools", str(FIXTURE_TOOLS)],
        )
        with errlog.open("w") as err:
            async with (
                stdio_client(params, errlog=err) as (read, write),
                ClientSession(read, write) as stdio,
            ):
                await stdio.initialize()
                deadline = time.monotonic() + 20
                while not errlog.read_text().strip():
                    assert time.monotonic() < deadline
                    await anyio.sleep(0.05)
                info = json.loads(errlog.read_text().splitlines()[0])
                headers = {"Authorization": f"Bearer {info['token']}"}
                async with (
                    create_mcp_http_client(headers=headers) as client,
                    streamable_http_client(info["url"], http_client=client) as (r, w, *_),
                    ClientSession(r, w) as http,
                ):
                    await http.initialize()
                    from_http = await http.call_tool("add", {"a": 1, "b": 2})
                    from_stdio = await stdio.call_tool("add", {"a": 3, "b": 4})
                    return from_http.structured_content, from_stdio.structured_content

    with tempfile.TemporaryDirectory() as tmp:
        from_http, from_stdio = anyio.run(main, Path(tmp) / "stderr.log")
    assert from_http == {"result": 3}
    assert from_stdio == {"result": 7}


def test_sigterm_still_works_when_the_launcher_closed_stderr() -> None:
    server = start_http(log="info")  # shutting down logs, into the broken pipe
    assert server.process.stderr is not None
    server.process.stderr.close()  # the launcher went away: stderr is a broken pipe
    server.process.send_signal(signal.SIGTERM)
    assert server.process.wait(timeout=10) == 0


def test_the_blender_addon_zip_carries_dcclink(tmp_path: Path) -> None:
    out = tmp_path / "addon" / "dcclink_blender.zip"
    made = subprocess.run(
        [str(DCCLINK), "blender-addon", "--out", str(out)], capture_output=True, text=True
    )
    assert made.returncode == 0, made.stderr
    assert "Preferences > Add-ons > Install" in made.stderr, "it says what to do next"
    names = set(zipfile.ZipFile(out).namelist())
    vendor = "dcclink_blender/vendor/dcclink/"
    assert {
        "dcclink_blender/__init__.py",
        f"{vendor}_native.abi3.so",
        f"{vendor}libdcclink_webview.so",
        f"{vendor}packs/blender.py",
        f"{vendor}hosts/blender.py",
    } <= names
    nested = f"{vendor}hosts/dcclink_blender"
    assert not any("__pycache__" in n or n.startswith(nested) for n in names)
    assert "dcclink_blender/blender_manifest.toml" not in names, "for 3.x: not an extension"


@pytest.mark.parametrize(
    ("tag", "platform"),
    [("manylinux_2_28_x86_64", "linux-x64"), ("macosx_11_0_arm64", "macos-arm64")],
)
def test_the_blender_extension_lists_its_wheel_and_platform(
    tmp_path: Path, tag: str, platform: str
) -> None:
    wheel = tmp_path / f"dcclink-1.2.3-cp39-abi3-{tag}.whl"
    wheel.write_bytes(b"a wheel")
    out = tmp_path / "extension.zip"
    made = subprocess.run(
        [str(DCCLINK), "blender-addon", "--wheel", str(wheel), "--out", str(out)],
        capture_output=True,
        text=True,
    )
    assert made.returncode == 0, made.stderr
    assert "Install from Disk" in made.stderr
    archive = zipfile.ZipFile(out)
    manifest = tomllib.loads(archive.read("dcclink_blender/blender_manifest.toml").decode())
    assert manifest["platforms"] == [platform]
    assert manifest["wheels"] == [f"./wheels/{wheel.name}"]
    assert manifest["version"] == "1.2.3"
    assert manifest["permissions"]["network"], "the permissions stay a table of their own"
    assert archive.read(f"dcclink_blender/wheels/{wheel.name}") == b"a wheel"
    assert not any(name.startswith("dcclink_blender/vendor/") for name in archive.namelist())


def test_a_wheel_for_no_blender_platform_is_refused(tmp_path: Path) -> None:
    wheel = tmp_path / "dcclink-1.2.3-cp39-abi3-any.whl"
    wheel.write_bytes(b"a wheel")
    made = subprocess.run(
        [str(DCCLINK), "blender-addon", "--wheel", str(wheel)], capture_output=True, text=True
    )
    assert made.returncode == 1
    assert "not a wheel for a platform Blender runs on" in made.stderr
