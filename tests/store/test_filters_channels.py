"""Filters, channel options and conflicts, join and connection wording."""

from __future__ import annotations

from inspector.protocol.event_filter import event_matches
from inspector.store import (
    ChannelOptions,
    ChannelStatus,
    ConnectionStatus,
    Direction,
    LinkState,
    MessageFilter,
    MessageRecord,
    PayloadFormat,
    TabState,
    join_conflict,
    parse_event_list,
)


def rec(event: str, payload: bytes, direction: Direction = Direction.IN) -> MessageRecord:
    return MessageRecord(time=0, direction=direction, event=event, payload=payload)


def test_parse_event_list() -> None:
    assert parse_event_list(" a, B ,,c, a") == ("a", "b", "c")
    assert parse_event_list("") == ()
    assert parse_event_list(" * ") == ()


def test_text_filter_is_case_insensitive_over_event_and_payload() -> None:
    f = MessageFilter.from_inputs(text="  HeLLo ")
    assert f.matches(rec("x", b'{"msg":"hello world"}'))
    assert f.matches(rec("say-HELLO", b"{}"))
    assert not f.matches(rec("x", b'{"msg":"bye"}'))
    binary = MessageRecord(
        time=0, direction=Direction.IN, event="b", payload=b"hello", format=PayloadFormat.BINARY
    )
    assert not f.matches(binary)
    assert MessageFilter().is_empty
    assert not f.is_empty


def test_event_filter_globs_and_directions() -> None:
    f = MessageFilter.from_inputs(events="cursor*, Chat")
    assert f.matches(rec("cursor-move", b"{}"))
    assert f.matches(rec("CHAT", b"{}"))
    assert not f.matches(rec("presence", b"{}"))
    both = MessageFilter(text="x", events=("chat",))
    assert not both.matches(rec("chat", b'{"a":1}'))
    assert both.matches(rec("chat", b'{"a":"x"}'))
    outs = MessageFilter(directions=frozenset({Direction.OUT}))
    assert outs.matches(rec("e", b"{}", Direction.OUT))
    assert not outs.matches(rec("e", b"{}", Direction.IN))


def test_event_filter_brackets_are_literal_and_backslash_escapes() -> None:
    """QA 13: ``[`` started a glob character class, so no pattern could name ``tock[1]``
    with a wildcard and ``tock\\[1\\]`` matched nothing; only ``*`` and ``?`` are wildcards."""
    events = ["tock[1]", "tock1", "a*", "a,b", "[", "cursor-move"]

    def shown(typed: str) -> list[str]:
        f = MessageFilter.from_inputs(events=typed)
        return [e for e in events if f.matches(rec(e, b"{}"))]

    assert shown("tock[1]") == ["tock[1]"]
    assert shown(r"tock\[1\]") == ["tock[1]"]
    assert shown("tock[1]*") == ["tock[1]"]  # not the class [1]: tock1 is not shown
    assert shown("*[*") == ["tock[1]", "["]
    assert shown("[") == ["["]
    assert shown(r"a\*") == ["a*"]
    assert shown(r"a\,b") == ["a,b"]
    assert shown("c?rsor-*, a*") == ["a*", "a,b", "cursor-move"]


def test_channel_options_validate_chips_roundtrip() -> None:
    assert ChannelOptions("").validate() == "Channel name is required"
    assert ChannelOptions(" room").validate() is not None
    assert ChannelOptions("x" * 300).validate() is not None
    o = ChannelOptions("room-1", broadcast_self=True, ack=True, presence_key="me", events=("a",))
    assert o.validate() is None
    assert o.chips() == ["self", "ack", "public", "presence: me", "events: a"]
    assert ChannelOptions.from_dict(o.to_dict()) == o
    assert ChannelOptions.from_dict({"name": 3}) is None
    assert ChannelOptions.from_dict("junk") is None
    assert ChannelOptions.from_dict({"name": ""}) is None
    assert ChannelOptions.from_dict({"name": "r", "events": "bad"}) == ChannelOptions("r")
    assert event_matches("A", o.events)
    assert not event_matches("b", o.events)
    assert event_matches("anything", ChannelOptions("r").events)
    flipped = o.with_broadcast(ack=False, broadcast_self=False)
    assert (flipped.ack, flipped.broadcast_self, flipped.name) == (False, False, "room-1")


def test_join_conflict_refuses_same_name() -> None:
    open_tabs = [ChannelOptions("room-1", ack=True)]
    assert join_conflict(ChannelOptions("room-2"), open_tabs) is None
    same = join_conflict(ChannelOptions("room-1", ack=True), open_tabs)
    assert same is not None
    assert "already open in a tab" in same
    diff = join_conflict(ChannelOptions("room-1", private=True), open_tabs)
    assert diff is not None
    assert "ack off (open tab: on)" in diff
    assert "private on (open tab: off)" in diff


def test_join_conflict_on_identity_points_to_compare() -> None:
    """QA (issue #13): joining a channel already open as another identity said "change
    ack/self from the tab's composer", which cannot help; it names the way to see a channel
    as several identities."""
    open_tabs = [ChannelOptions("dm-alice", private=True, identity="i-alice")]
    diff = join_conflict(ChannelOptions("dm-alice", private=True, identity="i-bob"), open_tabs)
    assert diff is not None
    assert "different options: identity." in diff
    assert "ack/self" not in diff
    assert "Channel → Compare identities…" in diff
    # the other differences keep their advice
    ack = join_conflict(
        ChannelOptions("dm-alice", private=True, ack=True, identity="i-alice"), open_tabs
    )
    assert ack is not None
    assert "change ack/self from the tab's composer" in ack


def test_channel_status_wording() -> None:
    s = ChannelStatus(TabState.ERRORED, "Unauthorized: nope", retry_at=10.2)
    assert s.describe(now=8.0) == "errored: Unauthorized: nope · retrying in 3 s"
    assert ChannelStatus(TabState.JOINED).describe(0) == "joined"


def test_connection_status_wording() -> None:
    assert ConnectionStatus().describe(0) == "disconnected"
    assert (
        ConnectionStatus(LinkState.DISCONNECTED, reason="HTTP 401: Invalid JWT").describe(0)
        == "disconnected: HTTP 401: Invalid JWT"
    )
    assert ConnectionStatus(LinkState.CONNECTING).describe(0) == "connecting…"
    assert (
        ConnectionStatus(LinkState.CONNECTED, rtt_ms=1.234).describe(0)
        == "connected · heartbeat 1.2 ms"
    )
    assert ConnectionStatus(LinkState.CONNECTED).describe(0) == "connected"
    r = ConnectionStatus(LinkState.RECONNECTING, retry_at=5.0, attempt=2, reason="refused")
    assert r.describe(2.5) == "reconnecting in 3 s (attempt 2) · refused"
    assert r.describe(6.0).startswith("reconnecting now")
