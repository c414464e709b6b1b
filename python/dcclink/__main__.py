"""The ``dcclink`` command (also ``python -m dcclink``)."""

from __future__ import annotations

import sys
from typing import Optional

from dcclink import _native
from dcclink._host import serve


def main(argv: Optional[list[str]] = None) -> int:
    """Runs the CLI; returns the process exit code."""
    options = _native.parse_args(sys.argv[1:] if argv is None else argv)
    if isinstance(options, int):
        return options
    options.pop("command")
    options["tools"] = tuple(options["tools"])
    try:
        serve(**options)
    except KeyboardInterrupt:
        return 0
    except Exception as error:
        print(f"dcclink: {type(error).__name__}: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
