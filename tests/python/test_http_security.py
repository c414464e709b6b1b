"""The HTTP endpoint refuses what it must: no token, a wrong token, foreign
Host and Origin headers, oversized bodies. (Non-loopback addresses:
test_remote_access.py.)"""

from __future__ import annotations

import hashlib
import json
import os
import re
import signal
import stat
import threading
import time
from pathlib import Path

import httpx2
from conftest import ACCEPT, INIT, HttpServer, call_tools, start_http


def post(server: HttpServer, headers: dict[str, str], body: object = INIT) -> httpx2.Response:
    return httpx2.post(server.url, json=body, headers={**ACCEPT, **headers}, timeout=10)


def test_the_announced_url_is_loopback_with_a_random_token(http_server: HttpServer) -> None:
    assert http_server.url.startswith("http://127.0.0.1:")
    assert http_server.url.endswith("/mcp")
    assert len(http_server.token) >= 32


def test_a_request_with_the_token_is_served(http_server: HttpServer) -> None:
    response = post(http_server, http_server.auth)
    assert response.status_code == 200, response.text


def test_no_token_or_a_wrong_token_gets_401(http_server: HttpServer) -> None:
    missing = post(http_server, {})
    assert missing.status_code == 401
    assert missing.headers["www-authenticate"] == "Bearer"
    assert "missing bearer token" in missing.text
    wrong = post(http_server, {"Authorization": "Bearer " + "x" * 32})
    assert wrong.status_code == 401
    assert "wrong bearer token" in wrong.text


def test_a_foreign_host_header_is_refused(http_server: HttpServer) -> None:
    response = post(http_server, {**http_server.auth, "Host": "evil.example:80"})
    assert response.status_code in (400, 403), response.text


def test_a_foreign_origin_is_refused_and_a_loopback_one_accepted(http_server: HttpServer) -> None:
    evil = post(http_server, {**http_server.auth, "Origin": "https://evil.example"})
    assert evil.status_code == 403, evil.text
    local = post(http_server, {**http_server.auth, "Origin": "http://localhost:5173"})
    assert local.status_code == 200, local.text


def test_an_oversized_body_is_refused_and_the_server_keeps_serving() -> None:
    server = start_http("--max-request-bytes", "4096")
    try:
        huge = dict(INIT, params={**INIT["params"], "padding": "x" * 10_000})  # type: ignore[dict-item]
        assert post(server, server.auth, huge).status_code == 413
        assert post(server, server.auth).status_code == 200
    finally:
        server.process.terminate()
        server.process.wait(timeout=10)


def test_the_token_may_come_in_the_query_on_loopback(http_server: HttpServer) -> None:
    right = httpx2.post(
        f"{http_server.url}?token={http_server.token}", json=INIT, headers=ACCEPT, timeout=10
    )
    assert right.status_code == 200, right.text
    wrong = httpx2.post(
        f"{http_server.url}?token={'x' * 32}", json=INIT, headers=ACCEPT, timeout=10
    )
    assert wrong.status_code == 401 and "wrong bearer token" in wrong.text


def test_the_audit_log_records_each_call_without_its_arguments(http_server: HttpServer) -> None:
    calls = call_tools(
        {"url": http_server.url, "token": http_server.token},
        ("add", {"a": 2, "b": 40}),
        ("add", {"a": "secret-shot-name", "b": 1}),
    )
    assert [c.is_error for c in calls] == [False, True]
    log = Path(os.environ["DCCLINK_RUNTIME_DIR"]) / "audit" / f"{http_server.instance}.jsonl"
    deadline = time.monotonic() + 10  # a thread of its own writes the log
    while not log.exists() or log.read_text().count("\n") < 2:
        assert time.monotonic() < deadline, "the audit log did not get both calls"
        time.sleep(0.02)
    assert stat.S_IMODE(log.stat().st_mode) == 0o600
    text = log.read_text()
    assert "secret-shot-name" not in text, "arguments are digested, never written"
    lines = [json.loads(line) for line in text.splitlines()]
    assert [(entry["name"], entry["outcome"]) for entry in lines] == [
        ("add", "ok"),
        ("add", "error"),
    ]
    digest = hashlib.sha256(json.dumps({"a": 2, "b": 40}, separators=(",", ":")).encode())
    assert lines[0]["arguments_sha256"] == digest.hexdigest()
    assert lines[0]["client"] == "mcp (http)" and lines[0]["kind"] == "tool"
    assert lines[0]["ms"] >= 0 and lines[0]["time"] > 1.7e9


def test_sigterm_exits_cleanly(http_server: HttpServer) -> None:
    http_server.process.terminate()
    assert http_server.process.wait(timeout=5) == 0


def test_ctrl_c_exits_cleanly(http_server: HttpServer) -> None:
    http_server.process.send_signal(signal.SIGINT)
    assert http_server.process.wait(timeout=5) == 0


def open_session(server: HttpServer, client: httpx2.Client) -> dict[str, str]:
    """Initializes a session over raw HTTP; returns the headers that use it."""
    response = post(server, server.auth)
    headers = {**ACCEPT, **server.auth, "mcp-session-id": response.headers["mcp-session-id"]}
    note = {"jsonrpc": "2.0", "method": "notifications/initialized"}
    client.post(server.url, json=note, headers=headers)
    return headers


def test_ending_a_session_cancels_its_running_call(http_server: HttpServer) -> None:
    with httpx2.Client(timeout=30) as client:
        headers = open_session(http_server, client)
        call = {
            "jsonrpc": "2.0",
            "id": 2,
            "method": "tools/call",
            "params": {
                "name": "wait_cancel",
                "arguments": {"limit": 20},
                "_meta": {"progressToken": "started"},
            },
        }
        running = threading.Event()

        def caller() -> None:
            with client.stream("POST", http_server.url, json=call, headers=headers) as answer:
                for line in answer.iter_lines():
                    if "notifications/progress" in line:
                        running.set()  # the tool's first progress: it runs

        threading.Thread(target=caller, daemon=True).start()
        assert running.wait(30), "wait_cancel never started"
        assert client.delete(http_server.url, headers=headers).status_code in (200, 202, 204)
        started = time.monotonic()
        other = open_session(http_server, client)
        ask = {
            "jsonrpc": "2.0",
            "id": 3,
            "method": "tools/call",
            "params": {"name": "waits", "arguments": {}},
        }
        answer = client.post(http_server.url, json=ask, headers=other)
        assert '\\"cancelled\\"' in answer.text, answer.text
        # rmcp drains a closed session for up to 5 s before it cancels.
        assert time.monotonic() - started < 10


#: Every route the HTTP server has, and a request to it: `test_the_route_table_is_whole`
#: keeps this in step with the code.
ROUTES = [
    ("POST", "/mcp"),
    ("GET", "/mcp"),
    ("DELETE", "/mcp"),
    ("GET", "/panel"),
    ("GET", "/panel/panel.js"),
    ("GET", "/panel/panel.css"),
    ("GET", "/panel/events"),
    ("POST", "/panel/api/cancel/1"),
    ("POST", "/panel/api/call/greet"),
    ("POST", "/panel/api/question/1"),
]
SERVER_SOURCE = Path(__file__).resolve().parents[2] / "server" / "src"


def test_the_route_table_is_whole() -> None:
    declared = {
        path
        for source in SERVER_SOURCE.rglob("*.rs")
        for path in re.findall(r'\.route(?:_service)?\(\s*"([^"]+)"', source.read_text())
    }
    tested = {re.sub(r"/\d+$|/greet$", "", path) for _, path in ROUTES}
    declared = {re.sub(r"/\{\w+\}$", "", path) for path in declared}
    assert declared == tested, f"untested routes: {declared - tested}"


def test_every_route_refuses_a_request_without_the_token(http_server: HttpServer) -> None:
    base = http_server.url.removesuffix("/mcp")
    for method, path in ROUTES:
        for headers in ({}, {"Authorization": "Bearer " + "x" * 32}):
            response = httpx2.request(
                method, base + path, headers={**ACCEPT, **headers}, json=INIT, timeout=10
            )
            assert response.status_code == 401, (method, path, headers, response.status_code)


def test_a_token_in_the_query_opens_only_mcp_and_the_panel_page(http_server: HttpServer) -> None:
    base = http_server.url.removesuffix("/mcp")
    query = f"?token={http_server.token}"
    opened = {
        (method, path): httpx2.request(
            method, base + path + query, headers=ACCEPT, json=INIT, timeout=10
        ).status_code
        for method, path in ROUTES
        if method != "GET" or path != "/panel/events"  # it would stay open if let in
    }
    events = httpx2.get(f"{base}/panel/events{query}", headers=ACCEPT, timeout=10)
    opened[("GET", "/panel/events")] = events.status_code
    # Documented (SECURITY.md): /mcp on loopback, for clients that cannot
    # send headers, and the panel's page, whose link sets a cookie.
    let_in = {key for key, status in opened.items() if status != 401}
    assert let_in == {("POST", "/mcp"), ("GET", "/mcp"), ("DELETE", "/mcp"), ("GET", "/panel")}, (
        opened
    )


def test_no_token_reaches_the_log_or_the_audit_file(env: dict[str, str]) -> None:
    """With every crate logging at trace level: the token sent in a header,
    in a query, in the panel's link and cookie, and a wrong one."""
    server = start_http(log="trace", env=env)
    try:
        base = server.url.removesuffix("/mcp")
        call_tools(
            {"url": server.url, "token": server.token},
            ("add", {"a": 1, "b": 2}),
            ("count", {"n": 3}),
        )
        httpx2.post(f"{server.url}?token={server.token}", json=INIT, headers=ACCEPT, timeout=10)
        link = httpx2.get(f"{base}/panel?token={server.token}", timeout=10)
        assert link.status_code == 303, "the link sets the cookie and drops the token"
        page = httpx2.get(f"{base}/panel", cookies=link.cookies, timeout=10)
        assert page.status_code == 200
        wrong = "w" * 32
        httpx2.post(server.url, json=INIT, headers={**ACCEPT, "Authorization": f"Bearer {wrong}"})
    finally:
        server.process.terminate()
        _, log = server.process.communicate(timeout=10)
    assert len(log) > 10_000, "trace logging was on"
    audit = Path(env["DCCLINK_RUNTIME_DIR"]) / "audit" / f"{server.instance}.jsonl"
    recorded = audit.read_text()
    assert '"name":"add"' in recorded
    for secret in (server.token, wrong):
        assert secret not in log, "a token reached the log"
        assert secret not in recorded, "a token reached the audit file"
