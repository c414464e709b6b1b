"""``@dcclink.resource``: fixed URIs and URI templates, read by the official
SDK's client and run on the thread that pumps, like tools."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import anyio
import dcclink
import pytest
from conftest import with_client
from mcp import ClientSession
from mcp.shared.exceptions import MCPError

PUMPED_BY = threading.get_ident()


@dcclink.resource("test://scene")
def scene() -> dict[str, Any]:
    """The open scene."""
    return {"file": "/shots/010.ma", "thread": threading.get_ident()}


@dcclink.resource("test://objects/{name}/notes")
def object_notes(name: str) -> str:
    """What the artist wrote about an object."""
    if name == "ghost":
        raise KeyError(f"no object is called {name!r}")
    return f"notes on {name}"


@dcclink.resource("test://thumbnail", mime_type="image/png")
def thumbnail() -> bytes:
    """The scene's thumbnail."""
    return b"\x89PNG\r\n"


@pytest.fixture
def host() -> Iterator[dcclink.ServerInfo]:
    info = dcclink.start()
    yield info
    dcclink.stop()


def test_resources_and_templates_are_listed(host: dcclink.ServerInfo) -> None:
    async def body(session: ClientSession) -> Any:
        listed = await session.list_resources()
        templates = await session.list_resource_templates()
        return listed.resources, templates.resource_templates

    resources, templates = with_client(host, body)
    found = {str(r.uri): (r.name, r.mime_type, r.description) for r in resources}
    assert found["test://scene"] == ("scene", "application/json", "The open scene.")
    assert found["test://thumbnail"][1] == "image/png"
    listed = {t.uri_template: (t.name, t.mime_type) for t in templates}
    assert listed["test://objects/{name}/notes"] == ("object_notes", "text/plain")
    assert "test://scene" not in listed, "fixed URIs are not templates"


def test_reads_run_on_the_main_thread_and_fill_template_variables(
    host: dcclink.ServerInfo,
) -> None:
    async def body(session: ClientSession) -> Any:
        return [
            (await session.read_resource(uri)).contents[0]  # type: ignore[arg-type]
            for uri in ("test://scene", "test://objects/big%20crate/notes", "test://thumbnail")
        ]

    scene_json, notes, thumbnail = with_client(host, body)
    assert scene_json.mime_type == "application/json"
    assert scene_json.text == f'{{"file": "/shots/010.ma", "thread": {PUMPED_BY}}}'
    assert (notes.text, notes.mime_type) == ("notes on big crate", "text/plain")
    assert (thumbnail.blob, thumbnail.mime_type) == ("iVBORw0K", "image/png")


def test_unknown_uris_and_failed_reads_are_clear_errors(host: dcclink.ServerInfo) -> None:
    async def body(session: ClientSession) -> list[Any]:
        errors = []
        for uri in ("test://nothing/here", "test://objects/ghost/notes"):
            with pytest.raises(MCPError) as caught:
                await session.read_resource(uri)  # type: ignore[arg-type]
            errors.append(caught.value.error)
        errors.append((await session.read_resource("test://scene")).contents[0])  # type: ignore[arg-type]
        return errors

    missing, failed, still_fine = with_client(host, body)
    assert missing.code == -32002 and "resources/list" in missing.message
    assert "reading 'test://objects/ghost/notes' failed: KeyError" in failed.message
    assert "Traceback" in failed.data["traceback"]
    assert still_fine.mime_type == "application/json", "a failed read loses nothing else"


def test_the_decorator_refuses_what_cannot_be_read() -> None:
    with pytest.raises(TypeError, match=r"parameters \(shot\) must be .* \(name\)"):
        dcclink.resource("test://objects/{name}")(lambda shot: shot)
    with pytest.raises(ValueError, match="has no scheme"):
        dcclink.resource("scene")(lambda: "")
    with pytest.raises(ValueError, match="never closed"):
        dcclink.resource("test://objects/{name")(lambda name: name)


@dcclink.tool
def touch_scene() -> str:
    """Changes the scene, as a DCC's scene callback would report it."""
    dcclink.resource_updated("test://scene")
    return "touched"


@pytest.mark.filterwarnings("ignore:resources/(un)?subscribe is removed")
def test_subscribers_hear_of_updates_until_they_unsubscribe(host: dcclink.ServerInfo) -> None:
    heard: list[str] = []
    arrived = anyio.Event()

    async def on_message(message: Any) -> None:
        if getattr(message, "method", "") == "notifications/resources/updated":
            heard.append(str(message.params.uri))
            arrived.set()

    async def body(session: ClientSession) -> None:
        await session.call_tool("touch_scene", {})  # not subscribed yet: nothing
        await session.subscribe_resource("test://scene")  # type: ignore[arg-type]
        await session.call_tool("touch_scene", {})
        with anyio.fail_after(10):
            await arrived.wait()
        await session.unsubscribe_resource("test://scene")  # type: ignore[arg-type]
        await session.call_tool("touch_scene", {})
        await anyio.sleep(0.5)  # room for a notification that should not come

    with_client(host, body, message_handler=on_message)
    assert heard == ["test://scene"]
