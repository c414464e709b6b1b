"""One soak client: ``count`` calls of ``stamp``, one after another, 5% of
them cancelled while they run. Over HTTP it speaks to the instance
itself; over stdio it goes through ``dcclink connect``, as an IDE does.

    python client.py http|stdio URL TOKEN INSTANCE TAG FIRST COUNT SEED

It prints ``progress N`` after each answer, then one JSON line: what it
sent, what was answered, and the calls it never heard back about (lost)."""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import threading
from typing import Any, Callable

import httpx2

#: How long an answer may take (generous: a slow one is a finding, not a loss).
BOUND = 60.0
#: How long to wait for the answer to a cancelled call, which may not come.
CANCELLED_BOUND = 0.2
INIT = {
    "jsonrpc": "2.0",
    "id": 0,
    "method": "initialize",
    "params": {
        "protocolVersion": "2025-11-25",
        "capabilities": {},
        "clientInfo": {"name": "soak", "version": "0"},
    },
}
INITIALIZED = {"jsonrpc": "2.0", "method": "notifications/initialized"}


def cancel_of(id: int) -> dict[str, Any]:
    return {"jsonrpc": "2.0", "method": "notifications/cancelled", "params": {"requestId": id}}


class Http:
    """A 2025-11-25 session, one POST per message."""

    def __init__(self, url: str, token: str) -> None:
        self.url = url
        accept = "application/json, text/event-stream"
        self.client = httpx2.Client(
            timeout=BOUND, headers={"Authorization": f"Bearer {token}", "Accept": accept}
        )
        opened = self.client.post(url, json=INIT)
        opened.raise_for_status()
        self.client.headers["mcp-session-id"] = opened.headers["mcp-session-id"]
        self.client.headers["mcp-protocol-version"] = "2025-11-25"
        self.client.post(url, json=INITIALIZED)

    def call(self, request: dict[str, Any], on_sent: Callable[[], None], bound: float) -> Any:
        """The answer to ``request`` (None when it was cancelled); the
        stream of a cancelled one ends at once, so ``bound`` is moot."""
        with self.client.stream("POST", self.url, json=request) as response:
            on_sent()
            for line in response.iter_lines():
                if line.startswith("data:") and line[5:].strip():
                    message = json.loads(line[5:])
                    if message.get("id") == request["id"]:
                        return message
        return None

    def notify(self, message: dict[str, Any]) -> None:
        self.client.post(self.url, json=message)


class Stdio:
    """``dcclink connect``, as an IDE starts it."""

    def __init__(self, instance: str) -> None:
        dcclink = os.path.join(os.path.dirname(sys.executable), "dcclink")
        self.process = subprocess.Popen(
            [dcclink, "connect", "--instance", instance],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )
        self.lock = threading.Lock()
        self.answers: dict[int, Any] = {}
        self.arrived = threading.Condition()
        threading.Thread(target=self.read, daemon=True).start()
        self.send(INIT)
        self.wait(0, BOUND)
        self.send(INITIALIZED)

    def read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            message = json.loads(line)
            if "id" in message and "method" not in message:
                with self.arrived:
                    self.answers[message["id"]] = message
                    self.arrived.notify_all()

    def send(self, message: dict[str, Any]) -> None:
        assert self.process.stdin is not None
        with self.lock:
            self.process.stdin.write(json.dumps(message).encode() + b"\n")
            self.process.stdin.flush()

    def wait(self, id: int, bound: float) -> Any:
        with self.arrived:
            self.arrived.wait_for(lambda: id in self.answers, timeout=bound)
            return self.answers.pop(id, None)

    def call(self, request: dict[str, Any], on_sent: Callable[[], None], bound: float) -> Any:
        self.send(request)
        on_sent()
        return self.wait(request["id"], bound)

    def notify(self, message: dict[str, Any]) -> None:
        self.send(message)


def main() -> None:
    transport, url, token, instance, tag, first, count, seed = sys.argv[1:]
    rng = random.Random(int(seed))
    link: Http | Stdio = Http(url, token) if transport == "http" else Stdio(instance)
    answered = cancelled = 0
    lost: list[int] = []
    for n in range(int(first), int(first) + int(count)):
        cancel = rng.random() < 0.05
        arguments = {"client": tag, "n": n, "seconds": 0.02 if cancel else 0.0}
        request = {
            "jsonrpc": "2.0",
            "id": n,
            "method": "tools/call",
            "params": {"name": "stamp", "arguments": arguments},
        }

        def on_sent(n: int = n, cancel: bool = cancel) -> None:
            if cancel:
                timer = threading.Timer(0.005, link.notify, args=(cancel_of(n),))
                timer.start()

        # A cancelled call gets no answer (MCP says so), unless it ended
        # before its cancel arrived: waiting for one is bounded short.
        answer = link.call(request, on_sent, CANCELLED_BOUND if cancel else BOUND)
        if cancel:
            cancelled += 1
        elif answer is None or answer.get("result", {}).get("structuredContent") != {"result": n}:
            lost.append(n)
        else:
            answered += 1
        print(f"progress {n}", flush=True)
    summary = {"tag": tag, "answered": answered, "cancelled": cancelled, "lost": lost}
    print(json.dumps(summary), flush=True)


if __name__ == "__main__":
    main()
