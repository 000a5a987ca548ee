"""WindowPersistence: what the main window saves and restores besides profiles and secrets.

The window's geometry (a first window sized from the available screen, a restored one kept on
screen) and dock state, the splitter sizes of a channel tab, the open live tabs
of each profile (in tab order) and each channel's send history, all through
:class:`~inspector.ui.settings.AppSettings`. While saved tabs are being reopened ``restoring``
is true: the window then neither selects the new tabs nor saves them back.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from PySide6.QtCore import QRect
from PySide6.QtGui import QGuiApplication, QScreen
from PySide6.QtWidgets import QMainWindow, QWidget

from inspector.store import SendHistory

from .channels.channel_panel import ChannelPanel
from .channels.channel_tabs import ChannelTabsWidget
from .controller_base import ControllerBase
from .settings import AppSettings

#: The size of a first window (no saved geometry) on a screen with room for it.
DEFAULT_SIZE = (1280, 800)
#: The share of the available screen a first window takes at most.
SCREEN_SHARE = 0.92


def first_geometry(available: QRect) -> QRect:
    """Where a first window goes: :data:`DEFAULT_SIZE`, or less on a small (or scaled)
    screen, centred in the screen's ``available`` geometry (issue #10 item 19)."""
    width = min(DEFAULT_SIZE[0], int(available.width() * SCREEN_SHARE))
    height = min(DEFAULT_SIZE[1], int(available.height() * SCREEN_SHARE))
    rect = QRect(0, 0, width, height)
    rect.moveCenter(available.center())
    return rect


def fit_rect(frame: QRect, available: QRect) -> QRect:
    """``frame`` made to fit in ``available``: no larger, and moved inside it."""
    width = min(frame.width(), available.width())
    height = min(frame.height(), available.height())
    left = min(max(frame.left(), available.left()), available.right() + 1 - width)
    top = min(max(frame.top(), available.top()), available.bottom() + 1 - height)
    return QRect(left, top, width, height)


def screen_of(widget: QWidget) -> QScreen:
    """The screen that shows most of ``widget`` (its centre), else the primary screen."""
    screen = QGuiApplication.screenAt(widget.frameGeometry().center())
    return screen if screen is not None else QGuiApplication.primaryScreen()


def keep_on_screen(window: QWidget, *, shrink: bool = True) -> None:
    """Resize (unless not ``shrink``) and move ``window`` so that its frame lies inside its
    screen's available geometry (a geometry saved on a larger or removed screen, or a first
    window whose minimum size is larger than planned)."""
    available = screen_of(window).availableGeometry()
    frame = window.frameGeometry()
    extra_w = frame.width() - window.width()
    extra_h = frame.height() - window.height()
    fitted = fit_rect(frame, available)
    if shrink and fitted.size() != frame.size():
        window.resize(max(1, fitted.width() - extra_w), max(1, fitted.height() - extra_h))
    frame = window.frameGeometry()
    fitted = fit_rect(frame, available)
    if fitted.topLeft() != frame.topLeft():
        window.move(fitted.topLeft())


class WindowPersistence:
    def __init__(
        self, settings: AppSettings, controller: ControllerBase, tabs: ChannelTabsWidget
    ) -> None:
        self.settings = settings
        self.controller = controller
        self.tabs = tabs
        self.restoring = False

    @contextmanager
    def restoring_now(self) -> Iterator[None]:
        """Mark a restore in progress (nested restores keep the outer mark)."""
        was = self.restoring
        self.restoring = True
        try:
            yield
        finally:
            self.restoring = was

    # ------------------------------------------------------------------------------ window

    def restore_window(self, window: QMainWindow) -> None:
        geometry, state = self.settings.window_state()
        if geometry is None or not window.restoreGeometry(geometry):
            window.setGeometry(first_geometry(screen_of(window).availableGeometry()))
        if state is not None:
            window.restoreState(state)
        keep_on_screen(window)

    def save_window(self, window: QMainWindow) -> None:
        self.settings.save_window_state(window.saveGeometry(), window.saveState())

    # ------------------------------------------------------------------------------ one tab

    def history(self, name: str) -> SendHistory:
        return self.settings.history(name)

    def save_history(self, panel: ChannelPanel) -> None:
        self.settings.save_history(panel.name, panel.composer.history_model.history)

    def save_histories(self) -> None:
        for name, panel in self.tabs.panels.items():
            self.settings.save_history(name, panel.composer.history_model.history)

    def restore_seq(self, panel: ChannelPanel) -> None:
        """Watch the counter this channel's tab watched last time (issue #11 §5), and keep
        the path whenever the tab starts or stops watching one."""
        path = self.settings.seq_path(panel.name)
        if path:
            panel.track_seq(path)
        panel.seq_path_changed.connect(self.settings.save_seq_path)

    def restore_columns(self, panel: ChannelPanel) -> None:
        """Show the custom columns this channel's tab had (issue #15 item 5), and keep them
        whenever they change."""
        paths = self.settings.columns(panel.name)
        if paths:
            panel.table_actions.set_columns(paths)
        panel.columns_changed.connect(self.settings.save_columns)

    def restore_splitters(self, panel: ChannelPanel) -> None:
        for splitter, key in ((panel.h_splitter, "h"), (panel.v_splitter, "v")):
            sizes = self.settings.splitter_sizes(key)
            if sizes:
                splitter.setSizes(sizes)

    def save_splitters(self, panel: ChannelPanel) -> None:
        self.settings.save_splitter_sizes("h", panel.h_splitter.sizes())
        self.settings.save_splitter_sizes("v", panel.v_splitter.sizes())

    # ------------------------------------------------------------------------------ open tabs

    def restore_tabs(self, profile_id: str) -> None:
        """Reopen the tabs saved for this profile (those not open already); select the first."""
        with self.restoring_now():
            for options in self.settings.open_tabs(profile_id):
                if self.controller.channel(options.name) is None:
                    self.controller.join(options)
        if self.tabs.count():
            self.tabs.setCurrentIndex(0)

    def save_tabs(self, profile_id: str | None) -> None:
        """Save the open live tabs, in tab order, for ``profile_id`` (None: a profile that is
        not saved); nothing while restoring."""
        if profile_id is None or self.restoring:
            return
        order = {name: i for i, name in enumerate(self.tabs.ordered_names())}
        tabs = sorted(self.controller.open_options(), key=lambda o: order.get(o.name, len(order)))
        self.settings.save_open_tabs(profile_id, tabs)
