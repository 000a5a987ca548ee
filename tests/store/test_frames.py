"""Frame rows (lazy summaries, redaction, reveal), the frame filter, FrameLog, annotated hex."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from inspector.protocol.frames import BinaryPush, BinaryReply, UserBroadcast, UserBroadcastPush
from inspector.protocol.jwt import demo_key
from inspector.protocol.redact import redact_bytes, redact_text
from inspector.protocol.serializer import encode
from inspector.store.frames.frames import (
    CONNECTION,
    FrameFilter,
    FrameLog,
    FrameRow,
)
from inspector.store.frames.hex_annotate import annotate, annotated_hex

KEY = demo_key("anon")
TOPIC = "realtime:room-1"


def text_row(data: str, direction: str = "out", vsn: str = "2.0.0", t: float = 1.0) -> FrameRow:
    return FrameRow(t, direction, "text", len(data.encode()), data, vsn)


def test_v2_join_and_reply_summaries() -> None:
    join = text_row(
        f'["1","1","{TOPIC}","phx_join",{{"config":{{}},"access_token":"{KEY}"}}]', "out"
    )
    reply = text_row(f'["1","1","{TOPIC}","phx_reply",{{"status":"ok","response":{{}}}}]', "in")
    s = join.summary()
    assert (s.topic, s.event, s.ref, s.join_ref, s.kind) == (
        TOPIC,
        "phx_join",
        "1",
        "1",
        "v2 array",
    )
    assert s.channel == "room-1"
    r = reply.summary()
    assert (r.event, r.status, r.ref) == ("phx_reply", "ok", "1")
    assert join.summary() is s  # cached


def test_v1_and_heartbeat_and_rejected() -> None:
    v1 = text_row('{"topic":"phoenix","event":"heartbeat","payload":{},"ref":null}', vsn="1.0.0")
    s = v1.summary()
    assert (s.topic, s.event, s.ref, s.kind, s.channel) == (
        "phoenix",
        "heartbeat",
        None,
        "v1 object",
        CONNECTION,
    )
    bad = text_row("{not json", "in")
    b = bad.summary()
    assert b.kind == "rejected"
    assert b.problem is not None
    assert "not valid JSON" in b.problem
    assert b.channel == CONNECTION


def test_binary_kinds_summaries() -> None:
    k4 = encode(UserBroadcast(TOPIC, "ping", b'{"id":"m1"}', 1, b'{"n":1}'), "2.0.0")
    assert isinstance(k4, bytes)
    s = FrameRow(1.0, "in", "binary", len(k4), k4, "2.0.0").summary()
    assert (s.topic, s.event, s.kind) == (TOPIC, "ping", "kind 4 user broadcast")
    k3 = encode(UserBroadcastPush("1", "2", TOPIC, "ping", b"", 0, b"\xde\xad"), "2.0.0")
    assert isinstance(k3, bytes)
    s3 = FrameRow(1.0, "out", "binary", len(k3), k3, "2.0.0").summary()
    assert (s3.event, s3.ref, s3.join_ref) == ("ping", "2", "1")
    k1 = encode(BinaryReply("1", "5", TOPIC, "ok", b"x"), "2.0.0")
    assert isinstance(k1, bytes)
    s1 = FrameRow(1.0, "in", "binary", len(k1), k1, "2.0.0").summary()
    assert (s1.event, s1.status, s1.kind) == ("phx_reply", "ok", "kind 1 reply")


def test_markers() -> None:
    row = FrameRow(1.0, "out", "open", 10, f"ws://h/realtime/v1/websocket?apikey={KEY}", "2.0.0")
    assert row.is_marker
    assert row.decoded() is None
    assert row.summary().kind == "handshake"
    leaked = KEY in row.shown_text()  # a bool: a failure never prints the key
    assert not leaked
    assert "apikey=[redacted]" in row.shown_text()
    revealed = KEY in row.shown_text(reveal=True)
    assert revealed


def test_redaction_of_text_frames() -> None:
    text = f'["1","1","{TOPIC}","phx_join",{{"access_token":"opaque-user-token","x":"{KEY}"}}]'
    shown = redact_text(text)
    leaked = "opaque-user-token" in shown or KEY in shown  # a bool, never printed
    assert not leaked
    assert shown.count("[redacted]") == 2
    assert TOPIC in shown
    row = text_row(text)
    assert row.shown_text(reveal=True) == text
    assert row.shown_text(limit=20).endswith("…")
    assert len(row.shown_text(limit=20)) == 20


def test_redaction_of_binary_frames_keeps_lengths() -> None:
    payload = f'{{"token":"{KEY}"}}'.encode()
    k4 = encode(UserBroadcast(TOPIC, "ping", b"", 1, payload), "2.0.0")
    assert isinstance(k4, bytes)
    masked = redact_bytes(k4)
    assert len(masked) == len(k4)
    leaked = KEY.encode() in masked
    assert not leaked
    assert masked[:20] == k4[:20]
    row = FrameRow(1.0, "in", "binary", len(k4), k4, "2.0.0")
    leaked = KEY.encode().hex(" ")[:40] in row.shown_text()
    assert not leaked
    assert row.shown_text(reveal=True) == k4.hex(" ")


def test_filter_direction_channel_text() -> None:
    rows = [
        text_row(f'["1","1","{TOPIC}","phx_join",{{}}]', "out"),
        text_row(f'["1","1","{TOPIC}","phx_reply",{{"status":"ok","response":{{}}}}]', "in"),
        text_row('[null,"2","phoenix","heartbeat",{}]', "out"),
        text_row('[null,null,"realtime:other","broadcast",{"secret":"' + KEY + '"}]', "in"),
    ]
    assert [r for r in rows if FrameFilter(direction="in").matches(r)] == [rows[1], rows[3]]
    assert [r for r in rows if FrameFilter(channel="room-1").matches(r)] == rows[:2]
    assert [r for r in rows if FrameFilter(channel=CONNECTION).matches(r)] == [rows[2]]
    assert [r for r in rows if FrameFilter(text="heartbeat").matches(r)] == [rows[2]]
    # The text filter searches what is shown: a redacted key is not found unless revealed.
    needle = KEY[-12:].lower()
    assert not any(FrameFilter(text=needle).matches(r) for r in rows)
    assert FrameFilter(text=needle, reveal=True).matches(rows[3])
    assert FrameFilter().is_empty


class Recorder:
    def __init__(self) -> None:
        self.changes: list[tuple[int, int]] = []
        self.resets = 0

    def log_changed(self, inserted: int, evicted: int) -> None:
        self.changes.append((inserted, evicted))

    def log_reset(self) -> None:
        self.resets += 1

    def log_updated(self, record: object) -> None:
        raise AssertionError("frames never change")


def test_frame_log_bound_pause_clear() -> None:
    log = FrameLog(3)
    rec = Recorder()
    log.add_listener(rec)
    rows = [text_row(f'[null,"{n}","phoenix","heartbeat",{{}}]') for n in range(5)]
    for row in rows[:4]:
        log.append(row)
    assert [r.seq for r in log] == [1, 2, 3]
    assert (log.first_seq, log.end_seq, log.evicted_count, log.received_count) == (1, 4, 1, 4)
    assert log.by_seq(0) is None
    assert log.by_seq(2) is rows[2]
    assert rec.changes[-1] == (1, 1)
    log.pause()
    log.append(rows[4])
    assert len(log) == 3
    assert log.pending_count == 1
    log.resume()
    assert log[-1] is rows[4]
    assert rec.changes[-1] == (1, 1)
    assert log.channels() == [CONNECTION]
    log.clear()
    assert (len(log), log.received_count, rec.resets) == (0, 0, 1)


@settings(max_examples=50, deadline=None)
@given(st.lists(st.booleans(), max_size=60), st.integers(1, 8))
def test_frame_log_counts_hold(pauses: list[bool], capacity: int) -> None:
    log = FrameLog(capacity)
    for i, toggle in enumerate(pauses):
        if toggle:
            if log.paused:
                log.resume()
            else:
                log.pause()
        log.append(text_row(f'[null,"{i}","phoenix","heartbeat",{{}}]'))
        assert len(log) <= capacity
        assert log.received_count == len(log) + log.evicted_count + log.pending_count
        assert [r.seq for r in log] == list(range(log.first_seq, log.end_seq))


# ------------------------------------------------------------------------------ annotated hex


def test_annotate_kind4_worked_example() -> None:
    """The §2.3 worked example: kind 4, JSON payload, metadata {"id":"m1"}."""
    frame = bytes.fromhex("040f040b01") + TOPIC.encode() + b"ping" + b'{"id":"m1"}' + b'{"n":1}'
    fields = annotate(frame, "in")
    assert [(f.name, f.offset, f.length) for f in fields] == [
        ("kind", 0, 1),
        ("topic_len", 1, 1),
        ("user_event_len", 2, 1),
        ("metadata_len", 3, 1),
        ("payload_encoding", 4, 1),
        ("topic", 5, 15),
        ("user_event", 20, 4),
        ("metadata", 24, 11),
        ("payload", 35, 7),
    ]
    assert fields[0].value == "4 (user broadcast, server → client)"
    assert fields[4].value == "1 (JSON)"
    assert fields[5].value == f'"{TOPIC}"'
    assert fields[7].value == '"{\\"id\\":\\"m1\\"}"'
    text = annotated_hex(frame, "in")
    assert "topic_len = 15" in text
    assert "payload: 7 bytes, JSON text" in text
    assert "7b 22 6e 22 3a 31 7d" in text


def test_annotate_kind3_and_kind0_by_direction() -> None:
    k3 = bytes.fromhex("0301010f040000") + b"1" + b"3" + TOPIC.encode() + b"ping" + b"\xde\xad"
    names = [f.name for f in annotate(k3, "out")]
    assert names == [
        "kind",
        "join_ref_len",
        "ref_len",
        "topic_len",
        "user_event_len",
        "metadata_len",
        "payload_encoding",
        "join_ref",
        "ref",
        "topic",
        "user_event",
        "metadata",
        "payload",
    ]
    assert annotate(k3, "out")[6].value == "0 (raw bytes)"
    push_out = encode(BinaryPush("1", "2", TOPIC, "ev", b"xy"), "2.0.0")
    push_in = encode(BinaryPush("1", None, TOPIC, "ev", b"xy"), "2.0.0")
    assert isinstance(push_out, bytes)
    assert isinstance(push_in, bytes)
    assert "ref" in [f.name for f in annotate(push_out, "out")]
    assert "ref" not in [f.name for f in annotate(push_in, "in")]
    assert annotate(push_in, "in")[-1].length == 2


def test_annotate_broken_frames_never_raise() -> None:
    assert annotate(b"", "in")[0].name == "unparsed"
    short = annotate(bytes.fromhex("040f04"), "in")
    assert short[-1].name == "unparsed"
    assert "header needs 5 bytes" in short[-1].value
    cut = annotate(bytes.fromhex("040f040001") + b"realtime", "in")
    assert cut[-1].name == "unparsed"
    assert "topic needs 15 bytes" in cut[-1].value
    wrong_side = annotate(bytes.fromhex("0301"), "in")
    assert "not sent server → client" in wrong_side[-1].value
    assert "unknown binary kind 9" in annotate(b"\x09abc", "in")[-1].value
    big = bytes.fromhex("040f040000") + TOPIC.encode() + b"ping" + bytes(1000)
    assert "… 744 more bytes" in annotated_hex(big, "in")


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=64), st.sampled_from(["in", "out"]))
def test_annotate_covers_every_byte(data: bytes, direction: str) -> None:
    fields = annotate(data, direction)
    end = 0
    for f in fields:
        assert f.offset == end
        end += f.length
    assert end == len(data)
    annotated_hex(data, direction)
