"""Broadcast Replay options (issue #15 item 2): the since parser, the options' rules and
round trip, and the table's metadata marker."""

from __future__ import annotations

import pytest

from inspector.store.channels.channels import (
    ChannelOptions,
    ReplaySinceError,
    parse_replay_since,
)
from inspector.store.messages.records import (
    Direction,
    MessageRecord,
    SendInfo,
    Transport,
    json_bytes,
    meta_marker,
)

NOW = 1767225600.0


@pytest.mark.parametrize(
    ("text", "ms"),
    [
        ("1767225600000", 1767225600000),
        ("15m", 1767225600000 - 900_000),
        ("90s", 1767225600000 - 90_000),
        ("2h", 1767225600000 - 7_200_000),
        ("1d", 1767225600000 - 86_400_000),
        ("1.5 min", 1767225600000 - 90_000),
        ("2026-01-01T00:00:00Z", 1767225600000),
        ("2026-01-01T01:00:00+01:00", 1767225600000),
    ],
)
def test_parse_replay_since(text: str, ms: int) -> None:
    assert parse_replay_since(text, NOW) == ms


@pytest.mark.parametrize("text", ["", "soon", "15 fortnights", "2026-13-01", "9" * 400 + "d"])
def test_parse_replay_since_refuses(text: str) -> None:
    with pytest.raises(ReplaySinceError, match="not a replay time"):
        parse_replay_since(text, NOW)


def test_replay_options_rules_and_round_trip() -> None:
    ok = ChannelOptions("a", private=True, replay_since=5, replay_limit=25)
    assert ok.validate() is None
    assert ChannelOptions.from_dict(ok.to_dict()) == ok
    assert "replay since 1970-01-01T00:00:00.005Z, limit 25" in ok.chips()
    assert "private channel" in (ChannelOptions("a", replay_since=5).validate() or "")
    assert "needs a replay time" in (
        ChannelOptions("a", private=True, replay_limit=3).validate() or ""
    )
    assert "1..25" in (
        ChannelOptions("a", private=True, replay_since=5, replay_limit=0).validate() or ""
    )
    assert ok.differences(ChannelOptions("a", private=True)) == ["replay"]
    old = {"name": "a", "self": False, "ack": False, "private": False}  # saved before replay
    assert ChannelOptions.from_dict(old) == ChannelOptions("a")


def _received(meta: object) -> MessageRecord:
    return MessageRecord(
        time=NOW, direction=Direction.IN, event="e", payload=b"{}", meta=json_bytes(meta)
    )


def test_meta_marker() -> None:
    replayed, cell, tip = meta_marker(_received({"replayed": True, "id": "0f7d3c1e-2b4a"}))
    assert (replayed, cell) == (True, "id 0f7d3c…")
    assert "Replayed by the server on join" in tip
    assert "meta.id 0f7d3c1e-2b4a" in tip
    assert meta_marker(_received({"id": "abc"}))[:2] == (False, "id abc")
    assert meta_marker(_received({"other": 1})) == (False, "", "")
    assert meta_marker(_received([1, 2])) == (False, "", "")
    plain = MessageRecord(time=NOW, direction=Direction.IN, event="e", payload=b"{}")
    assert meta_marker(plain) == (False, "", "")
    sent = MessageRecord(
        time=NOW,
        direction=Direction.OUT,
        event="e",
        payload=b"{}",
        meta=b'{"id":"x"}',
        send=SendInfo(Transport.WEBSOCKET),
    )
    assert meta_marker(sent) == (False, "", "")
