"""Issue #13 §3: the compare view against the real local server (users file + rules file).

Three identities on a private channel: the writer may read, write and use presence; the
reader may read and use presence but not write; the outsider may not join. The columns show
joined / refused with the server's text; a send from the writer's column is marked received
in the reader's (clicking the mark selects that row) and not received in the outsider's; the
writer's presence is in the reader's list; a send from the reader (not allowed to write) gets
no answer and is not received by the writer. Closing leaves, closes the sockets and leaves
no task running.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from gui_helpers import save_screenshot, until
from PySide6.QtCore import Qt
from PySide6.QtGui import QCloseEvent

from inspector.client.identity import IdentitySession, IdentitySpec
from inspector.protocol import jwt
from inspector.server import RealtimeServer, ServerConfig
from inspector.store import ChannelOptions, Preferences, Profile, TabState, Transport
from inspector.store.compare.marks import MARKER_FIELD, MarkState
from inspector.store.profiles.identities import Identity
from inspector.ui.compare.compare_dialog import KIND_EMAIL, KIND_KEY
from inspector.ui.compare.compare_window import CompareIdentity, CompareSetup, CompareWindow
from inspector.ui.compare.marks_model import FIXED
from inspector.ui.main_window import MainWindow

pytestmark = pytest.mark.gui

RULES = """
[[allow]]
channels = ["compare-*"]
users = ["writer@example.com"]
can = ["read", "write", "presence"]

[[allow]]
channels = ["compare-*"]
users = ["reader@example.com"]
can = ["read", "presence"]
"""

USERS = """
users:
  - {email: writer@example.com, password: writer-pw}
  - {email: reader@example.com, password: reader-pw}
  - {email: outsider@example.com, password: outsider-pw}
"""


@pytest.fixture
async def server(tmp_path: Path) -> AsyncIterator[RealtimeServer]:
    (tmp_path / "rules.toml").write_text(RULES)
    (tmp_path / "users.yaml").write_text(USERS)
    config = ServerConfig(
        port=0, rules=str(tmp_path / "rules.toml"), users=str(tmp_path / "users.yaml")
    )
    srv = RealtimeServer(config)
    await srv.start()
    try:
        yield srv
    finally:
        await srv.stop()


def identity(name: str) -> CompareIdentity:
    """A user of the users file, signed in with email and password when the view opens."""
    email = f"{name}@example.com"
    spec = IdentitySpec(name, email=email, password=f"{name}-pw")
    return CompareIdentity(name, f"email {email}", IdentitySession(spec))


async def open_view(
    server: RealtimeServer, names: list[str], *, private: bool = True
) -> CompareWindow:
    setup = CompareSetup("compare-room", private, tuple(identity(n) for n in names))
    profile = Profile("local", "Local", server.url)
    # A short push timeout: the reader's refused write is "no answer" within 2 s.
    preferences = Preferences(push_timeout_s=2.0)
    view = CompareWindow(setup, profile, server.anon_key, preferences=preferences, settle_s=1.0)
    view.resize(1280, 800)
    view.show()
    view.start()
    return view


def states(view: CompareWindow) -> list[TabState]:
    return [c.channel.status.state for c in view.columns]


async def test_compare_private_channel_marks_presence_and_cleanup(
    qtbot: Any, server: RealtimeServer
) -> None:
    view = await open_view(server, ["writer", "reader", "outsider"])
    try:
        await until(
            lambda: states(view) == [TabState.JOINED, TabState.JOINED, TabState.ERRORED],
            what="writer and reader joined, outsider refused",
        )
        writer, reader, outsider = view.columns
        refused = outsider.state_label.text()
        assert "refused: Unauthorized: You do not have permissions to read from this" in refused
        assert "Profiles" not in refused  # the window's hints are not the server's text
        assert "joined" in writer.state_label.text()

        # Presence: each column tracks its identity; the writer is in the reader's list.
        await until(
            lambda: (
                {"writer", "reader"} <= set(reader.seen_keys())
                and {"writer", "reader"} <= set(writer.seen_keys())
            ),
            what="presence of both in both",
        )
        reader.refresh_presence()
        assert "✓ A" in reader.presence_title.text()
        assert "✗ C" in reader.presence_title.text()
        entry = reader.channel.presence.get("writer")
        assert entry is not None
        assert entry.metas[0].get(MARKER_FIELD) == "writer"

        # A send from the writer: acknowledged, received by the reader, not by the outsider.
        assert view.send(0, "hello", '{"text": "from A"}') is None
        probe = view.board.probes[-1]
        await until(
            lambda: (
                probe.marks[0].state is MarkState.SENT
                and probe.marks[1].state is MarkState.RECEIVED
            ),
            what="sent by A, received in B",
        )
        assert probe.marks[2].state is MarkState.NOT_JOINED
        assert probe.marks[2].text().startswith("✗ not received")
        received = probe.marks[1].row
        assert received.payload_json()[MARKER_FIELD] == probe.marker
        assert received.payload_json()["text"] == "from A"

        # Clicking B's mark selects the row it arrived as.
        view.marks_model.flush()
        index = view.marks_model.index(0, len(FIXED) + 1)
        view.mark_clicked(index)
        selected = reader.table.selectionModel().selectedRows()
        assert len(selected) == 1
        assert reader.proxy.record_at(selected[0].row()) is received
        assert "row selected" in view.note.text()

        # The reader may not write: no answer for it, and the writer never gets it.
        assert view.send(1, "hello", '{"text": "from B"}') is None
        dropped = view.board.probes[-1]
        await until(
            lambda: (
                dropped.marks[0].state is MarkState.NOT_RECEIVED
                and dropped.marks[1].state is MarkState.NO_ANSWER
            ),
            what="A did not receive B's message, which got no answer",
        )
        assert dropped.marks[1].text() == "✗ no answer"
        view.marks_model.flush()
        tip = view.marks_model.index(1, len(FIXED) + 1).data(Qt.ItemDataRole.ToolTipRole)
        assert "drops writes it does not authorize" in tip
        assert dropped.marks[2].state is MarkState.NOT_JOINED
        # Over REST (§6): the writer's broadcast reaches the reader; the reader's is refused.
        assert view.send(0, "rest", '{"n": 1}', via=Transport.REST) is None
        by_rest = view.board.probes[-1]
        await until(lambda: by_rest.settled, what="the writer's REST send settled")
        # REST reaches the sender's own socket too: received, with the HTTP status.
        assert by_rest.marks[0].text() == "✓ received: HTTP 202"
        assert by_rest.marks[1].state is MarkState.RECEIVED
        assert view.send(1, "rest", '{"n": 2}', via=Transport.REST) is None
        refused = view.board.probes[-1]
        await until(lambda: refused.settled, what="the reader's REST send settled")
        assert refused.marks[1].state is MarkState.REFUSED
        assert refused.marks[1].detail.startswith("HTTP 403"), refused.marks[1].detail
        assert refused.marks[0].state is MarkState.NOT_RECEIVED
        # A payload that is not a JSON object is refused with a sentence.
        assert "JSON object" in (view.send(0, "x", "[1, 2]") or "")
        view.marks_model.flush()
        save_screenshot(view, "compare-3-refused")
        view.resize(1024, 700)
        save_screenshot(view, "compare-3-refused-1024x700")
    finally:
        await view.wait_closed()
        view.close()
        view.deleteLater()
    assert all(not c.active for c in view.controllers)
    assert all(i.session.access_token is None for i in view.setup.identities)  # type: ignore[attr-defined]
    assert not view._tasks
    await until(lambda: not server.sockets, what="the server saw every socket close")


def service_token(server: RealtimeServer, email: str) -> str:
    """A user token as a project's Auth would issue it (signed with the server's secret)."""
    claims = {"role": "authenticated", "sub": email, "email": email, "exp": 4_000_000_000}
    return jwt.sign(claims, server.config.jwt_secret)


async def test_four_identities_from_the_channel_menu_on_a_public_channel(
    window: MainWindow, server: RealtimeServer
) -> None:
    """Channel → Compare identities…: the profile's own identity plus a pasted token, an
    email+password sign-in and the service_role key typed in the dialog; every column joins,
    sees the three others present and receives a send from the first; closing the main window
    closes the compare view and its sockets."""
    window.add_session_profile(Profile("local", "Local", server.url), server.anon_key)
    window.resize(1280, 800)
    assert window.join(ChannelOptions("compare-lobby")) is None
    assert window.compare.action in window.channel_menu.actions()
    window.compare.action.trigger()
    dialog = window.compare.dialog
    assert dialog is not None
    assert dialog.channel() == "compare-lobby"  # the current tab's channel
    assert [c.name for c in dialog.choices()] == ["profile"]
    assert dialog.error() == "Check 2 to 4 identities (1 checked)"

    dialog.name_edit.setText("reader")
    dialog.secret_edit.setText("not a jwt")
    assert not dialog.add_typed()
    assert "JWT" in dialog.add_note.text()
    dialog.secret_edit.setText(service_token(server, "reader@example.com"))
    assert dialog.add_typed()
    dialog.name_edit.setText("writer")
    dialog.kind_combo.setCurrentIndex(dialog.kind_combo.findData(KIND_EMAIL))
    assert dialog.email_edit.isVisible()
    assert not dialog.secret_edit.isVisible()
    dialog.email_edit.setText("writer@example.com")
    dialog.password_edit.setText("writer-pw")
    assert dialog.add_typed()
    dialog.name_edit.setText("admin")
    dialog.kind_combo.setCurrentIndex(dialog.kind_combo.findData(KIND_KEY))
    dialog.secret_edit.setText(server.service_role_key)
    assert dialog.add_typed()
    assert "secret" not in repr(dialog.choices())  # no secret in a repr
    assert [c.name for c in dialog.choices()] == ["profile", "reader", "writer", "admin"]
    assert dialog.error() is None
    save_screenshot(dialog, "compare-dialog")
    dialog.accept()

    assert len(window.compare.windows) == 1
    view = window.compare.windows[0]
    view.resize(1280, 800)
    await until(
        lambda: states(view) == [TabState.JOINED] * 4, timeout=15, what="four columns joined"
    )
    names = {"profile", "reader", "writer", "admin"}
    await until(
        lambda: all(set(c.seen_keys()) == names for c in view.columns),
        what="every column sees the four identities present",
    )
    assert [c.role for c in view.columns] == [
        "anon",
        "authenticated",
        "authenticated",
        "service_role",
    ]

    assert view.send(0, "hello", '{"text": "from the profile"}') is None
    probe = view.board.probes[-1]
    await until(lambda: probe.settled, what="every mark final")
    assert [m.state for m in probe.marks] == [MarkState.SENT] + [MarkState.RECEIVED] * 3
    view.send_as.setCurrentIndex(3)
    view.payload_edit.setText('{"text": "from admin"}')
    view.send_from_composer()
    assert view.note.text() == ""
    admin = view.board.probes[-1]
    assert admin.sender == 3
    await until(lambda: admin.settled, what="admin's marks final")
    assert [m.state for m in admin.marks] == [MarkState.RECEIVED] * 3 + [MarkState.SENT]
    for column in view.columns:
        column.refresh_presence()
    view.marks_model.flush()
    for col in view.columns:
        col.model.flush()
    view.mark_clicked(view.marks_model.index(0, len(FIXED) + 2))  # C's copy of A's send
    assert "row selected" in view.note.text()
    save_screenshot(view, "compare-4-columns")
    view.resize(1024, 700)
    save_screenshot(view, "compare-4-columns-1024x700")

    # Closing the main window closes the compare view: it leaves and closes its sockets.
    # (its closeEvent handler, called directly: closing the last window would stop the loop)
    window.closeEvent(QCloseEvent())
    assert view._closing is not None
    await window.compare.wait_closed()
    assert not window.compare.windows
    await until(lambda: not server.sockets, what="every socket closed")


async def test_saved_identities_and_the_tab_context_menu(
    window: MainWindow, server: RealtimeServer
) -> None:
    """The profile's saved identities (a password sign-in and a minted token, secrets in the
    keychain) are offered by the dialog the tab's context menu opens, prefilled with that
    tab's channel and privacy; one whose secret is missing is listed, not checkable. Two
    columns: the writer's send is received by the reader, presence both ways."""
    identities = (
        Identity("i-w", "writer", "password", email="writer@example.com"),
        Identity("i-r", "reader", "minted", email="reader@example.com", sub="reader-id"),
        Identity("i-g", "ghost", "token"),
    )
    profile = Profile("local", "Local", server.url, identities=identities)
    window.add_session_profile(profile, server.anon_key)
    window.secrets.stage_identity("local", "i-w", "password", "writer-pw")
    window.secrets.stage_identity("local", "i-r", "jwt_secret", server.config.jwt_secret)
    assert window.join(ChannelOptions("compare-room", private=True)) is None
    window.join(ChannelOptions("other"))
    options = window.compare._options_of(window.panels["compare-room"])
    dialog = window.compare.open_dialog(options)
    assert dialog is not None
    assert dialog.channel() == "compare-room"
    assert dialog.private()
    labels = [dialog.list.item(i).text() for i in range(dialog.list.count())]
    assert labels[:3] == [
        "profile — profile key",
        "writer — email writer@example.com",
        "reader — minted token (role authenticated)",
    ]
    assert labels[3].startswith("ghost — identity 'ghost' of profile 'Local' has no access token")
    assert not dialog.list.item(3).flags() & Qt.ItemFlag.ItemIsEnabled
    dialog.set_checked(["writer", "reader", "ghost"])
    assert [c.name for c in dialog.choices()] == ["writer", "reader"]
    dialog.accept()
    view = window.compare.windows[0]
    try:
        await until(lambda: states(view) == [TabState.JOINED] * 2, what="both joined")
        await until(
            lambda: (
                set(view.columns[0].seen_keys()) == {"writer", "reader"}
                and set(view.columns[1].seen_keys()) == {"writer", "reader"}
            ),
            what="presence both ways",
        )
        view.payload_edit.setText('{"text": "hi reader"}')
        view.send_from_composer()
        probe = view.board.probes[-1]
        await until(lambda: probe.settled, what="marks final")
        assert [m.state for m in probe.marks] == [MarkState.SENT, MarkState.RECEIVED]
        for column in view.columns:
            column.refresh_presence()
            column.model.flush()
        view.marks_model.flush()
        view.mark_clicked(view.marks_model.index(0, len(FIXED) + 1))
        save_screenshot(view, "compare-2-columns")
    finally:
        await view.wait_closed()
    assert not window.compare.windows


async def test_a_refused_sign_in_shows_auth_words_in_its_column(server: RealtimeServer) -> None:
    """A wrong password: the column says what Auth said and never connects; a send from the
    other column marks it not received (not joined)."""
    wrong = IdentitySession(IdentitySpec("writer", email="writer@example.com", password="nope"))
    setup = CompareSetup(
        "compare-room",
        True,
        (identity("reader"), CompareIdentity("writer", "email writer@example.com", wrong)),
    )
    view = CompareWindow(setup, Profile("local", "Local", server.url), server.anon_key)
    view.show()
    view.start()
    try:
        await until(lambda: "Invalid login credentials" in view.columns[1].state_label.text())
        assert "writer: sign-in refused (HTTP 400): Invalid login credentials" in (
            view.columns[1].state_label.text()
        )
        await until(lambda: states(view)[0] is TabState.JOINED, what="the reader joined")
        assert not view.controllers[1].active
        assert view.send(1, "x", "{}") == "writer is not connected"
        assert view.send(0, "x", "{}") is None
        assert view.board.probes[-1].marks[1].state is MarkState.NOT_JOINED
    finally:
        await view.wait_closed()
        view.deleteLater()
