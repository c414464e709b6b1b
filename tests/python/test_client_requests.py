"""``ctx.ask`` and ``ctx.sample``: a tool on the main thread asks the user
through the client (elicitation), or the client's model (sampling), and
gets the answer; a client that cannot is a clear error."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import dcclink
import mcp.types as types
import pytest
from conftest import with_client
from mcp import ClientSession

ASKED: list[Any] = []


@dcclink.tool
def pick_take(ctx: dcclink.Context) -> dict:
    """Asks the user which take to keep."""
    schema = {
        "type": "object",
        "properties": {"take": {"type": "integer", "description": "the take to keep"}},
        "required": ["take"],
    }
    return ctx.ask("Which take of sh010 should I keep?", schema)


@dcclink.tool
def name_the_shot(ctx: dcclink.Context) -> str:
    """Asks the client's model for a name."""
    return ctx.sample("Name a shot of a dragon over a bridge.", max_tokens=20)


@pytest.fixture
def host() -> Iterator[dcclink.ServerInfo]:
    info = dcclink.start()
    yield info
    dcclink.stop()


async def answer_the_form(context: Any, params: types.ElicitRequestParams) -> types.ElicitResult:
    ASKED.append(params)
    return types.ElicitResult(action="accept", content={"take": 3})


async def answer_with_the_model(
    context: Any, params: types.CreateMessageRequestParams
) -> types.CreateMessageResult:
    return types.CreateMessageResult(
        role="assistant",
        content=types.TextContent(type="text", text="Bridge Crossing"),
        model="test-model",
    )


def test_the_tool_gets_the_users_answer_and_the_models(host: dcclink.ServerInfo) -> None:
    async def body(session: ClientSession) -> Any:
        picked = await session.call_tool("pick_take", {})
        named = await session.call_tool("name_the_shot", {})
        return picked, named

    picked, named = with_client(
        host,
        body,
        elicitation_callback=answer_the_form,
        sampling_callback=answer_with_the_model,
    )
    assert picked.structured_content == {"action": "accept", "content": {"take": 3}}
    (asked,) = ASKED
    assert asked.message == "Which take of sh010 should I keep?"
    assert asked.requested_schema["required"] == ["take"]
    assert named.content[0].text == "Bridge Crossing"


def test_a_client_that_cannot_answer_is_a_clear_error(host: dcclink.ServerInfo) -> None:
    async def body(session: ClientSession) -> Any:
        return await session.call_tool("pick_take", {})

    refused = with_client(host, body)  # no elicitation callback: no capability
    assert refused.is_error
    assert "does not take questions for the user (elicitation)" in refused.content[0].text
