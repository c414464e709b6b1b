"""Type stubs for the Rust extension module ``dcclink._native``."""

from typing import Any, Callable, Literal, Optional, Union

from typing_extensions import final

#: The levels ``Context.log`` takes (MCP's, and ``warn`` for ``warning``).
LogLevel = Literal[
    "debug", "info", "notice", "warning", "warn", "error", "critical", "alert", "emergency"
]

__version__: str
__all__ = [
    "Audio",
    "Content",
    "Context",
    "EmbeddedResource",
    "Host",
    "Image",
    "MainThreadCall",
    "Serving",
    "Worker",
    "WorkerCall",
    "__version__",
    "check_resource_uri",
    "close_panel",
    "connect",
    "eval_js",
    "eval_js_sync",
    "init_logging",
    "instances",
    "open_panel_at",
    "panel_is_open",
    "parse_args",
    "protect_stdout",
    "select_instance",
    "set_panel_plugin_dir",
    "wait_panel_closed",
]

@final
class Context:
    """The context of one running tool call: pass a parameter hinted
    ``dcclink.Context`` and dcclink fills it in (it never appears in the
    tool's schema)."""

    @property
    def cancelled(self) -> bool:
        """True once the client cancelled the call or its timeout passed. A
        long tool should check it and raise ``dcclink.Cancelled``."""
    @property
    def call_id(self) -> int:
        """The call's number, in order of arrival."""
    @property
    def task_id(self) -> Optional[str]:
        """The id of the MCP task the call runs as: the client asked for one
        (``@dcclink.tool(task=...)``), so the call outlives its request and
        the client fetches its result later by this id. ``None`` for a
        plain call."""
    @property
    def client(self) -> str:
        """The client that made the call."""
    def progress(
        self, progress: float, total: Optional[float] = None, message: Optional[str] = None
    ) -> bool:
        """Reports progress to the client and the panel. Values must
        increase; one that does not is ignored and ``False`` is returned.
        Never blocks."""
    def log(self, level: LogLevel, message: str) -> None:
        """Sends a log message to the client (MCP logging) and the panel.
        ``level`` is an MCP level (``"warn"`` is read as ``"warning"``);
        another raises ``ValueError``."""
    def emit(self, event: str, data: Any = None) -> None:
        """Publishes ``event`` with JSON ``data`` for the panel; kept until a
        panel listens."""
    def confirm(self, question: str, detail: str = ..., timeout: float = 120.0) -> bool:
        """Asks the person at the dcclink panel a yes-or-no ``question``
        about ``detail`` (none unless given) and waits, with the GIL released: True for yes.
        Raises ``RuntimeError`` when no panel is open, ``TimeoutError`` after
        ``timeout`` seconds, ``dcclink.Cancelled`` when the call is
        cancelled."""
    def ask(
        self, message: str, schema: Optional[dict[str, Any]] = None, timeout: float = 300.0
    ) -> dict[str, Any]:
        """Asks the user for values in a form described by the JSON Schema
        ``schema``: through the client (MCP elicitation), else in the panel.
        Returns ``{"action": "accept" | "decline" | "cancel", "content":
        {...}}``; an accepted answer fits ``schema``. Raises
        ``RuntimeError`` when nobody can ask, ``ValueError`` when the
        client's answer does not fit the form, ``TimeoutError`` and
        ``dcclink.Cancelled`` as ``confirm`` does."""
    def sample(
        self,
        prompt: str,
        max_tokens: int = 1000,
        system: Optional[str] = None,
        timeout: float = 300.0,
    ) -> str:
        """Asks the client's model (MCP sampling) to answer ``prompt`` in at
        most ``max_tokens``; returns its text. Raises as ``ask`` does."""
    def roots(self, timeout: float = 30.0) -> list[dict[str, Any]]:
        """The IDE's workspace folders (MCP roots): ``{"uri", "name"}``
        dicts. Raises as ``ask`` does."""

@final
class Image:
    """Image bytes returned as MCP image content."""

    data: bytes
    mime: str
    def __new__(cls, data: bytes, mime: str = ...) -> Image:
        """``mime`` is ``"image/png"`` unless given."""

@final
class Audio:
    """Audio bytes returned as MCP audio content."""

    data: bytes
    mime: str
    def __new__(cls, data: bytes, mime: str = ...) -> Audio:
        """``mime`` is ``"audio/wav"`` unless given."""

@final
class EmbeddedResource:
    """A resource's contents embedded in a tool's answer."""

    uri: str
    text: Optional[str]
    blob: Optional[bytes]
    mime_type: Optional[str]
    def __new__(
        cls,
        uri: str,
        *,
        text: Optional[str] = None,
        blob: Optional[bytes] = None,
        mime_type: Optional[str] = None,
    ) -> EmbeddedResource: ...

@final
class Content:
    """Several content blocks in one tool answer."""

    def __new__(cls, *blocks: Union[str, Image, Audio, EmbeddedResource]) -> Content: ...
    def __len__(self) -> int: ...

@final
class MainThreadCall:
    """A callable posted to the main thread."""

    def wait(self, timeout: float = 30.0) -> Any: ...

#: What ``WorkerCall.next`` gives: ``("progress", (progress, total,
#: message))``, or how the call ended: ``("result", CallToolResult)``,
#: ``("refused", why)`` (the tool did not run), ``("lost", why)`` (the link
#: broke with the call in flight: it may have run) or ``("cancelled", None)``.
WorkerEvent = tuple[str, Any]

@final
class Worker:
    """A link to one worker of a pool: a headless dcclink serving MCP,
    started here (``spawn``) or reached over HTTP (``connect``). Every wait
    releases the GIL. Used by one thread at a time."""

    @staticmethod
    def spawn(
        command: list[str],
        env: Optional[list[tuple[str, str]]] = None,
        cwd: Optional[str] = None,
        start_timeout: float = 60.0,
    ) -> Worker:
        """Starts ``command``, which serves MCP on stdio, and opens a
        session with it. Raises ``RuntimeError`` with what it said on
        stderr when it does not start."""
    @staticmethod
    def connect(
        url: str, token: str, fingerprint: Optional[str] = None, start_timeout: float = 60.0
    ) -> Worker:
        """Opens a session with a worker serving Streamable HTTP at ``url``,
        trusting the certificate with ``fingerprint`` when given."""
    @property
    def pid(self) -> Optional[int]:
        """Its process id, when this link started it."""
    @property
    def tools(self) -> list[dict[str, Any]]:
        """Its tools, as ``tools/list`` gave them."""
    def alive(self) -> bool:
        """False once its process has exited or its session closed."""
    def call(self, tool: str, arguments: dict[str, Any], timeout: float) -> WorkerCall:
        """Calls ``tool`` and returns at once; ``timeout`` bounds the wait
        for its answer."""
    def last_words(self, timeout: float = 2.0) -> str:
        """The last lines its process wrote on stderr, once it exited."""
    def kill(self) -> None:
        """Kills its process at once."""
    def close(self, timeout: float = 5.0) -> None:
        """Ends the session; a process still running after ``timeout`` is
        killed."""

@final
class WorkerCall:
    """A call in flight on a worker."""

    def next(self, timeout: float) -> Optional[WorkerEvent]:
        """The next event, waiting at most ``timeout`` seconds; None when
        none came."""
    def cancel(self) -> None:
        """Cancels it: the worker's tool sees ``ctx.cancelled``."""

@final
class Serving:
    """Where clients reach a server that ``Host.start`` started."""

    @property
    def url(self) -> Optional[str]:
        """The loopback MCP endpoint; ``None`` without HTTP."""
    @property
    def token(self) -> str:
        """The bearer token HTTP clients send."""
    @property
    def panel(self) -> Optional[str]:
        """The panel's link, with the token for the first load."""
    @property
    def instance(self) -> Optional[str]:
        """The id in the instance registry."""
    @property
    def remote_url(self) -> Optional[str]:
        """The TLS endpoint other machines reach, when ``http`` is not
        loopback."""
    @property
    def fingerprint(self) -> Optional[str]:
        """The SHA-256 fingerprint (hex) of the certificate at
        ``remote_url``."""

@final
class Host:
    """One dcclink instance."""

    def __new__(
        cls, *, queue_capacity: int = 1024, queue_timeout: float = 60.0, timeout: float = 60.0
    ) -> Host: ...
    def register_tool(
        self,
        name: str,
        description: str,
        schema: dict[str, Any],
        invoke: Callable[[dict[str, Any], Context], Any],
        timeout: Optional[float] = None,
        title: Optional[str] = None,
        output_schema: Optional[dict[str, Any]] = None,
        hints: Optional[dict[str, bool]] = None,
        task: str = "forbidden",
        main_thread: bool = True,
    ) -> None: ...
    def unregister_tool(self, name: str) -> bool: ...
    def register_prompt(
        self,
        name: str,
        description: str,
        arguments: list[tuple[str, Optional[str], bool]],
        invoke: Callable[[dict[str, Any], Context], Any],
        timeout: Optional[float] = None,
    ) -> None: ...
    def unregister_prompt(self, name: str) -> bool: ...
    def register_completer(
        self,
        kind: str,
        name: str,
        argument: str,
        invoke: Callable[[dict[str, Any], Context], Any],
    ) -> None: ...
    def unregister_resource(self, uri: str) -> bool: ...
    def resource_updated(self, uri: str) -> None: ...
    def register_resource(
        self,
        uri: str,
        name: str,
        description: str,
        invoke: Callable[[dict[str, Any], Context], Any],
        mime_type: Optional[str] = None,
        timeout: Optional[float] = None,
    ) -> None: ...
    def register_callback(self, name: str, function: Callable[..., Any]) -> None: ...
    def emit(self, event: str, data: Any = None) -> None: ...
    def publish_pool(self, pool: str, status: Optional[dict[str, Any]] = None) -> None:
        """Shows a worker pool's state in the panel (``None``: it closed)."""
    def start(
        self,
        *,
        stdio: bool = False,
        http: Optional[str] = None,
        token: Optional[str] = None,
        allow_hosts: list[str] = ...,
        tls_cert: Optional[str] = None,
        tls_key: Optional[str] = None,
        remote_panel: bool = False,
        max_request_bytes: int = ...,
        max_sessions: int = ...,
        max_in_flight: int = ...,
        max_calls_per_client: int = ...,
        handle_signals: bool = False,
        dcc: Optional[str] = ...,
        dcc_version: Optional[str] = None,
        scene: Optional[str] = None,
    ) -> Serving:
        """Starts serving MCP. With HTTP it is listed in the instance
        registry as ``dcc``, unless ``dcc`` is None. An ``http`` address other than loopback needs
        ``token`` and is served over TLS (``tls_cert`` and ``tls_key``, or a
        self-signed certificate), answering to its address and
        ``allow_hosts``; with ``remote_panel`` it serves the panel there
        too. ``max_sessions``, ``max_in_flight`` and
        ``max_calls_per_client`` bound what one client may take: HTTP
        sessions open at once, one session's requests awaiting answers,
        and one client's calls queued or running; past each, a request is
        refused with an error that says so."""
    def set_scene(self, scene: Optional[str]) -> None: ...
    def wake_fd(self) -> int: ...
    def open_panel(self, mode: str = "auto") -> None: ...
    def serve_forever(self) -> None: ...
    def pump(self, budget_ms: float = 10.0) -> int: ...
    def post(
        self,
        func: Callable[..., Any],
        args: tuple[Any, ...],
        kwargs: Optional[dict[str, Any]] = None,
    ) -> MainThreadCall: ...
    def stop(self, timeout: float = 5.0) -> None: ...
    @property
    def state(self) -> str: ...
    def stats(self) -> dict[str, int]: ...
    def tasks(self) -> list[dict[str, Any]]: ...

def parse_args(argv: list[str]) -> Union[int, dict[str, Any]]: ...
def init_logging(verbose: int = 0) -> None: ...
def protect_stdout() -> None: ...
def connect(
    instance: Optional[str] = None,
    dcc: Optional[str] = None,
    url: Optional[str] = None,
    token: Optional[str] = None,
    fingerprint: Optional[str] = None,
) -> None:
    """Runs the relay on stdin and stdout: to an instance in this machine's
    registry, or to the one at ``url`` on another machine, with its
    ``token``, pinning the certificate with ``fingerprint``."""

def instances() -> list[dict[str, Any]]: ...
def select_instance(
    instance: Optional[str] = None, dcc: Optional[str] = None
) -> dict[str, Any]: ...
def check_resource_uri(uri: str) -> None: ...
def set_panel_plugin_dir(folder: str) -> None: ...
def open_panel_at(url: str) -> None: ...
def wait_panel_closed(timeout: float) -> bool: ...
def close_panel() -> None: ...
def panel_is_open() -> bool: ...
def eval_js(script: str) -> None: ...
def eval_js_sync(script: str, timeout: float = 5.0) -> str: ...
