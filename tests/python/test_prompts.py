"""``@dcclink.prompt``: prompts listed with their arguments, filled in on the
thread that pumps, and clear errors for wrong arguments and wrong returns."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Annotated, Any

import dcclink
import pytest
from conftest import with_client
from mcp import ClientSession
from mcp.shared.exceptions import MCPError

PUMPED_BY = threading.get_ident()


@dcclink.prompt
def light_review(
    shot: Annotated[str, "the shot, e.g. sh010"], mood: str = "moody"
) -> dcclink.Content:
    """Asks for a lighting review."""
    return dcclink.Content(
        f"Review {shot}, aiming for {mood}.", f"(filled in on thread {threading.get_ident()})"
    )


@dcclink.prompt(name="broken_prompt")
def returns_json() -> dict:
    """Returns JSON, which a prompt cannot."""
    return {"not": "messages"}


@pytest.fixture
def host() -> Iterator[dcclink.ServerInfo]:
    info = dcclink.start()
    yield info
    dcclink.stop()


def test_prompts_list_their_arguments_and_fill_in_on_the_main_thread(
    host: dcclink.ServerInfo,
) -> None:
    async def body(session: ClientSession) -> Any:
        listed = {p.name: p for p in (await session.list_prompts()).prompts}
        got = await session.get_prompt("light_review", {"shot": "sh010"})
        return listed["light_review"], got

    prompt, got = with_client(host, body)
    assert prompt.description == "Asks for a lighting review."
    arguments = [(a.name, a.description, a.required) for a in prompt.arguments or []]
    assert arguments == [("shot", "the shot, e.g. sh010", True), ("mood", None, False)]
    first, second = got.messages
    assert (first.role, first.content.text) == ("user", "Review sh010, aiming for moody.")
    assert second.content.text == f"(filled in on thread {PUMPED_BY})"


def test_wrong_arguments_and_wrong_returns_are_clear_errors(host: dcclink.ServerInfo) -> None:
    async def body(session: ClientSession) -> list[Any]:
        errors = []
        for name, arguments in (
            ("light_review", {"mood": "warm"}),
            ("light_review", {"shot": "sh010", "lens": "50mm"}),
            ("broken_prompt", {}),
            ("no_such_prompt", {}),
        ):
            with pytest.raises(MCPError) as caught:
                await session.get_prompt(name, arguments)
            errors.append(caught.value.error.message)
        return errors

    missing, unknown, json_return, no_such = with_client(host, body)
    assert "missing shot" in missing
    assert "no argument called lens" in unknown
    assert "returned JSON: a prompt returns str" in json_return
    assert "unknown prompt 'no_such_prompt'" in no_such


def test_a_prompt_argument_must_be_a_string() -> None:
    def frames_prompt(frames: int) -> str:
        return str(frames)

    with pytest.raises(TypeError, match="prompt arguments are named strings"):
        dcclink.prompt(frames_prompt)
