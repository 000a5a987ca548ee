"""HAR import (issue #15 item 1): Chrome and Firefox captures of real traffic against ``serve``
(tests/har_capture.py made tests/fixtures/har/), decoded by the protocol core, secrets redacted,
and bad files answered in words, never with an exception."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest
from har_capture import CHROME, FAKE_JWT, FIREFOX, FIXTURES, MESSAGE_ID, make_all
from hypothesis import given, settings
from hypothesis import strategies as st

from inspector.store.frames.frames import BINARY, OPEN, TEXT
from inspector.store.messages.records import Direction, PayloadFormat
from inspector.store.transfer.export import Importer
from inspector.store.transfer.har import HarResult, parse_har, read_har

REFUSED = "UnableToReplayMessages: Replay is not allowed for public channels"


def _fixture(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((FIXTURES / name).read_text())
    return data


def _secrets_in(result: HarResult) -> list[str]:
    """Every place of the result where the fixture's key/token still shows."""
    found = []
    head = FAKE_JWT.split(".")[0]
    for row in result.frames:
        data = row.data if isinstance(row.data, str) else row.data.decode("latin-1")
        if head in data or FAKE_JWT[:20] in data:
            found.append(f"frame {data[:60]}")
    for channel, record in result.records:
        if head.encode() in record.payload:
            found.append(f"record {channel} {record.event}")
    for event in result.events:
        if head in json.dumps(event.line()):
            found.append(f"event {event.event}")
    found += [s.url for s in result.sockets if head in s.url]
    found += [url for url in result.other_websockets if "abc123" in url]
    return found


def test_chrome_capture_decodes_every_realtime_frame_of_v2() -> None:
    result = read_har(FIXTURES / CHROME)
    assert result.error is None, result.error
    assert result.creator == "WebInspector"
    assert [s.vsn for s in result.sockets] == ["2.0.0"]
    assert result.other_websockets == ["wss://stream.example.com/live?token=[redacted]"]
    assert result.problem_count == 0, result.problems
    assert result.channels() == ["room-1", "lobby", "audit"]
    broadcasts = [(e.direction, e.event) for e in result.events if e.kind == "broadcast"]
    assert broadcasts == [
        ("out", "chat"),
        ("in", "chat"),
        ("out", "blob"),
        ("in", "blob"),
        ("in", "db-insert"),
        ("in", "announce"),
        ("out", "chat"),
        ("in", "chat"),
    ]
    blob = next(e for e in result.events if e.event == "blob" and e.direction == "in")
    assert blob.binary
    assert blob.payload == b"\x00\x01binary\xff"
    db = next(e for e in result.events if e.event == "db-insert")
    assert db.meta == {"id": MESSAGE_ID}  # kind 4 metadata
    assert db.payload == {"id": 7, "title": "row"}
    refused = next(e for e in result.events if e.channel == "audit")
    assert (refused.kind, refused.event, refused.payload["reason"]) == ("join", "errored", REFUSED)
    # kinds of frames as the browser saw them, with a handshake row
    opcodes = {row.opcode for row in result.frames}
    assert {OPEN, TEXT, BINARY} <= opcodes


def test_times_are_the_captures() -> None:
    har = _fixture(CHROME)
    socket = next(e for e in har["log"]["entries"] if "realtime" in e["request"]["url"])
    times = [m["time"] for m in socket["_webSocketMessages"]]
    result = read_har(FIXTURES / CHROME)
    frame_times = [row.time for row in result.frames if row.opcode in (TEXT, BINARY)]
    assert frame_times == sorted(times)
    assert all(min(times) <= e.time <= max(times) for e in result.events)


def test_firefox_capture_with_v1_and_v2_sockets() -> None:
    result = read_har(FIXTURES / FIREFOX)
    assert result.error is None, result.error
    assert result.creator == "Firefox"
    assert sorted(s.vsn for s in result.sockets) == ["1.0.0", "2.0.0"]
    assert result.problem_count == 0, result.problems
    # v1 has no binary kinds: the same session without the blob
    chats = [e for e in result.events if e.event == "chat" and e.direction == "in"]
    assert len(chats) == 4
    db = [e for e in result.events if e.event == "db-insert"]
    assert [e.meta for e in db] == [{"id": MESSAGE_ID}] * 2  # v1: JSON with "meta"


def test_rows_per_channel_for_the_read_only_tabs() -> None:
    result = read_har(FIXTURES / CHROME)
    rows = [r for c, r in result.records if c == "room-1"]
    chat_out = next(r for r in rows if r.event == "chat" and r.direction is Direction.OUT)
    assert json.loads(chat_out.payload) == {"text": "hello from the browser", "n": 1}
    blob = next(r for r in rows if r.event == "blob" and r.direction is Direction.IN)
    assert blob.format is PayloadFormat.BINARY
    assert blob.payload == b"\x00\x01binary\xff"
    joined = next(r for r in rows if r.direction is Direction.SYSTEM)
    assert joined.event == "joined"


@pytest.mark.parametrize("name", [CHROME, FIREFOX])
def test_secrets_of_url_and_join_are_redacted(name: str) -> None:
    assert FAKE_JWT in (FIXTURES / name).read_text()  # the fixture has them to hide
    result = read_har(FIXTURES / name)
    assert _secrets_in(result) == []
    assert all("apikey=[redacted]" in s.url for s in result.sockets)


def test_listen_lines_import_back_as_the_same_broadcasts() -> None:
    result = read_har(FIXTURES / CHROME)
    importer = Importer()
    for event in result.events:
        importer.feed(json.dumps(event.line()))
    assert importer.result.error_count == 0, importer.result.errors
    got = [(c, r.event, r.direction, r.payload) for c, r in importer.result.records]
    want = [
        (c, r.event, r.direction, r.payload)
        for c, r in result.records
        if r.direction is not Direction.SYSTEM
        and r.event not in ("presence_state", "presence")
        and r.event != "presence_diff"
    ]
    assert got == want


def test_channel_filter_and_limits() -> None:
    only = read_har(FIXTURES / CHROME, channel="lobby")
    assert {e.channel for e in only.events} == {"lobby"}
    limited = read_har(FIXTURES / CHROME, max_channels=1)
    assert limited.channels() == ["room-1"]
    assert set(limited.dropped_channels) == {"lobby", "audit"}
    assert "not opened" in limited.summary()
    few = read_har(FIXTURES / CHROME, max_rows=5)
    assert len(few.frames) == 5
    assert few.unread > 0
    assert "not read" in few.summary()


def _har_with(messages: list[Any], url: str = "wss://x.supabase.co/realtime/v1/websocket") -> str:
    entry = {"request": {"url": url}, "response": {"status": 101}, "_webSocketMessages": messages}
    return json.dumps({"log": {"entries": [entry]}})


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (b"", "not a HAR file"),
        (b"\xff\xfe garbage", "not a HAR file"),
        # not "'utf-16-be' codec can't decode byte 0x65 in position 10: truncated data"
        (b"\x00\xff\xfe garbage", "not a HAR file: not text"),
        (b"\x89PNG\r\n\x1a\n\x00\x00", "not a HAR file: not text"),
        (b"[1, 2]", 'no "log" object'),
        (b'{"log": 5}', 'no "log" object'),
        (b'{"log": {"entries": {}}}', 'no "entries" list'),
        (b"[" * 100_000 + b"]" * 100_000, "not a HAR file"),
        (b'{"log": {"entries": [{"request": {"url": "https://a.b/"}}]}}', "no Realtime websocket"),
    ],
)
def test_bad_files_get_a_message(data: bytes, words: str) -> None:
    result = parse_har(data)
    assert result.error is not None
    assert words in result.error
    assert result.events == []
    assert result.summary() == result.error


def test_truncated_file_says_so() -> None:
    text = (FIXTURES / CHROME).read_text()
    for cut in (len(text) // 2, len(text) - 3, 100):
        result = parse_har(text[:cut])
        assert result.error is not None, cut
        assert "cut short" in result.error, (cut, result.error)


def test_bad_messages_are_skipped_with_reasons() -> None:
    good = '["1","1","realtime:a","phx_reply",{"status":"ok","response":{}}]'
    result = parse_har(
        _har_with(
            [
                {"type": "receive", "time": "soon", "opcode": 1, "data": good},
                {"type": "receive", "time": 1e300, "opcode": 1, "data": good},
                {"type": "sideways", "time": 1767225600, "opcode": 1, "data": good},
                {"type": "receive", "time": 1767225600, "opcode": 2, "data": "not base64!"},
                {"type": "receive", "time": 1767225600, "opcode": 1, "data": "{not json"},
                {"type": "receive", "time": 1767225600, "opcode": 2, "data": "AAAA"},
                {"type": "error", "time": 1767225600, "opcode": -1, "data": "frame error"},
                {"type": "receive", "time": 1767225600, "opcode": 9, "data": ""},
                17,
            ]
        )
    )
    assert result.error is None
    reasons = [why for _, why in result.problems]
    assert result.problem_count == 7, reasons
    assert any("time" in r for r in reasons)
    assert any("base64" in r for r in reasons)
    assert "7 message(s) skipped" in result.summary()


def test_time_in_milliseconds_and_missing_vsn() -> None:
    frame = '{"topic":"realtime:a","event":"broadcast","payload":{"type":"broadcast","event":"e","payload":{}},"ref":null}'
    result = parse_har(
        _har_with([{"type": "receive", "time": 1767225600123, "opcode": 1, "data": frame}])
    )
    assert result.sockets[0].vsn == "1.0.0"  # no vsn in the URL: Phoenix's default
    assert [(e.event, e.time) for e in result.events] == [("e", 1767225600.123)]


def test_huge_and_unreadable_files(tmp_path: Path) -> None:
    path = tmp_path / "big.har"
    path.write_bytes(b" " * 2048)
    result = read_har(path, max_bytes=1024)
    assert result.error is not None
    assert "not read" in result.error
    assert "not a regular file" in (read_har(tmp_path).error or "")
    assert "not a regular file" in (read_har(tmp_path / "missing.har").error or "")


_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=20,
)
_message = st.fixed_dictionaries(
    {
        "type": st.sampled_from(["send", "receive", "error", "x"]) | _json,
        "time": st.floats(allow_nan=True) | st.integers() | _json,
        "opcode": st.sampled_from([1, 2, 8, 9, -1]) | _json,
        "data": st.sampled_from(
            ['["1",null,"realtime:a","broadcast",{"event":"e","payload":1}]', "BAAA", "AwEB"]
        )
        | st.text(max_size=30)
        | st.binary(max_size=30).map(lambda b: base64.b64encode(b).decode()),
    }
)


@settings(max_examples=150, deadline=None)
@given(st.lists(_message | _json, max_size=8))
def test_peer_input_never_raises(messages: list[Any]) -> None:
    result = parse_har(_har_with(messages))
    assert isinstance(result.summary(), str)
    for event in result.events:
        json.dumps(event.line())


async def test_a_fresh_capture_against_serve_reads_like_the_fixture() -> None:
    """The fixtures are what tests/har_capture.py makes from live traffic today."""
    made = await make_all()
    for name, har in made.items():
        fresh = parse_har(json.dumps(har))
        stored = read_har(FIXTURES / name)
        assert fresh.error is None
        assert fresh.problem_count == 0
        shape = [(e.kind, e.channel, e.event, e.direction) for e in fresh.events]
        assert shape == [(e.kind, e.channel, e.event, e.direction) for e in stored.events]
