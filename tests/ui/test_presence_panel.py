"""The presence panel driven by a fake session: listening rejoins, the roster and timeline follow
the client's presence steps, Track/Untrack are intents whose results show, nothing is tracked
unless asked (the real server and realtime-js: test_presence_live.py)."""

from __future__ import annotations

from typing import Any

import pytest
from gui_fakes import FakeController

from inspector.protocol.presence import Presence
from inspector.store import ChannelOptions, ChannelStatus, TabState
from inspector.store.presence.presence_roster import OwnState
from inspector.ui.main_window import MainWindow
from inspector.ui.open_channel import OpenChannel
from inspector.ui.presence.presence_model import PresenceRosterModel, PresenceTimelineModel

pytestmark = pytest.mark.gui


class PresenceFake(FakeController):
    """FakeController plus track/untrack hooks that answer ok (or fail when told)."""

    def __init__(self) -> None:
        super().__init__()
        self.tracks: list[tuple[str, Any]] = []
        self.fail_with = ""

    def _start_track(self, session: OpenChannel, payload: dict[str, object]) -> None:
        self.tracks.append(("track", payload))
        ok = not self.fail_with
        session.presence.own_result(ok, self.wall_clock(), 1.2, self.fail_with)

    def _start_untrack(self, session: OpenChannel) -> None:
        self.tracks.append(("untrack", None))
        session.presence.own_result(True, self.wall_clock(), 0.8)

    def presence(self, name: str, presence: Presence, kind: str, payload: Any) -> None:
        """Apply a presence_state / presence_diff as the client does and hand it over."""
        if kind == "state":
            changes = presence.apply_state(payload, "1")
        else:
            change = presence.apply_diff(payload, "1")
            changes = [] if change is None else [change]
        for i, change in enumerate(changes):
            self.channels[name].presence.apply(
                "state" if kind == "state" and i == 0 else "diff",
                change.joins,
                change.leaves,
                presence.snapshot(),
                self.wall_clock(),
            )


def window_with_tab(qtbot: Any, options: ChannelOptions) -> tuple[PresenceFake, MainWindow]:
    from test_main_window import saved_profile

    saved_profile()
    session = PresenceFake()
    window = MainWindow(session)
    qtbot.addWidget(window)
    window.show()
    window.connect_current()
    assert window.join(options) is None
    return session, window


def test_models_pass_qtmodeltester(qtmodeltester: Any) -> None:
    session = OpenChannel(ChannelOptions("x", presence=True), 100)
    p = Presence()
    state = {"a": {"metas": [{"phx_ref": "1", "n": 1}, {"phx_ref": "2"}]}}
    for change in p.apply_state(state, "1"):
        session.presence.apply("state", change.joins, change.leaves, p.snapshot(), 1.0)
    roster = PresenceRosterModel(session.presence)
    qtmodeltester.check(roster, force_py=True)
    assert roster.rowCount() == 2
    assert roster.keys() == ["a"]
    qtmodeltester.check(PresenceTimelineModel(session.presence), force_py=True)


def test_presence_keys_and_payloads_show_hidden_characters() -> None:
    """QA 7: a peer's presence key or tracked payload with a bidi override or zero-width
    space is shown escaped in the roster and the timeline."""
    session = OpenChannel(ChannelOptions("x", presence=True), 100)
    p = Presence()
    state = {"ad\u202enim": {"metas": [{"phx_ref": "1", "name": "a\u200bb"}]}}
    for change in p.apply_state(state, "1"):
        session.presence.apply("state", change.joins, change.leaves, p.snapshot(), 1.0)
    roster = PresenceRosterModel(session.presence)
    cells = [str(roster.data(roster.index(0, col))) for col in (0, 1)]
    assert cells[0] == "ad\\u202enim"
    assert "a\\u200bb" in cells[1]
    timeline = PresenceTimelineModel(session.presence)
    summary = str(timeline.data(timeline.index(0, 2)))
    assert "\u202e" not in summary
    assert "\\u202e" in summary


def test_listen_rejoins_with_presence_and_never_tracks(qtbot: Any) -> None:
    session, window = window_with_tab(qtbot, ChannelOptions("room"))
    panel = window.panels["room"]
    pp = panel.presence_panel
    assert not pp.isVisibleTo(panel)
    panel.presence_button.click()
    assert pp.isVisibleTo(panel)
    assert pp.state_label.text().startswith("Presence is off for this tab")
    assert pp.listen_button.text() == "Listen to presence"
    calls = len(session.calls)
    pp.listen_button.click()
    assert session.channels["room"].options.presence_enabled
    assert session.calls[calls:] == [("leave", "room"), ("join", "room")]
    assert "Rejoining “room” with presence on" in window.statusBar().currentMessage()
    # The fake rejoins at once: the tab's "Rejoining" line is gone once joined (item 19).
    assert not panel.notice_label.text()
    assert "presence" in [panel.chips.itemAt(i).widget().text() for i in range(panel.chips.count())]  # type: ignore[union-attr]
    assert session.tracks == []  # listening never tracks
    assert pp.own_label.text().startswith("Not tracking")
    pp.listen_button.click()
    assert not session.channels["room"].options.presence_enabled


def test_roster_and_timeline_follow_presence(qtbot: Any) -> None:
    session, window = window_with_tab(qtbot, ChannelOptions("room", presence=True))
    pp = window.panels["room"].presence_panel
    p = Presence()
    session.presence("room", p, "state", {"alice": {"metas": [{"phx_ref": "a1", "n": 1}]}})
    pp.refresh()
    assert pp.roster_model.keys() == ["alice"]
    assert pp.roster_model.data(pp.roster_model.index(0, 2)).startswith("before ")
    assert pp.state_label.text() == "Live: 1 full list, 0 changes so far."
    assert window.panels["room"].presence_button.text() == "Presence (1)"
    session.presence(
        "room",
        p,
        "diff",
        {
            "joins": {
                "bob": {"metas": [{"phx_ref": "b1"}]},
                "alice": {"metas": [{"phx_ref": "a2", "phx_ref_prev": "a1", "n": 2}]},
            },
            "leaves": {"alice": {"metas": [{"phx_ref": "a1", "n": 1}]}},
        },
    )
    pp.refresh()
    assert pp.roster_model.keys() == ["alice", "bob"]
    newest = [pp.timeline_model.entry_at(i) for i in range(2)]
    assert [e.kind.value for e in newest if e is not None] == ["join", "update"]
    pp.timeline_view.selectRow(1)
    assert "nobody left" in pp.why_label.text()
    session.presence(
        "room", p, "diff", {"joins": {}, "leaves": {"bob": {"metas": [{"phx_ref": "b1"}]}}}
    )
    pp.refresh()
    assert pp.roster_model.keys() == ["alice"]
    assert pp.timeline_model.entry_at(0).summary == "bob left"  # type: ignore[union-attr]


def test_track_and_untrack(qtbot: Any) -> None:
    session, window = window_with_tab(qtbot, ChannelOptions("room", presence_key="me"))
    pp = window.panels["room"].presence_panel
    pp.payload_edit.setText("[1]")
    assert not pp.track_button.isEnabled()
    assert "must be a JSON object" in pp.track_button.toolTip()
    pp.payload_edit.setText('{"role": "qa"}')
    assert not pp.untrack_button.isEnabled()
    pp.track_button.click()
    assert session.tracks == [("track", {"role": "qa"})]
    pp.refresh()
    assert session.channels["room"].presence.own.state is OwnState.TRACKED
    assert pp.own_label.text().startswith("Tracking as me (1.2 ms)")
    assert pp.untrack_button.isEnabled()
    # A rejoin drops the server's presence; the tab tracks again because the user asked.
    session.set_status("room", ChannelStatus(TabState.ERRORED, "x"))
    session.set_status("room", ChannelStatus(TabState.JOINED))
    assert session.tracks[-1] == ("track", {"role": "qa"})
    pp.untrack_button.click()
    assert session.tracks[-1] == ("untrack", None)
    assert session.channels["room"].presence.own.state is OwnState.OFF
    session.set_status("room", ChannelStatus(TabState.ERRORED, "x"))
    session.set_status("room", ChannelStatus(TabState.JOINED))
    assert session.tracks[-1] == ("untrack", None)  # not tracked again after Untrack
    session.fail_with = "Presence track payload must be a map"
    pp.track_button.click()
    pp.refresh()
    assert pp.own_label.text().startswith("Error: Presence track payload must be a map")
    session.set_status("room", ChannelStatus(TabState.ERRORED, "x"))
    assert not pp.track_button.isEnabled()
    assert pp.track_button.toolTip() == "Join the channel to track."
