"""A minimal MCP client over Streamable HTTP, for benchmarks only: one kept-
alive connection, no task groups, no validation. It separates what dcclink
costs from what a full client (the official SDK) adds on its side.

Written by hand because it must be as thin as a client can be; the tests use
the official SDK."""

from __future__ import annotations

import http.client
import json
from typing import Any
from urllib.parse import urlsplit

PROTOCOL = "2025-11-25"


class LeanClient:
    """An initialized session with the server at ``url``."""

    def __init__(self, url: str, token: str) -> None:
        parts = urlsplit(url)
        self._path = parts.path
        self._connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
        self._headers = {
            "Authorization": f"Bearer {token}",
            "Content-Type": "application/json",
            "Accept": "application/json, text/event-stream",
        }
        self._next_id = 0
        hello = {"protocolVersion": PROTOCOL, "capabilities": {}}
        hello["clientInfo"] = {"name": "lean-bench", "version": "0"}
        self.request("initialize", hello)
        self._headers["MCP-Protocol-Version"] = PROTOCOL
        self._post({"jsonrpc": "2.0", "method": "notifications/initialized"})

    def _post(self, message: dict[str, Any]) -> tuple[http.client.HTTPResponse, bytes]:
        # Bytes, so headers and body go in one send (no Nagle delay).
        self._connection.request("POST", self._path, json.dumps(message).encode(), self._headers)
        response = self._connection.getresponse()
        body = response.read()
        session = response.getheader("Mcp-Session-Id")
        if session:
            self._headers["Mcp-Session-Id"] = session
        return response, body

    def request(self, method: str, params: dict[str, Any]) -> Any:
        """Sends a request; its result (or raises with its error)."""
        self._next_id += 1
        message = {"jsonrpc": "2.0", "id": self._next_id, "method": method, "params": params}
        response, body = self._post(message)
        if response.status != 200:
            raise RuntimeError(f"{method}: HTTP {response.status}: {body[:200]!r}")
        for line in body.decode().splitlines():  # SSE: the answer is a data line
            text = line[5:].strip() if line.startswith("data:") else line
            if text.startswith("{"):
                answer = json.loads(text)
                if answer.get("id") == self._next_id:
                    if "error" in answer:
                        raise RuntimeError(f"{method}: {answer['error']}")
                    return answer["result"]
        raise RuntimeError(f"{method}: no answer in {body[:200]!r}")

    def call_tool(self, name: str, arguments: dict[str, Any]) -> Any:
        return self.request("tools/call", {"name": name, "arguments": arguments})

    def close(self) -> None:
        self._connection.close()
