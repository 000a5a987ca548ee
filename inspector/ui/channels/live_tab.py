"""Wire one live channel tab to the controller (issue #5 §2, §3): the one place that does.

:func:`wire_live_tab` connects a live tab's intents (leave, rejoin, ack/self, presence listen,
track, untrack, repeat runs) to the controller, tells the composer the profile's protocol (binary needs
2.0.0, docs/realtime-protocol.md §2.4) whenever the active profile changes, and gives the detail
pane where *Copy as* commands send (the profile URL and the tab's options; never the key).
Imported tabs are not wired, so they offer none of this.

:class:`ActiveProfile` is what the tab needs to know of the window's profiles; the window owns
one and says when it ``changed``.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject, Signal

from inspector.store import Profile
from inspector.store.library import claims_of
from inspector.store.messages.copy_commands import CommandTarget
from inspector.store.profiles.profiles import normalize_url

from ..controller_base import ControllerBase
from .channel_panel import ChannelPanel

#: The protocol a tab assumes when there is no profile at all.
DEFAULT_VSN = "2.0.0"


class ActiveProfile(QObject):
    """The profile of the connection (while one is up or being made), else the one selected in
    the toolbar (the next Connect uses it); and whether it has an access token."""

    #: the connection or the selected profile changed.
    changed = Signal()

    def __init__(
        self,
        controller: ControllerBase,
        selected: Callable[[], Profile | None],
        has_token: Callable[[Profile], bool],
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._controller = controller
        self._selected = selected
        self._has_token = has_token

    @property
    def profile(self) -> Profile | None:
        controller = self._controller
        if controller.active and controller.profile is not None:
            return controller.profile
        return self._selected()

    @property
    def has_token(self) -> bool:
        profile = self.profile
        return profile is not None and self._has_token(profile)

    @property
    def vsn(self) -> str:
        profile = self.profile
        return profile.vsn if profile is not None else DEFAULT_VSN


def command_target(active: ActiveProfile, panel: ChannelPanel) -> CommandTarget | None:
    """Where a copied command sends: this tab's channel on the active profile."""
    profile = active.profile
    if profile is None:
        return None
    options = panel.channel.options
    return CommandTarget(
        url=normalize_url(profile.url),
        channel=options.name,
        vsn=profile.vsn,
        private=options.private,
        ack=options.ack,
        broadcast_self=options.broadcast_self,
        has_token=active.has_token,
    )


def wire_live_tab(panel: ChannelPanel, controller: ControllerBase, active: ActiveProfile) -> None:
    """Connect one live tab's intents, protocol and copy-as target."""
    panel.leave_requested.connect(controller.leave)
    panel.rejoin_requested.connect(controller.rejoin)
    panel.send_requested.connect(controller.send)
    panel.options_change_requested.connect(
        lambda name, ack, broadcast_self: controller.change_broadcast_options(
            name, ack=ack, broadcast_self=broadcast_self
        )
    )
    panel.presence_button.setVisible(True)
    panel.presence_listen_requested.connect(controller.set_presence_listening)
    panel.track_requested.connect(controller.track)
    panel.untrack_requested.connect(controller.untrack)
    panel.repeat_requested.connect(
        lambda name, request: panel.composer.repeat.set_started(
            controller.start_repeat(name, request)
        )
    )
    panel.repeat_cancel_requested.connect(controller.cancel_repeat)
    # bound methods of the panel: dropped with the tab
    controller.repeat_progress.connect(panel.repeat_progress)
    controller.repeat_finished.connect(panel.repeat_finished)
    panel.detail.set_command_target(lambda: command_target(active, panel))
    panel.set_protocol_source(lambda: active.vsn)
    # {{claims.*}} in the composer: the connection's user token (issue #11 item 2)
    panel.composer.set_variables_source(lambda: claims_of(controller.access_token))
    # A bound method of the panel: Qt drops this connection when the tab goes away.
    active.changed.connect(panel.refresh_protocol)
    # Who the tab joined as and who its composer can send as (issue #13 §1).
    show = _IdentityDisplay(panel, controller, active)
    show.refresh()
    controller.identity_changed.connect(show.identity_changed)
    controller.channel_options_changed.connect(show.options_changed)
    active.changed.connect(show.refresh)


class _IdentityDisplay(QObject):
    """Keeps a tab's *joined as* chip and its composer's *Send as* choices current; a child of
    the panel, so its connections go with the tab."""

    def __init__(
        self, panel: ChannelPanel, controller: ControllerBase, active: ActiveProfile
    ) -> None:
        super().__init__(panel)
        self.panel = panel
        self.controller = controller
        self.active = active

    def refresh(self) -> None:
        panel, controller = self.panel, self.controller
        identity = panel.channel.options.identity
        profile = self.active.profile
        saved = profile.identity(identity) if profile is not None and identity else None
        name = saved.name if saved is not None else controller.identity_name(identity)
        panel.set_identity(name, controller.identity_status(identity) if identity else "")
        choices = [("", "")]
        if profile is not None:
            choices += [(i.id, i.name) for i in profile.identities]
        panel.composer.set_identities(choices, identity)

    def identity_changed(self, identity_id: str) -> None:
        if identity_id == self.panel.channel.options.identity:
            self.refresh()

    def options_changed(self, name: str, _options: object) -> None:
        if name == self.panel.name:
            self.refresh()
