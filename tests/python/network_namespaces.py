"""Two network namespaces joined by a veth pair, for tests of remote
access across a real network boundary: a DCC's (the instance) and an
IDE's (the relay). Needs root; each test module gets a pair of its own,
removed when it ends."""

from __future__ import annotations

import os
import secrets
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from conftest import DCCLINK, FIXTURE_TOOLS, announcement

#: The token every instance here is started with.
TOKEN = "remote-access-test-token-7c1f9e2ab04d"
PORT = 8765
#: A name the instances are told to answer to (``--allow-host``), and
#: which resolves to the DCC's address in the IDE's namespace.
ALLOWED_NAME = "dcc-box.studio.lan"


@dataclass(frozen=True)
class Network:
    """Two namespaces on one /24: the DCC's and the IDE's."""

    dcc: str
    ide: str
    dcc_ip: str
    ide_ip: str

    def inside(self, namespace: str, *command: str) -> list[str]:
        return ["ip", "netns", "exec", namespace, *command]


def ip(*args: str) -> None:
    subprocess.run(["ip", *args], check=True, capture_output=True, timeout=30)


@pytest.fixture(scope="module", name="network")
def network_fixture() -> Iterator[Network]:
    """The pair of namespaces (import this where a test asks for
    ``network``)."""
    if os.geteuid() != 0:
        pytest.skip("making network namespaces needs root")
    tag = secrets.token_hex(3)  # one pair per test module, never reused
    net = Network(f"dcl-dcc-{tag}", f"dcl-ide-{tag}", "10.213.7.1", "10.213.7.2")
    ends = (f"dcl{tag}a", f"dcl{tag}b")
    # `ip netns exec` shows a namespace /etc/netns/NAME/hosts as /etc/hosts.
    names = Path("/etc/netns", net.ide)
    try:
        names.mkdir(parents=True)
        (names / "hosts").write_text(f"127.0.0.1 localhost\n{net.dcc_ip} {ALLOWED_NAME}\n")
        for namespace in (net.dcc, net.ide):
            ip("netns", "add", namespace)
        ip("link", "add", ends[0], "type", "veth", "peer", "name", ends[1])
        for end, namespace, address in zip(ends, (net.dcc, net.ide), (net.dcc_ip, net.ide_ip)):
            ip("link", "set", end, "netns", namespace)
            ip("-n", namespace, "addr", "add", f"{address}/24", "dev", end)
            ip("-n", namespace, "link", "set", end, "up")
            ip("-n", namespace, "link", "set", "lo", "up")
        yield net
    finally:
        for namespace in (net.dcc, net.ide):
            subprocess.run(["ip", "netns", "del", namespace], capture_output=True, timeout=30)
        shutil.rmtree(names, ignore_errors=True)


@dataclass
class RemoteInstance:
    announced: dict[str, Any]

    @property
    def url(self) -> str:
        return str(self.announced["remote_url"])

    @property
    def fingerprint(self) -> str:
        return str(self.announced["fingerprint"])


@contextmanager
def serve(
    network: Network, port: int, config: Path, *options: str, dcclink: Path = DCCLINK
) -> Iterator[RemoteInstance]:
    """``dcclink serve`` (the program ``dcclink``) in the DCC's namespace,
    on its veth address, with the fixture tools and a config dir of its own
    (``config``: where a self-signed certificate is kept)."""
    command = network.inside(
        network.dcc,
        str(dcclink),
        "serve",
        "--http",
        f"{network.dcc_ip}:{port}",
        "--token",
        TOKEN,
        "--allow-host",
        ALLOWED_NAME,
        "--tools",
        str(FIXTURE_TOOLS),
        *options,
    )
    env = {**os.environ, "XDG_CONFIG_HOME": str(config), "DCCLINK_LOG": "warn"}
    process = subprocess.Popen(command, stderr=subprocess.PIPE, text=True, env=env)
    try:
        yield RemoteInstance(announcement(process))
    finally:
        process.terminate()
        process.wait(timeout=10)
