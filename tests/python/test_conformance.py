"""The official MCP conformance suite (``@modelcontextprotocol/conformance``,
pinned in ``cargo xtask setup``) against ``dcclink serve --http`` with
``tests/fixtures/conformance_tools.py``, authentication on: the suite's
client sends no header, so it carries the token as ``?token=``.

Each scenario dcclink supports runs here and must pass. The suite's other
active server scenarios need features dcclink does not have yet (see
``NOT_YET``); they are listed, not run, and not expected to fail quietly.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator

import pytest
from conftest import ROOT, HttpServer, start_http

BIN = ROOT / ".tools" / "node_modules" / ".bin"
FIXTURE = ROOT / "tests" / "fixtures" / "conformance_tools.py"

SUPPORTED = [
    "server-initialize",
    "logging-set-level",
    "ping",
    "completion-complete",
    "tools-list",
    "tools-call-simple-text",
    "tools-call-image",
    "tools-call-audio",
    "tools-call-embedded-resource",
    "tools-call-mixed-content",
    "tools-call-with-logging",
    "tools-call-error",
    "tools-call-with-progress",
    "server-sse-multiple-streams",
    "resources-list",
    "resources-read-text",
    "resources-read-binary",
    "resources-templates-read",
    "resources-subscribe",
    "resources-unsubscribe",
    "prompts-list",
    "prompts-get-simple",
    "prompts-get-with-args",
    "prompts-get-embedded-resource",
    "prompts-get-with-image",
    "dns-rebinding-protection",
]
#: Active scenarios that need what dcclink lacks so far, and what that is.
NOT_YET = {
    "tools-call-sampling": "sampling (the tool asks the client's model)",
    "tools-call-elicitation": "elicitation (ctx.ask)",
    "elicitation-sep1034-defaults": "elicitation (ctx.ask)",
    "elicitation-sep1330-enums": "elicitation (ctx.ask)",
}

pytestmark = pytest.mark.skipif(
    not (BIN / "conformance").exists() and not os.environ.get("DCCLINK_REQUIRE_NPM_TOOLS"),
    reason="needs .tools with the conformance suite (cargo xtask setup installs it)",
)


@pytest.fixture(scope="module")
def server() -> Iterator[HttpServer]:
    served = start_http("--tools", str(FIXTURE))
    yield served
    served.process.terminate()
    served.process.wait(timeout=10)


def test_the_lists_cover_the_suites_active_server_scenarios() -> None:
    listed = subprocess.run(
        [str(BIN / "conformance"), "list", "--server"],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PATH": f"{BIN}:{os.environ['PATH']}"},
    )
    active = {
        line.strip().removeprefix("- ").split(" ")[0]
        for line in listed.stdout.splitlines()
        if line.strip().startswith("- ")
    }
    pending = {"json-schema-2020-12", "server-sse-polling"}  # the suite's own "pending" set
    assert active - pending == set(SUPPORTED) | set(NOT_YET)


@pytest.mark.parametrize("scenario", SUPPORTED)
def test_scenario(server: HttpServer, scenario: str) -> None:
    ran = subprocess.run(
        [
            str(BIN / "conformance"),
            "server",
            "--url",
            f"{server.url}?token={server.token}",
            "--scenario",
            scenario,
        ],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PATH": f"{BIN}:{os.environ['PATH']}"},
    )
    assert ran.returncode == 0, ran.stdout[-4000:] + ran.stderr[-2000:]
    assert ", 0 failed" in ran.stdout
