"""The panel in a real browser: headless Chromium (Debian's) driven by
Playwright, against `dcclink serve --http` with the official SDK as the
agent. The screenshot goes to artifacts/panel.png."""

from __future__ import annotations

import http.server
import json
import subprocess
import threading
import time
from collections.abc import Awaitable, Iterator
from contextlib import contextmanager
from typing import Any, Callable

import anyio
import httpx2
import pytest
from conftest import (
    ARTIFACTS,
    DCCLINK,
    FIXTURE_TOOLS,
    HttpServer,
    sdk_session,
    start_http,
    start_until_running,
)
from mcp import ClientSession
from mcp.shared.exceptions import MCPError
from playwright.sync_api import Browser, Page, expect
from test_tasks import TASK_TOOLS, get_task, start_task, task_result


def panel_link(server: HttpServer) -> str:
    return server.url.removesuffix("/mcp") + f"/panel?token={server.token}"


class Agent:
    """The official SDK client, calling tools from a thread of its own."""

    def __init__(self, server: HttpServer, body: Callable[[ClientSession], Awaitable[Any]]):
        self.result: Any = None
        self.error: BaseException | None = None

        async def main() -> None:
            async with sdk_session(server.url, server.token) as session:
                self.result = await body(session)

        def run() -> None:
            try:
                anyio.run(main)
            except BaseException as error:
                self.error = error

        self.thread = threading.Thread(target=run)
        self.thread.start()

    def join(self) -> Any:
        self.thread.join(30)
        assert not self.thread.is_alive(), "the agent hung"
        if self.error is not None:
            raise self.error
        return self.result


def open_panel(browser: Browser, server: HttpServer) -> Page:
    page = browser.new_page(viewport={"width": 1200, "height": 760})
    page.goto(panel_link(server))
    page.wait_for_selector("#mcp-url:not(:empty)")
    return page


def row(call: int) -> str:
    return f'tr.call[data-call="{call}"]'


def progress_of(page: Page, selector: str) -> float:
    """The progress a bar shows (read from the DOM: the page's CSP allows
    no script evaluation, not even Playwright's)."""
    return float(page.get_attribute(selector, "data-progress") or -1)


def wait_until(condition: Callable[[], bool], what: str, timeout: float = 15) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting until {what}"
        time.sleep(0.01)


def test_the_panel_needs_the_token_then_keeps_it_in_a_cookie(http_server: HttpServer) -> None:
    base = http_server.url.removesuffix("/mcp")
    with httpx2.Client(timeout=10, follow_redirects=False) as client:
        assert client.get(f"{base}/panel").status_code == 401
        assert client.get(f"{base}/panel?token=wrong").status_code == 401
        assert client.get(f"{base}/panel/events").status_code == 401
        first = client.get(panel_link(http_server))
        assert first.status_code == 303 and first.headers["location"] == "/panel"
        cookie = first.headers["set-cookie"]
        assert "HttpOnly" in cookie and "SameSite=Strict" in cookie
        page = client.get(f"{base}/panel")
        assert page.status_code == 200 and "<title>dcclink</title>" in page.text
        assert "default-src 'none'" in page.headers["content-security-policy"]
        evil = client.get(f"{base}/panel", headers={"Host": "evil.example"})
        assert evil.status_code == 403
        cross = client.post(
            f"{base}/panel/api/cancel/1", headers={"Origin": "https://evil.example"}
        )
        assert cross.status_code == 403
        # The cookie goes to every port of the host: a loopback page on
        # another port is still another site.
        other_port = client.post(
            f"{base}/panel/api/cancel/1", headers={"Origin": "http://127.0.0.1:1"}
        )
        assert other_port.status_code == 403
        own = client.post(f"{base}/panel/api/cancel/1", headers={"Origin": base})
        assert own.status_code != 403


@contextmanager
def local_site(html: str) -> Iterator[str]:
    """Serves ``html`` at a loopback address on a port of its own."""

    class Page(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = html.encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    site = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Page)
    threading.Thread(target=site.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{site.server_address[1]}/"
    finally:
        site.shutdown()


def test_a_page_on_another_local_port_cannot_use_the_panels_cookie(
    browser: Browser, http_server: HttpServer
) -> None:
    page = open_panel(browser, http_server)  # the browser now has the panel's cookie
    agent = Agent(http_server, lambda session: session.call_tool("wait_cancel", {"limit": 3}))
    page.wait_for_selector(f'{row(1)}[data-state="running"]', timeout=15_000)
    cancel = http_server.url.removesuffix("/mcp") + "/panel/api/cancel/1"
    attack = (
        f'<title>loading</title><script>fetch("{cancel}", {{method: "POST", '
        'credentials: "include", mode: "no-cors"}).then(() => { document.title = "sent" })'
        "</script>"
    )
    with local_site(attack) as url:
        page.goto(url)  # the same browser, cookie and all
        expect(page).to_have_title("sent", timeout=15_000)
    stopped = agent.join()
    assert stopped.content[0].text == "not cancelled", "a page on another port cancelled a call"
    page.close()


def test_progress_moves_live_and_the_call_finishes(
    browser: Browser, http_server: HttpServer
) -> None:
    page = open_panel(browser, http_server)

    async def body(session: ClientSession) -> Any:
        return await session.call_tool("count", {"n": 60, "delay": 0.05})

    agent = Agent(http_server, body)
    bar = f"{row(1)} .bar"
    page.wait_for_selector(f"{bar}[data-progress]", timeout=15_000)
    wait_until(lambda: progress_of(page, bar) >= 5, "the bar shows progress")
    first = progress_of(page, bar)
    wait_until(lambda: progress_of(page, bar) > first, "the bar moves")
    assert page.get_attribute(row(1), "data-state") == "running"
    style = page.get_attribute(bar, "style") or ""
    width = float(style.split("width:")[1].split("%")[0])
    assert 0 < width <= 100
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "panel.png"))
    assert agent.join().structured_content == {"result": 60}
    page.wait_for_selector(f'{row(1)}[data-state="done"]')
    page.wait_for_selector("#host.idle")
    page.close()


def test_cancel_stops_a_running_call(browser: Browser, http_server: HttpServer) -> None:
    page = open_panel(browser, http_server)

    async def body(session: ClientSession) -> Any:
        stopped = await session.call_tool("wait_cancel", {"limit": 20})
        waits = await session.call_tool("waits", {})
        return stopped, waits

    agent = Agent(http_server, body)
    page.wait_for_selector(f'{row(1)}[data-state="running"]', timeout=15_000)
    page.wait_for_selector("#host.busy")
    page.click(f"{row(1)} button.cancel")
    page.wait_for_selector(f'{row(1)}[data-state="cancelled"]', timeout=15_000)
    stopped, waits = agent.join()
    assert stopped.is_error
    assert "cancelled from the dcclink panel" in stopped.content[0].text
    assert waits.structured_content == {"result": ["cancelled"]}, "the tool saw ctx.cancelled"
    page.close()


def test_cancel_removes_a_queued_call(browser: Browser, http_server: HttpServer) -> None:
    page = open_panel(browser, http_server)

    async def body(session: ClientSession) -> Any:
        async with anyio.create_task_group() as group:
            # busy runs: add will wait in the queue
            busy = await start_until_running(session, group, "busy", {"seconds": 1.5})
            add = await session.call_tool("add", {"a": 1, "b": 2})  # the panel cancels it
        return {"busy": busy["answer"], "add": add}

    agent = Agent(http_server, body)
    page.wait_for_selector(f'{row(2)}[data-state="queued"]', timeout=15_000)
    page.click(f"{row(2)} button.cancel")
    page.wait_for_selector(f'{row(2)}[data-state="cancelled"]', timeout=15_000)
    results = agent.join()
    assert results["add"].is_error
    assert "cancelled from the dcclink panel" in results["add"].content[0].text
    assert results["busy"].content[0].text == "done"
    page.close()


def test_page_callbacks_run_on_the_main_thread_and_emits_reach_the_page(
    browser: Browser, http_server: HttpServer
) -> None:
    # Playwright's evaluate is script evaluation, which the panel's CSP
    # forbids; this page lets the test call the page's own API.
    context = browser.new_context(bypass_csp=True)
    page = context.new_page()
    page.goto(panel_link(http_server))
    page.wait_for_selector("#mcp-url:not(:empty)")
    result = page.evaluate("dcclink.call('greet', {name: 'artist'})")
    assert result == {"hello": "artist", "is_main": True}
    error = page.evaluate("dcclink.call('nope').then(() => 'resolved', (e) => e.message)")
    assert "no panel callback is called" in error
    page.evaluate("window.seen = []; dcclink.on('announce', (data) => seen.push(data.text))")

    async def body(session: ClientSession) -> Any:
        return await session.call_tool("announce", {"text": "render finished"})

    Agent(http_server, body).join()
    wait_until(lambda: page.evaluate("seen.length") == 1, "the emit reaches the page")
    assert page.evaluate("seen") == ["render finished"]
    # The log is drawn on the next animation frame, after the handler ran.
    page.wait_for_selector("#log li:has-text('announce')", timeout=5_000)
    context.close()


def test_server_warnings_reach_the_panel_log() -> None:
    server = subprocess.Popen(
        [str(DCCLINK), "serve", "--stdio", "--http", "127.0.0.1:0", "--tools", str(FIXTURE_TOOLS)],
        stdin=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert server.stderr is not None and server.stdin is not None
        info = json.loads(server.stderr.readline())
        server.stdin.write("this is not json\n")
        server.stdin.flush()
        events = info["url"].removesuffix("/mcp") + "/panel/events"
        headers = {"Authorization": f"Bearer {info['token']}"}
        deadline = time.monotonic() + 15
        with httpx2.stream("GET", events, headers=headers, timeout=15) as stream:
            for line in stream.iter_lines():
                assert time.monotonic() < deadline, "the warning never reached the panel"
                if "bad message on stdin" in line:
                    payload = json.loads(line.removeprefix("data:").strip())
                    found = [e for e in payload.get("events", [payload]) if e.get("type") == "log"]
                    assert any(e["level"] == "warning" for e in found), payload
                    break
    finally:
        server.terminate()
        server.wait(10)


def test_the_panel_lists_connected_clients(browser: Browser, http_server: HttpServer) -> None:
    page = open_panel(browser, http_server)
    assert page.text_content("#clients") == "none connected"
    connected = threading.Event()
    leave = threading.Event()

    async def body(session: ClientSession) -> None:
        await session.call_tool("add", {"a": 1, "b": 1})
        connected.set()
        await anyio.to_thread.run_sync(leave.wait, 30)

    agent = Agent(http_server, body)
    assert connected.wait(15)
    # The call's answer can reach the agent before its event reaches the page.
    client = page.locator("#clients li.client")
    expect(client).to_contain_text("mcp (http) — last call", timeout=15_000)
    leave.set()
    agent.join()  # the SDK ends its session (DELETE) on the way out
    page.wait_for_selector("#clients li.empty", timeout=15_000)
    page.close()


def ask(server: HttpServer, question: str, detail: str = "") -> Agent:
    arguments = {"question": question, "detail": detail}
    return Agent(server, lambda session: session.call_tool("ask_user", arguments))


def test_a_tool_asks_and_the_person_at_the_panel_answers(
    browser: Browser, http_server: HttpServer
) -> None:
    page = open_panel(browser, http_server)
    prompts = page.locator("#prompts")

    agent = ask(http_server, "Run this Python?", "print('hi')")
    prompt = page.locator(".prompt")
    expect(prompt).to_contain_text("ask_user asks: Run this Python?")
    expect(prompt.locator("pre")).to_have_text("print('hi')")
    prompt.locator("button.deny").click()
    assert agent.join().structured_content == {"result": False}
    expect(prompts).to_be_hidden()

    agent = ask(http_server, "And this?")
    page.locator(".prompt input[type=checkbox]").check()
    page.locator(".prompt button.allow").click()
    assert agent.join().structured_content == {"result": True}

    # The session is trusted now: the next question is not asked at all.
    assert ask(http_server, "Once more?").join().structured_content == {"result": True}
    expect(prompts).to_be_hidden()
    page.close()


def test_the_panel_asks_the_form_a_client_cannot(browser: Browser, http_server: HttpServer) -> None:
    page = open_panel(browser, http_server)
    # The SDK client here declares no elicitation, so the panel asks.
    agent = Agent(http_server, lambda session: session.call_tool("pick_take", {}))
    prompt = page.locator(".prompt")
    expect(prompt).to_contain_text("pick_take asks: Which take of sh010 should I keep?")
    fields = ["take", "camera", "Note for the artist", "approve"]  # the schema's order
    expect(prompt.locator(".field .name")).to_have_text(fields)
    expect(prompt.locator(".field.required .name")).to_have_text(["take", "camera"])

    prompt.locator("button.allow").click()  # nothing filled in yet
    assert prompt.locator("input[name=take]").evaluate("input => !input.validity.valid")
    expect(prompt).to_be_visible()  # the browser held the form back: take is required

    number = int(prompt.get_attribute("data-prompt") or "0")
    sent = httpx2.post(
        http_server.url.removesuffix("/mcp") + f"/panel/api/question/{number}",
        headers={"Authorization": f"Bearer {http_server.token}"},
        json={"action": "accept", "content": {"take": 99, "camera": "persp"}},
    )
    assert sent.status_code == 422, "the server checks the values again"
    assert "field 'take'" in sent.text and "99" in sent.text

    prompt.locator("input[name=take]").fill("3")
    prompt.locator("select[name=camera]").select_option("shot_cam")
    prompt.locator("input[name=approve]").check()
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "panel-form.png"))
    prompt.locator("button.allow").click()
    answer = agent.join().structured_content
    assert answer == {
        "action": "accept",
        "content": {"take": 3, "camera": "shot_cam", "approve": True},
    }
    expect(page.locator("#prompts")).to_be_hidden()

    agent = Agent(http_server, lambda session: session.call_tool("pick_take", {}))
    page.locator(".prompt button.deny").click()
    assert agent.join().structured_content == {"action": "decline"}
    page.close()


def test_a_question_with_no_panel_open_fails_at_once(http_server: HttpServer) -> None:
    started = time.monotonic()
    result = ask(http_server, "Anyone there?").join()
    assert result.is_error
    assert "no panel is open" in result.content[0].text
    assert time.monotonic() - started < 10, "it did not wait for nobody"


@pytest.mark.usefixtures("sdk_takes_created_tasks")
def test_a_task_is_marked_and_its_row_goes_when_it_expires(browser: Browser) -> None:
    server = start_http("--tools", str(TASK_TOOLS))
    page = open_panel(browser, server)

    async def create(session: ClientSession) -> str:
        task = await start_task(session, "which_task", {}, ttl=1000)
        await task_result(session, task.task_id)
        return task.task_id

    async def expire(session: ClientSession) -> None:
        with pytest.raises(MCPError, match="Task has expired"):
            await get_task(session, task_id)

    try:
        task_id = Agent(server, create).join()
        badge = f"{row(1)} .task-badge"
        page.wait_for_selector(badge, timeout=15_000)
        assert task_id in (page.get_attribute(badge, "title") or "")
        page.wait_for_selector(f'{row(1)}[data-state="done"]', timeout=15_000)
        time.sleep(1.2)  # past the task's time to live
        Agent(server, expire).join()
        page.wait_for_selector(row(1), state="detached", timeout=15_000)
    finally:
        page.close()
        server.process.terminate()
        server.process.wait(timeout=10)
