"""A call has one verdict, and every reader sees it: a tool whose result
breaks its own return type is an error for the client, for the panel and
in the audit log alike (the panel once showed it done), and
``dcclink.stats()`` counts it failed."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

from conftest import HttpServer, call_tools, panel_events


def audit_outcomes(server: HttpServer) -> list[tuple[str, str]]:
    log = Path(os.environ["DCCLINK_RUNTIME_DIR"]) / "audit" / f"{server.instance}.jsonl"
    deadline = time.monotonic() + 10  # a thread of its own writes the log
    while not log.exists() or not log.read_text().strip():
        assert time.monotonic() < deadline, "the audit log stayed empty"
        time.sleep(0.02)
    return [(entry["name"], entry["outcome"]) for entry in map(json.loads, log.open())]


def test_a_result_that_breaks_its_return_type_is_an_error_for_every_reader(
    http_server: HttpServer,
) -> None:
    (result,) = call_tools({"url": http_server.url, "token": http_server.token}, ("wrong_type", {}))
    assert result.is_error
    assert "does not match its return type" in result.content[0].text

    events = panel_events(http_server)
    (ended,) = [e for e in events if e["type"] == "call_ended"]
    (answered,) = [e for e in events if e["type"] == "call_result"]
    assert ended["outcome"] == "failed", "the panel showed the call as done"
    assert answered["is_error"] is True
    assert "does not match its return type" in answered["text"]

    assert audit_outcomes(http_server)[0] == ("wrong_type", "error")

    (counted,) = call_tools(
        {"url": http_server.url, "token": http_server.token}, ("host_stats", {})
    )
    stats = counted.structured_content
    assert (stats["failed"], stats["done"]) == (1, 0), stats
