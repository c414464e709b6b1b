"""Minimal MCP clients, for benchmarks only: no task groups, no validation,
one request at a time. They separate what dcclink costs from what a full
client (the official SDK) adds.

- :class:`LeanHttpClient`: Streamable HTTP over one kept-alive connection.
- :class:`LeanStdioClient`: newline-delimited JSON-RPC with a child process
  (such as ``dcclink connect``), as an IDE talks to a stdio server.

Written by hand because they must be as thin as a client can be; the tests
use the official SDK."""

from __future__ import annotations

import http.client
import io
import json
import subprocess
from typing import Any, Optional
from urllib.parse import urlsplit

PROTOCOL = "2025-11-25"


class LeanClient:
    """An MCP session; subclasses carry the messages."""

    def __init__(self) -> None:
        self._next_id = 0

    def _initialize(self) -> None:
        hello = {"protocolVersion": PROTOCOL, "capabilities": {}}
        hello["clientInfo"] = {"name": "lean-bench", "version": "0"}
        self.request("initialize", hello)
        self._notify("notifications/initialized")

    def _notify(self, method: str) -> None:
        raise NotImplementedError

    def _exchange(self, message: dict[str, Any]) -> dict[str, Any]:
        """Sends a request; its answer (the message with its id)."""
        raise NotImplementedError

    def request(self, method: str, params: dict[str, Any]) -> Any:
        """Sends a request; its result (or raises with its error)."""
        self._next_id += 1
        message = {"jsonrpc": "2.0", "id": self._next_id, "method": method, "params": params}
        answer = self._exchange(message)
        if "error" in answer:
            raise RuntimeError(f"{method}: {answer['error']}")
        return answer["result"]

    def call_tool(self, name: str, arguments: dict[str, Any]) -> Any:
        return self.request("tools/call", {"name": name, "arguments": arguments})


class LeanHttpClient(LeanClient):
    """An initialized session with the server at ``url``."""

    def __init__(self, url: str, token: str) -> None:
        super().__init__()
        parts = urlsplit(url)
        self._path = parts.path
        self._connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
        self._headers = {
            "Authorization": f"Bearer {token}",
            "Content-Type": "application/json",
            "Accept": "application/json, text/event-stream",
        }
        self._initialize()

    def _post(self, message: dict[str, Any]) -> tuple[int, bytes]:
        # Bytes, so headers and body go in one send (no Nagle delay).
        self._connection.request("POST", self._path, json.dumps(message).encode(), self._headers)
        response = self._connection.getresponse()
        body = response.read()
        session = response.getheader("Mcp-Session-Id")
        if session:
            self._headers["Mcp-Session-Id"] = session
            self._headers["MCP-Protocol-Version"] = PROTOCOL
        return response.status, body

    def _notify(self, method: str) -> None:
        self._post({"jsonrpc": "2.0", "method": method})

    def _exchange(self, message: dict[str, Any]) -> dict[str, Any]:
        status, body = self._post(message)
        if status != 200:
            raise RuntimeError(f"HTTP {status}: {body[:200]!r}")
        for line in body.decode().splitlines():  # SSE: the answer is a data line
            text = line[5:].strip() if line.startswith("data:") else line
            if text.startswith("{"):
                answer = json.loads(text)
                if answer.get("id") == message["id"]:
                    return answer  # type: ignore[no-any-return]
        raise RuntimeError(f"no answer in {body[:200]!r}")

    def close(self) -> None:
        self._connection.close()


class LeanStdioClient(LeanClient):
    """An initialized session with the stdio server ``command`` starts."""

    def __init__(self, command: list[str], env: Optional[dict[str, str]] = None) -> None:
        super().__init__()
        self._process = subprocess.Popen(
            command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env, bufsize=0
        )
        # Unbuffered so that each request goes out at once; the answers are
        # read through a buffer, since an unbuffered readline() reads one
        # byte per system call (and so charges a long answer by its length).
        assert self._process.stdout is not None
        self._answers = io.BufferedReader(self._process.stdout)  # type: ignore[arg-type]
        self._initialize()

    def _send(self, message: dict[str, Any]) -> None:
        assert self._process.stdin is not None
        self._process.stdin.write(json.dumps(message).encode() + b"\n")

    def _notify(self, method: str) -> None:
        self._send({"jsonrpc": "2.0", "method": method})

    def _exchange(self, message: dict[str, Any]) -> dict[str, Any]:
        self._send(message)
        while True:
            line = self._answers.readline()
            if not line:
                raise RuntimeError("the stdio server exited")
            answer = json.loads(line)
            if answer.get("id") == message["id"]:
                return answer  # type: ignore[no-any-return]

    def close(self) -> None:
        assert self._process.stdin is not None
        self._process.stdin.close()
        self._process.wait(timeout=10)
