"""The official MCP conformance suite (``@modelcontextprotocol/conformance``,
pinned in ``cargo xtask setup``): every server scenario, the suite's
pending ones too, against
``dcclink serve --http`` with ``tests/fixtures/conformance_tools.py``, with
authentication on (the suite's client sends no header, so it carries the
token as ``?token=``). No expected-failures list: every scenario must pass.
"""

from __future__ import annotations

import os
import re
import subprocess

import pytest
from conftest import ROOT, start_http

BIN = ROOT / ".tools" / "node_modules" / ".bin"
FIXTURE = ROOT / "tests" / "fixtures" / "conformance_tools.py"

pytestmark = pytest.mark.skipif(
    not (BIN / "conformance").exists() and not os.environ.get("DCCLINK_REQUIRE_NPM_TOOLS"),
    reason="needs .tools with the conformance suite (cargo xtask setup installs it)",
)


def conformance(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(BIN / "conformance"), *args],
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "PATH": f"{BIN}:{os.environ['PATH']}", "NO_COLOR": "1"},
    )


def test_every_server_scenario_passes() -> None:
    server = start_http("--tools", str(FIXTURE))
    try:
        url = f"{server.url}?token={server.token}"
        ran = conformance("server", "--url", url, "--suite", "all")
    finally:
        server.process.terminate()
        server.process.wait(timeout=10)
    summary = ran.stdout[ran.stdout.rfind("=== SUMMARY ===") :]
    results = dict(re.findall(r"^\S+ (\S+): (\d+ passed, \d+ failed)$", summary, re.M))
    failed = {name: result for name, result in results.items() if not result.endswith(" 0 failed")}
    assert ran.returncode == 0 and not failed, summary or ran.stdout[-4000:] + ran.stderr[-2000:]
    listed = conformance("list", "--server").stdout
    scenarios = set(re.findall(r"^\s+- (\S+)", listed, re.M))
    assert len(scenarios) >= 30, f"the suite lists only {len(scenarios)} scenarios:\n{listed}"
    assert set(results) == scenarios, "the run covered every scenario, pending ones too"
    checks = sum(int(result.split()[0]) for result in results.values())
    assert checks >= len(scenarios), f"only {checks} checks passed: {summary}"
