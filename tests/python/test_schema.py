"""Type hints become the input schema an agent sees."""

from __future__ import annotations

import enum
from typing import Annotated, Any, Literal, Optional, Union

import dcclink
import pytest
from dcclink._schema import SchemaError
from dcclink._tools import ToolDef


class Color(enum.Enum):
    RED = "red"
    GREEN = "green"


def schema_of(function: Any) -> dict[str, Any]:
    return ToolDef.from_function(function).schema


def test_primitives_are_required_unless_defaulted() -> None:
    def tool(a: int, b: float, c: str, d: bool, e: None = None, f: int = 3) -> None:
        """Doc."""

    schema = schema_of(tool)
    assert schema["properties"] == {
        "a": {"type": "integer"},
        "b": {"type": "number"},
        "c": {"type": "string"},
        "d": {"type": "boolean"},
        "e": {"type": "null", "default": None},
        "f": {"type": "integer", "default": 3},
    }
    assert schema["required"] == ["a", "b", "c", "d"]
    assert schema["additionalProperties"] is False


def test_containers_optionals_literals_enums_and_descriptions() -> None:
    def tool(
        names: list[str],
        weights: dict[str, float],
        maybe: Optional[int],
        either: Union[int, str],
        mode: Literal["fast", "slow"],
        color: Color,
        radius: Annotated[float, "Sphere radius in cm"] = 1.0,
        nested: Optional[list[Color]] = None,
    ) -> None:
        pass

    props = schema_of(tool)["properties"]
    assert props["names"] == {"type": "array", "items": {"type": "string"}}
    assert props["weights"] == {"type": "object", "additionalProperties": {"type": "number"}}
    assert props["maybe"] == {"type": ["integer", "null"]}
    assert props["either"] == {"type": ["integer", "string"]}
    assert props["mode"] == {"enum": ["fast", "slow"], "type": "string"}
    assert props["color"] == {"enum": ["red", "green"], "type": "string"}
    assert props["radius"] == {
        "type": "number",
        "description": "Sphere radius in cm",
        "default": 1.0,
    }
    assert props["nested"] == {
        "anyOf": [
            {"type": "array", "items": {"enum": ["red", "green"], "type": "string"}},
            {"type": "null"},
        ],
        "default": None,
    }


def test_context_is_injected_and_not_in_the_schema() -> None:
    def tool(frames: int, ctx: dcclink.Context) -> str:
        return ""

    definition = ToolDef.from_function(tool)
    assert list(definition.schema["properties"]) == ["frames"]
    assert definition.context_param == "ctx"


def test_docstring_is_the_description_and_name_can_be_overridden() -> None:
    def tool() -> None:
        """Add two integers.

        Longer text."""

    definition = ToolDef.from_function(tool, name="renamed")
    assert definition.name == "renamed"
    assert definition.description == "Add two integers.\n\nLonger text."


def test_arguments_are_coerced_to_the_hinted_types() -> None:
    seen: dict[str, Any] = {}

    def tool(
        color: Color, colors: list[Color], scale: float, maybe: Optional[Color] = None
    ) -> None:
        seen.update(color=color, colors=colors, scale=scale, maybe=maybe)

    ToolDef.from_function(tool).invoke(
        {"color": "red", "colors": ["green"], "scale": 2, "maybe": None},
        None,  # type: ignore[arg-type]
    )
    assert seen == {"color": Color.RED, "colors": [Color.GREEN], "scale": 2.0, "maybe": None}
    assert isinstance(seen["scale"], float)


@pytest.mark.parametrize(
    ("annotation", "message"),
    [
        (set, "cannot describe"),
        (dict[int, str], "dict keys must be str"),
        (object, "cannot describe"),
    ],
)
def test_unsupported_hints_are_refused_with_the_parameter_name(
    annotation: Any, message: str
) -> None:
    def tool(x):  # type: ignore[no-untyped-def]
        pass

    tool.__annotations__ = {"x": annotation}
    with pytest.raises(SchemaError, match=rf"tool 'tool', parameter 'x'.*{message}"):
        ToolDef.from_function(tool)


def test_var_args_are_refused() -> None:
    def tool(*things: int) -> None:
        pass

    with pytest.raises(SchemaError, match="\\*args"):
        ToolDef.from_function(tool)


SHOT_FORM = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "$defs": {"range": {"type": "object", "properties": {"first": {"type": "integer"}}}},
    "properties": {"shot": {"type": "string"}, "frames": {"$ref": "#/$defs/range"}},
    "required": ["shot"],
    "additionalProperties": False,
}


def test_an_explicit_input_schema_replaces_the_hints_when_it_fits() -> None:
    def tool(shot: str, ctx: dcclink.Context, frames: Optional[dict] = None) -> None:
        """Doc."""

    assert ToolDef.from_function(tool, input_schema=SHOT_FORM).schema == SHOT_FORM
    assert ToolDef.from_function(tool, input_schema=SHOT_FORM).context_param == "ctx"

    def fewer(shot: str) -> None:
        """No frames parameter."""

    with pytest.raises(SchemaError, match="frames are not parameters of the function"):
        ToolDef.from_function(fewer, input_schema=SHOT_FORM)

    def more(shot: str, take: int) -> None:
        """A parameter the schema does not require."""

    with pytest.raises(SchemaError, match="take have no default, so the schema must list them"):
        ToolDef.from_function(more, input_schema={**SHOT_FORM, "properties": {"shot": {}}})
    with pytest.raises(SchemaError, match='"type": "object"'):
        ToolDef.from_function(fewer, input_schema={"type": "string"})


def test_the_decorator_returns_the_function_unchanged() -> None:
    def plain(a: int) -> int:
        return a * 2

    assert dcclink.tool(plain) is plain
    assert dcclink.tool(name="twice", timeout=5)(plain)(21) == 42


def test_the_return_hint_is_the_output_schema_of_structured_results() -> None:
    def output(returns: Any) -> Any:
        def tool() -> None: ...

        tool.__annotations__["return"] = returns
        return ToolDef.from_function(tool).output_schema

    assert output(dict[str, int]) == {"type": "object", "additionalProperties": {"type": "integer"}}
    assert output(int) == {
        "type": "object",
        "properties": {"result": {"type": "integer"}},
        "required": ["result"],
    }, "other JSON values arrive wrapped as {'result': …}"
    assert output(list[str])["properties"]["result"] == {
        "type": "array",
        "items": {"type": "string"},
    }
    for unstructured in (str, None, Optional[dict], dcclink.Image, dcclink.Content, Any):
        assert output(unstructured) is None, unstructured


def test_an_annotated_context_is_the_context_in_every_decorator() -> None:
    from dcclink._prompts import PromptDef
    from dcclink._resources import ResourceDef

    def tool(shot: str, ctx: Annotated[dcclink.Context, "the call"]) -> None:
        """Doc."""

    def prompt(shot: str, ctx: Annotated[dcclink.Context, "the call"]) -> str:
        """Doc."""
        return shot

    def resource(shot: str, ctx: Annotated[dcclink.Context, "the call"]) -> str:
        """Doc."""
        return shot

    made = ToolDef.from_function(tool)
    assert made.context_param == "ctx" and list(made.schema["properties"]) == ["shot"]
    assert PromptDef.from_function(prompt, None, None, None).context_param == "ctx"
    read = ResourceDef.from_function(resource, "shots://{shot}", None, None, None, None)
    assert read.context_param == "ctx"
