"""PresenceRoster: the roster follows the client's state; the timeline explains sync vs
join/leave (the state is not arrivals, an update is not a leave, a second connection is not a
new person); our own tracking is off unless asked and survives a rejoin as a wish."""

from __future__ import annotations

from typing import Any

from inspector.protocol.presence import Presence
from inspector.store.presence.presence_roster import (
    OwnState,
    PresenceRoster,
    TimelineKind,
    meta_payload,
    meta_text,
)


def meta(ref: str, prev: str | None = None, **payload: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"phx_ref": ref, **payload}
    if prev is not None:
        out["phx_ref_prev"] = prev
    return out


class Driver:
    """Feeds the real protocol Presence (as the client does) into a roster."""

    def __init__(self) -> None:
        self.presence = Presence()
        self.roster = PresenceRoster()
        self.calls = 0
        self.roster.add_listener(self._heard)
        self.t = 1000.0

    def _heard(self) -> None:
        self.calls += 1

    def state(self, payload: dict[str, Any], join_ref: str = "1") -> list[Any]:
        self.t += 1
        out = []
        for change in self.presence.apply_state(payload, join_ref):
            kind = "state" if not out else "diff"
            out += self.roster.apply(
                kind, change.joins, change.leaves, self.presence.snapshot(), self.t
            )
        return out

    def diff(self, joins: dict[str, Any], leaves: dict[str, Any], join_ref: str = "1") -> list[Any]:
        self.t += 1
        change = self.presence.apply_diff({"joins": joins, "leaves": leaves}, join_ref)
        assert change is not None
        return self.roster.apply(
            "diff", change.joins, change.leaves, self.presence.snapshot(), self.t
        )


def test_the_full_list_after_join_is_not_arrivals() -> None:
    d = Driver()
    entries = d.state(
        {
            "alice": {"metas": [meta("a1", name="Alice")]},
            "bob": {"metas": [meta("b1"), meta("b2")]},
        }
    )
    assert [e.kind for e in entries] == [TimelineKind.SYNC, TimelineKind.JOIN, TimelineKind.JOIN]
    assert entries[0].summary == "presence_state: the full list, 2 keys on 3 connections"
    assert "nobody arrived" in entries[0].explanation
    assert entries[1].summary == 'alice was already here: {"name":"Alice"}'
    roster = d.roster
    assert roster.keys() == ["alice", "bob"]
    assert roster.counts() == (2, 3)
    alice = roster.get("alice")
    assert alice is not None
    assert alice.listed_at_join
    assert alice.since == 1001.0
    assert roster.live
    assert d.calls == 1


def test_join_leave_update_and_second_connection_are_told_apart() -> None:
    d = Driver()
    d.state({"alice": {"metas": [meta("a1", mood="ok")]}})
    # carol arrives for real
    [joined] = d.diff({"carol": {"metas": [meta("c1")]}}, {})
    assert (joined.kind, joined.summary, joined.explanation) == (
        TimelineKind.JOIN,
        "carol joined: {}",
        "",
    )
    carol = d.roster.get("carol")
    assert carol is not None
    assert not carol.listed_at_join
    assert carol.since == d.t
    # alice updates her payload: a leave of a1 and a join of a2 naming a1 as previous
    [update] = d.diff(
        {"alice": {"metas": [meta("a2", prev="a1", mood="busy")]}},
        {"alice": {"metas": [meta("a1", mood="ok")]}},
    )
    assert update.kind is TimelineKind.UPDATE
    assert update.summary == 'alice updated its presence: {"mood":"busy"}'
    assert "nobody left" in update.explanation
    alice = d.roster.get("alice")
    assert alice is not None
    assert [meta_payload(m) for m in alice.metas] == [{"mood": "busy"}]
    assert alice.since == 1001.0  # the same presence, not a new one
    # carol opens a second tab, then closes the first: not a new person, not gone
    [second] = d.diff({"carol": {"metas": [meta("c2")]}}, {})
    assert second.summary == "carol opened another connection (2 now): {}"
    [closed] = d.diff({}, {"carol": {"metas": [meta("c1")]}})
    assert closed.summary == "carol closed one connection (1 left)"
    [gone] = d.diff({}, {"carol": {"metas": [meta("c2")]}})
    assert (gone.kind, gone.summary) == (TimelineKind.LEAVE, "carol left")
    assert d.roster.keys() == ["alice"]


def test_rejoin_compares_the_new_list_with_the_old() -> None:
    d = Driver()
    d.state({"alice": {"metas": [meta("a1")]}, "bob": {"metas": [meta("b1")]}})
    d.roster.channel_joining(d.t, "not joined (errored)")
    assert not d.roster.live
    assert d.roster.keys() == ["alice", "bob"]  # still shown, marked not live
    entries = d.state({"alice": {"metas": [meta("a1")]}, "dave": {"metas": [meta("d1")]}}, "2")
    summaries = [e.summary for e in entries]
    assert summaries[1:] == [
        "bob left while we were not listening",
        "dave joined while we were not listening: {}",
    ]
    assert d.roster.keys() == ["alice", "dave"]
    d.roster.channel_left(d.t)
    assert d.roster.keys() == []
    assert d.roster.timeline[-1].summary == "we left the channel"


def test_own_tracking_is_off_until_asked_and_kept_as_a_wish() -> None:
    roster = PresenceRoster()
    assert roster.own.state is OwnState.OFF
    assert not roster.own.wanted
    roster.track_requested({"role": "inspector"}, 5.0)
    assert roster.own.state is OwnState.PENDING
    roster.own_result(True, 6.0, 1.5)
    assert (roster.own.state, roster.own.since, roster.own.round_trip_ms) == (
        OwnState.TRACKED,
        6.0,
        1.5,
    )
    assert roster.own.wanted
    roster.untrack_requested(7.0)
    roster.own_result(True, 8.0, 0.9)
    assert roster.own.state is OwnState.OFF
    assert not roster.own.wanted
    roster.track_requested({"x": 1}, 9.0)
    roster.own_result(False, 10.0, error="Presence track payload must be a map")
    assert roster.own.state is OwnState.ERROR
    assert [e.summary for e in roster.timeline][-1] == (
        "track failed: Presence track payload must be a map"
    )


def test_timeline_is_bounded_and_counts_what_it_dropped() -> None:
    roster = PresenceRoster(timeline_limit=3)
    for i in range(5):
        roster.track_requested({"i": i}, float(i))
    assert len(roster.timeline) == 3
    assert roster.timeline_dropped == 2


def test_a_malformed_diff_lists_nobody() -> None:
    """QA 13: a presence_state that is not a map, then a diff whose metas are not objects
    (``{"a": {"metas": [1, 2]}}``), left key "a" with no connection, and a tab without
    presence showed "Presence (1)". A key with no connection is nobody."""
    d = Driver()
    d.presence.apply_state("x", "1")  # malformed: an empty state, synced
    d.diff({"a": {"metas": [1, 2]}}, {})
    assert d.roster.keys() == []
    assert d.roster.counts() == (0, 0)
    d.diff({"b": {"metas": [meta("b1")]}}, {})
    assert d.roster.counts() == (1, 1)


def test_meta_text_hides_server_keys_and_cuts() -> None:
    m = meta("r1", prev="r0", text="x" * 500)
    assert "phx_ref" not in meta_text(m)
    assert len(meta_text(m, limit=40)) == 40
