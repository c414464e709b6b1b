"""The ``dcclink`` command (also ``python -m dcclink``)."""

from __future__ import annotations

import json
import sys
from typing import Optional

from dcclink import _native
from dcclink._host import serve


def main(argv: Optional[list[str]] = None) -> int:
    """Runs the CLI; returns the process exit code."""
    options = _native.parse_args(sys.argv[1:] if argv is None else argv)
    if isinstance(options, int):
        return options
    if options.pop("command") == "panel":
        return show_panel(options["url"])
    options["tools"] = tuple(options["tools"])
    try:
        serve(**options)
    except KeyboardInterrupt:
        return 0
    except Exception as error:
        print(f"dcclink: {type(error).__name__}: {error}", file=sys.stderr)
        return 1
    return 0


def show_panel(url: str) -> int:
    """``dcclink panel``: the panel in a window of this process, until the
    window is closed (or Ctrl-C / SIGTERM). A crash here cannot take the DCC
    down."""
    import signal

    signal.signal(signal.SIGTERM, signal.default_int_handler)
    try:
        _native.open_panel_at(url)
        print(json.dumps({"panel": "open"}), file=sys.stderr, flush=True)
        # Wake now and then only so that Python can notice Ctrl-C.
        while not _native.wait_panel_closed(0.25):
            pass
    except KeyboardInterrupt:
        _native.close_panel()
    except Exception as error:
        print(f"dcclink: {type(error).__name__}: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
