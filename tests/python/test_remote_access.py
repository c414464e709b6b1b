"""Remote access across a real network boundary: two network namespaces
joined by a veth pair, the instance (``dcclink serve --http ADDR``) in one,
the relay (``dcclink connect --url``) and the official SDK client's traffic
in the other. Nothing leaves those namespaces' addresses.

The instance serves TLS there with a self-signed certificate; the relay
pins its fingerprint. Plain HTTP, a wrong fingerprint, a missing token and
a foreign ``Host`` are each refused with an error that says what to do."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, Optional

import anyio
import pytest
from conftest import ACCEPT, DCCLINK, FIXTURE_TOOLS, INIT, start_http
from mcp import ClientSession, StdioServerParameters, stdio_client
from network_namespaces import (
    ALLOWED_NAME,
    PORT,
    TOKEN,
    Network,
    RemoteInstance,
    network_fixture,  # noqa: F401 (the fixture `network`)
    serve,
)

PROBE = Path(__file__).with_name("https_probe.py")


@pytest.fixture(scope="module")
def instance(
    network: Network, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RemoteInstance]:
    """An instance with the self-signed certificate dcclink makes."""
    with serve(network, PORT, tmp_path_factory.mktemp("config")) as instance:
        yield instance


def probe(network: Network, namespace: str, *requests: dict[str, Any]) -> list[dict[str, Any]]:
    """The answers to ``requests`` sent from ``namespace``."""
    command = network.inside(namespace, sys.executable, str(PROBE), json.dumps(requests))
    done = subprocess.run(command, capture_output=True, text=True, timeout=60, check=True)
    answers: list[dict[str, Any]] = json.loads(done.stdout)
    return answers


def post(url: str, headers: dict[str, str]) -> dict[str, Any]:
    return {"url": url, "headers": {**ACCEPT, **headers}, "json": INIT}


BEARER = {"Authorization": f"Bearer {TOKEN}"}


@asynccontextmanager
async def relay(
    network: Network, *pin: str, url: str = "", env: Optional[dict[str, str]] = None
) -> AsyncIterator[ClientSession]:
    """The official SDK's client, through ``dcclink connect --url`` run in
    the IDE's namespace, as an IDE's entry would launch it."""
    url = url or f"https://{network.dcc_ip}:{PORT}/mcp"
    command = network.inside(network.ide, str(DCCLINK), "connect", "--url", url, *pin)
    params = StdioServerParameters(
        command=command[0],
        args=command[1:],
        env={**os.environ, "DCCLINK_TOKEN": TOKEN, **(env or {})},
    )
    async with (
        stdio_client(params) as (read, write),
        ClientSession(read, write) as session,
    ):
        await session.initialize()
        yield session


def test_the_instance_announces_its_tls_endpoint_and_the_fingerprint_it_presents(
    network: Network, instance: RemoteInstance
) -> None:
    assert instance.url == f"https://{network.dcc_ip}:{PORT}/mcp"
    assert instance.announced["url"].startswith("http://127.0.0.1:"), "a loopback port too"
    fingerprint = subprocess.run(
        network.inside(
            network.ide, sys.executable, str(PROBE), "--fingerprint", network.dcc_ip, str(PORT)
        ),
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout.strip()
    assert fingerprint == instance.fingerprint
    listed = subprocess.run(
        [str(DCCLINK), "list", "--json"], capture_output=True, text=True, timeout=30, check=True
    ).stdout.splitlines()
    entry = next(e for e in map(json.loads, listed) if e["id"] == instance.announced["instance"])
    assert (entry["remote_url"], entry["fingerprint"]) == (instance.url, instance.fingerprint)


@pytest.mark.anyio
async def test_an_ide_in_another_namespace_calls_tools_over_pinned_tls(
    network: Network, instance: RemoteInstance
) -> None:
    with anyio.fail_after(60):
        async with relay(network, "--fingerprint", instance.fingerprint.upper()) as session:
            names = {tool.name for tool in (await session.list_tools()).tools}
            assert "add" in names
            result = await session.call_tool("add", {"a": 2, "b": 40})
            assert not result.is_error and result.structured_content == {"result": 42}


@pytest.mark.anyio
async def test_a_wrong_fingerprint_is_refused_and_the_agent_told_why(
    network: Network, instance: RemoteInstance
) -> None:
    wrong = "ab" * 32
    with anyio.fail_after(60):
        async with relay(network, "--fingerprint", wrong) as session:
            tools = (await session.list_tools()).tools
    assert [tool.name for tool in tools] == ["dcclink_status"]
    told = tools[0].description or ""
    assert f"has fingerprint {instance.fingerprint}, not the pinned {wrong}" in told, told
    assert "dcclink list --json" in told


@pytest.mark.anyio
async def test_a_self_signed_certificate_is_refused_without_a_pin(
    network: Network, instance: RemoteInstance
) -> None:
    with anyio.fail_after(60):
        async with relay(network) as session:
            tools = (await session.list_tools()).tools
    assert [tool.name for tool in tools] == ["dcclink_status"]
    assert "invalid peer certificate" in (tools[0].description or "")


def openssl(*args: str) -> None:
    subprocess.run(["openssl", *args], check=True, capture_output=True, timeout=60)


@pytest.mark.anyio
async def test_a_certificate_from_the_studio_s_authority_needs_no_pin(
    network: Network, tmp_path: Path
) -> None:
    """``--tls-cert``/``--tls-key``: a certificate the studio's own
    authority signed for the DCC machine's name. A relay on a system that
    trusts that authority connects by name, with no fingerprint."""
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
    ca, leaf = tmp_path / "ca", tmp_path / "leaf"
    openssl(
        "req",
        "-x509",
        *ec,
        "-keyout",
        f"{ca}.key",
        "-out",
        f"{ca}.pem",
        "-subj",
        "/CN=Studio CA",
        "-days",
        "2",
    )
    openssl("req", *ec, "-keyout", f"{leaf}.key", "-out", f"{leaf}.csr", "-subj", "/CN=dcc-box")
    extensions = tmp_path / "leaf.ext"
    extensions.write_text(f"subjectAltName=DNS:{ALLOWED_NAME}\nbasicConstraints=CA:FALSE\n")
    openssl(
        "x509",
        "-req",
        "-in",
        f"{leaf}.csr",
        "-CA",
        f"{ca}.pem",
        "-CAkey",
        f"{ca}.key",
        "-CAcreateserial",
        "-out",
        f"{leaf}.pem",
        "-days",
        "2",
        "-extfile",
        str(extensions),
    )
    own = ("--tls-cert", f"{leaf}.pem", "--tls-key", f"{leaf}.key")
    with serve(network, PORT + 1, tmp_path / "config", *own):
        url = f"https://{ALLOWED_NAME}:{PORT + 1}/mcp"
        with anyio.fail_after(60):
            async with relay(network, url=url, env={"SSL_CERT_FILE": f"{ca}.pem"}) as session:
                result = await session.call_tool("add", {"a": 1, "b": 2})
                assert result.structured_content == {"result": 3}
            async with relay(network, url=url) as session:
                untrusted = (await session.list_tools()).tools
        assert "invalid peer certificate" in (untrusted[0].description or "")
        assert not (tmp_path / "config" / "dcclink").exists(), "no self-signed one was made"


def test_refusals_over_the_network_say_what_to_do(
    network: Network, instance: RemoteInstance
) -> None:
    https, plain = instance.url, instance.url.replace("https://", "http://")
    by_name = {"Host": f"{ALLOWED_NAME}:{PORT}"}
    plain_http, no_token, query_token, foreign, allowed, by_address, page, panel = probe(
        network,
        network.ide,
        post(plain, BEARER),
        post(https, {}),
        post(f"{https}?token={TOKEN}", {}),
        post(https, {**BEARER, "Host": "evil.example"}),
        post(https, {**BEARER, **by_name}),
        post(https, BEARER),
        post(https, {**BEARER, "Origin": "https://evil.example"}),
        {"url": https.replace("/mcp", f"/panel?token={TOKEN}"), "headers": BEARER},
    )
    assert plain_http["status"] == 400 and "speaks HTTPS only" in plain_http["text"]
    assert no_token["status"] == 401 and "missing bearer token" in no_token["text"]
    assert query_token["status"] == 401, "a token in the URL is refused off loopback"
    assert foreign["status"] == 403 and "--allow-host evil.example" in foreign["text"]
    assert allowed["status"] == 200, allowed["text"]
    assert by_address["status"] == 200, by_address["text"]
    assert page["status"] == 403 and "evil.example" in page["text"]
    assert panel["status"] == 404, "the panel is not served to other machines"


def test_the_panel_stays_on_the_instance_s_loopback(
    network: Network, instance: RemoteInstance
) -> None:
    (panel,) = probe(network, network.dcc, {"url": instance.announced["panel"]})
    assert panel["status"] == 303, panel  # sets its cookie, then shows the page


def test_asked_to_the_instance_serves_its_panel_over_tls(network: Network, tmp_path: Path) -> None:
    """``--remote-panel``: the panel at the TLS address, for an artist or a
    supervisor on another machine, with its cookie marked Secure and its
    actions taken from its own page only."""
    with serve(network, PORT + 2, tmp_path / "config", "--remote-panel") as shown:
        panel = shown.url.replace("/mcp", "/panel")
        elsewhere = f"https://{ALLOWED_NAME}:{PORT + 2}"  # an allowed name, another origin
        link, page, foreign = probe(
            network,
            network.ide,
            {"url": f"{panel}?token={TOKEN}"},
            {"url": panel, "headers": {"Cookie": f"dcclink_token={TOKEN}"}},
            {"url": panel, "headers": {**BEARER, "Origin": elsewhere}},
        )
    assert link["status"] == 303, link
    cookie = link["headers"]["set-cookie"]
    assert "HttpOnly" in cookie and "Secure" in cookie, cookie
    assert page["status"] == 200 and "<html" in page["text"].lower(), page["status"]
    assert foreign["status"] == 403 and "its own page only" in foreign["text"]


def test_a_remote_address_needs_a_token_of_the_user_s_own() -> None:
    result = subprocess.run(
        [str(DCCLINK), "serve", "--http", "0.0.0.0:0", "--tools", str(FIXTURE_TOOLS)],
        capture_output=True,
        text=True,
        timeout=30,
        env={k: v for k, v in os.environ.items() if k != "DCCLINK_TOKEN"},
    )
    assert result.returncode == 1
    assert "reachable from other machines, so it needs --token" in result.stderr


def test_the_relay_sends_no_token_over_plain_http_to_another_machine() -> None:
    result = subprocess.run(
        [str(DCCLINK), "connect", "--url", "http://10.213.7.1:8765/mcp", "--token", TOKEN],
        capture_output=True,
        text=True,
        timeout=30,
        stdin=subprocess.DEVNULL,
    )
    assert result.returncode == 1
    assert "over https only" in result.stderr


@pytest.mark.anyio
async def test_through_an_ssh_tunnel_the_relay_speaks_plain_http_to_loopback() -> None:
    """The tunnel's near end is loopback: there the token may go over plain
    HTTP, since SSH carries it. (A loopback instance stands in for the
    tunnel.)"""
    local = start_http("--token", TOKEN)
    try:
        params = StdioServerParameters(
            command=str(DCCLINK),
            args=["connect", "--url", local.url],
            env={**os.environ, "DCCLINK_TOKEN": TOKEN},
        )
        with anyio.fail_after(60):
            async with stdio_client(params) as (read, write), ClientSession(read, write) as session:
                await session.initialize()
                result = await session.call_tool("add", {"a": 40, "b": 2})
        assert result.structured_content == {"result": 42}
    finally:
        local.process.terminate()
        local.process.wait(timeout=10)
