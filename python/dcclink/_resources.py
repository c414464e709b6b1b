"""``@dcclink.resource``: plain Python functions as MCP resources, read on
the DCC's main thread like tools."""

from __future__ import annotations

import inspect
import json
import re
import typing
from dataclasses import dataclass, field
from typing import Any, Callable, Optional, TypeVar

from dcclink._catalog import Catalog
from dcclink._completion import CompleteFn, Completer, completers
from dcclink._native import Context, Image, check_resource_uri
from dcclink._running import running_host
from dcclink._schema import SchemaError, is_context

F = TypeVar("F", bound=Callable[..., Any])

#: A template variable: ``{name}``.
VARIABLE = re.compile(r"\{([A-Za-z0-9_]+)\}")
#: What a reader's return annotation says about its MIME type.
MIME_BY_RETURN = {str: "text/plain", dict: "application/json", list: "application/json"}


@dataclass
class ResourceDef:
    """A function that reads a resource, described for MCP."""

    uri: str
    name: str
    description: str
    mime_type: Optional[str]
    timeout: Optional[float]
    function: Callable[..., Any]
    context_param: Optional[str]
    completers: list[Completer] = field(default_factory=list)

    @classmethod
    def from_function(
        cls,
        function: Callable[..., Any],
        uri: str,
        name: Optional[str],
        description: Optional[str],
        mime_type: Optional[str],
        timeout: Optional[float],
        complete: Optional[dict[str, CompleteFn]] = None,
    ) -> ResourceDef:
        """Checks that the function's parameters are the template's
        variables, and reads its docstring and return type."""
        where = f"resource {uri!r}"
        check_resource_uri(uri)
        try:
            hints = typing.get_type_hints(function)
        except Exception as error:  # a hint that does not resolve on this Python
            raise SchemaError(f"{where}: cannot read its type hints ({error})") from None
        variables = set(VARIABLE.findall(uri))
        context_param = None
        params = set()
        for param in inspect.signature(function).parameters.values():
            if is_context(hints.get(param.name)):
                context_param = param.name
            elif param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD):
                raise SchemaError(f"{where}: *args and **kwargs cannot be filled from a URI")
            elif hints.get(param.name, str) is not str:
                raise SchemaError(f"{where}: parameter {param.name!r} comes from the URI: a str")
            else:
                params.add(param.name)
        if params != variables:
            raise SchemaError(
                f"{where}: the function's parameters ({', '.join(sorted(params)) or 'none'}) "
                f"must be the URI's variables ({', '.join(sorted(variables)) or 'none'})"
            )
        returned = typing.get_origin(hints.get("return")) or hints.get("return")
        return cls(
            uri=uri,
            name=name or function.__name__,
            description=description if description is not None else inspect.getdoc(function) or "",
            mime_type=mime_type or MIME_BY_RETURN.get(returned),  # type: ignore[arg-type]
            timeout=timeout,
            function=function,
            context_param=context_param,
            completers=completers(complete or {}, variables, where),
        )

    def invoke(self, variables: dict[str, Any], ctx: Context) -> Any:
        """Reads the resource: text as it is, bytes and images as blobs,
        anything else as JSON."""
        if self.context_param is not None:
            variables[self.context_param] = ctx
        value = self.function(**variables)
        if isinstance(value, (str, Image)):
            return value
        if isinstance(value, bytes):
            return Image(value, self.mime_type or "application/octet-stream")
        return json.dumps(value)


def resource_updated(uri: str) -> None:
    """Tells the clients subscribed to ``uri`` that its contents changed
    (they read it again). Call it from any thread, for instance from the
    DCC's scene-changed callback; it does nothing while dcclink is stopped."""
    host = running_host()
    if host is not None:
        host.resource_updated(uri)


#: Every resource defined in this process, by URI or template.
registry: Catalog[ResourceDef] = Catalog()


def resource(
    uri: str,
    *,
    name: Optional[str] = None,
    description: Optional[str] = None,
    mime_type: Optional[str] = None,
    timeout: Optional[float] = None,
    complete: Optional[dict[str, CompleteFn]] = None,
) -> Callable[[F], F]:
    """Makes a function an MCP resource at ``uri``, read on the main thread.

    ``uri`` may be a template: each ``{variable}`` fills the parameter of
    that name (a ``str``). The docstring is the description. Return ``str``
    (text), a dict or list (JSON), ``bytes`` or a ``dcclink.Image`` (a
    blob); the return annotation sets the MIME type unless ``mime_type``
    does. ``complete`` maps a template variable to a function that
    suggests values as the user types (see ``@dcclink.prompt``). The
    function itself is returned unchanged, so it may also be a tool.

    ```python
    @dcclink.resource("maya://scene")
    def scene() -> dict:
        "The open scene."
        return {"file": cmds.file(query=True, sceneName=True)}

    @dcclink.resource("maya://objects/{name}")
    def object_info(name: str) -> dict: ...
    ```
    """

    def register(function: F) -> F:
        definition = ResourceDef.from_function(
            function, uri, name, description, mime_type, timeout, complete
        )
        registry.add(definition.uri, definition)
        return function

    return register
