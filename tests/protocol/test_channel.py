"""The channel transition table and join configuration (§4.1, §4.6, §7.2)."""

from __future__ import annotations

import itertools

import pytest

from inspector.protocol.channel import (
    TRANSITIONS,
    Channel,
    ChannelConfig,
    InvalidTransition,
    Push,
    reply_reason,
)
from inspector.protocol.events import ChannelCause, ChannelState


def test_join_payload_has_realtime_js_defaults() -> None:
    # §13 scenario 2, key for key.
    assert ChannelConfig("room-1").join_payload(None, None) == {
        "config": {
            "broadcast": {"ack": False, "self": False},
            "presence": {"key": "", "enabled": False},
            "postgres_changes": [],
            "private": False,
        }
    }


def test_join_payload_with_options_token_and_version() -> None:
    cfg = ChannelConfig(
        "room-1",
        broadcast_self=True,
        broadcast_ack=True,
        presence_key="k",
        presence_enabled=True,
        private=True,
        postgres_changes=({"event": "*", "schema": "public"},),
    )
    payload = cfg.join_payload("tok", "realtime-inspector/0.1.0")
    assert payload["config"]["broadcast"] == {"ack": True, "self": True}
    assert payload["config"]["presence"] == {"key": "k", "enabled": True}
    assert payload["config"]["private"] is True
    assert payload["config"]["postgres_changes"] == [{"event": "*", "schema": "public"}]
    assert payload["access_token"] == "tok"
    assert payload["version"] == "realtime-inspector/0.1.0"
    assert cfg.topic == "realtime:room-1"


def test_empty_name_is_refused() -> None:
    with pytest.raises(ValueError, match="name"):
        ChannelConfig("")


def test_event_filter_ignores_case_and_star_means_all() -> None:
    ch = Channel(ChannelConfig("r", events=("Ping", "other")))
    assert ch.accepts("PING")
    assert ch.accepts("ping")
    assert ch.accepts("OTHER")
    assert not ch.accepts("pong")
    assert Channel(ChannelConfig("r")).accepts("anything")
    assert Channel(ChannelConfig("r", events=("x", "*"))).accepts("y")


def test_every_pair_in_the_table_moves_and_every_other_raises() -> None:
    for state, cause in itertools.product(ChannelState, ChannelCause):
        ch = Channel(ChannelConfig("r"))
        ch.state = state
        expected = TRANSITIONS.get((state, cause))
        assert ch.can(cause) == (expected is not None)
        if expected is None:
            with pytest.raises(InvalidTransition, match=cause.value):
                ch.transition(cause)
            assert ch.state is state
        else:
            assert ch.transition(cause) is expected


def test_the_documented_paths_exist() -> None:
    S, C = ChannelState, ChannelCause
    assert TRANSITIONS[(S.CLOSED, C.JOIN_SENT)] is S.JOINING
    assert TRANSITIONS[(S.JOINING, C.JOINED)] is S.JOINED
    assert TRANSITIONS[(S.JOINED, C.SERVER_CLOSE)] is S.CLOSED  # no rejoin after phx_close
    assert TRANSITIONS[(S.JOINED, C.SOCKET_LOST)] is S.ERRORED
    assert TRANSITIONS[(S.ERRORED, C.JOIN_SENT)] is S.JOINING
    assert (S.CLOSED, C.JOINED) not in TRANSITIONS


def test_buffer_drops_the_oldest_and_counts() -> None:
    ch = Channel(ChannelConfig("r"), buffer_size=2)
    pushes = [Push(i, "realtime:r", "broadcast", {}, "e", False, 10.0) for i in range(3)]
    assert ch.buffer_push(pushes[0]) is None
    assert ch.buffer_push(pushes[1]) is None
    assert ch.buffer_push(pushes[2]) is pushes[0]
    assert ch.dropped == 1
    assert list(ch.buffer) == pushes[1:]


def test_reply_reason_joins_values_like_realtime_js() -> None:
    assert reply_reason({"reason": "Unauthorized: no"}) == "Unauthorized: no"
    assert reply_reason({"a": "x", "b": 2}) == "x, 2"
    assert reply_reason("payload_size_exceeded") == "payload_size_exceeded"
    assert reply_reason({}) == "error"
    assert reply_reason(None) == "error"
