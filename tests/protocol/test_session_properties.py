"""Peer input never raises out of the client session (docs/contributing.md), fuzzed."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from inspector.protocol.channel import ChannelConfig
from inspector.protocol.serializer import VSN1, VSN2
from inspector.protocol.session import ClientSession, SessionConfig

TOPIC = "realtime:room-1"

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)
events = st.sampled_from(
    [
        "phx_reply",
        "phx_close",
        "phx_error",
        "broadcast",
        "presence_state",
        "presence_diff",
        "system",
        "postgres_changes",
        "x",
    ]
)
refs = st.none() | st.sampled_from(["1", "2", "3", "99"]) | st.integers(-2, 5)
topics = st.sampled_from([TOPIC, "phoenix", "realtime:other", ""])


def joined(vsn: str) -> ClientSession:
    s = ClientSession(SessionConfig(vsn=vsn))
    s.connect(0.0)
    s.connection_made(0.0)
    s.join(ChannelConfig("room-1", presence_enabled=True, broadcast_ack=True), 0.0)
    return s


@settings(max_examples=300, deadline=None)
@given(
    frames=st.lists(
        st.tuples(refs, refs, topics, events, json_values)
        | st.binary(max_size=40)
        | st.text(max_size=20),
        max_size=8,
    ),
    vsn=st.sampled_from([VSN1, VSN2]),
)
def test_receive_never_raises(frames: list[object], vsn: str) -> None:
    s = joined(vsn)
    s.push_broadcast(TOPIC, "e", {"a": 1}, 0.0)
    now = 0.0
    for frame in frames:
        now += 0.5
        if isinstance(frame, tuple):
            jr, ref, topic, event, payload = frame
            if vsn == VSN1:
                data: str | bytes = json.dumps(
                    {"topic": topic, "event": event, "payload": payload, "ref": ref, "join_ref": jr}
                )
            else:
                data = json.dumps([jr, ref, topic, event, payload])
        else:
            data = frame  # type: ignore[assignment]
        s.receive(data, now)
        s.handle_timer(now)
        s.take_events()
        s.data_to_send()
    s.handle_timer(now + 100.0)
    assert s.next_deadline() is not None  # the heartbeat keeps running
