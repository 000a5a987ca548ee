"""WindowPersistence: what the main window saves and restores besides profiles and secrets.

The window's geometry and dock state, the splitter sizes of a channel tab, the open live tabs
of each profile (in tab order) and each channel's send history, all through
:class:`~inspector.ui.settings.AppSettings`. While saved tabs are being reopened ``restoring``
is true: the window then neither selects the new tabs nor saves them back.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from PySide6.QtWidgets import QMainWindow

from inspector.store import SendHistory

from .channels.channel_panel import ChannelPanel
from .channels.channel_tabs import ChannelTabsWidget
from .controller_base import ControllerBase
from .settings import AppSettings

#: The size of a first window (no saved geometry).
DEFAULT_SIZE = (1280, 800)


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
        if geometry is not None:
            window.restoreGeometry(geometry)
        else:
            window.resize(*DEFAULT_SIZE)
        if state is not None:
            window.restoreState(state)

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
