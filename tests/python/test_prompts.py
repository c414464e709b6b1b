"""``@dcclink.prompt``: prompts listed with their arguments, filled in on the
thread that pumps, and clear errors for wrong arguments and wrong returns."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Annotated, Any

import dcclink
import mcp.types as types
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


SHOTS = ["sh010", "sh020", "sh030", "tr100"]


def shots_starting(typed: str) -> list[str]:
    return [shot for shot in SHOTS if shot.startswith(typed)]


def takes_of(typed: str, chosen: dict[str, str]) -> list[str]:
    return [f"{chosen.get('shot', '?')}_take{n}" for n in range(1, 4)]


@dcclink.prompt(complete={"shot": shots_starting, "take": takes_of})
def compare_takes(shot: str, take: str) -> str:
    """Compares a take with the shot's approved one."""
    return f"Compare {take} of {shot}."


@dcclink.resource("test://shots/{shot}", complete={"shot": shots_starting})
def shot_info(shot: str) -> str:
    """A shot."""
    return shot


def test_arguments_and_template_variables_complete_as_the_user_types(
    host: dcclink.ServerInfo,
) -> None:
    async def body(session: ClientSession) -> list[Any]:
        prompt = types.PromptReference(type="ref/prompt", name="compare_takes")
        template = types.ResourceTemplateReference(type="ref/resource", uri="test://shots/{shot}")
        return [
            await session.complete(prompt, {"name": "shot", "value": "sh0"}),
            await session.complete(prompt, {"name": "take", "value": ""}, {"shot": "sh020"}),
            await session.complete(template, {"name": "shot", "value": "tr"}),
            await session.complete(prompt, {"name": "nothing_here", "value": "x"}),
        ]

    shots, takes, from_template, none = with_client(host, body)
    assert shots.completion.values == ["sh010", "sh020", "sh030"]
    assert takes.completion.values == ["sh020_take1", "sh020_take2", "sh020_take3"]
    assert from_template.completion.values == ["tr100"]
    assert none.completion.values == []


def test_a_completer_for_an_argument_the_prompt_lacks_is_refused() -> None:
    with pytest.raises(TypeError, match="complete names 'lens', which is not one of its arguments"):
        dcclink.prompt(complete={"lens": shots_starting})(compare_takes)
