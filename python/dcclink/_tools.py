"""``@dcclink.tool``: plain Python functions as MCP tools."""

from __future__ import annotations

import inspect
import typing
from collections.abc import Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Any, Callable, Literal, Optional, TypeVar, overload

from dcclink._catalog import Catalog
from dcclink._native import Context
from dcclink._schema import (
    Coerce,
    Json,
    SchemaError,
    coercer_for,
    is_context,
    json_default,
    output_schema_for,
    schema_for,
)

F = TypeVar("F", bound=Callable[..., Any])

#: Whether a tool may run as an MCP task (its ``execution.taskSupport``).
TaskSupport = Literal["forbidden", "optional", "required"]
TASK_SUPPORT: tuple[str, ...] = typing.get_args(TaskSupport)


class Cancelled(Exception):
    """Raise this from a tool once ``ctx.cancelled`` is true."""


@dataclass
class ToolDef:
    """A function, described for MCP."""

    name: str
    description: str
    schema: Json
    timeout: Optional[float]
    function: Callable[..., Any]
    context_param: Optional[str] = None
    coercers: dict[str, Coerce] = field(default_factory=dict)
    #: The schema of its structured result, from the return hint.
    output_schema: Optional[Json] = None
    #: A title for people.
    title: Optional[str] = None
    #: MCP's hints: read_only, destructive, idempotent, open_world.
    hints: dict[str, bool] = field(default_factory=dict)
    #: Whether it may run as an MCP task: "forbidden", "optional", "required".
    task: TaskSupport = "forbidden"
    #: False: its calls run on a thread of their own, not the main thread.
    main_thread: bool = True

    @classmethod
    def from_function(
        cls,
        function: Callable[..., Any],
        name: Optional[str] = None,
        description: Optional[str] = None,
        timeout: Optional[float] = None,
        title: Optional[str] = None,
        hints_given: Optional[dict[str, bool]] = None,
        input_schema: Optional[Json] = None,
        task: TaskSupport = "forbidden",
        main_thread: bool = True,
    ) -> ToolDef:
        """Reads the signature, type hints and docstring of ``function``;
        ``input_schema``, when given, describes the arguments instead of
        the hints."""
        tool_name = name or function.__name__
        if task not in TASK_SUPPORT:
            raise SchemaError(
                f"tool {tool_name!r}: task={task!r} is not one of {', '.join(TASK_SUPPORT)}"
            )
        try:
            hints = typing.get_type_hints(function, include_extras=True)
        except Exception as error:  # a hint that does not resolve on this Python
            raise SchemaError(f"tool {tool_name!r}: cannot read its type hints ({error})") from None
        params = inspect.signature(function).parameters
        context_param = next((p for p in params if is_context(hints.get(p))), None)
        coercers: dict[str, Coerce] = {}
        if input_schema is not None:
            schema = _checked_input_schema(params, input_schema, tool_name, context_param)
        else:
            schema, coercers = _schema_from_hints(params, hints, tool_name, context_param)
        doc = description if description is not None else inspect.getdoc(function)
        returned = hints.get("return", inspect.Signature.empty)
        return cls(
            name=tool_name,
            description=doc or "",
            schema=schema,
            timeout=timeout,
            function=function,
            context_param=context_param,
            coercers=coercers,
            output_schema=output_schema_for(returned, f"tool {tool_name!r}, its return type"),
            title=title,
            hints=hints_given or {},
            task=task,
            main_thread=main_thread,
        )

    def invoke(self, arguments: dict[str, Any], ctx: Context) -> Any:
        """Calls the function with validated JSON ``arguments``."""
        for param, coerce in self.coercers.items():
            if param in arguments:
                try:
                    arguments[param] = coerce(arguments[param])
                except ValueError as error:
                    raise ValueError(f"argument {param!r}: {error}") from None
        if self.context_param is not None:
            arguments[self.context_param] = ctx
        scope = call_scope if self.main_thread else None  # an undo step belongs to the main thread
        if scope is None:
            return self.function(**arguments)
        with scope(self):
            return self.function(**arguments)


def _schema_from_hints(
    params: Mapping[str, inspect.Parameter],
    hints: dict[str, Any],
    tool_name: str,
    context_param: Optional[str],
) -> tuple[Json, dict[str, Coerce]]:
    """The arguments' schema from the parameters (all but the context) and
    their type hints, and the coercers that turn JSON back into the hinted
    types."""
    properties: Json = {}
    required: list[str] = []
    coercers: dict[str, Coerce] = {}
    for param in params.values():
        where = f"tool {tool_name!r}, parameter {param.name!r}"
        if param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD):
            raise SchemaError(f"{where}: *args and **kwargs cannot be described to an agent")
        if param.name == context_param:
            continue
        hint = hints.get(param.name, param.annotation)
        schema = schema_for(hint, where)
        if param.default is param.empty:
            required.append(param.name)
        else:
            shown, value = json_default(param.default)
            if shown:
                schema["default"] = value
        properties[param.name] = schema
        coerce = coercer_for(hint)
        if coerce is not None:
            coercers[param.name] = coerce
    schema = {"type": "object", "properties": properties, "additionalProperties": False}
    if required:
        schema["required"] = required
    return schema, coercers


def _checked_input_schema(
    params: Mapping[str, inspect.Parameter],
    schema: Json,
    tool_name: str,
    context_param: Optional[str],
) -> Json:
    """``schema``, once it is an object schema that fits the signature: each
    property a parameter (unless the function takes ``**kwargs``) but not
    the context, and each parameter without a default a required property."""
    where = f"tool {tool_name!r}, input_schema"
    if not isinstance(schema, dict) or schema.get("type") != "object":
        raise SchemaError(f'{where}: must be a JSON Schema object with "type": "object"')
    takes_any = any(p.kind is p.VAR_KEYWORD for p in params.values())
    properties = schema.get("properties", {})
    if context_param in properties:
        raise SchemaError(f"{where}: {context_param} is the call's context, not an argument")
    unknown = [key for key in properties if key not in params]
    if unknown and not takes_any:
        raise SchemaError(f"{where}: {', '.join(unknown)} are not parameters of the function")
    required = set(schema.get("required", []))
    needed = [
        p.name
        for p in params.values()
        if p.default is p.empty
        and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
        and p.name != context_param
        and p.name not in required
    ]
    if needed:
        raise SchemaError(
            f"{where}: {', '.join(needed)} have no default, so the schema must list them "
            'in "required"'
        )
    return dict(schema)


#: Every tool defined in this process, by name.
registry: Catalog[ToolDef] = Catalog()
#: Wraps every tool call when set: the running host adapter's
#: ``call_scope`` (its undo step), set by ``dcclink.start`` and ``serve``.
call_scope: Optional[Callable[[ToolDef], AbstractContextManager[None]]] = None


@overload
def tool(function: F) -> F: ...
@overload
def tool(
    *,
    name: Optional[str] = None,
    description: Optional[str] = None,
    timeout: Optional[float] = None,
    title: Optional[str] = None,
    read_only: Optional[bool] = None,
    destructive: Optional[bool] = None,
    idempotent: Optional[bool] = None,
    open_world: Optional[bool] = None,
    input_schema: Optional[Json] = None,
    task: TaskSupport = "forbidden",
    main_thread: bool = True,
) -> Callable[[F], F]: ...
def tool(
    function: Optional[F] = None,
    *,
    name: Optional[str] = None,
    description: Optional[str] = None,
    timeout: Optional[float] = None,
    title: Optional[str] = None,
    read_only: Optional[bool] = None,
    destructive: Optional[bool] = None,
    idempotent: Optional[bool] = None,
    open_world: Optional[bool] = None,
    input_schema: Optional[Json] = None,
    task: TaskSupport = "forbidden",
    main_thread: bool = True,
) -> Any:
    """Makes a function an MCP tool.

    The docstring is the description, the type hints are the input schema,
    and a parameter annotated ``dcclink.Context`` receives the call's context.
    The return hint gives the output schema of structured results (``dict``,
    ``list``, ``int``, …; not ``str``, images, or anything ``Optional``), and
    dcclink checks every result against it. ``read_only``, ``destructive``,
    ``idempotent`` and ``open_world`` are MCP's hints for the client (say
    what you know; leave out what you do not). ``input_schema`` replaces
    the schema the hints give with one of your own (any JSON Schema
    2020-12 object schema: ``$defs``, ``$ref``, nested objects); the server
    validates each call against it, and the function gets the JSON values
    as they are. ``task`` says whether a client may run it as an MCP task,
    which answers the call at once and is fetched later by id: "optional",
    "required" (long work: renders, caches, exports), or "forbidden" (the
    default). A task runs in the same queue as every other call; the tool
    sees ``ctx.task_id``. ``main_thread=False`` runs each call on a thread of
    its own, started in its turn, so the DCC's main thread (and the calls
    queued behind it) need not wait for it: for a tool that touches no scene
    and waits on something else, such as a worker pool
    (:mod:`dcclink.workers`). Such a tool must not use the DCC's API itself
    (:func:`dcclink.run_on_main_thread_sync` does that for it). The function
    itself is returned unchanged.

    ```python
    @dcclink.tool
    def add(a: int, b: int) -> int:
        "Add two integers."
        return a + b

    @dcclink.tool(name="render_frames", timeout=600, read_only=True, task="optional")
    def render(frames: int, ctx: dcclink.Context) -> str: ...
    ```
    """
    given = {"read_only": read_only, "destructive": destructive}
    given.update(idempotent=idempotent, open_world=open_world)
    hints = {key: value for key, value in given.items() if value is not None}

    def register(f: F) -> F:
        definition = ToolDef.from_function(
            f, name, description, timeout, title, hints, input_schema, task, main_thread
        )
        registry.add(definition.name, definition)
        return f

    return register(function) if function is not None else register
