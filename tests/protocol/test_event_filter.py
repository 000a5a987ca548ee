"""One event filter syntax (issue 9): globs with ``*`` and ``?``, ``[`` literal, backslash
escapes, case-insensitive; the session drops what it refuses before building an event."""

from __future__ import annotations

import json

import pytest
from session_driver import TOPIC, Driver, kind4

from inspector.protocol.channel import ChannelConfig
from inspector.protocol.event_filter import (
    EventFilter,
    compile_events,
    event_matches,
    parse_event_list,
)
from inspector.protocol.events import BroadcastReceived

EVENTS = ["tock[1]", "tock1", "a*", "a,b", "[", "cursor-move", "Chat", "a\\b", "ab"]


@pytest.mark.parametrize(
    ("patterns", "shown"),
    [
        (("tock[1]",), ["tock[1]"]),
        ((r"tock\[1\]",), ["tock[1]"]),
        (("tock[1]*",), ["tock[1]"]),
        (("*[*",), ["tock[1]", "["]),
        ((r"a\*",), ["a*"]),
        (("a,b",), ["a,b"]),
        (("c?rsor-*", "a*"), ["a*", "a,b", "cursor-move", "a\\b", "ab"]),
        (("CHAT",), ["Chat"]),
        ((r"a\\b",), ["a\\b"]),
        (("a?b",), ["a,b", "a\\b"]),
        (("*",), EVENTS),
        ((), EVENTS),
    ],
)
def test_glob_syntax(patterns: tuple[str, ...], shown: list[str]) -> None:
    assert [e for e in EVENTS if event_matches(e, patterns)] == shown
    flt = EventFilter(patterns)
    assert [e for e in EVENTS if flt.matches(e)] == shown


def test_exact_names_are_globs_without_wildcards_and_all_means_none() -> None:
    assert compile_events(()) is None
    assert compile_events(("x", "*")) is None
    flt = compile_events(("Ping", "other"))
    assert flt is not None
    assert flt.patterns == ("ping", "other")
    assert flt.matches("PING")
    assert not flt.matches("pin")
    assert not flt.matches("pingg")
    assert EventFilter(["A", "a"]) == EventFilter(["a"])
    assert parse_event_list(r" a, B ,,c, a, d\,e") == ("a", "b", "c", r"d\,e")
    assert parse_event_list(" * ") == ()


def test_the_session_drops_and_counts_refused_events_on_every_path() -> None:
    d = Driver()
    d.open()
    d.join(events=("cursor*", "Ping"))
    d.events()

    def text(event: str) -> str:
        body = {"type": "broadcast", "event": event, "payload": {}}
        return json.dumps([None, None, TOPIC, "broadcast", body])

    for data in (
        kind4("cursor-move", b"{}"),
        kind4("pong", b"{}"),
        text("CURSOR-up"),
        text("x"),
        text("ping") + " ",  # trailing space: the general decoder, not the fast path
        text("other") + " ",
        kind4("ping", b"{}"),
    ):
        d.s.receive(data, 1.0)
    got = [e.event for e in d.events() if isinstance(e, BroadcastReceived)]
    assert got == ["cursor-move", "CURSOR-up", "ping", "ping"]
    ch = d.s.channels[TOPIC]
    assert (ch.received, ch.filtered) == (4, 3)


def test_channel_config_takes_globs() -> None:
    cfg = ChannelConfig("r", events=("c?t", "dog*"))
    flt = cfg.event_filter()
    assert flt is not None
    assert [e for e in ("cat", "cut", "dogs", "do") if flt.matches(e)] == ["cat", "cut", "dogs"]
    assert ChannelConfig("r").event_filter() is None
