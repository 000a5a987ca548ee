"""Custom columns (issue #15 item 5) and the copy formats' exporters (JSON array, TSV)."""

from __future__ import annotations

import json

import pytest

from inspector.store import Direction, MessageRecord, PayloadFormat
from inspector.store.messages.columns import NO_JSON, ColumnError, ColumnPath, parse_payload
from inspector.store.transfer.export import csv_lines, json_array_text, message_line


def rec(payload: bytes, fmt: PayloadFormat = PayloadFormat.JSON) -> MessageRecord:
    return MessageRecord(time=1.0, direction=Direction.IN, event="e", payload=payload, format=fmt)


def test_column_values() -> None:
    parsed = parse_payload(rec(b'{"user":{"name":"ann","tags":["a","b"]},"n":3,"x y":null}'))
    assert ColumnPath.parse("$.user.name").text(parsed) == "ann"
    assert ColumnPath.parse("$.user.tags").text(parsed) == '["a","b"]'
    assert ColumnPath.parse("$.user.tags[1]").text(parsed) == "b"
    assert ColumnPath.parse("$.n").text(parsed) == "3"
    assert ColumnPath.parse('$["x y"]').text(parsed) == "null"
    assert ColumnPath.parse("$.missing").text(parsed) == ""
    assert ColumnPath.parse("$.user.name").text(parsed, limit=2) == "a…"
    assert parse_payload(rec(b"\x00", PayloadFormat.BINARY)) is NO_JSON
    assert parse_payload(rec(b"not json")) is NO_JSON
    assert ColumnPath.parse("$.n").text(NO_JSON) == ""
    with pytest.raises(ColumnError, match="invalid JSONPath"):
        ColumnPath.parse("$.a[")
    with pytest.raises(ColumnError):
        ColumnPath.parse("  ")
    # a filter with a regex that re refuses (python-jsonpath raises re.error)
    with pytest.raises(ColumnError, match="invalid JSONPath"):
        ColumnPath.parse("$.items[?@.name =~ /(/]")


def test_json_array_is_the_ndjson_objects_redacted() -> None:
    records = [rec(b'{"a":1}'), rec(b'{"access_token":"secret-value"}')]
    text = json_array_text(records, "room")
    data = json.loads(text)
    assert [d["payload"] for d in data] == [{"a": 1}, {"access_token": "[redacted]"}]
    assert data[0] == json.loads(message_line(records[0], "room"))
    assert json_array_text([], "room") == "[]"


def test_tsv_is_csv_lines_with_tabs_and_safe_cells() -> None:
    text = "".join(csv_lines(["a", "b"], [["x\ty", "=1+1"], ["plain", "z"]], delimiter="\t"))
    assert text == 'a\tb\r\n"x\ty"\t\'=1+1\r\nplain\tz\r\n'
