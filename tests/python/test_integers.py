"""An ``int`` parameter gets a Python ``int`` and a result's integers stay
exact, through the official SDK: what JSON Schema counts as an integer
(``1.0``, ``1e2``) arrives as ``int``, a fraction is refused, and a
number that cannot have arrived exactly is refused rather than used."""

from __future__ import annotations

import pytest
from test_sdk_e2e import stdio_session

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


async def test_integers_stay_integers_and_exact() -> None:
    async with stdio_session() as session:
        whole = await session.call_tool("add", {"a": 1.0, "b": 1e2})
        large = await session.call_tool("add", {"a": 2**62, "b": 2**62 - 1})
        fraction = await session.call_tool("add", {"a": 1.5, "b": 1})
        lossy = await session.call_tool("add", {"a": 2**70 + 1, "b": 0})
        power = await session.call_tool("two_to_the", {"exponent": 64})
        inexact = await session.call_tool("two_to_the", {"exponent": 64, "plus": 1})
    assert whole.structured_content is not None
    assert whole.structured_content["result"] == 101
    assert type(whole.structured_content["result"]) is int, "1.0 + 1e2 reached the tool as floats"
    assert large.structured_content == {"result": 2**63 - 1}
    assert fraction.is_error and "integer" in fraction.content[0].text
    assert lossy.is_error and "send it as a string" in lossy.content[0].text
    assert not power.is_error and power.structured_content is not None
    assert power.structured_content["result"] == 2**64
    assert inexact.is_error and "return it as a str" in inexact.content[0].text
