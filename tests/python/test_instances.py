"""The instance registry: every running instance lists itself, `dcclink list`
shows them, and `dcclink panel` picks one by id or DCC without ever guessing
between several."""

from __future__ import annotations

import json
import os
import stat
import subprocess
from pathlib import Path
from typing import Any

import dcclink
from conftest import DCCLINK, start_http

REGISTRY = Path(os.environ["DCCLINK_RUNTIME_DIR"]) / "instances"


def dcclink_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(DCCLINK), *args], capture_output=True, text=True, timeout=30)


def listed() -> dict[str, dict[str, Any]]:
    lines = dcclink_cli("list", "--json").stdout.splitlines()
    return {entry["id"]: entry for entry in map(json.loads, lines)}


def test_a_served_instance_is_listed_until_it_stops() -> None:
    server = start_http()
    try:
        entry = listed()[server.instance]
        assert entry["dcc"] == "standalone"
        assert entry["pid"] == server.process.pid
        assert (entry["url"], entry["token"]) == (server.url, server.token)
        assert entry["panel"] == server.url.removesuffix("/mcp") + f"/panel?token={server.token}"

        # The entry holds the token: only its user may read it.
        path = REGISTRY / f"{server.instance}.json"
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        assert stat.S_IMODE(REGISTRY.stat().st_mode) == 0o700

        table = dcclink_cli("list").stdout
        assert server.instance in table and server.url in table
        assert server.token not in table, "the table never prints tokens"
    finally:
        server.process.terminate()
        server.process.wait(timeout=10)
    assert server.instance not in listed()
    assert not (REGISTRY / f"{server.instance}.json").exists()


def test_the_entry_of_a_crashed_instance_is_ignored_and_removed() -> None:
    server = start_http()
    path = REGISTRY / f"{server.instance}.json"
    assert path.exists()
    server.process.kill()  # no chance to remove its entry
    server.process.wait(timeout=10)
    assert path.exists()
    assert server.instance not in listed()
    assert not path.exists()


def test_panel_picks_an_instance_but_never_guesses() -> None:
    first, second = start_http(), start_http()
    try:
        several = dcclink_cli("panel")
        assert several.returncode == 1
        assert "choose one with --instance ID" in several.stderr
        assert first.instance in several.stderr and second.instance in several.stderr

        unknown = dcclink_cli("panel", "--instance", "maya-1")
        assert unknown.returncode == 1
        assert 'no running instance has the id "maya-1"' in unknown.stderr
        assert first.instance in unknown.stderr

        no_maya = dcclink_cli("panel", "--dcc", "maya")
        assert no_maya.returncode == 1
        assert "no maya instance is running" in no_maya.stderr

        both = dcclink_cli("panel", "--dcc", "standalone")
        assert both.returncode == 1 and "2 instances are running" in both.stderr

        exclusive = dcclink_cli("panel", "--instance", first.instance, "--url", "http://x")
        assert exclusive.returncode == 2, "--instance, --dcc and --url exclude each other"
    finally:
        for server in (first, second):
            server.process.terminate()
            server.process.wait(timeout=10)


def test_an_embedded_host_lists_its_dcc_and_scene() -> None:
    info = dcclink.start(dcc="Blender", dcc_version="4.2.1", scene="/shots/a.blend")
    try:
        assert info.instance is not None and info.instance.startswith(f"blender-{os.getpid()}")
        entries = {entry["id"]: entry for entry in dcclink.instances()}
        entry = entries[info.instance]
        assert (entry["dcc"], entry["dcc_version"]) == ("blender", "4.2.1")
        assert entry["scene"] == "/shots/a.blend"
        assert (entry["url"], entry["token"], entry["panel"]) == (info.url, info.token, info.panel)

        dcclink.set_scene("/shots/b.blend")
        assert listed()[info.instance]["scene"] == "/shots/b.blend"
    finally:
        dcclink.stop()
    assert info.instance not in listed()


def test_entries_that_are_not_small_regular_files_are_skipped_without_hanging(
    tmp_path: Path,
) -> None:
    """A FIFO named like an entry hung `dcclink list` forever, and a link to
    /dev/zero grew it to 4 GB; now both are skipped, with a warning."""
    registry = tmp_path / "runtime" / "instances"
    registry.mkdir(parents=True)
    for folder in (registry.parent, registry):
        folder.chmod(0o700)
    os.mkfifo(registry / "x.json")
    (registry / "zero.json").symlink_to("/dev/zero")
    (registry / "huge.json").write_text(" " * 1_000_000)
    server = start_http(env={**os.environ, "DCCLINK_RUNTIME_DIR": str(registry.parent)})
    try:
        env = {**os.environ, "DCCLINK_RUNTIME_DIR": str(registry.parent)}
        shown = subprocess.run(
            [str(DCCLINK), "list", "--json"], capture_output=True, text=True, timeout=30, env=env
        )
    finally:
        server.process.terminate()
        server.process.wait(timeout=10)
    assert shown.returncode == 0, shown.stderr
    assert [json.loads(line)["id"] for line in shown.stdout.splitlines()] == [server.instance]
    assert "is not a regular file" in shown.stderr
    assert "is larger than" in shown.stderr
