"""MCP tasks through the official SDK: a call that answers at once with a
task, runs in the host's FIFO, and is fetched later by id, from the same
session or another one. 2025-11-25 (``params.task``, ``tasks/result``) over
stdio and HTTP, and 2026-07-28's ``io.modelcontextprotocol/tasks``
extension (``resultType: "task"``, ``tasks/get`` with the result inlined,
``tasks/update``)."""

from __future__ import annotations

import json
import subprocess
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from typing import Any, Literal, Optional

import anyio
import mcp.types as types
import pytest
from conftest import DCCLINK, INIT, ROOT, HttpServer, sdk_session, start_http
from mcp import Client, ClientSession, StdioServerParameters, stdio_client
from mcp.client.extension import ClientExtension, NotificationBinding
from mcp.shared.exceptions import MCPError
from pydantic import TypeAdapter
from test_connect import ToolListChanges, relay, stop

TASK_TOOLS = ROOT / "tests" / "fixtures" / "task_tools.py"
RAW: TypeAdapter[dict[str, Any]] = TypeAdapter(dict[str, Any])


pytestmark = pytest.mark.usefixtures("sdk_takes_created_tasks")


@pytest.fixture(scope="module")
def server() -> Iterator[HttpServer]:
    served = start_http("--tools", str(TASK_TOOLS))
    yield served
    served.process.terminate()
    served.process.wait(timeout=10)


@asynccontextmanager
async def stdio_session(*extra: str) -> AsyncIterator[ClientSession]:
    params = StdioServerParameters(
        command=str(DCCLINK),
        args=["serve", "--stdio", "--tools", str(TASK_TOOLS), *extra],
    )
    async with stdio_client(params) as (read, write), ClientSession(read, write) as session:
        await session.initialize()
        yield session


async def start_task(
    session: ClientSession, tool: str, arguments: dict[str, Any], ttl: Optional[int] = None
) -> types.Task:
    """A task-augmented ``tools/call`` (2025-11-25): its ``CreateTaskResult``."""
    params = types.CallToolRequestParams(
        name=tool, arguments=arguments, task=types.TaskMetadata(ttl=ttl)
    )
    created = await session.send_request(
        types.CallToolRequest(params=params), types.CreateTaskResult
    )
    return created.task


async def get_task(session: ClientSession, task_id: str) -> types.GetTaskResult:
    params = types.GetTaskRequestParams(task_id=task_id)
    return await session.send_request(types.GetTaskRequest(params=params), types.GetTaskResult)


async def task_result(session: ClientSession, task_id: str) -> types.CallToolResult:
    params = types.GetTaskPayloadRequestParams(task_id=task_id)
    request = types.GetTaskPayloadRequest(params=params)
    return await session.send_request(request, types.CallToolResult)


async def cancel_task(session: ClientSession, task_id: str) -> types.CancelTaskResult:
    params = types.CancelTaskRequestParams(task_id=task_id)
    request = types.CancelTaskRequest(params=params)
    return await session.send_request(request, types.CancelTaskResult)


async def poll_until(
    session: ClientSession, task_id: str, statuses: set[str]
) -> types.GetTaskResult:
    """Polls ``tasks/get`` (bounded) until the task's status is one of
    ``statuses``."""
    while True:
        task = await get_task(session, task_id)
        if task.status in statuses:
            return task
        await anyio.sleep(0.02)


TERMINAL = {"completed", "failed", "cancelled"}


def run(main: Any) -> Any:
    async def bounded() -> Any:
        with anyio.fail_after(60):
            return await main()

    return anyio.run(bounded)


@pytest.mark.parametrize("transport", ["stdio", "http"])
def test_a_task_with_progress_ends_with_the_plain_calls_result(
    server: HttpServer, transport: str
) -> None:
    async def main() -> dict[str, Any]:
        session_of = (
            stdio_session() if transport == "stdio" else sdk_session(server.url, server.token)
        )
        async with session_of as session:
            listed = {tool.name: tool for tool in (await session.list_tools()).tools}
            task = await start_task(session, "render_turntable", {"frames": 20})
            messages = set()
            while True:
                polled = await get_task(session, task.task_id)
                if polled.status_message:
                    messages.add(polled.status_message)
                if polled.status in TERMINAL:
                    break
                await anyio.sleep(0.01)
            fetched = await task_result(session, task.task_id)
            plain = await session.call_tool("render_turntable", {"frames": 20})
            return {
                "caps": session.server_capabilities,
                "listed": listed,
                "task": task,
                "polled": polled,
                "messages": messages,
                "fetched": fetched,
                "plain": plain,
            }

    seen = run(main)
    tasks = seen["caps"].tasks
    assert tasks is not None and tasks.requests.tools.call is not None
    assert tasks.list is not None and tasks.cancel is not None
    support = {name: tool.execution for name, tool in seen["listed"].items()}
    assert support["render_turntable"].task_support == "optional"
    assert support["bake"].task_support == "required"
    assert support["quick"] is None, "forbidden is the default, and says nothing"
    task = seen["task"]
    assert task.status == "working" and task.ttl == 3_600_000 and task.poll_interval
    assert len(task.task_id) >= 32, "task ids are unguessable"
    assert seen["polled"].status == "completed"
    assert any(m.startswith("frame ") for m in seen["messages"]), seen["messages"]
    fetched, plain = seen["fetched"], seen["plain"]
    assert (
        fetched.structured_content
        == plain.structured_content
        == {
            "frames": 20,
            "image": "turntable_20.png",
        }
    )
    assert fetched.content == plain.content and fetched.is_error == plain.is_error is False
    related = fetched.meta and fetched.meta.get("io.modelcontextprotocol/related-task")
    assert related == {"taskId": task.task_id}


def test_a_tool_sees_its_task_id_and_the_host_lists_its_tasks(server: HttpServer) -> None:
    async def main() -> tuple[Any, Any, str, Any]:
        async with sdk_session(server.url, server.token) as session:
            task = await start_task(session, "which_task", {})
            fetched = await task_result(session, task.task_id)
            plain = await session.call_tool("which_task", {})
            listed = await session.call_tool("listed_tasks", {})
            return (
                fetched.structured_content,
                plain.structured_content,
                task.task_id,
                listed.structured_content["result"],
            )

    fetched, plain, task_id, listed = run(main)
    assert fetched == {"task_id": task_id}
    assert plain == {"task_id": None}
    (mine,) = [task for task in listed if task["id"] == task_id]
    assert mine["tool"] == "which_task" and mine["status"] == "completed"
    assert mine["client"].endswith("(http)") and mine["ttl_ms"] == 3_600_000


def test_a_client_that_goes_away_fetches_its_result_in_a_new_session(server: HttpServer) -> None:
    async def start() -> str:
        async with sdk_session(server.url, server.token) as session:
            task = await start_task(session, "render_turntable", {"frames": 30, "delay": 0.03})
            return task.task_id

    async def come_back(task_id: str) -> tuple[Any, Any]:
        async with sdk_session(server.url, server.token) as session:
            fetched = await task_result(session, task_id)
            listed = await session.send_request(types.ListTasksRequest(), types.ListTasksResult)
            return fetched, listed

    task_id = run(start)  # the session ends while the task runs
    fetched, listed = run(lambda: come_back(task_id))
    assert fetched.structured_content == {"frames": 30, "image": "turntable_30.png"}
    assert task_id in {task.task_id for task in listed.tasks}


def test_an_unknown_task_id_gets_the_specs_error(server: HttpServer) -> None:
    async def main() -> None:
        async with sdk_session(server.url, server.token) as session:
            for ask in (get_task, task_result, cancel_task):
                with pytest.raises(MCPError, match="Task not found") as raised:
                    await ask(session, "no-such-task")
                assert raised.value.error.code == types.INVALID_PARAMS

    run(main)


def test_cancelling_a_queued_and_a_running_task(server: HttpServer) -> None:
    async def main() -> dict[str, Any]:
        async with sdk_session(server.url, server.token) as session:
            running = await start_task(session, "bake", {})
            await poll_until_message(session, running.task_id, "baking")
            queued = await start_task(session, "which_task", {})
            assert (await get_task(session, queued.task_id)).status == "working"
            cancelled_queued = await cancel_task(session, queued.task_id)
            cancelled_running = await cancel_task(session, running.task_id)
            running_result = await task_result(session, running.task_id)
            queued_result = await task_result(session, queued.task_id)
            with pytest.raises(MCPError, match="already ended") as again:
                await cancel_task(session, running.task_id)
            return {
                "statuses": (cancelled_queued.status, cancelled_running.status),
                "after": (await get_task(session, running.task_id)).status,
                "running": running_result,
                "queued": queued_result,
                "again": again.value.error.code,
            }

    seen = run(main)
    assert seen["statuses"] == ("cancelled", "cancelled")
    assert seen["after"] == "cancelled", "cancelled stays cancelled"
    assert seen["running"].is_error and "cancelled" in seen["running"].content[0].text
    assert seen["queued"].is_error and "cancelled" in seen["queued"].content[0].text
    assert seen["again"] == types.INVALID_PARAMS


async def poll_until_message(session: ClientSession, task_id: str, message: str) -> None:
    while (await get_task(session, task_id)).status_message != message:
        await anyio.sleep(0.01)


def test_a_task_that_raises_fails_with_the_tools_error(server: HttpServer) -> None:
    async def main() -> tuple[Any, Any]:
        async with sdk_session(server.url, server.token) as session:
            task = await start_task(session, "broken_render", {})
            return await poll_until(session, task.task_id, TERMINAL), await task_result(
                session, task.task_id
            )

    polled, fetched = run(main)
    assert polled.status == "failed", "2025-11-25 counts a tool error as failed"
    assert fetched.is_error and "license ran out" in fetched.content[0].text


def test_task_support_is_enforced(server: HttpServer) -> None:
    async def main() -> tuple[MCPError, MCPError]:
        async with sdk_session(server.url, server.token) as session:
            with pytest.raises(MCPError) as required:
                await session.call_tool("bake", {})
            with pytest.raises(MCPError) as forbidden:
                await start_task(session, "quick", {})
            return required.value, forbidden.value

    required, forbidden = run(main)
    assert required.error.code == forbidden.error.code == types.METHOD_NOT_FOUND
    assert "runs only as a task" in required.error.message
    assert "does not run as a task" in forbidden.error.message


def test_a_task_expires_after_its_ttl() -> None:
    async def main() -> None:
        async with stdio_session() as session:
            task = await start_task(session, "which_task", {}, ttl=1000)
            assert task.ttl == 1000
            await task_result(session, task.task_id)
            await anyio.sleep(1.2)
            with pytest.raises(MCPError, match="Task has expired"):
                await get_task(session, task.task_id)

    run(main)


def test_a_task_that_asks_waits_in_input_required(server: HttpServer) -> None:
    asked: list[Any] = []

    async def on_elicit(context: Any, params: Any) -> types.ElicitResult:
        asked.append(params)
        return types.ElicitResult(action="accept", content={"overwrite": True})

    async def main() -> tuple[Any, list[str]]:
        async with sdk_session(server.url, server.token, elicitation_callback=on_elicit) as session:
            task = await start_task(session, "confirm_overwrite", {})
            fetched = await task_result(session, task.task_id)
            return fetched, [t.status for t in [await get_task(session, task.task_id)]]

    fetched, statuses = run(main)
    assert fetched.structured_content == {
        "answer": {"action": "accept", "content": {"overwrite": True}}
    }
    assert statuses == ["completed"]
    (params,) = asked
    assert "Overwrite the cache" in params.message
    related = params.meta and params.meta.get("io.modelcontextprotocol/related-task")
    assert related is not None


class TasksExtension(ClientExtension):
    """Declares 2026-07-28's tasks extension."""

    identifier = "io.modelcontextprotocol/tasks"


def client_2026(transport: str, server: HttpServer, **options: Any) -> Client:
    """A 2026-07-28 client of the HTTP ``server``, or of a ``dcclink serve
    --stdio`` of its own."""
    if transport == "stdio":
        params = StdioServerParameters(
            command=str(DCCLINK), args=["serve", "--stdio", "--tools", str(TASK_TOOLS)]
        )
        return Client(params, mode="2026-07-28", **options)
    return Client(f"{server.url}?token={server.token}", mode="2026-07-28", **options)


def raw_request(method: str, params: dict[str, Any]) -> Any:
    """A request the SDK has no type for (the 2026-07-28 tasks extension);
    a task's id routes it (``Mcp-Name``), as the extension says."""

    class Raw(types.Request[dict[str, Any], Literal[method]]):  # type: ignore[valid-type]
        name_param = "taskId" if method.startswith("tasks/") else "name"

    return Raw(method=method, params=params)


@pytest.mark.parametrize("transport", ["stdio", "http"])
def test_on_2026_07_28_a_tool_call_becomes_a_task_polled_to_its_result(
    server: HttpServer, transport: str
) -> None:
    async def main() -> dict[str, Any]:
        async with client_2026(transport, server, extensions=[TasksExtension()]) as client:
            session = client.session
            created = await session.send_request(
                raw_request("tools/call", {"name": "render_turntable", "arguments": {"frames": 5}}),
                RAW,
            )
            while True:
                polled = await session.send_request(
                    raw_request("tasks/get", {"taskId": created["taskId"]}), RAW
                )
                if polled["status"] in TERMINAL:
                    break
                await anyio.sleep(0.02)
            return {"created": created, "polled": polled}

    seen = run(main)
    created, polled = seen["created"], seen["polled"]
    assert created["resultType"] == "task" and created["status"] == "working"
    assert created["ttlMs"] == 3_600_000
    assert polled["status"] == "completed" and polled["resultType"] == "complete"
    assert polled["result"]["structuredContent"] == {"frames": 5, "image": "turntable_5.png"}


@pytest.mark.parametrize("transport", ["stdio", "http"])
def test_on_2026_07_28_a_task_asks_in_tasks_get_and_hears_in_tasks_update(
    server: HttpServer, transport: str
) -> None:
    async def never_asked(context: Any, params: Any) -> types.ElicitResult:
        raise AssertionError("a task's question travels in tasks/get, not as a request")

    async def main() -> tuple[Any, Any]:
        async with client_2026(
            transport, server, extensions=[TasksExtension()], elicitation_callback=never_asked
        ) as client:
            session = client.session
            created = await session.send_request(
                raw_request("tools/call", {"name": "confirm_overwrite", "arguments": {}}), RAW
            )
            task_id = created["taskId"]
            poll = raw_request("tasks/get", {"taskId": task_id})
            while True:
                asking = await session.send_request(poll, RAW)
                if asking["status"] != "working":
                    break
                await anyio.sleep(0.02)
            (key,) = asking["inputRequests"]
            answer = {key: {"action": "accept", "content": {"overwrite": False}}}
            await session.send_request(
                raw_request("tasks/update", {"taskId": task_id, "inputResponses": answer}), RAW
            )
            while True:
                done = await session.send_request(poll, RAW)
                if done["status"] in TERMINAL:
                    return asking, done
                await anyio.sleep(0.02)

    asking, done = run(main)
    (request,) = asking["inputRequests"].values()
    assert request["method"] == "elicitation/create"
    assert done["status"] == "completed"
    assert done["result"]["structuredContent"] == {
        "answer": {"action": "accept", "content": {"overwrite": False}}
    }


@pytest.mark.parametrize("transport", ["stdio", "http"])
def test_on_2026_07_28_a_task_required_tool_needs_the_extension(
    server: HttpServer, transport: str
) -> None:
    async def main() -> MCPError:
        async with client_2026(transport, server) as client:
            with pytest.raises(MCPError) as refused:
                await client.call_tool("bake", {})
            return refused.value

    refused = run(main)
    assert refused.error.code == -32021
    assert refused.error.data == {
        "requiredCapabilities": {"extensions": {"io.modelcontextprotocol/tasks": {}}}
    }


def test_a_task_outlives_the_relay_that_started_it(
    env: dict[str, str], instances: list[HttpServer]
) -> None:
    instances.append(start_http("--tools", str(TASK_TOOLS), env=env))
    # An IDE starts a render through `dcclink connect`, and the relay is
    # killed mid-render (the IDE crashed).
    connect = subprocess.Popen(
        [str(DCCLINK), "connect"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        env=env,
        text=True,
    )
    assert connect.stdin is not None and connect.stdout is not None
    call = {
        "jsonrpc": "2.0",
        "id": 2,
        "method": "tools/call",
        "params": {
            "name": "render_turntable",
            "arguments": {"frames": 40, "delay": 0.03},
            "task": {"ttl": 60_000},
            "_meta": {"progressToken": "turntable"},
        },
    }
    for message in (INIT, {"jsonrpc": "2.0", "method": "notifications/initialized"}, call):
        connect.stdin.write(json.dumps(message) + "\n")
        connect.stdin.flush()
    seen = [json.loads(connect.stdout.readline())]
    while seen[-1].get("id") != 2:
        seen.append(json.loads(connect.stdout.readline()))
    task_id = seen[-1]["result"]["task"]["taskId"]
    # While its client is connected, the task's progress reaches it.
    while seen[-1].get("method") != "notifications/progress":
        seen.append(json.loads(connect.stdout.readline()))
    progress = seen[-1]["params"]
    assert progress["progressToken"] == "turntable" and progress["message"].startswith("frame ")
    connect.kill()
    connect.wait(timeout=10)

    async def come_back() -> tuple[Any, Any]:
        async with relay(env) as session:
            return await get_task(session, task_id), await task_result(session, task_id)

    polled, fetched = run(come_back)
    assert polled.task_id == task_id
    assert fetched.structured_content == {"frames": 40, "image": "turntable_40.png"}


def test_a_dcc_restart_under_the_relay_ends_its_tasks_clearly(
    env: dict[str, str], instances: list[HttpServer]
) -> None:
    changes = ToolListChanges()
    first = start_http("--tools", str(TASK_TOOLS), env=env)
    instances.append(first)

    async def main() -> dict[str, Any]:
        ended: dict[str, Any] = {}
        async with relay(env, "--dcc", "standalone", message_handler=changes.seen) as session:
            task = await start_task(session, "bake", {})
            await poll_until_message(session, task.task_id, "baking")

            async def wait_for_result() -> None:
                try:
                    ended["result"] = await task_result(session, task.task_id)
                except MCPError as error:
                    ended["error"] = error

            async with anyio.create_task_group() as group:
                group.start_soon(wait_for_result)
                await anyio.sleep(0.2)  # tasks/result is waiting at the instance
                stop(first)  # the DCC quits mid-task
            await changes.next()
            instances.append(start_http("--tools", str(TASK_TOOLS), env=env))
            await changes.next()
            with pytest.raises(MCPError) as lost:
                await get_task(session, task.task_id)
            ended["lost"] = lost.value
        return ended

    ended = run(main)
    # The waiting tasks/result was answered, not left hanging: with what the
    # call itself answered (the tool saw ctx.cancelled as the DCC quit), or
    # the relay's word that the instance went away.
    assert "result" in ended or "error" in ended
    lost = ended["lost"].error
    assert lost.code == types.INVALID_PARAMS
    assert "has stopped" in lost.message and "run the tool again" in lost.message


class StatusWatch(ClientExtension):
    """Sees 2025-11-25's ``notifications/tasks/status`` (the SDK 2.3 drops
    notifications its core tables do not name, unless bound)."""

    identifier = "dev.dcclink/test-task-status"

    def __init__(self) -> None:
        self.seen: list[types.TaskStatusNotificationParams] = []
        self.ended = anyio.Event()

    async def record(self, params: types.TaskStatusNotificationParams) -> None:
        self.seen.append(params)
        if params.status in TERMINAL:
            self.ended.set()

    def notifications(self) -> Any:
        method = "notifications/tasks/status"
        params = types.TaskStatusNotificationParams
        return [NotificationBinding(method=method, params_type=params, handler=self.record)]


def test_a_task_ends_failed_when_the_dcc_quits() -> None:
    quitting = start_http("--tools", str(TASK_TOOLS))
    watch = StatusWatch()

    async def main() -> None:
        url = f"{quitting.url}?token={quitting.token}"
        with anyio.fail_after(60):
            async with Client(url, mode="legacy", extensions=[watch]) as client:
                task = await start_task(client.session, "bake", {})
                await poll_until_message(client.session, task.task_id, "baking")
                quitting.process.terminate()  # the DCC quits mid-task
                await watch.ended.wait()

    try:
        run(main)
    except BaseException as error:  # the client's goodbye to a server that is gone
        if not watch.ended.is_set():
            raise AssertionError(f"no status said the task ended: {watch.seen}") from error
    finally:
        quitting.process.terminate()
        quitting.process.wait(timeout=10)
    assert watch.seen[-1].status == "failed"
    assert "the DCC stopped" in (watch.seen[-1].status_message or "")


def test_on_2026_07_28_tasks_cancel_stops_a_running_task(server: HttpServer) -> None:
    async def main() -> tuple[Any, Any]:
        async with client_2026("http", server, extensions=[TasksExtension()]) as client:
            session = client.session
            created = await session.send_request(
                raw_request("tools/call", {"name": "bake", "arguments": {}}), RAW
            )
            poll = raw_request("tasks/get", {"taskId": created["taskId"]})
            while (await session.send_request(poll, RAW)).get("statusMessage") != "baking":
                await anyio.sleep(0.01)
            acked = await session.send_request(
                raw_request("tasks/cancel", {"taskId": created["taskId"]}), RAW
            )
            while (polled := await session.send_request(poll, RAW))["status"] not in TERMINAL:
                await anyio.sleep(0.01)
            return acked, polled

    acked, polled = run(main)
    assert acked == {"resultType": "complete"}
    assert polled["status"] == "cancelled"
