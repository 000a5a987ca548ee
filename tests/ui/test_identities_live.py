"""Identities in the window against the real local server (issue #13 §1): a tab joins as an
identity over its own socket (Join as), shows it, refreshes its token before it expires and
pushes ``access_token`` to the server (checked on the server's side, with ``serve --users`` and
3-second tokens), says why an identity may not join a private channel, and the composer sends
as another identity (websocket: it joins first, or the row says why not; REST: its key)."""

from __future__ import annotations

import dataclasses
import time
from pathlib import Path
from typing import Any

import pytest
from gui_helpers import WindowOptions, save_screenshot, until

from inspector.protocol import jwt
from inspector.protocol.server_events import AccessTokenPushed
from inspector.server import RealtimeServer, Rules, ServerConfig
from inspector.store import (
    ChannelOptions,
    Direction,
    Profile,
    SendState,
    TabState,
    Transport,
)
from inspector.store.profiles.identities import Identity, secret_kind
from inspector.ui.main_window import MainWindow

pytestmark = pytest.mark.gui

USERS = """
users:
  - email: alice@example.com
    password: alice-password-123
"""
ALICE = Identity("i-alice", "alice", "password", email="alice@example.com")
BOB = Identity("i-bob", "bob", "minted", sub="bob-id", email="bob@example.com", lifetime_s=600)
ADMIN = Identity("i-admin", "admin", "key")
GHOST = Identity("i-ghost", "ghost", "password", email="ghost@example.com")


@pytest.fixture
def window_options() -> WindowOptions:
    return WindowOptions(size=(1200, 720))


@pytest.fixture
def server_config(tmp_path: Path) -> ServerConfig:
    users = tmp_path / "users.yaml"
    users.write_text(USERS)
    rules = Rules.from_data(
        {
            "allow": [
                {"channels": ["members-*"], "roles": ["authenticated"], "can": ["all"]},
                {"channels": ["staff-*"], "roles": ["service_role"], "can": ["all"]},
            ]
        }
    )
    return ServerConfig(port=0, rules=rules, users=str(users), jwt_expiry_s=3)


def connect(window: MainWindow, server: RealtimeServer) -> Profile:
    profile = Profile("p-local", "Local", server.url, identities=(ALICE, BOB, ADMIN, GHOST))
    window.add_session_profile(profile, server.anon_key)
    secrets = window.secrets
    for identity, field, value in (
        (ALICE, "password", "alice-password-123"),
        (BOB, "jwt_secret", server.config.jwt_secret),
        (ADMIN, "key", server.service_role_key),
    ):
        secrets.set_session_only(profile.id, secret_kind(identity.id, field), value)
    window.connect_current()
    return profile


def join_as(window: MainWindow, name: str, identity: Identity, shot: str = "") -> None:
    dialog = window.open_join_dialog()
    dialog.name_edit.setText(name)
    dialog.private_check.setChecked(True)
    index = dialog.identity_combo.findData(identity.id)
    assert index > 0, [dialog.identity_combo.itemText(i) for i in range(4)]
    dialog.identity_combo.setCurrentIndex(index)
    assert dialog.options().identity == identity.id
    if shot:
        save_screenshot(dialog, shot)
    dialog.accept()


def events(window: MainWindow, name: str) -> list[str]:
    return [r.event for r in window.controller.channels[name].log]


async def test_join_as_refresh_and_refusal(window: MainWindow, server: RealtimeServer) -> None:
    controller = window.controller
    connect(window, server)
    mark = server.events.mark()
    join_as(window, "members-1", ALICE, shot="join-as-identity")
    channel = controller.channels["members-1"]
    await until(lambda: channel.status.state is TabState.JOINED, what="joined as alice")
    panel = window.panels["members-1"]
    assert panel.title() == "members-1 · alice"
    assert panel.identity_label.text() == "as alice"
    index = window.tabs.indexOf(panel)
    assert "as alice" in window.tabs.tabToolTip(index)
    session = controller.identity_session(ALICE.id)
    assert session is not None
    assert session.claims["email"] == "alice@example.com"
    assert controller.identity_status(ALICE.id).startswith("signed in as alice@example.com")
    # The profile's own socket has not joined it: alice's socket did.
    assert controller.client is not None
    assert "realtime:members-1" not in controller.client.channels

    # Before the 3-s token expires: refreshed, pushed to the server, said in the tab.
    pushed = await server.events.wait_for(
        lambda r: isinstance(r.event, AccessTokenPushed) and r.event.topic == "realtime:members-1",
        after=mark,
        timeout=10,
    )
    assert pushed.event.token == session.access_token or session.refreshes > 1  # type: ignore[attr-defined]
    await until(lambda: "access token refreshed" in events(window, "members-1"))
    row = next(r for r in channel.log if r.event == "access token refreshed")
    assert b'"identity":"alice"' in row.payload
    assert b"expires_iso" in row.payload
    await until(lambda: session.refreshes >= 2, what="a second refresh, past the first expiry")
    assert channel.status.state is TabState.JOINED
    await until(lambda: not panel.model.has_pending())
    panel.table.selectRow(panel.proxy.rowCount() - 1)
    save_screenshot(window, "identity-tab-refresh")

    # An identity the rules keep out: the server's reason, and what to do.
    join_as(window, "staff-1", ALICE)
    staff = controller.channels["staff-1"]
    await until(lambda: staff.status.state is TabState.ERRORED, what="refused")
    reason = staff.status.reason or ""
    assert "You do not have permissions to read from this Channel topic: staff-1" in reason
    assert "do not let the identity “alice” join it" in reason

    # An identity whose secret is not in the keychain: the tab says which and where.
    window.join(ChannelOptions("members-9", private=True, identity=GHOST.id))
    ghost = controller.channels["members-9"]
    await until(lambda: ghost.status.state is TabState.ERRORED, what="no password")
    assert "identity 'ghost' of profile 'Local' has no password in the system" in (
        ghost.status.reason or ""
    )


async def test_send_as_other_identities(window: MainWindow, server: RealtimeServer) -> None:
    controller = window.controller
    connect(window, server)
    join_as(window, "members-2", ALICE)
    channel = controller.channels["members-2"]
    await until(lambda: channel.status.state is TabState.JOINED, what="joined as alice")
    composer = window.panels["members-2"].composer
    assert composer.sender_combo.isVisible()
    offered = [composer.sender_combo.itemText(i) for i in range(composer.sender_combo.count())]
    assert offered == ["alice (this tab)", "profile default", "bob", "admin", "ghost"]

    def send(
        event: str,
        who: Identity | None,
        transport: Transport = Transport.WEBSOCKET,
        *,
        anon: bool = False,
    ) -> Any:
        assert composer.set_send_as(who.id if who else ("" if anon else None))
        composer.set_transport(transport)
        composer.event_edit.setText(event)
        composer.payload_edit.setPlainText('{"n": 1}')
        composer.submit()
        return next(r for r in reversed(channel.log) if r.event == event and r.send)

    # bob (minted, authenticated) joins members-2 on his own socket and sends: alice receives.
    row = send("from-bob", BOB)
    await until(lambda: row.send.state is SendState.SENT, what="bob's send")
    assert row.send.status_text() == "sent · as bob"
    await until(
        lambda: any(r.event == "from-bob" and r.direction is Direction.IN for r in channel.log),
        what="alice received bob's broadcast",
    )
    # The profile's own anon key may not join a private channel: the row says why, and
    # nothing is sent.
    row = send("from-anon", None, anon=True)
    await until(lambda: row.send.state is SendState.ERROR, what="anon refused")
    assert row.send.error.startswith("the profile's key may not join “members-2” to send: ")
    assert "permissions" in row.send.error
    assert row.send.status_text().endswith("· as profile default")
    # admin (service_role bypasses the rules, §9.3): over REST with its key, and its socket
    row = send("rest-admin", ADMIN, Transport.REST)
    await until(lambda: row.send.state is SendState.OK, what="admin over REST")
    assert row.send.status_text().endswith("· as admin")
    row = send("ws-admin", ADMIN)
    await until(lambda: row.send.state is SendState.SENT, what="admin over the websocket")
    for event in ("rest-admin", "ws-admin"):
        await until(
            lambda e=event: any(  # type: ignore[misc]
                r.event == e and r.direction is Direction.IN for r in channel.log
            ),
            what=f"alice received {event}",
        )
    # and as the tab itself (no "as" in the status)
    row = send("from-alice", None)
    await until(lambda: row.send.state is SendState.SENT)
    assert row.send.sender is None
    panel = window.panels["members-2"]
    await until(lambda: not panel.model.has_pending())
    composer.set_send_as(BOB.id)
    panel.table.selectRow(3)  # the refused send: its reason in the detail pane
    save_screenshot(window, "identity-send-as")
    # bob's and admin's sockets joined only to send: their channel events stay theirs
    assert sum(r.event == "joined" for r in channel.log) == 1
    assert channel.status.state is TabState.JOINED


async def test_presence_over_the_identity_socket_and_an_edited_identity(
    window: MainWindow, server: RealtimeServer
) -> None:
    from inspector.store.presence.presence_roster import OwnState

    controller = window.controller
    profile = connect(window, server)
    window.join(ChannelOptions("members-3", private=True, presence=True, identity=BOB.id))
    channel = controller.channels["members-3"]
    await until(lambda: channel.status.state is TabState.JOINED, what="joined as bob")
    first = controller.identity_session(BOB.id)
    assert first is not None
    assert controller.track("members-3", {"who": "bob"}) is None
    await until(lambda: channel.presence.own.state is OwnState.TRACKED, what="tracked as bob")
    assert controller.client is not None
    assert "realtime:members-3" not in controller.client.channels  # bob's socket tracked it

    # bob edited in Profiles… (now role anon): his socket is replaced on the next join, and
    # the members channel now refuses him with the server's reason.
    anon_bob = dataclasses.replace(BOB, role="anon")
    window.profiles_model.update(dataclasses.replace(profile, identities=(ALICE, anon_bob)))
    controller.rejoin("members-3")
    await until(lambda: channel.status.state is TabState.ERRORED, what="refused as anon bob")
    assert "permissions" in (channel.status.reason or "")
    second = controller.identity_session(BOB.id)
    assert second is not None
    assert second is not first
    assert second.claims["role"] == "anon"


async def test_expired_pasted_token_says_which_identity_to_fix(
    window: MainWindow, server: RealtimeServer
) -> None:
    """QA (issue #13): a tab joined as an identity whose pasted token had expired showed the
    server's words and the general advice (Update token, which changes the profile's token,
    not the identity's); it names the identity and where to paste a new token."""
    old = Identity("i-old", "old-token", "token")
    profile = Profile("p-local", "Local", server.url, identities=(old,))
    window.add_session_profile(profile, server.anon_key)
    expired = jwt.sign(
        {"role": "authenticated", "sub": "old", "exp": int(time.time()) - 60},
        server.config.jwt_secret,
    )
    window.secrets.set_session_only(profile.id, secret_kind(old.id, "token"), expired)
    window.connect_current()
    window.join(ChannelOptions("members-7", identity=old.id))
    channel = window.controller.channels["members-7"]
    await until(lambda: channel.status.state is TabState.ERRORED, what="refused")
    reason = channel.status.reason or ""
    assert reason.startswith("InvalidJWTToken: Token has expired")
    assert "The identity “old-token” has an expired token: paste a new one" in reason
    assert "Profiles… (Identities)" in reason
    assert expired not in reason
