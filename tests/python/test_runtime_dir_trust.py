"""Another user on the machine cannot get in through dcclink's runtime
folder: a folder they made first in a shared ``/tmp`` is refused, with a
message that says why, so their planted registry entry is never listed or
relayed to, and their planted symlinks never receive the audit log.

The attacker is a real second user, created for the test (it needs root)
and removed after it."""

from __future__ import annotations

import json
import os
import pwd
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import DCCLINK, FIXTURE_TOOLS
from mcp import ClientSession, StdioServerParameters, stdio_client

pytestmark = pytest.mark.anyio

OTHER = "dcclink-probe"


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="module")
def other_user() -> Iterator[pwd.struct_passwd]:
    """A second local user, made for these tests and removed after them."""
    if os.geteuid() != 0:
        pytest.skip("making a second user needs root")
    try:
        existing = pwd.getpwnam(OTHER)
    except KeyError:
        existing = None
    if existing is None:
        subprocess.run(
            ["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", OTHER],
            check=True,
        )
    yield pwd.getpwnam(OTHER)
    if existing is None:
        subprocess.run(["userdel", OTHER], check=True)


def as_user(user: pwd.struct_passwd, script: str) -> None:
    """Runs the shell ``script`` as ``user``, with no privileges of ours."""
    subprocess.run(
        [
            "setpriv",
            f"--reuid={user.pw_uid}",
            f"--regid={user.pw_gid}",
            "--clear-groups",
            "sh",
            "-euc",
            script,
        ],
        check=True,
        capture_output=True,
    )


@pytest.fixture
def shared_tmp() -> Iterator[Path]:
    """A world-writable, sticky folder, as ``/tmp`` is (in ``/tmp``: the
    other user must be able to reach it)."""
    tmp = Path(tempfile.mkdtemp(prefix="dcclink-shared-tmp-"))
    tmp.chmod(0o1777)
    yield tmp
    shutil.rmtree(tmp, ignore_errors=True)


@pytest.fixture
def victim_env(shared_tmp: Path) -> dict[str, str]:
    """Our environment with no runtime folder set: dcclink falls back to
    ``$TMPDIR/dcclink-<uid>``, the name another user can take first."""
    env = {
        k: v for k, v in os.environ.items() if k not in ("DCCLINK_RUNTIME_DIR", "XDG_RUNTIME_DIR")
    }
    return {**env, "TMPDIR": str(shared_tmp)}


def plant(user: pwd.struct_passwd, shared_tmp: Path, victim_file: Path) -> Path:
    """As ``user``: takes our runtime folder's name, open to all, with a
    registry entry for a server of theirs and symlinks where our next audit
    logs would go. Returns the planted folder."""
    folder = shared_tmp / f"dcclink-{os.getuid()}"
    entry = {
        "id": "blender-666",
        "pid": os.getpid(),
        "dcc": "blender",
        "dcc_version": None,
        "scene": None,
        "url": "http://127.0.0.1:9/mcp",
        "token": "theirs",
        "started": 0,
    }
    next_pid = int(Path("/proc/sys/kernel/ns_last_pid").read_text())
    links = "\n".join(
        f"ln -s {victim_file} {folder}/audit/stdio-{pid}.jsonl"
        for pid in range(next_pid + 1, next_pid + 300)
    )
    as_user(
        user,
        f"""
        mkdir -m 777 {folder} {folder}/instances {folder}/audit
        printf '%s' '{json.dumps(entry)}' > {folder}/instances/blender-666.json
        {links}
    """,
    )
    return folder


def test_a_runtime_folder_another_user_made_is_refused(
    other_user: pwd.struct_passwd, shared_tmp: Path, victim_env: dict[str, str], tmp_path: Path
) -> None:
    victim_file = tmp_path / "notes.txt"
    victim_file.write_text("mine\n")
    folder = plant(other_user, shared_tmp, victim_file)

    listed = subprocess.run(
        [str(DCCLINK), "list", "--json"], env=victim_env, capture_output=True, text=True, timeout=30
    )
    assert listed.returncode == 1
    assert "blender-666" not in listed.stdout
    assert f"refusing dcclink's runtime folder {folder}" in listed.stderr
    assert f"belongs to uid {other_user.pw_uid}" in listed.stderr

    # A stdio server writes its audit log there unless it refuses the folder.
    served = subprocess.run(
        [str(DCCLINK), "serve", "--stdio", "--tools", str(FIXTURE_TOOLS)],
        env=victim_env,
        input="",
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert "refusing dcclink's runtime folder" in served.stderr
    assert victim_file.read_text() == "mine\n", "the audit log followed a planted symlink"


async def test_the_relay_never_reaches_a_planted_instance(
    other_user: pwd.struct_passwd, shared_tmp: Path, victim_env: dict[str, str], tmp_path: Path
) -> None:
    plant(other_user, shared_tmp, tmp_path / "unused")
    params = StdioServerParameters(
        command=str(DCCLINK), args=["connect", "--dcc", "blender"], env=victim_env
    )
    async with stdio_client(params) as (read, write), ClientSession(read, write) as session:
        await session.initialize()
        (status,) = (await session.list_tools()).tools
        called = await session.call_tool("anything", {"secret": "s3cret"})
    assert status.name == "dcclink_status"
    assert "refusing dcclink's runtime folder" in (status.description or "")
    assert called.is_error and "refusing" in called.content[0].text
