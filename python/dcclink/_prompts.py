"""``@dcclink.prompt``: plain Python functions as MCP prompts, message
templates the user picks in the IDE, filled in on the DCC's main thread
(a prompt may read the scene)."""

from __future__ import annotations

import inspect
import typing
from dataclasses import dataclass, field
from typing import Annotated, Any, Callable, Optional, TypeVar, overload

from dcclink._catalog import Catalog
from dcclink._completion import CompleteFn, Completer, completers
from dcclink._native import Context
from dcclink._schema import SchemaError, is_context

F = TypeVar("F", bound=Callable[..., Any])


@dataclass
class PromptDef:
    """A function that fills in a prompt, described for MCP."""

    name: str
    description: str
    #: ``(name, description, required)`` for each argument.
    arguments: list[tuple[str, Optional[str], bool]]
    timeout: Optional[float]
    function: Callable[..., Any]
    context_param: Optional[str]
    completers: list[Completer] = field(default_factory=list)

    @classmethod
    def from_function(
        cls,
        function: Callable[..., Any],
        name: Optional[str],
        description: Optional[str],
        timeout: Optional[float],
        complete: Optional[dict[str, CompleteFn]] = None,
    ) -> PromptDef:
        """Reads the function's parameters (strings, as MCP prompt
        arguments are; ``Annotated[str, "…"]`` describes one) and its
        docstring."""
        prompt_name = name or function.__name__
        try:
            hints = typing.get_type_hints(function, include_extras=True)
        except Exception as error:  # a hint that does not resolve on this Python
            raise SchemaError(
                f"prompt {prompt_name!r}: cannot read its type hints ({error})"
            ) from None
        arguments: list[tuple[str, Optional[str], bool]] = []
        context_param = None
        for param in inspect.signature(function).parameters.values():
            hint = hints.get(param.name, str)
            if is_context(hint):
                context_param = param.name
                continue
            described = None
            if typing.get_origin(hint) is Annotated:
                hint, *extras = typing.get_args(hint)
                described = next((e for e in extras if isinstance(e, str)), None)
            if hint is not str or param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD):
                raise SchemaError(
                    f"prompt {prompt_name!r}, parameter {param.name!r}: prompt arguments "
                    "are named strings (str)"
                )
            arguments.append((param.name, described, param.default is param.empty))
        doc = description if description is not None else inspect.getdoc(function)
        where = f"prompt {prompt_name!r}"
        found = completers(complete or {}, (a[0] for a in arguments), where)
        return cls(prompt_name, doc or "", arguments, timeout, function, context_param, found)

    def invoke(self, arguments: dict[str, Any], ctx: Context) -> Any:
        """Fills the prompt in with the client's arguments."""
        if self.context_param is not None:
            arguments[self.context_param] = ctx
        return self.function(**arguments)


#: Every prompt defined in this process, by name.
registry: Catalog[PromptDef] = Catalog()


@overload
def prompt(function: F) -> F: ...
@overload
def prompt(
    *,
    name: Optional[str] = None,
    description: Optional[str] = None,
    timeout: Optional[float] = None,
    complete: Optional[dict[str, CompleteFn]] = None,
) -> Callable[[F], F]: ...
def prompt(
    function: Optional[F] = None,
    *,
    name: Optional[str] = None,
    description: Optional[str] = None,
    timeout: Optional[float] = None,
    complete: Optional[dict[str, CompleteFn]] = None,
) -> Any:
    """Makes a function an MCP prompt.

    Its parameters are the prompt's arguments (strings; those without a
    default are required), its docstring the description. Return a ``str``
    (one message from the user), or ``dcclink.Content`` (one message per
    block: text, images, embedded resources). ``complete`` maps an argument
    to a function that suggests values as the user types: ``(typed)`` or
    ``(typed, other_arguments)`` returning strings, run on the main thread.

    ```python
    @dcclink.prompt
    def review_lighting(shot: Annotated[str, "the shot, e.g. sh010"]) -> str:
        "Ask for a lighting review of a shot."
        return f"Review the lighting of {shot}: {dcclink_scene_summary(shot)}"
    ```
    """

    def register(f: F) -> F:
        definition = PromptDef.from_function(f, name, description, timeout, complete)
        registry.add(definition.name, definition)
        return f

    return register(function) if function is not None else register
