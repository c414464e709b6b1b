"""Running dcclink in this process: the standalone host (``serve``), an
embedded host that owns its event loop (``start`` + ``pump``), and the
main-thread helpers."""

from __future__ import annotations

import dataclasses
import functools
import importlib.util
import json
import platform
import sys
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Literal, Optional, Protocol, TypeVar, Union

from dcclink import _native, _prompts, _resources, _tools, hosts, panel
from dcclink._running import current_host, last_host, running_host, set_host

F = TypeVar("F", bound=Callable[..., Any])

_lock = threading.Lock()
_adapter: Optional[hosts.HostAdapter] = None
_main_thread_ident: int = threading.main_thread().ident or 0


@dataclass(frozen=True)
class ServerInfo:
    """Where clients reach a running dcclink: the MCP endpoint, its bearer
    token, the panel's address (with the token, for the first load), its
    id in the instance registry (what ``dcclink list`` shows), and, when it
    serves other machines, its TLS endpoint and the SHA-256 fingerprint of
    the certificate there (what ``dcclink connect --fingerprint`` pins)."""

    url: Optional[str]
    token: str
    panel: Optional[str] = None
    instance: Optional[str] = None
    remote_url: Optional[str] = None
    fingerprint: Optional[str] = None

    @classmethod
    def of(cls, serving: _native.Serving) -> ServerInfo:
        """The info of a server ``Host.start`` started."""
        return cls(
            url=serving.url,
            token=serving.token,
            panel=serving.panel,
            instance=serving.instance,
            remote_url=serving.remote_url,
            fingerprint=serving.fingerprint,
        )


def _register(host: _native.Host, definition: _tools.ToolDef) -> None:
    host.register_tool(
        definition.name,
        definition.description,
        definition.schema,
        definition.invoke,
        timeout=definition.timeout,
        title=definition.title,
        output_schema=definition.output_schema,
        hints=definition.hints,
        task=definition.task,
        main_thread=definition.main_thread,
    )


def _register_resource(host: _native.Host, definition: _resources.ResourceDef) -> None:
    host.register_resource(
        definition.uri,
        definition.name,
        definition.description,
        definition.invoke,
        mime_type=definition.mime_type,
        timeout=definition.timeout,
    )
    for completer in definition.completers:
        host.register_completer("resource", definition.uri, completer.argument, completer.invoke)


def _register_prompt(host: _native.Host, definition: _prompts.PromptDef) -> None:
    host.register_prompt(
        definition.name,
        definition.description,
        definition.arguments,
        definition.invoke,
        timeout=definition.timeout,
    )
    for completer in definition.completers:
        host.register_completer("prompt", definition.name, completer.argument, completer.invoke)


def _create_host(queue_capacity: int, queue_timeout: float, timeout: float) -> _native.Host:
    global _main_thread_ident
    with _lock:
        if running_host() is not None:
            raise RuntimeError(
                "dcclink is already running in this process; call dcclink.stop() first"
            )
        host = _native.Host(
            queue_capacity=queue_capacity, queue_timeout=queue_timeout, timeout=timeout
        )
        _tools.registry.attach(functools.partial(_register, host))
        _resources.registry.attach(functools.partial(_register_resource, host))
        _prompts.registry.attach(functools.partial(_register_prompt, host))
        for name, function in panel.callbacks.items():
            host.register_callback(name, function)
        panel.listeners[:] = [host.register_callback]
        set_host(host)
        _main_thread_ident = threading.get_ident()
        return host


def load_tool_files(paths: list[Union[str, Path]]) -> None:
    """Imports the tools: each entry is a Python file, or the dotted name of
    a module such as ``dcclink.packs.blender``; their ``@dcclink.tool``
    functions register.

    Each file's folder goes on ``sys.path`` so it can import its neighbours."""
    for entry in map(str, paths):
        path = Path(entry)
        if not path.is_file():
            if entry.endswith(".py") or "/" in entry or not entry.replace(".", "").isidentifier():
                raise FileNotFoundError(f"tool file {entry!r} does not exist")
            importlib.import_module(entry)
            continue
        folder = str(path.resolve().parent)
        if folder not in sys.path:
            sys.path.insert(0, folder)
        name = f"dcclink_tools_{path.stem}"
        spec = importlib.util.spec_from_file_location(name, path)
        if spec is None or spec.loader is None:
            raise ImportError(f"cannot import {entry!r} as Python")
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)


def serve(
    *,
    stdio: bool = False,
    http: Optional[str] = None,
    token: Optional[str] = None,
    allow_hosts: Sequence[str] = (),
    tls_cert: Optional[str] = None,
    tls_key: Optional[str] = None,
    remote_panel: bool = False,
    tools: tuple[str, ...] = (),
    queue_capacity: int = 1024,
    queue_timeout: float = 60.0,
    timeout: float = 60.0,
    max_request_bytes: int = 8 * 1024 * 1024,
    max_sessions: int = 16,
    max_in_flight: int = 64,
    max_calls_per_client: int = 64,
    worker: bool = False,
    farm: Optional[Farm] = None,
    verbose: int = 0,
) -> None:
    """Runs the standalone host and blocks until it shuts down (Ctrl-C,
    SIGTERM, stdin closing, or ``dcclink.stop()`` from another thread).

    The calling thread becomes the main thread that runs every tool. With
    neither ``stdio`` nor ``http`` it serves stdio. ``tools`` are Python files
    to import first. An ``http`` address other than loopback needs ``token``
    and is served over TLS (see :func:`start`). With HTTP it prints one JSON
    line on stderr once it listens: the fields of :class:`ServerInfo`
    (``panel`` is the link that opens the panel in a browser, ``instance``
    its id for ``dcclink panel --instance``).

    ``worker`` serves as one of a pool's workers (:mod:`dcclink.workers`):
    tool calls push no undo step (a batch worker has no use for the
    history, and each step costs time and memory), and an HTTP worker is
    not listed in the instance registry. ``farm`` serves a farm's tools
    instead of importing ``tools`` (``dcclink serve --workers``).
    """
    if not stdio and http is None:
        stdio = True
    if stdio:
        _native.protect_stdout()
    _native.init_logging(verbose)
    host = _create_host(queue_capacity, queue_timeout, timeout)
    serving: dict[str, Any] = {
        "stdio": stdio,
        "http": http,
        "token": token,
        "allow_hosts": list(allow_hosts),
        "tls_cert": tls_cert,
        "tls_key": tls_key,
        "remote_panel": remote_panel,
        "max_request_bytes": max_request_bytes,
        "max_sessions": max_sessions,
        "max_in_flight": max_in_flight,
        "max_calls_per_client": max_calls_per_client,
        "handle_signals": True,
    }
    try:
        if farm is None:
            info = _start_standalone(host, tools, worker, **serving)
        else:
            farm.attach(host)
            info = ServerInfo.of(host.start(dcc=farm.dcc, scene=farm.scene, **serving))
        if info.url is not None:
            fields = dataclasses.asdict(info)
            line = {key: value for key, value in fields.items() if value is not None}
            print(json.dumps(line), file=sys.stderr, flush=True)
        host.serve_forever()
    finally:
        host.stop()
        if farm is not None:
            farm.close()


class Farm(Protocol):
    """Tools served from elsewhere: a pool of workers runs them
    (:mod:`dcclink.workers`), so ``serve`` imports none itself."""

    #: How the instance registry lists it (``dcclink list``).
    dcc: str
    scene: str

    def attach(self, host: _native.Host) -> None:
        """Registers the tools in ``host``."""

    def close(self) -> None:
        """Stops the workers, once ``host`` has stopped."""


def _start_standalone(
    host: _native.Host, tools: Sequence[Union[str, Path]], worker: bool, **serving: Any
) -> ServerInfo:
    """Imports the tools and starts serving: as ``dcclink serve``, listed as
    a standalone host whose calls are undo steps, or as a pool's worker."""
    _tools.call_scope = None if worker else hosts.headless_scope
    load_tool_files(list(tools))
    dcc = None if worker else "standalone"
    return ServerInfo.of(host.start(dcc=dcc, dcc_version=platform.python_version(), **serving))


def start_worker(
    http: str, token: str, tools: Sequence[Union[str, Path]], timeout: float
) -> tuple[_native.Host, ServerInfo]:
    """Starts this process as one of a pool's workers, serving MCP at
    ``http`` (over TLS when other machines reach it), and returns its host,
    whose ``serve_forever`` the caller's thread then runs: a Ray actor's
    (:mod:`dcclink.workers`)."""
    _native.init_logging(0)
    host = _create_host(1024, 60.0, timeout)
    try:
        return host, _start_standalone(host, tools, True, http=http, token=token)
    except BaseException:
        host.stop()
        raise


def start(
    *,
    host: str = "auto",
    http: Optional[str] = "127.0.0.1:0",
    token: Optional[str] = None,
    allow_hosts: Sequence[str] = (),
    tls_cert: Optional[str] = None,
    tls_key: Optional[str] = None,
    remote_panel: bool = False,
    queue_capacity: int = 1024,
    queue_timeout: float = 60.0,
    timeout: float = 60.0,
    max_request_bytes: int = 8 * 1024 * 1024,
    max_sessions: int = 16,
    max_in_flight: int = 64,
    max_calls_per_client: int = 64,
    dcc: Optional[str] = None,
    dcc_version: Optional[str] = None,
    scene: Optional[str] = None,
) -> ServerInfo:
    """Starts the server without blocking, inside a host that owns its event
    loop. Call it on the host's main thread: that thread runs the tools.

    ``host`` says how the pump runs there (see :mod:`dcclink.hosts`):
    ``"auto"`` picks the adapter for the running application (a Qt
    application is pumped from its event loop, woken the moment a call
    arrives); ``"none"``, and "auto" when nothing is recognised, leave it to
    you: call :func:`pump` from the host's timer or idle callback.

    ``dcc``, ``dcc_version`` and ``scene`` describe the host in the instance
    registry, where ``dcclink list`` and ``dcclink panel`` find it (the
    adapter fills in what you leave out); :func:`set_scene` updates the
    scene.

    An ``http`` address other machines reach (``"0.0.0.0:8765"``, a LAN
    address) needs ``token``, a long secret of your own. dcclink then serves
    MCP there over TLS, with ``tls_cert`` and ``tls_key`` (PEM files) or a
    self-signed certificate it makes once and keeps in your config dir, and
    answers to its own address and the names in ``allow_hosts``. The panel
    and local clients get a loopback port of their own; ``remote_panel``
    serves the panel at the TLS address too.

    ``max_sessions``, ``max_in_flight`` and ``max_calls_per_client`` keep
    one runaway agent from starving the others: the HTTP sessions open at
    once, the requests one session awaits answers to, and the calls one
    client has queued or running. Past each, the request is refused with
    an error that names the bound."""
    global _adapter
    _native.init_logging(0)
    adapter = hosts.select(host)
    named, version, opened = adapter.describe() if adapter is not None else ("python", None, None)
    native = _create_host(queue_capacity, queue_timeout, timeout)
    try:
        serving = native.start(
            http=http,
            token=token,
            allow_hosts=list(allow_hosts),
            tls_cert=tls_cert,
            tls_key=tls_key,
            remote_panel=remote_panel,
            max_request_bytes=max_request_bytes,
            max_sessions=max_sessions,
            max_in_flight=max_in_flight,
            max_calls_per_client=max_calls_per_client,
            dcc=dcc or named,
            dcc_version=dcc_version or version,
            scene=scene or opened,
        )
        _tools.call_scope = hosts.headless_scope if adapter is None else adapter.call_scope
        if adapter is not None:
            adapter.attach(native)
    except BaseException:
        native.stop()
        raise
    _adapter = adapter
    return ServerInfo.of(serving)


def set_scene(scene: Optional[str]) -> None:
    """Records the scene or file now open in the host (call it from the
    host's file-opened hook), so that ``dcclink list`` shows it."""
    current_host().set_scene(scene)


def instances() -> list[dict[str, Any]]:
    """The dcclink instances running on this machine for this user, oldest
    first: ``id``, ``pid``, ``dcc``, ``dcc_version``, ``scene``, ``url``,
    ``token``, ``started`` (Unix seconds) and ``panel`` (its link).
    Raises ``PermissionError`` when the registry's folder is not private
    to this user (another user could have planted entries in it)."""
    return _native.instances()


def stop(timeout: float = 5.0) -> None:
    """Stops the server: queued calls are answered "shutting down" and the
    running call gets ``timeout`` seconds. Does nothing when not running."""
    global _adapter
    native = last_host()
    if native is not None:
        native.stop(timeout)
    _tools.call_scope = None
    # The adapter's own objects belong to the main thread; elsewhere it
    # notices the stop at its next wake-up.
    if _adapter is not None and is_main_thread():
        _adapter.detach()
        _adapter = None


def open_panel(mode: Literal["auto", "thread", "host"] = "auto") -> None:
    """Opens the panel in a window of its own, or brings it to the front.
    Closing it never stops the server, and it can be reopened.

    ``mode`` says where the window lives:

    - ``"thread"``: on a UI thread of its own, so it stays live, and its
      Cancel button works, while a tool blocks the main thread.
    - ``"host"``: on this thread, the host's main thread, driven by
      :func:`pump`. Call it from the thread that pumps. Inside a host's own
      GLib loop the host dispatches the window's events; otherwise ``pump``
      does.
    - ``"auto"`` (the default): what the host adapter prefers (a Qt host on
      GLib's dispatcher takes ``"host"``), else ``"thread"``, except on
      macOS, which keeps every window on the main thread.

    The first panel a process opens fixes the mode for the process."""
    if mode == "auto" and _adapter is not None:
        mode = _adapter.panel_mode()  # type: ignore[assignment]
    current_host().open_panel(mode)


def pump(budget_ms: float = 10.0) -> int:
    """Runs queued tool calls on this (the main) thread for at most
    ``budget_ms`` and returns how many ran; then serves a host-pumped panel.
    Safe inside a tool: a nested pump runs main-thread tasks but never starts
    another tool."""
    return current_host().pump(budget_ms)


def stats() -> dict[str, int]:
    """Counters of the running host: calls submitted, started, done, failed,
    cancelled, timed out and refused (each call's verdict), refusals by
    reason, main-thread tasks run, the queue depth
    and how many milliseconds ago the main thread last pumped."""
    return current_host().stats()


def tasks() -> list[dict[str, Any]]:
    """The MCP tasks of the running host, oldest first, for a host's own UI:
    each with its ``id``, ``tool``, ``client``, ``status`` (``working``,
    ``input_required``, ``completed``, ``failed`` or ``cancelled``), the
    tool's latest progress ``message``, ``created_at`` (ISO 8601) and
    ``ttl_ms``. A task is kept until its time to live passes after it
    ends."""
    return current_host().tasks()


def is_main_thread() -> bool:
    """True on the thread that runs tools."""
    return threading.get_ident() == _main_thread_ident


def run_on_main_thread(
    function: Callable[..., Any], *args: Any, **kwargs: Any
) -> _native.MainThreadCall:
    """Queues ``function(*args, **kwargs)`` to run on the main thread, behind
    the calls already queued, and returns at once. ``.wait(timeout)`` on the
    result gets its return value."""
    return current_host().post(function, args, kwargs or None)


def run_on_main_thread_sync(
    function: Callable[..., Any], *args: Any, timeout: float = 30.0, **kwargs: Any
) -> Any:
    """Runs ``function(*args, **kwargs)`` on the main thread and returns its
    result. On the main thread it simply calls it. Raises ``TimeoutError``
    when the main thread does not run it within ``timeout`` seconds."""
    if is_main_thread():
        return function(*args, **kwargs)
    return run_on_main_thread(function, *args, **kwargs).wait(timeout)


def main_thread(function: F) -> F:
    """Decorator: the function always runs on the main thread (waiting up
    to 30 s for it when called from another thread)."""

    @functools.wraps(function)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        return run_on_main_thread_sync(function, *args, **kwargs)

    return wrapper  # type: ignore[return-value]
