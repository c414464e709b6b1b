"""Both protocol revisions, with the official SDK's ``Client``: the
2025-11-25 handshake (``initialize``) and 2026-07-28 (``server/discover``,
per-request metadata), each through tools with progress, a resource and a
prompt."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from typing import Any

import anyio
import httpx2
import pytest
from conftest import HttpServer, start_http
from mcp import Client


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
                    if event.get("type") == "prompt_opened" and event.get("form"):
                        answer = {"action": "accept", "content": content}
                        url = f"{base}/panel/api/prompt/{event['prompt']}"
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
