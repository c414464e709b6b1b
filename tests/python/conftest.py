"""Shared fixtures: the dcclink command and servers started from it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FIXTURE_TOOLS = ROOT / "tests" / "fixtures" / "tools.py"
DCCLINK = Path(sys.executable).parent / "dcclink"


@dataclass
class HttpServer:
    process: subprocess.Popen[str]
    url: str
    token: str

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


def start_http(*extra: str, log: str = "warn") -> HttpServer:
    """`dcclink serve --http 127.0.0.1:0` with the fixture tools, logging at
    ``log``; waits for its JSON line on stderr."""
    process = subprocess.Popen(
        [str(DCCLINK), "serve", "--http", "127.0.0.1:0", "--tools", str(FIXTURE_TOOLS), *extra],
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "DCCLINK_LOG": log},
    )
    assert process.stderr is not None
    line = process.stderr.readline()
    try:
        info = json.loads(line)
    except json.JSONDecodeError:
        process.kill()
        raise AssertionError(f"dcclink did not announce its URL; it said: {line!r}") from None
    return HttpServer(process, info["url"], info["token"])


@pytest.fixture
def http_server() -> Iterator[HttpServer]:
    server = start_http()
    yield server
    server.process.terminate()
    server.process.wait(timeout=10)
