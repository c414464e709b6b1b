"""The host running in this process, if any: one slot that the module which
starts and stops dcclink (``_host``) fills, and that the decorators and the
panel read. A leaf, so that none of them imports another to find it."""

from __future__ import annotations

from typing import Optional

from dcclink import _native

_host: Optional[_native.Host] = None


def set_host(host: Optional[_native.Host]) -> None:
    """Records ``host`` as this process's (``None`` to forget it)."""
    global _host
    _host = host


def last_host() -> Optional[_native.Host]:
    """The host last started, running or not."""
    return _host


def running_host() -> Optional[_native.Host]:
    """The running host, or None."""
    host = _host
    return host if host is not None and host.state == "Active" else None


def current_host() -> _native.Host:
    """The running host, or a RuntimeError that says how to start one."""
    host = running_host()
    if host is None:
        raise RuntimeError(
            "dcclink is not running: call dcclink.serve() (standalone) or dcclink.start() "
            "(inside a DCC) first"
        )
    return host
