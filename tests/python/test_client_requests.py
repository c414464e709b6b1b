"""``ctx.ask``, ``ctx.sample`` and ``ctx.roots``: a tool on the main thread
asks the user through the client (elicitation), the client's model
(sampling), or the client's workspace folders (roots), and gets the answer;
a client that cannot, with no panel open to ask instead, is a clear error.
The tools are the fixture's, served by ``dcclink serve --http``."""

from __future__ import annotations

from typing import Any

import anyio
import mcp.types as types
import pytest
from conftest import HttpServer, sdk_session

pytestmark = pytest.mark.anyio

ASKED: list[types.ElicitRequestParams] = []
#: A form answer that fits the fixture's TAKE_FORM (take and camera are required).
ANSWER = {"take": 3, "camera": "shot_cam"}
#: The accepted answer, as the tool that asked returns it.
PICKED = {"action": "accept", "content": ANSWER}


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


async def answer_the_form(context: Any, params: types.ElicitRequestParams) -> types.ElicitResult:
    ASKED.append(params)
    return types.ElicitResult(action="accept", content=ANSWER)


async def answer_with_the_model(
    context: Any, params: types.CreateMessageRequestParams
) -> types.CreateMessageResult:
    return types.CreateMessageResult(
        role="assistant",
        content=types.TextContent(type="text", text="Bridge Crossing"),
        model="test-model",
    )


async def list_roots(context: Any) -> types.ListRootsResult:
    return types.ListRootsResult(roots=[types.Root(uri="file:///projects/dragon", name="dragon")])


ROOTS = {"result": [{"uri": "file:///projects/dragon", "name": "dragon"}]}
#: A client session's options that make it answer all three kinds of request.
ANSWERING: dict[str, Any] = {
    "elicitation_callback": answer_the_form,
    "sampling_callback": answer_with_the_model,
    "list_roots_callback": list_roots,
}


async def ask_all_three(session: Any) -> tuple[Any, Any, Any]:
    """Calls the fixture's tools that ask, sample and list roots, through a
    ``ClientSession`` or a ``Client``."""
    picked = await session.call_tool("pick_take", {})
    named = await session.call_tool("name_the_shot", {})
    roots = await session.call_tool("workspace", {})
    return picked, named, roots


async def test_the_tool_gets_the_users_answer_the_models_and_the_roots(
    http_server: HttpServer,
) -> None:
    ASKED.clear()
    with anyio.fail_after(60):
        async with sdk_session(http_server.url, http_server.token, **ANSWERING) as session:
            picked, named, roots = await ask_all_three(session)
    assert picked.structured_content == PICKED
    (asked,) = ASKED
    assert asked.message == "Which take of sh010 should I keep?"
    assert asked.requested_schema["required"] == ["take", "camera"]
    assert named.content[0].text == "Bridge Crossing"
    assert roots.structured_content == ROOTS


async def test_a_client_that_cannot_answer_is_a_clear_error(http_server: HttpServer) -> None:
    with anyio.fail_after(60):
        # No callbacks: the client declares none of these capabilities.
        async with sdk_session(http_server.url, http_server.token) as session:
            refused = await session.call_tool("pick_take", {})
            no_roots = await session.call_tool("workspace", {})
    why = refused.content[0].text
    assert refused.is_error
    assert "does not take questions for the user (elicitation)" in why
    assert "no dcclink panel is open to ask in instead" in why, "the panel was the fallback"
    assert no_roots.is_error
    assert "does not take requests for its workspace folders (roots)" in no_roots.content[0].text


async def test_a_client_answer_that_does_not_fit_the_form_never_reaches_the_tool(
    http_server: HttpServer,
) -> None:
    async def answer_without_the_camera(
        context: Any, params: types.ElicitRequestParams
    ) -> types.ElicitResult:
        return types.ElicitResult(action="accept", content={"take": 3})

    with anyio.fail_after(60):
        async with sdk_session(
            http_server.url, http_server.token, elicitation_callback=answer_without_the_camera
        ) as session:
            picked = await session.call_tool("pick_take", {})
    assert picked.is_error
    assert "the client's answer does not fit the form" in picked.content[0].text
    assert 'missing required field "camera"' in picked.content[0].text
