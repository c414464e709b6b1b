"""``dcclink connect``, as an IDE launches it: the official SDK's stdio
client talks to the relay, which relays to ``dcclink serve --http``
instances found in the registry (a registry of the test's own)."""

from __future__ import annotations

import json
import subprocess
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import anyio
import pytest
from conftest import DCCLINK, INIT, HttpServer, sdk_session, start_http, start_until_running
from mcp import Client, ClientSession, StdioServerParameters, stdio_client
from test_client_requests import ANSWERING, PICKED, ROOTS, ask_all_three
from test_sdk_e2e import exercise

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def launch(instances: list[HttpServer], env: dict[str, str], log: str = "warn") -> HttpServer:
    server = start_http(env=env, log=log)
    instances.append(server)
    return server


def stop(server: HttpServer) -> None:
    server.process.terminate()
    server.process.wait(timeout=10)


@asynccontextmanager
async def relay(env: dict[str, str], *choice: str, **options: Any) -> AsyncIterator[ClientSession]:
    params = StdioServerParameters(command=str(DCCLINK), args=["connect", *choice], env=env)
    async with (
        stdio_client(params) as (read, write),
        ClientSession(read, write, **options) as session,
    ):
        with anyio.fail_after(60):
            await session.initialize()
            yield session


class ToolListChanges:
    """Sees the IDE's ``tools/list_changed`` notifications (pass ``seen``
    as the session's message handler); ``next()`` waits for the next one."""

    def __init__(self) -> None:
        self.changed = anyio.Event()

    async def seen(self, message: Any) -> None:
        if getattr(message, "method", "") == "notifications/tools/list_changed":
            self.changed.set()

    async def next(self) -> None:
        with anyio.fail_after(10):
            await self.changed.wait()
        self.changed = anyio.Event()


async def test_with_no_instance_the_ide_is_told_what_to_open(env: dict[str, str]) -> None:
    async with relay(env, "--dcc", "blender") as session:
        (status,) = (await session.list_tools()).tools
        called = await session.call_tool("noop", {})
        checked = await session.call_tool(status.name, {})
    assert status.name == "dcclink_status"
    assert "no blender instance is running" in (status.description or "")
    assert called.is_error and "no blender instance is running" in called.content[0].text
    assert checked.is_error and "open Blender" in checked.content[0].text


async def test_tools_progress_and_cancel_cross_the_relay(
    env: dict[str, str], instances: list[HttpServer]
) -> None:
    server = launch(instances, env)
    async with relay(env, "--instance", server.instance) as session:
        await exercise(session)
        waits = await session.call_tool("waits", {})
    assert waits.structured_content == {"result": ["cancelled"]}, "the cancel reached the tool"


async def test_the_relay_reconnects_when_the_dcc_restarts(
    env: dict[str, str], instances: list[HttpServer]
) -> None:
    changes = ToolListChanges()
    first = launch(instances, env)
    async with relay(env, "--dcc", "standalone", message_handler=changes.seen) as session:
        before = await session.call_tool("add", {"a": 1, "b": 2})
        stop(first)
        await changes.next()
        gone = await session.call_tool("add", {"a": 1, "b": 2})
        launch(instances, env)
        await changes.next()
        after = await session.call_tool("add", {"a": 2, "b": 3})
    assert before.structured_content == {"result": 3}
    assert gone.is_error and "no standalone instance is running" in gone.content[0].text
    assert after.structured_content == {"result": 5}, "the restarted DCC answers"


async def test_two_instances_each_reached_by_its_route(
    env: dict[str, str], instances: list[HttpServer]
) -> None:
    one, two = launch(instances, env), launch(instances, env)
    for server in (one, two):
        async with relay(env, "--instance", server.instance) as session:
            where = await session.call_tool("where", {})
        assert where.structured_content["pid"] == server.process.pid
    async with relay(env, "--dcc", "standalone") as session:
        (status,) = (await session.list_tools()).tools
        refused = await session.call_tool("add", {"a": 1, "b": 1})
    assert "2 instances are running" in (status.description or ""), "it never guesses"
    assert refused.is_error and one.instance in refused.content[0].text


async def test_prompts_and_resources_cross_the_relay(
    env: dict[str, str], instances: list[HttpServer]
) -> None:
    server = launch(instances, env)
    async with relay(env, "--instance", server.instance) as session:
        prompts = [p.name for p in (await session.list_prompts()).prompts]
        got = await session.get_prompt("review_shot", {"shot": "sh020"})
    assert "review_shot" in prompts
    assert got.messages[0].content.text == "Review the lighting of sh020."


async def test_the_agent_chooses_among_several_instances_explicitly(
    env: dict[str, str], instances: list[HttpServer]
) -> None:
    one, two = launch(instances, env), launch(instances, env)
    async with relay(env) as session:
        (status,) = (await session.list_tools()).tools
        chosen = await session.call_tool("dcclink_status", {"instance": two.instance})
        where = await session.call_tool("where", {})
        wrong = await session.call_tool("dcclink_status", {"instance": "maya-1"})
    assert "2 instances are running" in (status.description or "")
    assert "instance=ID" in (status.description or "")
    assert not chosen.is_error and two.instance in chosen.content[0].text
    assert where.structured_content["pid"] == two.process.pid, "the chosen one, not a guess"
    assert wrong.is_error and "no running instance has the id" in wrong.content[0].text
    assert one.process.poll() is None


async def test_the_instances_questions_reach_the_ide_through_the_relay(
    env: dict[str, str], instances: list[HttpServer]
) -> None:
    server = launch(instances, env, log="info")
    async with relay(env, "--instance", server.instance, **ANSWERING) as session:
        picked, named, roots = await ask_all_three(session)
        await session.send_roots_list_changed()
        with anyio.fail_after(10):
            told = await anyio.to_thread.run_sync(
                said, server, "workspace folders (roots) changed", abandon_on_cancel=True
            )
    assert picked.structured_content == PICKED
    assert named.content[0].text == "Bridge Crossing"
    assert roots.structured_content == ROOTS
    assert told, "the IDE's roots/list_changed reached the instance"


def said(server: HttpServer, text: str) -> bool:
    """Reads the instance's log until a line holds ``text``; False at its end."""
    assert server.process.stderr is not None
    return any(text in line for line in server.process.stderr)


async def test_one_call_goes_to_the_instance_its_argument_names(
    env: dict[str, str], instances: list[HttpServer]
) -> None:
    changes = ToolListChanges()
    one = launch(instances, env)
    async with relay(env, "--instance", one.instance, message_handler=changes.seen) as session:
        alone = (await session.list_tools()).tools
        two = launch(instances, env)
        await changes.next()
        tools = {tool.name: tool for tool in (await session.list_tools()).tools}
        there = await session.call_tool("where", {"dcclink_instance": two.instance})
        here = await session.call_tool("where", {})
        added = await session.call_tool("add", {"a": 1, "b": 2, "dcclink_instance": two.instance})
        unknown = await session.call_tool("where", {"dcclink_instance": "maya-1"})
        wrong = await session.call_tool("where", {"dcclink_instance": 7})
    assert all("dcclink_instance" not in tool.input_schema["properties"] for tool in alone)
    argument = tools["add"].input_schema["properties"]["dcclink_instance"]
    assert two.instance in argument["description"], "the agent sees where it can send a call"
    assert there.structured_content["pid"] == two.process.pid
    assert here.structured_content["pid"] == one.process.pid, "the next call stays"
    assert added.structured_content == {"result": 3}, "the argument never reaches the tool"
    assert unknown.is_error and "no running instance has the id" in unknown.content[0].text
    assert wrong.is_error and "must be an instance id" in wrong.content[0].text


async def test_an_ide_on_2026_07_28_works_through_the_relay(
    env: dict[str, str], instances: list[HttpServer]
) -> None:
    launch(instances, env)
    seen: list[float] = []

    async def on_progress(progress: float, total: Any, message: Any) -> None:
        seen.append(progress)

    params = StdioServerParameters(command=str(DCCLINK), args=["connect"], env=env)
    with anyio.fail_after(60):
        async with Client(params, mode="2026-07-28") as client:
            counted = await client.call_tool("count", {"n": 3}, progress_callback=on_progress)
            asked = await client.call_tool("pick_take", {"wait": 1})
            revision = client.protocol_version
    assert revision == "2026-07-28"
    assert counted.structured_content == {"result": 3} and seen[-1] == 3
    # The relay speaks 2025-11-25 to the instance, so a question cannot
    # reach this IDE: the panel is asked instead (none is open here).
    assert asked.is_error and "no dcclink panel is open" in asked.content[0].text


async def how_it_ended(server: HttpServer) -> list[str]:
    """How each ``wait_cancel`` on ``server`` ended, asked directly."""
    async with sdk_session(server.url, server.token) as direct:
        waits = await direct.call_tool("waits", {})
    assert waits.structured_content is not None
    return list(waits.structured_content["result"])


async def test_a_call_in_flight_is_answered_when_the_instance_dies(
    env: dict[str, str], instances: list[HttpServer]
) -> None:
    server = launch(instances, env)
    async with (
        relay(env, "--instance", server.instance) as session,
        anyio.create_task_group() as group,
    ):
        ended = await start_until_running(session, group, "wait_cancel", {"limit": 60})
        server.process.kill()  # kill -9, mid-call
        server.process.wait(timeout=10)
        with anyio.fail_after(15):  # the relay looks once a second
            while not ended:
                await anyio.sleep(0.05)
    answer = ended.get("answer")
    failure = str(ended.get("error", "")) or (answer.content[0].text if answer else "")
    assert "stopped while this call was running" in failure, ended
    assert str(server.process.pid) in failure


async def test_closing_the_relays_stdin_cancels_the_call_at_the_instance(
    env: dict[str, str], instances: list[HttpServer]
) -> None:
    server = launch(instances, env)
    with anyio.fail_after(60):
        async with (
            relay(env, "--instance", server.instance) as session,
            anyio.create_task_group() as group,
        ):
            await start_until_running(session, group, "wait_cancel", {"limit": 30})
            group.cancel_scope.cancel()
            left = time.monotonic()
        # Leaving, the SDK closes the relay's stdin (then waits 2 s before
        # SIGTERM): the call is cancelled at once, so the instance is free
        # and says so well before rmcp's own 5 s drain would have ended.
        ended = await how_it_ended(server)
        took = time.monotonic() - left
    assert ended == ["cancelled"], "the tool ran on after the IDE left"
    assert took < 4, f"the instance saw the cancel only after {took:.1f} s"


def test_sigterm_to_the_relay_cancels_the_call_at_the_instance(
    env: dict[str, str], instances: list[HttpServer]
) -> None:
    server = launch(instances, env)
    relay_process = subprocess.Popen(
        [str(DCCLINK), "connect", "--instance", server.instance],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        env=env,
        text=True,
    )
    assert relay_process.stdin is not None and relay_process.stdout is not None

    def send(message: dict[str, Any]) -> None:
        assert relay_process.stdin is not None
        relay_process.stdin.write(json.dumps(message) + "\n")
        relay_process.stdin.flush()

    send(INIT)
    assert json.loads(relay_process.stdout.readline())["id"] == 1
    send({"jsonrpc": "2.0", "method": "notifications/initialized"})
    send(
        {
            "jsonrpc": "2.0",
            "id": 2,
            "method": "tools/call",
            "params": {
                "name": "wait_cancel",
                "arguments": {"limit": 30},
                "_meta": {"progressToken": "p"},
            },
        }
    )
    progress = json.loads(relay_process.stdout.readline())
    assert progress["method"] == "notifications/progress", progress
    relay_process.terminate()  # stdin stays open: only the signal says the IDE is gone
    assert relay_process.wait(timeout=10) == 0
    assert anyio.run(how_it_ended, server) == ["cancelled"]
