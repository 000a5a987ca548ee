"""The client session receiving and pushing broadcasts (§2.3-§2.5, §5), simulated time."""

from __future__ import annotations

import json
from typing import Any

import pytest
from session_driver import TOPIC, Driver, kind4, of

from inspector.protocol.channel import ChannelConfig
from inspector.protocol.events import (
    BroadcastReceived,
    ChannelMessage,
    MessageIgnored,
    PushResult,
    PushStatus,
)
from inspector.protocol.frames import FrameRejected
from inspector.protocol.serializer import VSN1, VSN2, EncodeError

# ------------------------------------------------------------------ receiving broadcasts


def test_kind4_json_binary_and_meta_stay_lazy() -> None:
    d = Driver()
    d.open()
    d.join()
    frame = kind4("ping", b'{"n":1}', meta=b'{"id":"m1"}')
    d.s.receive(frame, 5.0)
    d.s.receive(kind4("bin", b"\xde\xad", 0), 5.0)
    [json_ev, bin_ev] = d.events()
    assert isinstance(json_ev, BroadcastReceived)
    assert (json_ev.event, json_ev.binary, json_ev.raw) == ("ping", False, b'{"n":1}')
    assert json_ev.json_payload() == {"n": 1}
    assert json_ev.meta() == {"id": "m1"}
    assert (json_ev.size, json_ev.received_at) == (len(frame), 5.0)
    assert bin_ev.binary
    assert bin_ev.payload_bytes() == b"\xde\xad"
    assert bin_ev.display_payload() == {"$binary": "3q0="}
    assert bin_ev.meta() is None
    with pytest.raises(ValueError, match="binary"):
        bin_ev.json_payload()


def test_kind4_with_invalid_json_shows_the_text() -> None:
    d = Driver()
    d.open()
    d.join()
    d.s.receive(kind4("e", b"{nope"), 1.0)
    [ev] = d.events()
    assert ev.display_payload() == {"$invalid_json": "{nope"}


def test_peer_payloads_json_cannot_print_never_raise() -> None:
    """NaN, 1e999 and a lone surrogate escape are what peers can send (QA finding 4): the
    bytes for the GUI row are always UTF-8 and parse back to the same value; kind-4 text that
    strict JSON cannot carry displays as the text received."""
    d = Driver()
    d.open()
    d.join()
    body = {"type": "broadcast", "event": "t", "payload": {"s": "a\ud800b", "n": 1}}
    d.s.receive(json.dumps([None, None, TOPIC, "broadcast", body]), 1.0)
    d.s.receive(f'[null,null,"{TOPIC}","broadcast",{{"event":"t","payload":{{"n":NaN}}}}]', 1.0)
    d.s.receive(kind4("k", b'{"n":NaN}'), 1.0)
    d.s.receive(kind4("k", b'{"n":-1e999}'), 1.0)
    d.s.receive(kind4("k", b'{"n":1.5e300}'), 1.0)
    sur, nan, k4_nan, k4_inf, k4_big = of(d.events(), BroadcastReceived)
    data = sur.payload_bytes()
    assert data == b'{"s":"a\\ud800b","n":1}'
    assert json.loads(data.decode("utf-8")) == {"s": "a\ud800b", "n": 1}
    assert nan.payload_bytes() == b'{"n":NaN}'
    assert k4_nan.display_payload() == {"$invalid_json": '{"n":NaN}'}
    assert k4_inf.display_payload() == {"$invalid_json": '{"n":-1e999}'}
    assert k4_big.display_payload() == {"n": 1.5e300}


def test_event_filter_is_case_insensitive_for_both_frame_kinds() -> None:
    d = Driver()
    d.open()
    d.join(events=("PING",))
    d.events()

    def text(event: str) -> str:
        return json.dumps(
            [None, None, TOPIC, "broadcast", {"type": "broadcast", "event": event, "payload": {}}]
        )

    for data in (
        kind4("ping", b"{}"),
        kind4("pong", b"{}"),
        text("Ping"),
        text("x"),
        kind4("x", b"{}"),
    ):
        d.s.receive(data, 1.0)
    assert [e.event for e in d.events()] == ["ping", "Ping"]
    assert d.s.channels[TOPIC].received == 2


def test_text_broadcast_in_v1_and_v2_with_meta() -> None:
    for vsn in (VSN1, VSN2):
        d = Driver(vsn=vsn)
        d.open()
        ch = d.s.join(ChannelConfig("room-1"), 0.0)
        reply: dict[str, Any] = {"status": "ok", "response": {}}
        body = {"type": "broadcast", "event": "t", "payload": {"x": 1}, "meta": {"id": "u"}}
        if vsn == VSN1:
            msgs = [
                {"topic": TOPIC, "event": "phx_reply", "payload": reply, "ref": ch.join_ref},
                {"topic": TOPIC, "event": "broadcast", "payload": body, "ref": None},
            ]
            for m in msgs:
                d.s.receive(json.dumps(m), 1.0)
        else:
            d.s.receive(json.dumps([ch.join_ref, ch.join_ref, TOPIC, "phx_reply", reply]), 1.0)
            d.s.receive(json.dumps([None, None, TOPIC, "broadcast", body]), 1.0)
        [ev] = of(d.events(), BroadcastReceived)
        assert ev.raw is None
        assert (ev.event, ev.json_payload(), ev.meta()) == ("t", {"x": 1}, {"id": "u"})
        assert ev.payload_bytes() == b'{"x":1}'


def test_broadcast_to_unknown_topic_is_ignored() -> None:
    d = Driver()
    d.open()
    d.events()
    d.s.receive(kind4("e", b"{}"), 1.0)
    [ignored] = d.events()
    assert isinstance(ignored, MessageIgnored)
    assert ignored.topic == TOPIC


def test_malformed_frames_are_reported_and_the_session_keeps_going() -> None:
    d = Driver()
    d.open()
    d.join()
    for bad in ("not json", "[1,2]", b"\x04\x0f", b"\x09", '{"a":1}', b"\x03\x00"):
        d.s.receive(bad, 1.0)
    events = d.events()
    assert len(of(events, FrameRejected)) == 6
    assert d.s.rejected == 6
    d.s.receive(kind4("ok", b"{}"), 2.0)
    assert of(d.events(), BroadcastReceived)
    # Odd but valid frames: a reply without status, a broadcast without an event name.
    events = d.feed(None, "1", TOPIC, "phx_reply", "nope")
    assert of(events, MessageIgnored)
    events = d.feed(None, None, TOPIC, "broadcast", {"payload": 1})
    [msg] = of(events, ChannelMessage)
    assert msg.event == "broadcast"


# ------------------------------------------------------------------ pushing broadcasts


def test_v2_json_broadcast_is_kind3_encoding1_like_realtime_js() -> None:
    d = Driver()
    d.open()
    jr = d.join()
    pid = d.s.push_broadcast(TOPIC, "ping", {"n": 1}, d.now)
    [frame] = d.sent()
    ref = str(int(jr) + 1).encode()
    assert frame == (
        bytes([3, len(jr), len(ref), len(TOPIC), 4, 0, 1])
        + jr.encode()
        + ref
        + TOPIC.encode()
        + b'ping{"n":1}'
    )
    [result] = of(d.events(), PushResult)
    assert (result.push_id, result.status, result.rtt) == (pid, PushStatus.SENT, None)


def test_v2_binary_broadcast_is_kind3_encoding0() -> None:
    d = Driver()
    d.open()
    d.join()
    d.s.push_broadcast(TOPIC, "raw", b"\x01\x02\x03", d.now, binary=True)
    [frame] = d.sent()
    assert frame[0] == 3
    assert frame[6] == 0
    assert frame.endswith(b"raw\x01\x02\x03")


def test_v1_broadcast_is_a_json_object_and_binary_is_refused() -> None:
    d = Driver(vsn=VSN1)
    d.open()
    jr = d.join()
    d.s.push_broadcast(TOPIC, "test", {"x": 1}, d.now)
    [frame] = d.sent()
    assert frame[3] == "broadcast"
    assert frame[0] == jr
    assert frame[4] == {"type": "broadcast", "event": "test", "payload": {"x": 1}}
    with pytest.raises(EncodeError, match=r"2\.0\.0"):
        d.s.push_broadcast(TOPIC, "b", b"\x00", d.now, binary=True)
    with pytest.raises(ValueError):
        d.s.push_broadcast(TOPIC, "b", {"bad": float("nan")}, d.now)


def test_lone_surrogates_are_sent_as_json_escapes_in_both_versions() -> None:
    for vsn in (VSN1, VSN2):
        d = Driver(vsn=vsn)
        d.open()
        d.join()
        d.s.push_broadcast(TOPIC, "e", {"s": "\ud800"}, 1.0)
        data = d.s.data_to_send()[-1]
        raw = data if isinstance(data, bytes) else data.encode("utf-8")  # encodes: no surrogate
        assert b'{"s":"\\ud800"}' in raw


def test_long_event_names_are_refused_in_binary_frames() -> None:
    d = Driver()
    d.open()
    d.join()
    with pytest.raises(EncodeError, match="255"):
        d.s.push_broadcast(TOPIC, "e" * 256, {}, d.now)


def test_ack_ok_error_and_timeout_scenario_5() -> None:
    d = Driver()
    d.open()
    jr = d.join(broadcast_ack=True)
    d.events()
    ok_id = d.s.push_broadcast(TOPIC, "a", {}, d.now)
    err_id = d.s.push_broadcast(TOPIC, "b", {}, d.now)
    late_id = d.s.push_broadcast(TOPIC, "c", {}, d.now)
    refs = [f[7 + f[1] : 7 + f[1] + f[2]].decode() for f in d.sent()]  # kind-3 ref field
    assert of(d.events(), PushResult) == []  # nothing until the server answers
    d.now = 0.004
    events = d.feed(jr, refs[0], TOPIC, "phx_reply", {"status": "ok", "response": {}})
    events += d.feed(
        jr, refs[1], TOPIC, "phx_reply", {"status": "error", "response": "payload_size_exceeded"}
    )
    ok, err = of(events, PushResult)
    assert (ok.push_id, ok.status, ok.rtt) == (ok_id, PushStatus.OK, pytest.approx(0.004))
    assert (err.push_id, err.status) == (err_id, PushStatus.ERROR)
    assert err.error_text() == "payload_size_exceeded"
    d.advance_to(10.0)
    [late] = of(d.events(), PushResult)
    assert (late.push_id, late.status) == (late_id, PushStatus.TIMED_OUT)


def test_a_push_waiting_for_its_ack_ends_when_the_socket_does() -> None:
    """QA finding: a 5 MB push made the server close the socket; the sender waited the whole
    push timeout and then said "no reply in time". Now the loss ends it at once, with why."""
    d = Driver()
    d.open()
    d.join(broadcast_ack=True)
    d.events()
    pid = d.s.push_broadcast(TOPIC, "big", {}, d.now)
    assert of(d.events(), PushResult) == []
    d.s.connection_lost(d.now + 0.01, "socket closed: 1009 (message too big)")
    [result] = of(d.events(), PushResult)
    assert (result.push_id, result.status) == (pid, PushStatus.TIMED_OUT)
    assert result.error_text() == (
        "no reply: the connection closed (socket closed: 1009 (message too big))"
    )
    d.advance_to(30.0)
    assert of(d.events(), PushResult) == []  # no second result at the timeout


def test_pushes_wait_in_a_bounded_buffer_until_joined() -> None:
    d = Driver(buffer_size=2)
    d.open()
    ch = d.s.join(ChannelConfig("room-1"), 0.0)
    [join] = d.sent()
    ids = [d.s.push_broadcast(TOPIC, f"e{i}", {"i": i}, d.now) for i in range(3)]
    assert d.sent() == []
    [dropped] = of(d.events(), PushResult)
    assert (dropped.push_id, dropped.status) == (ids[0], PushStatus.DROPPED)
    assert ch.dropped == 1
    d.feed(join[0], join[1], TOPIC, "phx_reply", {"status": "ok", "response": {}})
    frames = d.sent()
    assert [b"e1" in f for f in frames] == [True, False]
    assert [b"e2" in f for f in frames] == [False, True]


def test_buffered_push_times_out_when_the_join_never_comes() -> None:
    d = Driver(push_timeout=3.0)
    d.open()
    d.s.join(ChannelConfig("room-1"), 0.0)
    pid = d.s.push_broadcast(TOPIC, "e", {}, d.now)
    d.advance_to(3.0)
    [result] = of(d.events(), PushResult)
    assert (result.push_id, result.status) == (pid, PushStatus.TIMED_OUT)


def test_fast_paths_build_the_same_events_as_the_general_path() -> None:
    from inspector.protocol.events import new_broadcast

    made = new_broadcast(TOPIC, "e", False, None, {"a": 1}, None, 10, 1.0)
    assert made == BroadcastReceived(TOPIC, "e", False, None, {"a": 1}, None, 10, 1.0)
    with pytest.raises(AttributeError):
        made.event = "x"  # type: ignore[misc]
    d = Driver()
    d.open()
    jr = d.join()
    body = {"type": "broadcast", "event": "é", "payload": {"n": 1}, "meta": {"id": "m"}}
    compact = json.dumps([None, None, TOPIC, "broadcast", body], separators=(",", ":"))
    spaced = " " + json.dumps([jr, None, TOPIC, "broadcast", body], indent=1) + " "
    d.events()
    d.s.receive(compact, 1.0)  # fast path
    d.s.receive(spaced, 1.0)  # whitespace around: the general path
    fast, general = d.events()
    assert (fast.event, fast.value, fast.meta()) == ("é", {"n": 1}, {"id": "m"})
    assert (general.event, general.value, general.meta()) == ("é", {"n": 1}, {"id": "m"})
    assert fast.size == len(compact.encode())
    assert general.size == len(spaced.encode())
