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

from inspector.client.identity import IdentitySession, IdentitySpec
from inspector.server import RealtimeServer, ServerConfig
from inspector.store import Profile, TabState
from inspector.store.compare.marks import MARKER_FIELD, MarkState
from inspector.ui.compare.compare_window import CompareIdentity, CompareSetup, CompareWindow

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
    qtbot: Any, server: RealtimeServer, names: list[str], *, private: bool = True
) -> CompareWindow:
    setup = CompareSetup("compare-room", private, tuple(identity(n) for n in names))
    profile = Profile("local", "Local", server.url)
    view = CompareWindow(setup, profile, server.anon_key, settle_s=1.0)
    view.resize(1280, 800)
    view.show()
    view.start()
    return view


def states(view: CompareWindow) -> list[TabState]:
    return [c.channel.status.state for c in view.columns]


async def test_compare_private_channel_marks_presence_and_cleanup(
    qtbot: Any, server: RealtimeServer
) -> None:
    view = await open_view(qtbot, server, ["writer", "reader", "outsider"])
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
        index = view.marks_model.index(0, 4 + 1)
        view.mark_clicked(index)
        selected = reader.table.selectionModel().selectedRows()
        assert len(selected) == 1
        assert reader.proxy.record_at(selected[0].row()) is received
        assert "row selected" in view.note.text()

        # The reader may not write: no answer for it, and the writer never gets it.
        assert view.send(1, "hello", '{"text": "from B"}') is None
        dropped = view.board.probes[-1]
        await until(
            lambda: dropped.marks[0].state is MarkState.NOT_RECEIVED,
            what="A did not receive B's message",
        )
        # A payload that is not a JSON object is refused with a sentence.
        assert "JSON object" in (view.send(0, "x", "[1, 2]") or "")
        view.marks_model.flush()
        save_screenshot(view, "compare-3-refused")
    finally:
        await view.wait_closed()
        view.close()
        view.deleteLater()
    assert all(not c.active for c in view.controllers)
    assert all(i.session.access_token is None for i in view.setup.identities)  # type: ignore[attr-defined]
    assert not view._tasks
    await until(lambda: not server.sockets, what="the server saw every socket close")
