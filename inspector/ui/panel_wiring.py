"""Wire a live channel tab's payload and presence features to the window (issue #5 §2, §3).

Kept out of main_window.py so the window stays a composition of panels: the window calls
:func:`wire_live_panel` once per live tab. It connects the presence intents (listen, track,
untrack) to the session controller, tells the composer the profile's protocol (binary needs
2.0.0, docs/realtime-protocol.md §2.4) whenever the connection or the selected profile changes,
and gives the detail pane where *Copy as* commands send (the profile URL and the tab's options;
never the key). Imported tabs are not wired, so they offer none of this.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from inspector.store import Profile
from inspector.store.copy_commands import CommandTarget
from inspector.store.profiles import normalize_url

from .channel_panel import ChannelPanel
from .secrets import ACCESS_TOKEN

if TYPE_CHECKING:
    from .main_window import MainWindow


def active_profile(window: MainWindow) -> Profile | None:
    """The profile of the connection (while one is up or being made), else the one selected
    in the toolbar (the next Connect uses it)."""
    controller = window.controller
    if controller.active and controller.profile is not None:
        return controller.profile
    return window.current_profile()


def command_target(window: MainWindow, panel: ChannelPanel) -> CommandTarget | None:
    """Where a copied command sends: this tab's channel on the active profile."""
    profile = active_profile(window)
    if profile is None:
        return None
    options = panel.session.options
    return CommandTarget(
        url=normalize_url(profile.url),
        channel=options.name,
        vsn=profile.vsn,
        private=options.private,
        ack=options.ack,
        broadcast_self=options.broadcast_self,
        has_token=bool(window.secrets.get(profile.id, ACCESS_TOKEN)),
    )


def wire_live_panel(window: MainWindow, panel: ChannelPanel) -> None:
    """Connect one live tab's presence intents, protocol and copy-as target."""
    controller = window.controller
    panel.presence_button.setVisible(True)
    panel.presence_listen_requested.connect(controller.set_presence_listening)
    panel.track_requested.connect(controller.track)
    panel.untrack_requested.connect(controller.untrack)
    panel.detail.set_command_target(lambda: command_target(window, panel))

    def protocol() -> str:
        profile = active_profile(window)
        return profile.vsn if profile is not None else "2.0.0"

    panel.set_protocol_source(protocol)
    # Bound methods of the panel: Qt drops these connections when the tab goes away.
    controller.connection_changed.connect(panel.refresh_protocol)
    window.profile_combo.currentIndexChanged.connect(panel.refresh_protocol)
