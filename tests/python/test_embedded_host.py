"""An embedded host: ``dcclink.start()`` in this process, the test's thread
pumping like a DCC's timer, and the official SDK client on another thread.
Covers main-thread affinity, return values, errors, re-entrancy and the
main-thread helpers."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any, TypeVar

import anyio
import dcclink
import httpx2
import pytest
from conftest import pump_while, sdk_session, with_client
from mcp import ClientSession

T = TypeVar("T")
PUMPED_BY = threading.get_ident()


@dcclink.tool
def thread_ident() -> int:
    """The thread that runs tools."""
    return threading.get_ident()


@dcclink.tool
def who(ctx: dcclink.Context) -> dict:
    """What a tool knows of its call."""
    return {"call": ctx.call_id, "client": ctx.client, "cancelled": ctx.cancelled}


@dcclink.tool
def shapes(kind: str) -> Any:
    """Return values of every kind."""
    values: dict[str, Any] = {
        "text": "hello",
        "dict": {"a": 1},
        "list": [1, 2],
        "number": 2.5,
        "bool": True,
        "none": None,
        "image": dcclink.Image(b"\x89PNG\r\n", "image/png"),
        "audio": dcclink.Audio(b"RIFF", "audio/wav"),
        "blocks": dcclink.Content(
            "two blocks:",
            dcclink.EmbeddedResource("shot://sh010", blob=b"\x00\x01", mime_type="x/raw"),
        ),
        "object": object(),
    }
    return values[kind]


@dcclink.tool
def explode() -> None:
    """Raise from a nested helper."""

    def inner_helper() -> None:
        raise ValueError("the rig is broken")

    inner_helper()


ORDER: list[str] = []


@dcclink.tool
def outer(ctx: dcclink.Context) -> int:
    """Pumps re-entrantly while reporting, with ``inner`` queued behind it:
    must not start the queued call."""
    ORDER.append("outer start")
    deadline = time.monotonic() + 20
    while dcclink.stats()["queue_depth"] < 1:  # inner is there to be wrongly nested
        assert time.monotonic() < deadline, "inner never reached the queue"
        time.sleep(0.001)
    nested = 0
    for i in range(20):
        ctx.progress(i + 1, 20)
        ctx.emit("tick", {"i": i})
        ctx.log("debug", f"tick {i}")
        nested += dcclink.pump(1)
        time.sleep(0.005)
    ORDER.append("outer end")
    return nested


@dcclink.tool
def inner() -> str:
    """Queued behind outer."""
    ORDER.append("inner")
    return "inner"


@pytest.fixture
def host() -> Iterator[dcclink.ServerInfo]:
    info = dcclink.start()
    yield info
    dcclink.stop()


def test_tools_run_on_the_thread_that_pumps(host: dcclink.ServerInfo) -> None:
    async def body(session: ClientSession) -> Any:
        return (await session.call_tool("thread_ident", {})).structured_content

    assert with_client(host, body) == {"result": PUMPED_BY}
    assert dcclink.is_main_thread()


def test_a_tool_knows_its_call_and_the_host_counts_calls(host: dcclink.ServerInfo) -> None:
    async def body(session: ClientSession) -> Any:
        first = await session.call_tool("who", {})
        second = await session.call_tool("who", {})
        return first.structured_content, second.structured_content

    first, second = with_client(host, body)
    assert second["call"] == first["call"] + 1
    assert first["client"] == "mcp (http)"
    assert first["cancelled"] is False
    stats = dcclink.stats()
    assert stats["done"] == 2 and stats["submitted"] == 2
    assert stats["queue_depth"] == 0 and stats["failed"] == 0


def test_return_values_become_mcp_content(host: dcclink.ServerInfo) -> None:
    async def body(session: ClientSession) -> dict[str, Any]:
        kinds = ["text", "dict", "list", "number", "bool", "none", "image", "audio", "blocks"]
        kinds.append("object")
        return {kind: await session.call_tool("shapes", {"kind": kind}) for kind in kinds}

    results = with_client(host, body)
    assert results["text"].content[0].text == "hello"
    assert results["text"].structured_content is None
    assert results["dict"].structured_content == {"a": 1}
    assert results["list"].structured_content == {"result": [1, 2]}
    assert results["number"].structured_content == {"result": 2.5}
    assert results["bool"].structured_content == {"result": True}
    assert results["none"].content == [] and not results["none"].is_error
    image = results["image"].content[0]
    assert (image.type, image.mime_type, image.data) == ("image", "image/png", "iVBORw0K")
    audio = results["audio"].content[0]
    assert (audio.type, audio.mime_type, audio.data) == ("audio", "audio/wav", "UklGRg==")
    text, embedded = results["blocks"].content
    assert text.text == "two blocks:"
    assert (str(embedded.resource.uri), embedded.resource.blob) == ("shot://sh010", "AAE=")
    assert embedded.resource.mime_type == "x/raw"
    assert results["object"].is_error
    assert "cannot send" in results["object"].content[0].text


def test_an_exception_is_an_error_result_with_its_traceback(host: dcclink.ServerInfo) -> None:
    async def body(session: ClientSession) -> tuple[Any, Any]:
        return await session.call_tool("explode", {}), await session.call_tool("thread_ident", {})

    failed, after = with_client(host, body)
    assert failed.is_error
    text = failed.content[0].text
    assert text.startswith("ValueError: the rig is broken")
    assert "Traceback" in text and "inner_helper" in text
    assert after.structured_content == {"result": PUMPED_BY}, "the next call runs normally"


def test_a_tool_can_pump_and_report_without_starting_the_next_tool(
    host: dcclink.ServerInfo,
) -> None:
    ORDER.clear()

    async def body(session: ClientSession) -> tuple[Any, Any]:
        async with anyio.create_task_group() as group:
            results: dict[str, Any] = {}

            async def call(name: str) -> None:
                results[name] = await session.call_tool(name, {})

            group.start_soon(call, "outer")
            group.start_soon(call, "inner")
        return results["outer"], results["inner"]

    outer_result, inner_result = with_client(host, body)
    assert outer_result.structured_content == {"result": 0}, "nested pumps ran no tool"
    assert inner_result.content[0].text == "inner"
    assert ORDER == ["outer start", "outer end", "inner"]


def test_run_on_main_thread_sync_runs_there_and_returns(host: dcclink.ServerInfo) -> None:
    seen: dict[str, Any] = {}

    def worker() -> None:
        seen["result"] = dcclink.run_on_main_thread_sync(lambda x: (x, threading.get_ident()), 7)
        try:
            dcclink.run_on_main_thread_sync(lambda: 1 / 0)
        except ZeroDivisionError as error:
            seen["raised"] = error

    thread = threading.Thread(target=worker)
    thread.start()
    pump_while(thread)
    assert seen["result"] == (7, PUMPED_BY)
    assert isinstance(seen["raised"], ZeroDivisionError)


def test_the_main_thread_decorator_and_the_inline_path(host: dcclink.ServerInfo) -> None:
    @dcclink.main_thread
    def where() -> int:
        return threading.get_ident()

    assert where() == PUMPED_BY, "on the main thread it simply runs"
    call = dcclink.run_on_main_thread(where)
    dcclink.pump(10)
    assert call.wait(1) == PUMPED_BY


def test_a_main_thread_that_does_not_pump_times_out(host: dcclink.ServerInfo) -> None:
    errors: list[BaseException] = []
    ran: list[bool] = []

    def worker() -> None:
        try:
            dcclink.run_on_main_thread_sync(lambda: ran.append(True), timeout=0.2)
        except BaseException as error:
            errors.append(error)

    thread = threading.Thread(target=worker)
    started = time.monotonic()
    thread.start()
    thread.join(5)
    assert time.monotonic() - started < 3
    assert len(errors) == 1 and isinstance(errors[0], TimeoutError)
    assert "did not run" in str(errors[0]) and "withdrawn" in str(errors[0])
    dcclink.pump(10)
    assert ran == [], "a withdrawn call never runs late"


def test_using_dcclink_before_it_starts_says_how_to_start_it() -> None:
    with pytest.raises(RuntimeError, match=r"call dcclink.serve\(\).*dcclink.start\(\)"):
        dcclink.pump()


def test_stop_then_start_again(host: dcclink.ServerInfo) -> None:
    dcclink.stop()
    assert host.url is not None
    with pytest.raises(httpx2.ConnectError):
        httpx2.post(host.url, json={}, timeout=5)  # the stopped server is gone
    again = dcclink.start()

    async def body(session: ClientSession) -> Any:
        return (await session.call_tool("thread_ident", {})).structured_content

    assert with_client(again, body) == {"result": PUMPED_BY}, "the new server serves"


LAST_WORDS = threading.Event()


@dcclink.tool
def last_words() -> str:
    """The call the host stops right after."""
    LAST_WORDS.set()
    return "goodbye"


def test_a_call_that_finished_just_before_stop_still_gets_its_answer() -> None:
    info = dcclink.start()
    LAST_WORDS.clear()
    outcome: dict[str, Any] = {}

    async def main() -> None:
        assert info.url is not None
        async with sdk_session(info.url, info.token) as session:
            # The SDK lists the tools after a call's answer unless it has
            # them already; that request would race the stop.
            await session.list_tools()
            outcome["answer"] = (await session.call_tool("last_words", {})).content[0]

    client = threading.Thread(target=lambda: anyio.run(main), daemon=True)
    client.start()
    deadline = time.monotonic() + 15
    while not LAST_WORDS.is_set():
        assert time.monotonic() < deadline, "the call never came"
        dcclink.pump(10)
        time.sleep(0.001)
    dcclink.stop()  # at once: the answer may still be on its way
    client.join(15)
    assert getattr(outcome.get("answer"), "text", None) == "goodbye"


def test_content_blocks_refuse_what_mcp_cannot_carry() -> None:
    with pytest.raises(TypeError, match=r"dcclink\.Content takes str, dcclink\.Image"):
        dcclink.Content("fine", 42)
    with pytest.raises(ValueError, match="exactly one of them"):
        dcclink.EmbeddedResource("shot://sh010")
    with pytest.raises(ValueError, match="exactly one of them"):
        dcclink.EmbeddedResource("shot://sh010", text="a", blob=b"b")


def test_every_wait_refuses_a_negative_timeout_by_the_same_rule() -> None:
    from dcclink import _native

    for wait in (
        lambda: dcclink.panel.eval_js_sync("1", timeout=-1),
        lambda: _native.wait_panel_closed(-1),
    ):
        with pytest.raises(ValueError, match="timeout must be a number of seconds ≥ 0, not -1"):
            wait()
