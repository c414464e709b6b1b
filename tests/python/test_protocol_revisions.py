"""Both protocol revisions, with the official SDK's ``Client``: the
2025-11-25 handshake (``initialize``) and 2026-07-28 (``server/discover``,
per-request metadata), each through tools with progress, a resource and a
prompt."""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anyio
import httpx2
import mcp.types as types
import pytest
from conftest import HttpServer, panel_events, start_http
from mcp import Client
from mcp.shared.exceptions import MCPError
from test_client_requests import ANSWERING, PICKED, ROOTS, answer_the_form, ask_all_three


@pytest.fixture(scope="module")
def server() -> Iterator[HttpServer]:
    served = start_http()
    yield served
    served.process.terminate()
    served.process.wait(timeout=10)


@pytest.mark.parametrize(
    ("mode", "revision"), [("legacy", "2025-11-25"), ("2026-07-28", "2026-07-28")]
)
def test_each_revision_serves_the_whole_surface(
    server: HttpServer, mode: str, revision: str
) -> None:
    async def run() -> dict[str, Any]:
        seen: list[float] = []

        async def on_progress(progress: float, total: Any, message: Any) -> None:
            seen.append(progress)

        # The token in the query: this client takes a URL (loopback only).
        url = f"{server.url}?token={server.token}"
        with anyio.fail_after(60):
            async with Client(url, mode=mode) as client:
                added = await client.call_tool("add", {"a": 2, "b": 3})
                counted = await client.call_tool("count", {"n": 20}, progress_callback=on_progress)
                prompt = await client.get_prompt("review_shot", {"shot": "sh030"})
                return {
                    "version": client.protocol_version,
                    "added": added.structured_content,
                    "counted": counted.structured_content,
                    "progress": seen,
                    "prompt": prompt.messages[0].content.text,
                }

    seen = anyio.run(run)
    assert seen["version"] == revision
    assert seen["added"] == {"result": 5} and seen["counted"] == {"result": 20}
    assert seen["progress"] and seen["progress"][-1] == 20
    assert seen["prompt"] == "Review the lighting of sh030."


def test_on_2026_07_28_a_tool_asks_its_client_in_rounds(server: HttpServer) -> None:
    # The client answers InputRequiredResults and retries with the answer;
    # the call waits on the host between rounds and carries on.
    url = f"{server.url}?token={server.token}"

    async def run() -> list[Any]:
        with anyio.fail_after(60):
            async with Client(url, mode="2026-07-28", **ANSWERING) as client:
                return [*await ask_all_three(client), await client.call_tool("pick_and_name", {})]

    picked, named, roots, both = anyio.run(run)
    assert picked.structured_content == PICKED
    assert named.content[0].text == "Bridge Crossing"
    assert roots.structured_content == ROOTS
    assert both.structured_content == {"take": 3, "name": "Bridge Crossing"}, "two rounds"


def test_a_round_trip_refuses_a_stale_or_foreign_request_state(server: HttpServer) -> None:
    url = f"{server.url}?token={server.token}"

    async def run() -> tuple[Any, Any]:
        with anyio.fail_after(60):
            async with Client(
                url, mode="2026-07-28", elicitation_callback=answer_the_form
            ) as client:
                session = client.session
                asked = await session.call_tool("pick_take", {}, allow_input_required=True)
                assert isinstance(asked, types.InputRequiredResult)
                state = asked.request_state
                (key,) = asked.input_requests or {}
                answer = {key: {"action": "accept", "content": {"take": 5, "camera": "persp"}}}
                with pytest.raises(MCPError, match="belongs to 'pick_take', not 'add'"):
                    await session.call_tool(
                        "add", {"a": 1, "b": 2}, input_responses=answer, request_state=state
                    )
                done = await session.call_tool(
                    "pick_take", {}, input_responses=answer, request_state=state
                )
                with pytest.raises(MCPError, match="names no call waiting for an answer"):
                    await session.call_tool(
                        "pick_take", {}, input_responses=answer, request_state=state
                    )
                return asked, done

    asked, done = anyio.run(run)
    assert "Which take" in str(asked.input_requests)
    assert done.structured_content == {
        "action": "accept",
        "content": {"take": 5, "camera": "persp"},
    }, "the foreign retry left the call waiting for its own"


def test_a_call_whose_client_never_comes_back_is_ended(server: HttpServer) -> None:
    url = f"{server.url}?token={server.token}"
    log = Path(os.environ["DCCLINK_RUNTIME_DIR"]) / "audit" / f"{server.instance}.jsonl"

    def recorded() -> list[dict[str, Any]]:
        lines = log.read_text().splitlines() if log.exists() else []
        return [e for e in map(json.loads, lines) if e["name"] == "pick_take"]

    before = len(recorded())

    async def run() -> None:
        with anyio.fail_after(60):
            async with Client(
                url, mode="2026-07-28", elicitation_callback=answer_the_form
            ) as client:
                session = client.session
                asked = await session.call_tool(
                    "pick_take", {"wait": 0.2}, allow_input_required=True
                )
                assert isinstance(asked, types.InputRequiredResult)
                # No retry: the question's bound passes (the tool's ctx.ask
                # raises TimeoutError), and after a grace of 5 s the call is
                # given up and its record written.
                while len(recorded()) == before:
                    await anyio.sleep(0.1)
                with pytest.raises(MCPError, match="names no call waiting"):
                    await session.call_tool("pick_take", {}, request_state=asked.request_state)

    anyio.run(run)
    # One verdict: the tool failed (its question timed out), for the audit
    # log as for the panel (which once showed "failed" while the log said
    # "cancelled").
    assert [e["outcome"] for e in recorded()[before:]] == ["error"]
    events = panel_events(server)
    queued = [e for e in events if e["type"] == "call_queued" and e["tool"] == "pick_take"]
    last = queued[-1]["call"]
    (panel_ended,) = [e for e in events if e["type"] == "call_ended" and e["call"] == last]
    assert panel_ended["outcome"] == "failed"


def answer_from_the_panel(server: HttpServer, content: dict[str, Any]) -> threading.Thread:
    """Watches the panel's event stream, as an open panel does, and sends
    ``content`` to the first form a tool asks."""
    base = server.url.removesuffix("/mcp")
    headers = {"Authorization": f"Bearer {server.token}"}
    watching = threading.Event()

    def watch() -> None:
        with httpx2.stream("GET", f"{base}/panel/events", headers=headers, timeout=30) as stream:
            watching.set()
            for line in stream.iter_lines():
                if not line.startswith("data:"):
                    continue
                payload = json.loads(line.removeprefix("data:"))
                for event in payload.get("events", [payload]):
                    if event.get("type") == "question_opened" and event.get("form"):
                        answer = {"action": "accept", "content": content}
                        url = f"{base}/panel/api/question/{event['question']}"
                        httpx2.post(url, headers=headers, json=answer, timeout=10)
                        return

    thread = threading.Thread(target=watch, daemon=True)
    thread.start()
    assert watching.wait(10), "the panel's event stream did not open"
    return thread


def test_on_2026_07_28_a_tools_question_is_asked_in_the_panel(server: HttpServer) -> None:
    # That revision lets the server ask its client nothing while a call
    # runs, so the form goes to the panel.
    panel = answer_from_the_panel(server, {"take": 4, "camera": "persp"})

    async def run() -> Any:
        with anyio.fail_after(60):
            async with Client(f"{server.url}?token={server.token}", mode="2026-07-28") as client:
                return await client.call_tool("pick_take", {})

    picked = anyio.run(run)
    panel.join(10)
    assert picked.structured_content == {
        "action": "accept",
        "content": {"take": 4, "camera": "persp"},
    }
