"""Protocol fuzzing against the real server: Hypothesis draws sequences of
valid and invalid messages (calls, cancels of live, finished and unknown
ids, pings, list requests, malformed lines, huge and deeply nested values,
odd Unicode, duplicate ids, notifications with ids, batches), and a raw
client sends them to one `dcclink serve`, over stdio and over HTTP.

After each sequence:
- every request got exactly one answer (a cancelled one at most one);
- the calls ran in arrival order, each at most once;
- nothing but JSON-RPC reached stdout;
- the server still answers.

One server serves every sequence of a transport, so what one sequence
leaves behind meets the next."""

from __future__ import annotations

import contextlib
import json
import queue
import subprocess
import threading
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Optional

import httpx2
import pytest
from conftest import ACCEPT, DCCLINK, FIXTURE_TOOLS, INIT, HttpServer, start_http
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

#: How long the answers to one sequence may take (generous: catches hangs).
BOUND = 10.0
#: What a line may hold without breaking the framing.
LINE_TEXT = st.text(st.characters(exclude_characters="\n\r", exclude_categories=["Cs"]))


@dataclass
class Message:
    """One line to send, and what the server owes for it."""

    body: bytes
    #: The id a request is answered with, if it is a request.
    id: Any = None
    #: The call number a `stamp` call records, if it is one.
    stamp: Optional[int] = None
    #: Answered without an id (`"id": null`): a batch, a line that is not
    #: JSON-RPC.
    null_answer: bool = False
    #: The id of the request this cancels, if it is a cancel.
    cancels: Any = None


def request(id: Any, method: str, params: Optional[dict[str, Any]] = None) -> dict[str, Any]:
    message: dict[str, Any] = {"jsonrpc": "2.0", "id": id, "method": method}
    if params is not None:
        message["params"] = params
    return message


def line(message: Any) -> bytes:
    return json.dumps(message).encode()


@st.composite
def sequences(draw: st.DrawFn, run: str) -> list[Message]:
    """A sequence of messages; ids are unique to ``run`` unless a message
    repeats one on purpose."""
    sent: list[Message] = []
    kinds = st.sampled_from(
        [
            "call",
            "call",
            "call",
            "cancel",
            "ping",
            "list",
            "malformed",
            "batch",
            "huge",
            "deep",
            "unicode",
            "duplicate",
            "notification_with_id",
            "notification",
        ]
    )
    for n in range(draw(st.integers(1, 25))):
        kind = draw(kinds)
        id = f"{run}-{n}" if draw(st.booleans()) else abs(hash((run, n))) % 10**12
        if kind == "call":
            seconds = draw(st.sampled_from([0.0, 0.0, 0.005, 0.05]))
            arguments = {"n": n, "seconds": seconds}
            sent.append(
                Message(
                    line(request(id, "tools/call", {"name": "stamp", "arguments": arguments})),
                    id=id,
                    stamp=n,
                )
            )
        elif kind == "cancel":
            earlier = [m.id for m in sent if m.id is not None]
            target = draw(st.sampled_from([*earlier, f"{run}-unknown"]))
            params = {"requestId": target, "reason": "fuzz"}
            body = line({"jsonrpc": "2.0", "method": "notifications/cancelled", "params": params})
            sent.append(Message(body, cancels=target))
        elif kind == "ping":
            sent.append(Message(line(request(id, "ping")), id=id))
        elif kind == "list":
            method = draw(st.sampled_from(["tools/list", "resources/list", "prompts/list"]))
            sent.append(Message(line(request(id, method)), id=id))
        elif kind == "malformed":
            text = draw(LINE_TEXT.filter(lambda text: text.strip() and not_json(text)))
            sent.append(Message(text.encode(), null_answer=True))
        elif kind == "batch":
            batch = [request(f"{id}-a", "ping"), request(f"{id}-b", "tools/list")]
            sent.append(Message(line(batch), null_answer=True))
        elif kind == "huge":
            size = draw(st.sampled_from([64 * 1024, 1024 * 1024]))
            sent.append(Message(line(request(id, "ping", {"note": "x" * size})), id=id))
        elif kind == "deep":
            depth = draw(st.sampled_from([50, 200, 5000]))
            body = b'{"jsonrpc":"2.0","id":%s,"method":"ping","params":{"d":%s%s}}' % (
                json.dumps(id).encode(),
                b"[" * depth,
                b"]" * depth,
            )
            sent.append(Message(body, id=id))
        elif kind == "unicode":
            text = draw(st.text(st.characters(exclude_categories=()), min_size=1, max_size=50))
            # ensure_ascii writes a lone surrogate as its escape, which is
            # not JSON a strict parser takes: answered with the id anyway.
            body = json.dumps(request(id, "ping", {"note": text}), ensure_ascii=True)
            sent.append(Message(body.encode(), id=id))
        elif kind == "duplicate":
            earlier = [m.id for m in sent if m.id is not None]
            reused = draw(st.sampled_from(earlier)) if earlier else id
            sent.append(Message(line(request(reused, "ping")), id=reused))
        elif kind == "notification_with_id":
            sent.append(Message(line(request(id, "notifications/initialized")), id=id))
        else:
            body = line({"jsonrpc": "2.0", "method": "notifications/progress", "params": {}})
            sent.append(Message(body))
    return sent


def not_json(text: str) -> bool:
    try:
        json.loads(text)
    except ValueError:
        return True
    return False


@dataclass
class Owed:
    """What the server owes one sequence."""

    #: For each id: how many answers at least and at most.
    answers: dict[Any, tuple[int, int]]
    null_answers: int
    #: The call numbers in arrival order; the cancelled ones may not run.
    calls: list[int]
    cancelled_calls: set[int]


def owed(messages: list[Message]) -> Owed:
    counts: Counter[str] = Counter()
    cancelled: set[str] = set()
    for message in messages:
        if message.id is not None:
            counts[json.dumps(message.id)] += 1
        if message.cancels is not None and json.dumps(message.cancels) in counts:
            cancelled.add(json.dumps(message.cancels))
    answers = {key: (0 if key in cancelled else count, count) for key, count in counts.items()}
    calls = [m.stamp for m in messages if m.stamp is not None]
    cancelled_calls = {
        m.stamp for m in messages if m.stamp is not None and json.dumps(m.id) in cancelled
    }
    return Owed(answers, sum(m.null_answer for m in messages), calls, cancelled_calls)


def check(due: Owed, answered: list[dict[str, Any]], ran: list[int]) -> None:
    """The invariants, for the answers to one sequence and the calls that
    ran meanwhile."""
    by_id: Counter[str] = Counter(json.dumps(a["id"]) for a in answered if a["id"] is not None)
    for key, (least, most) in due.answers.items():
        assert least <= by_id[key] <= most, f"{key}: {by_id[key]} answers, owed {least}..{most}"
    assert set(by_id) <= set(due.answers), f"answers to no request: {set(by_id) - set(due.answers)}"
    nulls = [a for a in answered if a["id"] is None]
    assert len(nulls) == due.null_answers, nulls
    assert len(ran) == len(set(ran)), f"a call ran twice: {ran}"
    assert ran == [n for n in due.calls if n in ran], f"out of arrival order: {ran}"
    done = [
        a["result"]["structuredContent"]["result"]
        for a in answered
        if isinstance(a.get("result", {}).get("structuredContent", {}).get("result"), int)
    ]
    assert set(done) <= set(ran), f"answered as done but never ran: {set(done) - set(ran)}"


class StdioServer:
    """`dcclink serve --stdio`, read line by line on a thread of its own."""

    def __init__(self) -> None:
        self.process = subprocess.Popen(
            [str(DCCLINK), "serve", "--stdio", "--tools", str(FIXTURE_TOOLS)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )
        self.lines: queue.Queue[dict[str, Any]] = queue.Queue()
        self.not_json_rpc: list[bytes] = []
        threading.Thread(target=self._read, daemon=True).start()
        self.send(line(INIT))
        self.answer_to(INIT["id"])
        self.send(line({"jsonrpc": "2.0", "method": "notifications/initialized"}))

    def _read(self) -> None:
        assert self.process.stdout is not None
        for raw in self.process.stdout:
            try:
                message = json.loads(raw)
                assert message["jsonrpc"] == "2.0"
                assert "id" in message or "method" in message
                self.lines.put(message)
            except (ValueError, KeyError, AssertionError, TypeError):
                self.not_json_rpc.append(raw)

    def send(self, body: bytes) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(body + b"\n")
        self.process.stdin.flush()

    def answer_to(self, id: Any, seen: Optional[list[dict[str, Any]]] = None) -> dict[str, Any]:
        """Waits for the answer to ``id``; what else arrives meanwhile
        goes to ``seen``."""
        deadline = time.monotonic() + BOUND
        while True:
            message = self.lines.get(timeout=max(0.0, deadline - time.monotonic()))
            if message.get("id") == id and "method" not in message:
                return message
            if seen is not None:
                seen.append(message)


@pytest.fixture(scope="module")
def stdio_server() -> Iterator[StdioServer]:
    server = StdioServer()
    yield server
    server.process.kill()
    server.process.wait(timeout=10)


RUNS = iter(range(10**9))
#: How many sequences each transport gets; each server serves them all.
SEQUENCES = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)


@SEQUENCES
@given(data=st.data())
def test_stdio_survives_any_sequence(stdio_server: StdioServer, data: st.DataObject) -> None:
    run = f"s{next(RUNS)}"
    messages = data.draw(sequences(run))
    for message in messages:
        stdio_server.send(message.body)
    # The main thread runs `stamps` after every call sent before it, and a
    # ping after that proves the server still answers.
    answered: list[dict[str, Any]] = []
    stdio_server.send(line(request(f"{run}-stamps", "tools/call", {"name": "stamps"})))
    stamps = stdio_server.answer_to(f"{run}-stamps", answered)
    stdio_server.send(line(request(f"{run}-end", "ping")))
    stdio_server.answer_to(f"{run}-end", answered)
    due = owed(messages)
    # Answers to calls come as they end; the last may trail `stamps`.
    deadline = time.monotonic() + BOUND
    while not all_owed_arrived(due, answered):
        assert time.monotonic() < deadline, "answers are missing"
        with contextlib.suppress(queue.Empty):
            answered.append(stdio_server.lines.get(timeout=0.1))
    ran = stamps["result"]["structuredContent"]["result"]
    check(due, [a for a in answered if "method" not in a], ran)
    assert stdio_server.not_json_rpc == [], stdio_server.not_json_rpc
    assert stdio_server.process.poll() is None, "the server exited"


def all_owed_arrived(due: Owed, answered: list[dict[str, Any]]) -> bool:
    by_id = Counter(json.dumps(a.get("id")) for a in answered if a.get("id") is not None)
    nulls = sum(1 for a in answered if "id" in a and a["id"] is None)
    return nulls >= due.null_answers and all(
        by_id[key] >= least for key, (least, _) in due.answers.items()
    )


class HttpSession:
    """One 2025-11-25 session with `dcclink serve --http`, each message a
    POST of its own, sent in order (the next once the last one's answer
    has begun) and read concurrently."""

    def __init__(self, server: HttpServer) -> None:
        self.url = server.url
        self.client = httpx2.Client(timeout=BOUND, headers={**server.auth, **ACCEPT})
        opened = self.client.post(self.url, json=INIT)
        opened.raise_for_status()
        self.headers = {
            "mcp-session-id": opened.headers["mcp-session-id"],
            "mcp-protocol-version": "2025-11-25",
            "content-type": "application/json",
        }
        self.post(line({"jsonrpc": "2.0", "method": "notifications/initialized"})).close()

    def post(self, body: bytes) -> httpx2.Response:
        request = self.client.build_request("POST", self.url, content=body, headers=self.headers)
        return self.client.send(request, stream=True)

    def exchange(self, bodies: list[bytes]) -> list[dict[str, Any]]:
        """Sends ``bodies`` in order; every JSON-RPC answer they got."""
        responses = [self.post(body) for body in bodies]
        with ThreadPoolExecutor(max_workers=len(responses)) as pool:
            return [answer for answers in pool.map(answers_in, responses) for answer in answers]


def answers_in(response: httpx2.Response) -> list[dict[str, Any]]:
    """The JSON-RPC answers in one POST's response: its JSON body, or the
    answers in its event stream (the notifications skipped)."""
    try:
        body = response.read().decode()
    finally:
        response.close()
    if response.status_code == 202:
        assert body == "", body
        return []
    if response.headers.get("content-type", "").startswith("application/json"):
        return [json.loads(body)]
    events = [
        json.loads(data[5:])
        for data in body.split("\n")
        if data.startswith("data:") and data[5:].strip()  # not a priming event
    ]
    return [event for event in events if "method" not in event]


@pytest.fixture(scope="module")
def http_session() -> Iterator[HttpSession]:
    server = start_http()
    session = HttpSession(server)
    yield session
    session.client.close()
    server.process.terminate()
    server.process.wait(timeout=10)


@SEQUENCES
@given(data=st.data())
def test_http_survives_any_sequence(http_session: HttpSession, data: st.DataObject) -> None:
    run = f"h{next(RUNS)}"
    messages = data.draw(sequences(run))
    answered = http_session.exchange([message.body for message in messages])
    # `stamps` runs after every call sent before it; the ping proves the
    # session still answers.
    closing = [
        line(request(f"{run}-stamps", "tools/call", {"name": "stamps"})),
        line(request(f"{run}-end", "ping")),
    ]
    stamps, end = http_session.exchange(closing)
    assert end["id"] == f"{run}-end" and "result" in end, end
    check(owed(messages), answered, stamps["result"]["structuredContent"]["result"])
