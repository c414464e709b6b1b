"""Type hints to JSON Schema, and JSON arguments back to the hinted types.

The schema is what the agent sees in ``tools/list``; the Rust side validates
every call against it before the tool is queued, so a tool only ever receives
arguments that match its signature.
"""

from __future__ import annotations

import enum
import inspect
import types
import typing
from typing import Any, Callable, Optional, Union

from dcclink._native import Context

Json = dict[str, Any]
Coerce = Callable[[Any], Any]

_PRIMITIVES: dict[Any, Json] = {
    int: {"type": "integer"},
    float: {"type": "number"},
    str: {"type": "string"},
    bool: {"type": "boolean"},
    type(None): {"type": "null"},
    None: {"type": "null"},
}


class SchemaError(TypeError):
    """A tool's signature uses a type dcclink cannot describe."""


def _is_union(origin: Any) -> bool:
    return origin is Union or (hasattr(types, "UnionType") and origin is types.UnionType)


def schema_for(hint: Any, where: str) -> Json:
    """The JSON Schema of one type hint; ``where`` names it in errors."""
    if hint is inspect.Parameter.empty or hint is Any:
        return {}
    if hint in _PRIMITIVES:
        return dict(_PRIMITIVES[hint])
    if isinstance(hint, type) and issubclass(hint, enum.Enum):
        return _enum_schema([member.value for member in hint])
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if origin is typing.Annotated:
        schema = schema_for(args[0], where)
        description = next((m for m in args[1:] if isinstance(m, str)), None)
        if description:
            schema["description"] = description
        return schema
    if origin is typing.Literal:
        return _enum_schema(list(args))
    if _is_union(origin):
        options = [schema_for(arg, where) for arg in args]
        simple = [o.get("type") for o in options]
        if all(isinstance(t, str) and len(o) == 1 for t, o in zip(simple, options)):
            return {"type": simple}
        return {"anyOf": options}
    if hint in (list, tuple) or origin in (list, tuple):
        item = args[0] if args and origin is not tuple else Any
        return {"type": "array", "items": schema_for(item, where)}
    if hint is dict or origin is dict:
        if args and args[0] is not str:
            raise SchemaError(f"{where}: dict keys must be str to come from JSON, not {args[0]!r}")
        value = args[1] if args else Any
        return {"type": "object", "additionalProperties": schema_for(value, where)}
    raise SchemaError(
        f"{where}: dcclink cannot describe {hint!r}; use int, float, str, bool, None, "
        "list[T], dict[str, T], Optional[T], Literal[...], an Enum or Annotated[T, 'description']"
    )


def output_schema_for(hint: Any, where: str) -> Optional[Json]:
    """The schema of a tool's structured result for a return hint, as the
    client receives it (an object; other JSON values come wrapped as
    ``{"result": …}``), or None when the result is not structured: text,
    images, anything that may be None, or a hint that says nothing."""
    if hint is inspect.Signature.empty or hint is Any or hint is str:
        return None
    if hint in (None, type(None)) or not _is_json_hint(hint):
        return None
    origin = typing.get_origin(hint)
    if _is_union(origin) and type(None) in typing.get_args(hint):
        return None
    try:
        schema = schema_for(hint, where)
    except SchemaError:
        return None  # a type only the tool understands: it says nothing
    if schema.get("type") == "object":
        return schema
    return {"type": "object", "properties": {"result": schema}, "required": ["result"]}


def _is_json_hint(hint: Any) -> bool:
    """False for the content types (dcclink.Image and the like)."""
    return getattr(hint, "__module__", "") != "dcclink"


def _enum_schema(values: list[Any]) -> Json:
    schema: Json = {"enum": values}
    kinds = {type(v) for v in values}
    names = {str: "string", int: "integer", float: "number", bool: "boolean"}
    if len(kinds) == 1 and next(iter(kinds)) in names:
        schema["type"] = names[next(iter(kinds))]
    return schema


def is_context(hint: Any) -> bool:
    """True for a parameter that receives the call's ``dcclink.Context``:
    hinted ``Context``, or ``Annotated[Context, ...]``. The one test the
    tool, resource and prompt decorators all use."""
    if typing.get_origin(hint) is typing.Annotated:
        hint = typing.get_args(hint)[0]
    return hint is Context


def coercer_for(hint: Any) -> Optional[Coerce]:
    """A function that turns a validated JSON value into the hinted type,
    or ``None`` when the JSON value is already right."""
    if isinstance(hint, type) and issubclass(hint, enum.Enum):
        return hint
    if hint is float:
        return float
    if hint is int:
        return exact_int
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if origin is typing.Annotated:
        return coercer_for(args[0])
    if _is_union(origin):
        inner = [a for a in args if a is not type(None)]
        if len(inner) == 1:
            return _lifted(coercer_for(inner[0]), lambda c, v: None if v is None else c(v))
        return None
    if origin is list and args:
        return _lifted(coercer_for(args[0]), lambda c, v: [c(x) for x in v])
    if origin is dict and len(args) == 2:
        return _lifted(coercer_for(args[1]), lambda c, v: {k: c(x) for k, x in v.items()})
    return None


def _lifted(inner: Optional[Coerce], apply: Callable[[Coerce, Any], Any]) -> Optional[Coerce]:
    """A coercer of a container (an optional, a list, a dict) that applies
    ``inner`` to what it holds; none when its items need none."""
    if inner is None:
        return None
    return lambda value: apply(inner, value)


#: The largest integer every JSON parser holds exactly: a double's 53 bits.
_EXACT_IN_A_DOUBLE = 2**53


def exact_int(value: Any) -> int:
    """An ``int`` parameter's value. JSON Schema counts ``1.0`` and ``1e2``
    as integers, so they pass validation as floats; the tool gets them as
    ``int``. An integer past 64 bits reaches dcclink as a double that may
    have lost digits, so one beyond a double's exact range is refused
    rather than passed on wrong."""
    if isinstance(value, float):
        if abs(value) > _EXACT_IN_A_DOUBLE:
            raise ValueError(
                f"{value!r} is too large to arrive exactly as a JSON number (integers beyond "
                "64 bits lose digits on the way); send it as a string"
            )
        return int(value)
    return int(value)


def json_default(value: Any) -> tuple[bool, Any]:
    """Whether a parameter default can be shown in the schema, and as what."""
    if isinstance(value, enum.Enum):
        value = value.value
    if value is None or isinstance(value, (bool, int, float, str)):
        return True, value
    if isinstance(value, (list, tuple)) and all(json_default(v)[0] for v in value):
        return True, [json_default(v)[1] for v in value]
    return False, None
