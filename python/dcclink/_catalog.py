"""A catalog of definitions (tools, resources, prompts) by key, and the
running host, which hears of each one as it is defined."""

from __future__ import annotations

from typing import Callable, Dict, Optional, TypeVar  # noqa: UP035 (Dict: a generic base on 3.9)

D = TypeVar("D")


class Catalog(Dict[str, D]):  # noqa: UP006
    """Definitions by key; ``attach`` hands them all, and every later one,
    to the running host."""

    def __init__(self) -> None:
        super().__init__()
        self._listener: Optional[Callable[[D], None]] = None

    def add(self, key: str, definition: D) -> None:
        """Defines (or redefines) ``key``; the host hears of it."""
        self[key] = definition
        if self._listener is not None:
            self._listener(definition)

    def attach(self, listener: Callable[[D], None]) -> None:
        """Hands every definition to ``listener`` now, and each new one
        when it comes."""
        self._listener = listener
        for definition in self.values():
            listener(definition)
