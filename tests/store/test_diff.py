"""Diff of two rows (issue #15 item 4): JSON paths with values, metadata, text and binary."""

from __future__ import annotations

import json

from inspector.store import Direction, MessageRecord, PayloadFormat, SendInfo, Transport
from inspector.store.messages.diff import (
    MAX_CHANGES,
    TEXT_DIFF_LINES,
    Change,
    diff_json,
    diff_records,
)


def rec(
    payload: bytes | object,
    *,
    event: str = "e",
    time: float = 10.0,
    fmt: PayloadFormat = PayloadFormat.JSON,
    meta: bytes | None = None,
    direction: Direction = Direction.IN,
) -> MessageRecord:
    data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    return MessageRecord(
        time=time, direction=direction, event=event, payload=data, format=fmt, meta=meta
    )


def test_nested_objects_added_removed_changed_with_values() -> None:
    a = {"user": {"name": "ann", "age": 30, "tags": {"x": 1}}, "gone": True, "same": [1]}
    b = {"user": {"name": "bob", "age": 30, "tags": {"x": 1, "y": 2}}, "new": None, "same": [1]}
    changes, total = diff_json(a, b)
    assert changes == [
        Change("removed", "$.gone", True, None),
        Change("added", "$.new", None, None),
        Change("changed", "$.user.name", "ann", "bob"),
        Change("added", "$.user.tags.y", None, 2),
    ]
    assert total == 4
    assert [c.text() for c in changes] == [
        "- $.gone: true",
        "+ $.new: null",
        '~ $.user.name: "ann" -> "bob"',
        "+ $.user.tags.y: 2",
    ]


def test_arrays_by_position_and_odd_keys() -> None:
    changes, _ = diff_json({"a b": [1, 2, 3], "l": [{"q": 1}]}, {"a b": [1, 5], "l": [{"q": 2}, 7]})
    assert changes == [
        Change("changed", '$["a b"][1]', 2, 5),
        Change("removed", '$["a b"][2]', 3, None),
        Change("changed", "$.l[0].q", 1, 2),
        Change("added", "$.l[1]", None, 7),
    ]
    many, _ = diff_json(list(range(12)), list(range(1, 13)))
    assert [c.path for c in many][:3] == ["$[0]", "$[1]", "$[2]"]  # [2] before [10]
    assert many[-1].path == "$[11]"


def test_type_changes_are_one_change_not_a_cascade() -> None:
    changes, _ = diff_json(
        {"n": "5", "o": {"deep": {"x": 1}}, "b": True, "f": 1, "z": 0},
        {"n": 5, "o": [1, 2], "b": 1, "f": 1.0, "z": None},
    )
    assert changes == [
        Change("type", "$.b", True, 1),  # a boolean is not the number 1
        Change("type", "$.n", "5", 5),
        Change("type", "$.o", {"deep": {"x": 1}}, [1, 2]),
        Change("type", "$.z", 0, None),
    ]  # 1 and 1.0 are the same JSON number
    assert changes[1].text() == '~ $.n: "5" -> 5 (string -> number)'


def test_record_diff_covers_meta_and_row_fields() -> None:
    a = rec({"v": 1}, event="chat", time=10.0, meta=b'{"id":"m1","replayed":true}')
    b = rec({"v": 1}, event="chat:edit", time=10.25, meta=b'{"id":"m2"}')
    d = diff_records(a, b)
    assert d.kind == "json"
    assert d.payload == ()
    assert d.same_payload
    assert d.summary() == "payloads are identical"
    assert d.meta == (
        Change("changed", "$.id", "m1", "m2"),
        Change("removed", "$.replayed", True, None),
    )
    assert Change("changed", "$.event", "chat", "chat:edit") in d.fields
    assert d.time_delta == 0.25


def test_record_diff_of_json_payloads_has_paths_and_a_text_diff() -> None:
    d = diff_records(rec({"a": 1, "b": [1, 2]}), rec({"a": 2, "b": [1]}))
    assert d.summary() == "1 removed, 1 changed"
    assert '-  "a": 1,' in d.text
    assert '+  "a": 2,' in d.text


def test_text_payloads_get_a_line_diff() -> None:
    d = diff_records(rec(b"line one\nline two\n"), rec(b"line one\nline 2\n"))
    assert d.kind == "text"
    assert d.payload == ()
    assert "-line two" in d.text
    assert "+line 2" in d.text
    assert d.summary() == "text payloads differ"


def test_binary_payloads_hexdump_and_first_differing_byte() -> None:
    a = rec(bytes(range(40)), fmt=PayloadFormat.BINARY)
    b = rec(bytes(range(20)) + b"\xff" + bytes(range(21, 40)), fmt=PayloadFormat.BINARY)
    d = diff_records(a, b)
    assert d.kind == "binary"
    assert d.first_byte == 20
    assert d.summary() == "binary payloads differ, first difference at byte 20"
    assert any(line.startswith("-00000010  10 11 12 13 14") for line in d.text)
    assert any(line.startswith("+00000010  10 11 12 13 ff") for line in d.text)
    same = diff_records(a, rec(bytes(range(40)), fmt=PayloadFormat.BINARY))
    assert same.same_payload
    assert same.first_byte is None
    shorter = diff_records(a, rec(bytes(range(10)), fmt=PayloadFormat.BINARY))
    assert shorter.first_byte == 10


def test_binary_against_json_is_mixed_and_row_fields_say_the_format() -> None:
    d = diff_records(rec({"a": 1}), rec(b"\x01", fmt=PayloadFormat.BINARY))
    assert d.kind == "mixed"
    assert Change("changed", "$.format", "json", "binary") in d.fields
    assert d.text


def test_outgoing_status_and_direction_are_row_fields() -> None:
    a = rec({"a": 1})
    b = rec({"a": 1}, direction=Direction.OUT)
    b.send = SendInfo(Transport.WEBSOCKET)
    d = diff_records(a, b)
    assert Change("changed", "$.direction", "in", "out") in d.fields
    assert Change("added", "$.status", None, "pending") in d.fields


def test_huge_and_deep_diffs_are_bounded_and_never_overflow() -> None:
    changes, total = diff_json({str(i): i for i in range(MAX_CHANGES + 10)}, {})
    assert len(changes) == MAX_CHANGES
    assert total == MAX_CHANGES + 10
    deep_a: object = 1
    deep_b: object = 2
    for _ in range(5000):
        deep_a, deep_b = [deep_a], [deep_b]
    changes, total = diff_json(deep_a, deep_b)
    assert total == 1
    assert changes[0].kind == "changed"


def test_text_diff_of_two_large_payloads_is_bounded() -> None:
    """QA of issue #15 item 4: difflib is quadratic on lines that half match; two payloads of
    10,000 keys with every other value changed held the window for 5 s (23 s at 30,000) on
    Ctrl+Shift+D. The text diff covers the first TEXT_DIFF_LINES lines of each and says so;
    the Changes tab still has every path."""
    n = 10_000
    a = {f"k{i}": i for i in range(n)}
    b = {f"k{i}": i if i % 2 else -i for i in range(n)}
    d = diff_records(rec(a), rec(b))
    assert d.payload_total == n // 2 - 1  # k0 is 0 and -0: the same
    hunk_ends = [
        int(line.split()[2].split(",")[0].lstrip("+")) for line in d.text if line.startswith("@@")
    ]
    assert hunk_ends
    assert max(hunk_ends) <= TEXT_DIFF_LINES
    assert d.text[-1].startswith("… the text diff stops at line")
    # small payloads are compared whole, with no note
    small = diff_records(rec({"a": 1}), rec({"a": 2}))
    assert not small.text[-1].startswith("…")
