"""The Qt host: Maya, Houdini, Nuke, Katana, 3ds Max, Substance and any Qt
application.

dcclink's pump runs on the Qt main thread, woken by a ``QSocketNotifier`` on
the bridge's wake descriptor: the descriptor becomes readable the moment a
call is queued, Qt's loop calls :func:`dcclink.pump`, and nothing polls while
idle. No server thread ever calls into Qt or takes the GIL.

```python
import dcclink
from dcclink.hosts import qt

info = dcclink.start()                 # "auto" finds the running QApplication
toolbar.addAction(qt.panel_action(toolbar))   # a button that opens the panel
```
"""

from __future__ import annotations

from contextlib import AbstractContextManager, nullcontext
from importlib import import_module
from typing import Any, Callable, Optional

from dcclink import _native, _tools
from dcclink.hosts._qt_binding import loaded_binding, modules

#: How long one wake-up may run calls before Qt gets its loop back (ms).
BUDGET_MS = 10.0


def application_running() -> bool:
    """True when a Qt application object exists in this process."""
    binding = loaded_binding()
    if binding is None:
        return False
    _, widgets = modules(binding)
    return widgets.QApplication.instance() is not None


def _binding() -> str:
    binding = loaded_binding()
    if binding is None:
        raise RuntimeError(
            "no Qt binding is loaded (PySide6, PySide2, PyQt6 or PyQt5): "
            'create the QApplication first, or use dcclink.start(host="none") and pump yourself'
        )
    return binding


class QtHost:
    """Pumps dcclink from the Qt event loop of the main thread.

    A DCC adapter built on it may ``defer`` the pump to the DCC's own idle
    queue (Maya's ``executeDeferred``, Houdini's ``hdefereval``): the
    notifier is then off until the deferred pump has run, so a readable
    descriptor cannot make Qt spin."""

    name = "qt"

    def __init__(
        self,
        budget_ms: float = BUDGET_MS,
        defer: Optional[Callable[[Callable[[], None]], Any]] = None,
    ) -> None:
        self.budget_ms = budget_ms
        self._defer = defer
        self._core, self._widgets = modules(_binding())
        self._notifier: Optional[Any] = None
        self._host: Optional[_native.Host] = None

    def describe(self) -> tuple[str, Optional[str], Optional[str]]:
        app = self._widgets.QApplication.instance()
        name = app.applicationName() if app is not None else ""
        version = app.applicationVersion() if app is not None else ""
        return (name or "qt", version or None, None)

    def attach(self, host: _native.Host) -> None:
        core = self._core
        read = getattr(core.QSocketNotifier, "Type", core.QSocketNotifier).Read
        self._host = host
        self._notifier = core.QSocketNotifier(host.wake_fd(), read)
        self._notifier.activated.connect(self._wake)

    def _wake(self, *_: Any) -> None:
        if self._defer is None:
            self._pump()
            return
        if self._notifier is not None:
            self._notifier.setEnabled(False)
        self._defer(self._pump)

    def _pump(self) -> None:
        host = self._host
        if host is None or host.state != "Active":
            self.detach()
            return
        host.pump(self.budget_ms)
        if self._defer is not None and self._notifier is not None:
            self._notifier.setEnabled(True)  # fires again if work is left

    def detach(self) -> None:
        notifier, self._notifier, self._host = self._notifier, None, None
        if notifier is not None:
            notifier.setEnabled(False)
            notifier.deleteLater()

    def call_scope(self, tool: _tools.ToolDef) -> AbstractContextManager[None]:
        """A Qt application has no undo history dcclink knows of."""
        return nullcontext()

    def panel_mode(self) -> str:
        # Qt on GLib's dispatcher owns the default GLib context on this
        # thread, which GTK needs too: the window joins this thread, and
        # Qt's loop dispatches its events. Otherwise it gets its own thread.
        dispatcher = self._core.QAbstractEventDispatcher.instance()
        name = dispatcher.metaObject().className() if dispatcher is not None else ""
        return "host" if "Glib" in name else "thread"


def panel_action(parent: Any, text: str = "dcclink") -> Any:
    """A ``QAction`` that opens the dcclink panel (or brings it to the
    front), for a toolbar, menu or shelf. dcclink must be running."""
    import dcclink

    binding = _binding()
    _, widgets = modules(binding)
    # Qt 6 moved QAction from QtWidgets to QtGui.
    action_type = getattr(widgets, "QAction", None) or import_module(f"{binding}.QtGui").QAction
    action = action_type(text, parent)
    action.setToolTip("Open the dcclink panel: every agent call, live, with Cancel")
    action.setObjectName("dcclinkOpenPanel")
    action.triggered.connect(lambda *_: dcclink.open_panel())
    return action
