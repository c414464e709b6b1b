"""Completers: suggestions for a prompt's argument or a resource template's
variable while the user types it (``complete=`` on ``@dcclink.prompt`` and
``@dcclink.resource``)."""

from __future__ import annotations

import inspect
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Callable

from dcclink._native import Context
from dcclink._schema import SchemaError

#: ``(value)`` or ``(value, context)``: the text typed so far, and the other
#: arguments already chosen; returns the suggestions.
CompleteFn = Callable[..., Iterable[str]]


@dataclass
class Completer:
    """One argument's completer."""

    argument: str
    function: CompleteFn
    takes_context: bool

    def invoke(self, arguments: dict[str, Any], ctx: Context) -> list[str]:
        """Runs the function with what the client sent."""
        value = arguments.get("value", "")
        if self.takes_context:
            suggestions = self.function(value, arguments.get("context", {}))
        else:
            suggestions = self.function(value)
        return [str(s) for s in suggestions]


def completers(
    complete: dict[str, CompleteFn], arguments: Iterable[str], where: str
) -> list[Completer]:
    """The completers ``complete`` names, checked against ``arguments``."""
    known = set(arguments)
    found = []
    for argument, function in complete.items():
        if argument not in known:
            raise SchemaError(
                f"{where}: complete names {argument!r}, which is not one of its arguments "
                f"({', '.join(sorted(known)) or 'none'})"
            )
        positional = [
            p
            for p in inspect.signature(function).parameters.values()
            if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
        ]
        found.append(Completer(argument, function, takes_context=len(positional) >= 2))
    return found
