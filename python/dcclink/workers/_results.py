"""A worker's MCP answer back into the Python value its tool returned."""

from __future__ import annotations

import base64
from typing import Any, Optional, Union

from dcclink._native import Audio, Content, EmbeddedResource, Image

Json = dict[str, Any]
Block = Union[str, Image, Audio, EmbeddedResource]


def tool_error(result: Json) -> Optional[str]:
    """The error text of a result the tool raised, or None when it returned."""
    if not result.get("isError"):
        return None
    texts = [block.get("text", "") for block in result.get("content", [])]
    return "\n".join(text for text in texts if text) or "the tool failed and said nothing"


def value_of(result: Json, output_schema: Optional[Json]) -> Any:
    """What the tool returned: its structured result (a non-object value
    unwrapped from dcclink's ``{"result": …}``), else its content: ``None``,
    a ``str``, a :class:`dcclink.Image` and the like, or a
    :class:`dcclink.Content` of several blocks."""
    structured = result.get("structuredContent")
    if structured is not None:
        return _unwrapped(structured, output_schema)
    blocks = [_block(block) for block in result.get("content", [])]
    if not blocks:
        return None
    if len(blocks) == 1:
        return blocks[0]
    return Content(*blocks)


def _unwrapped(structured: Any, output_schema: Optional[Json]) -> Any:
    """dcclink sends a tool's non-object value as ``{"result": value}``,
    with an output schema of that one property when the return hint gave
    one; a dict with the one key ``result`` under a schema of its own is
    the tool's own dict."""
    if not isinstance(structured, dict) or list(structured) != ["result"]:
        return structured
    if output_schema is None or output_schema.get("required") == ["result"]:
        return structured["result"]
    return structured


def _block(block: Json) -> Block:
    kind = block.get("type")
    if kind == "text":
        return str(block.get("text", ""))
    if kind == "image":
        return Image(base64.b64decode(block["data"]), block.get("mimeType", "image/png"))
    if kind == "audio":
        return Audio(base64.b64decode(block["data"]), block.get("mimeType", "audio/wav"))
    if kind == "resource":
        resource = block["resource"]
        blob = resource.get("blob")
        return EmbeddedResource(
            resource["uri"],
            text=resource.get("text"),
            blob=base64.b64decode(blob) if blob is not None else None,
            mime_type=resource.get("mimeType"),
        )
    raise ValueError(f"the worker sent a content block dcclink does not know: {kind!r}")
