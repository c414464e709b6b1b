"""Bad JSON-RPC gets the error JSON-RPC 2.0 prescribes, over both
transports: -32700 for what is not JSON, -32600 for batches and unusable
ids (with ``"id": null``), -32602 for a known method's malformed params;
and a request too large to read fails at once in the official SDK."""

from __future__ import annotations

from typing import Any

import anyio
import httpx2
import pytest
from conftest import ACCEPT, INIT, HttpServer
from mcp.shared.exceptions import MCPError
from test_sdk_e2e import stdio_session

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def post_raw(server: HttpServer, body: bytes, session: str = "") -> httpx2.Response:
    headers = {**ACCEPT, **server.auth, "Content-Type": "application/json"}
    if session:
        headers["mcp-session-id"] = session
    return httpx2.post(server.url, content=body, headers=headers, timeout=10)


@pytest.mark.parametrize(
    ("body", "code"),
    [
        (b"{not json", -32700),
        (b"[]", -32600),
        (b'[{"jsonrpc":"2.0","id":1,"method":"ping"}]', -32600),
        (b'{"jsonrpc":"2.0","id":null,"method":"ping"}', -32600),
    ],
)
def test_http_answers_unreadable_messages_with_json_rpc_errors(
    http_server: HttpServer, body: bytes, code: int
) -> None:
    response = post_raw(http_server, body)
    assert response.status_code == 400, response.text
    error = response.json()
    assert error["error"]["code"] == code
    assert "id" in error and error["id"] is None, error


def sse_answer(response: httpx2.Response) -> Any:
    """The JSON-RPC answer in a POST's SSE (or JSON) response."""
    import json

    if response.headers["content-type"].startswith("application/json"):
        return response.json()
    data = [line[5:] for line in response.text.splitlines() if line.startswith("data:")]
    return json.loads([d for d in data if d.strip()][-1])


def test_tools_call_with_malformed_params_is_invalid_params(http_server: HttpServer) -> None:
    import json

    opened = post_raw(http_server, json.dumps(INIT).encode())
    session = opened.headers["mcp-session-id"]
    note = b'{"jsonrpc":"2.0","method":"notifications/initialized"}'
    assert post_raw(http_server, note, session).status_code == 202
    for params in ({"name": "add", "arguments": [1, 2]}, {"name": "add", "arguments": "x"}, None):
        request: dict[str, Any] = {"jsonrpc": "2.0", "id": 5, "method": "tools/call"}
        if params is not None:
            request["params"] = params
        answer = sse_answer(post_raw(http_server, json.dumps(request).encode(), session))
        assert answer["error"]["code"] == -32602, (params, answer)
        assert answer["id"] == 5


async def test_a_request_too_large_fails_at_once_in_the_sdk_and_the_session_goes_on() -> None:
    async with stdio_session() as session:
        with anyio.fail_after(30), pytest.raises(MCPError, match="too large"):
            await session.call_tool("add", {"a": "x" * (9 * 1024 * 1024), "b": 1})
        still = await session.call_tool("add", {"a": 1, "b": 2})
    assert still.structured_content == {"result": 3}
