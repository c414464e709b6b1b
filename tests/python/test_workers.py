"""Worker pools (``dcclink.workers``) of real headless Blender workers: the
``bpy`` 5.0.1 module in ``.venv-blender``, two of them, each a ``dcclink
serve --stdio --worker`` child of the pool's process.

The pool is driven as a TD's script drives it (from this process), and as
an agent does: through a host tool that maps over the pool, called by the
official SDK, which sees the progress and cancels."""

from __future__ import annotations

import base64
import io
import json
import os
import signal
import subprocess
import threading
import time
from collections.abc import Awaitable, Iterator
from typing import Any, Callable

import anyio
import PIL.Image
import pytest
from blender_processes import BLENDER_PYTHON, alive
from conftest import (
    DCCLINK,
    ROOT,
    HttpServer,
    announcement,
    start_http,
    start_until_running,
)
from dcclink.workers import ItemError, Pool, WorkerError
from dcclink.workers._slot import Slot
from mcp import ClientSession
from playwright.sync_api import Browser, expect
from test_panel_browser import Agent, open_panel, wait_until
from test_tasks import start_task, task_result

pytestmark = pytest.mark.skipif(
    not BLENDER_PYTHON.exists() and not os.environ.get("DCCLINK_REQUIRE_BLENDER"),
    reason="needs .venv-blender with bpy (cargo xtask setup makes it)",
)

TOOLS = ROOT / "tests" / "fixtures" / "pool_tools.py"
HOST_TOOLS = ROOT / "tests" / "fixtures" / "pool_host.py"
#: Generous: catches a hang, never times a run.
BOUND = 30.0


def blender_pool(size: int = 2) -> Pool:
    return Pool([TOOLS], size=size, python=str(BLENDER_PYTHON))


@pytest.fixture(scope="module")
def pool() -> Iterator[Pool]:
    with blender_pool() as started:
        yield started


def test_items_run_in_parallel_on_two_blender_workers(pool: Pool) -> None:
    first, second = pool.map("where", [{"seconds": 1.0, "index": i} for i in range(2)])
    assert {first["blender"], second["blender"]} == {"5.0.1"}
    assert first["pid"] != second["pid"]
    assert first["start"] < second["end"] and second["start"] < first["end"], "they did not overlap"


def test_results_come_back_in_the_items_order(pool: Pool) -> None:
    # Even items sleep, odd ones do not: they end out of order.
    items = [{"seconds": 0.2 if i % 2 == 0 else 0.0, "index": i} for i in range(8)]
    results = pool.map("where", items)
    assert [result["index"] for result in results] == list(range(8))
    assert len({result["pid"] for result in results}) == 2


def test_a_failed_item_names_itself_and_its_worker(pool: Pool) -> None:
    pids = {worker["pid"] for worker in pool.status()["workers"]}
    with pytest.raises(ItemError) as raised:
        pool.call("fail", {"message": "the mesh has no faces"})
    assert raised.value.index == 0 and raised.value.tool == "fail"
    assert "the mesh has no faces" in str(raised.value)
    assert raised.value.worker is not None
    assert any(f"pid {pid} " in raised.value.worker for pid in pids), raised.value.worker

    results = pool.map(
        "fail", [{"message": "first"}, {"message": "second"}], return_exceptions=True
    )
    assert [type(result) for result in results] == [ItemError, ItemError]
    assert [(result.index, "first" in str(result)) for result in results] == [
        (0, True),
        (1, False),
    ]


def test_an_unknown_tool_is_refused_before_anything_runs(pool: Pool) -> None:
    with pytest.raises(ValueError, match=r"no tool 'render'.*subdivide"):
        pool.map("render", [{}])


def test_a_worker_killed_mid_item_is_replaced_and_only_the_idempotent_item_runs_again() -> None:
    with blender_pool() as pool:
        results: dict[str, Any] = {}

        def run(tool: str) -> None:
            try:
                results[tool] = pool.call(tool, {"seconds": 2.0})
            except ItemError as error:
                results[tool] = error

        callers = [threading.Thread(target=run, args=(t,)) for t in ("where", "where_again")]
        for caller in callers:
            caller.start()
        busy = lambda: [w for w in pool.status()["workers"] if w["state"] == "busy"]  # noqa: E731
        wait_until(lambda: len(busy()) == 2, "both items run", BOUND)
        killed = {worker["pid"] for worker in busy()}
        for pid in killed:
            os.kill(pid, signal.SIGKILL)
        for caller in callers:
            caller.join(BOUND)
            assert not caller.is_alive()

        again = results["where_again"]
        assert isinstance(again, dict), again
        assert again["pid"] not in killed, "the idempotent item did not run on another worker"

        lost = results["where"]
        assert isinstance(lost, ItemError), lost
        assert "died while running it" in str(lost)
        assert "not marked idempotent" in str(lost)
        assert lost.worker is not None and any(f"pid {pid} " in lost.worker for pid in killed)

        workers = pool.status()["workers"]
        assert [worker["replaced"] for worker in workers] == [1, 1]
        assert all(worker["state"] == "idle" for worker in workers)
        assert not {worker["pid"] for worker in workers} & killed
        # The replacements work.
        assert len({r["pid"] for r in pool.map("where", [{"seconds": 0.5}] * 2)}) == 2


def test_a_tool_module_that_fails_to_import_stops_the_pool_from_starting() -> None:
    with pytest.raises(WorkerError) as raised:
        Pool([TOOLS, "studio_tools_that_do_not_exist"], size=2, python=str(BLENDER_PYTHON))
    message = str(raised.value)
    assert message.startswith("the pool did not start")
    assert "ModuleNotFoundError: No module named 'studio_tools_that_do_not_exist'" in message
    assert "worker 0" in message and "worker 1" in message


def test_a_fault_in_the_pool_itself_fails_the_item_instead_of_leaving_it_waiting(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def broken(*_: Any) -> None:
        raise RuntimeError("a bug in the pool")

    with blender_pool(size=1) as pool:
        monkeypatch.setattr(Slot, "_settle", broken)
        with pytest.raises(ItemError, match=r"the pool failed while running it.*a bug in the pool"):
            within(BOUND, lambda: pool.call("where"))
        # Its only worker's thread is gone: later items fail at once, saying why.
        with pytest.raises(ItemError, match=r"every worker of the pool died.*a bug in the pool"):
            within(BOUND, lambda: pool.call("where"))


def within(bound: float, action: Callable[[], Any]) -> Any:
    """``action()``, from a thread of its own; fails the test when it does
    not return within ``bound`` (a wait the pool left unbounded)."""
    out: dict[str, Any] = {}

    def run() -> None:
        try:
            out["value"] = action()
        except BaseException as error:
            out["error"] = error

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(bound)
    assert not thread.is_alive(), f"it did not return within {bound} s"
    if "error" in out:
        raise out["error"]
    return out["value"]


def test_closing_the_pool_leaves_no_worker_process() -> None:
    pool = blender_pool()
    pids = [worker["pid"] for worker in pool.status()["workers"]]
    assert all(alive(pid) for pid in pids)
    pool.call("where", {"seconds": 0.1})
    pool.close()
    assert not [pid for pid in pids if alive(pid)]
    with pytest.raises(WorkerError, match="closed"):
        pool.call("where")


@pytest.fixture
def host() -> Iterator[HttpServer]:
    """A dcclink instance whose tools map over a pool of Blender workers."""
    env = {**os.environ, "DCCLINK_TEST_WORKER_PYTHON": str(BLENDER_PYTHON)}
    server = start_http("--tools", str(HOST_TOOLS), env=env)
    yield server
    server.process.terminate()
    server.process.wait(timeout=BOUND)


def session_run(server: HttpServer, body: Callable[[ClientSession], Awaitable[Any]]) -> Any:
    """Runs ``body`` with an SDK session, from a thread of its own (the
    browser's event loop may hold this one's)."""
    return Agent(server, body).join()


def test_an_agent_sees_the_maps_progress_rise_and_its_results_in_order(
    host: HttpServer,
) -> None:
    async def body(session: Any) -> Any:
        seen: list[tuple[float, Any]] = []

        async def on_progress(progress: float, total: Any, message: Any) -> None:
            seen.append((progress, total))

        result = await session.call_tool(
            "map_where", {"n": 6, "seconds": 0.1}, progress_callback=on_progress
        )
        return result, seen

    result, seen = session_run(host, body)
    assert not result.is_error, result.content
    indices = [item["index"] for item in result.structured_content["result"]]
    assert indices == list(range(6))
    progress = [value for value, _ in seen]
    assert progress == sorted(progress) and progress[-1] == 6, seen
    assert {total for _, total in seen} == {6}


def test_cancelling_a_map_leaves_every_worker_idle_and_alive(host: HttpServer) -> None:
    async def body(session: Any) -> Any:
        status = (await session.call_tool("pool_status", {})).structured_content
        async with anyio.create_task_group() as group:
            await start_until_running(session, group, "map_where", {"n": 6, "seconds": 20.0})
            # The map runs off the main thread, so the pool's status answers meanwhile.
            with anyio.fail_after(BOUND):
                while True:
                    now = (await session.call_tool("pool_status", {})).structured_content
                    if [w["state"] for w in now["workers"]] == ["busy", "busy"]:
                        break
                    await anyio.sleep(0.05)
            assert now["queued"] == 4
            group.cancel_scope.cancel()
        cancelled_at = time.monotonic()
        after = await session.call_tool("map_where", {"n": 2, "seconds": 0.0})
        return (
            status,
            after,
            time.monotonic() - cancelled_at,
            await session.call_tool("pool_status", {}),
        )

    before, after, took, status = session_run(host, body)
    assert not after.is_error, after.content
    pids = {worker["pid"] for worker in before["workers"]}
    assert {item["pid"] for item in after.structured_content["result"]} == pids
    # Each worker stopped its 20 s item when cancelled, so the next map ran at once.
    assert took < 10, f"the workers took {took:.1f} s to become free"
    workers = status.structured_content["workers"]
    assert [(w["state"], w["replaced"]) for w in workers] == [("idle", 0), ("idle", 0)]
    assert status.structured_content["queued"] == 0


@pytest.fixture
def farm(env: dict[str, str]) -> Iterator[HttpServer]:
    """``dcclink serve --workers 2``: a farm instance of two Blender workers."""
    serve = ["serve", "--http", "127.0.0.1:0", "--workers", "2"]
    workers = ["--worker-python", str(BLENDER_PYTHON), "--tools", str(TOOLS)]
    process = subprocess.Popen(
        [str(DCCLINK), *serve, *workers],
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    info = announcement(process)
    yield HttpServer(process, info["url"], info["token"], info["instance"])
    process.terminate()
    process.wait(timeout=BOUND)


def test_a_farm_runs_two_slow_calls_at_once_and_answers_meanwhile(
    farm: HttpServer, env: dict[str, str]
) -> None:
    async def body(session: Any) -> Any:
        async with anyio.create_task_group() as group:
            first = await start_until_running(session, group, "where", {"seconds": 3.0})
            second = await start_until_running(session, group, "where", {"seconds": 3.0})
            with anyio.fail_after(1.5):
                await session.send_ping()
                listed = await session.list_tools()
            assert not first and not second, "a call ended before ping and tools/list answered"
        return first["answer"], second["answer"], listed

    first, second, listed = session_run(farm, body)
    a, b = first.structured_content, second.structured_content
    assert a["pid"] != b["pid"] and {a["blender"], b["blender"]} == {"5.0.1"}
    assert a["start"] < b["end"] and b["start"] < a["end"], "the calls did not overlap"
    tools = {tool.name: tool for tool in listed.tools}
    assert set(tools) == {"where", "where_again", "fail", "subdivide"}
    assert tools["where_again"].annotations.idempotent_hint is True

    shown = subprocess.run(
        [str(DCCLINK), "list", "--json"], capture_output=True, text=True, env=env, check=True
    )
    (entry,) = [json.loads(line) for line in shown.stdout.splitlines()]
    assert (entry["dcc"], entry["scene"]) == ("farm", "2 local workers")


def test_the_panel_shows_the_farms_workers_and_their_items(
    farm: HttpServer, browser: Browser
) -> None:
    page = open_panel(browser, farm)
    workers = "#pools [data-pool] tbody tr"
    try:
        expect(page.locator(workers)).to_have_count(2, timeout=15_000)
        expect(page.locator(f'{workers}[data-state="idle"]')).to_have_count(2)

        async def two_calls(session: ClientSession) -> None:
            async with anyio.create_task_group() as group:
                for index in range(2):
                    group.start_soon(session.call_tool, "where", {"seconds": 2.0, "index": index})

        agent = Agent(farm, two_calls)
        busy = page.locator(f'{workers}[data-state="busy"] .item')
        # Each worker's own progress shows beside its item.
        expect(busy).to_have_text(["#0 where · sleeping"] * 2, timeout=15_000)
        agent.join()
        expect(page.locator("#pools .counts")).to_have_text(
            "2 done · 0 failed · 0 queued", timeout=15_000
        )
        expect(page.locator(f'{workers}[data-state="idle"]')).to_have_count(2)
    finally:
        page.close()


@pytest.mark.usefixtures("sdk_takes_created_tasks")
def test_the_turntables_example_runs_as_a_task_and_returns_a_contact_sheet() -> None:
    env = {**os.environ, "BLENDER_PYTHON": str(BLENDER_PYTHON)}
    server = start_http("--tools", str(ROOT / "examples" / "turntables.py"), env=env)

    async def body(session: ClientSession) -> Any:
        task = await start_task(session, "render_turntables", {"count": 5, "size": 64})
        assert task.status == "working"
        return await task_result(session, task.task_id)

    try:
        result = session_run(server, body)
    finally:
        server.process.terminate()
        server.process.wait(timeout=BOUND)
    assert not result.is_error, result.content
    (image,) = result.content
    sheet = PIL.Image.open(io.BytesIO(base64.b64decode(image.data)))
    assert sheet.size == (3 * 64, 2 * 64)  # 5 frames, 3 columns
    # Each of the five frames shows an object in a colour of its own.
    centres = [sheet.getpixel((64 * (i % 3) + 32, 64 * (i // 3) + 32)) for i in range(5)]
    assert len(set(centres)) == 5, centres
