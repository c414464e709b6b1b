"""Type stubs for the Rust extension module ``dcclink._native``."""

from typing import Any, Callable, Optional, Union

__version__: str

class Context:
    """The context of one running tool call."""

    @property
    def cancelled(self) -> bool: ...
    @property
    def call_id(self) -> int: ...
    @property
    def client(self) -> str: ...
    def progress(
        self, progress: float, total: Optional[float] = None, message: Optional[str] = None
    ) -> bool: ...
    def log(self, level: str, message: str) -> None: ...
    def emit(self, event: str, data: Any = None) -> None: ...

class Image:
    """Image bytes returned as MCP image content."""

    data: bytes
    mime: str
    def __init__(self, data: bytes, mime: str = "image/png") -> None: ...

class MainThreadCall:
    """A callable posted to the main thread."""

    def wait(self, timeout: float = 30.0) -> Any: ...

class Host:
    """One dcclink instance."""

    def __init__(
        self, *, queue_capacity: int = 1024, queue_timeout: float = 60.0, timeout: float = 60.0
    ) -> None: ...
    def register_tool(
        self,
        name: str,
        description: str,
        schema: dict[str, Any],
        invoke: Callable[[dict[str, Any], Context], Any],
        timeout: Optional[float] = None,
    ) -> None: ...
    def register_callback(self, name: str, function: Callable[..., Any]) -> None: ...
    def emit(self, event: str, data: Any = None) -> None: ...
    def start(
        self,
        *,
        stdio: bool = False,
        http: Optional[str] = None,
        token: Optional[str] = None,
        max_request_bytes: int = ...,
        handle_signals: bool = False,
    ) -> tuple[Optional[str], str, Optional[str]]: ...
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

def parse_args(argv: list[str]) -> Union[int, dict[str, Any]]: ...
def init_logging(verbose: int = 0) -> None: ...
def protect_stdout() -> None: ...
