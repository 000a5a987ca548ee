"""Payload views: hexdump, base64, UTF-8 and JSON checks, lazy pretty JSON, binary input parsing."""

from __future__ import annotations

import base64
import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from inspector.store import Direction, MessageRecord, PayloadFormat
from inspector.store.messages.payload_views import (
    HEX_CHUNK,
    PrettyJson,
    ReindentJson,
    base64_view,
    check_utf8,
    hexdump,
    parse_base64,
    parse_hex,
    parse_json,
    utf8_view,
)


def test_hexdump_lines_have_offset_two_groups_and_gutter() -> None:
    data = bytes(range(0x41, 0x41 + 20)) + b"\x00\xff"
    piece = hexdump(data)
    lines = piece.text.splitlines()
    assert lines[0] == (
        "00000000  41 42 43 44 45 46 47 48  49 4a 4b 4c 4d 4e 4f 50  |ABCDEFGHIJKLMNOP|"
    )
    assert lines[1].startswith("00000010  51 52 53 54 00 ff")
    assert lines[1].endswith("|QRST..|")
    assert piece.next_start is None
    assert piece.total == 22
    assert hexdump(b"").text == "(no bytes)"


def test_hexdump_pieces_cover_the_payload_once() -> None:
    data = bytes(i % 251 for i in range(HEX_CHUNK * 2 + 40))
    start: int | None = 0
    lines: list[str] = []
    while start is not None:
        piece = hexdump(data, start)
        lines += piece.text.splitlines()
        start = piece.next_start
    assert len(lines) == -(-len(data) // 16)
    rebuilt = bytes.fromhex("".join(line[10:58].replace(" ", "") for line in lines))
    assert rebuilt == data


@given(st.binary(max_size=2000), st.integers(min_value=60, max_value=700))
def test_base64_pieces_join_to_the_encoding(data: bytes, step: int) -> None:
    start: int | None = 0
    out = []
    while start is not None:
        piece = base64_view(data, start, step)
        out.append(piece.text.replace("\n", ""))
        start = piece.next_start
    assert base64.b64decode("".join(out)) == data
    assert all(len(line) <= 76 for line in base64_view(data).text.splitlines())


@given(st.text(max_size=300), st.integers(min_value=4, max_value=50))
def test_utf8_pieces_never_split_a_character(text: str, step: int) -> None:
    data = text.encode()
    start: int | None = 0
    out = []
    while start is not None:
        piece = utf8_view(data, start, step)
        out.append(piece.text)
        start = piece.next_start
    assert "".join(out) == text


def test_utf8_and_json_checks_say_why() -> None:
    assert check_utf8(b"ok \xc3\xa9").valid
    bad = check_utf8(b'{"a":\xff}')
    assert (bad.valid, bad.error_offset, bad.error_byte) == (False, 5, 0xFF)
    assert bad.describe() == "not UTF-8: byte 0xff at offset 5"
    assert parse_json(b'{"a": [1, 2]}').value == {"a": [1, 2]}
    not_json = parse_json(b"hello")
    assert not not_json.ok
    assert not_json.error.startswith("not JSON: line 1, column 1")
    assert parse_json(b"\xff\xfe").error == "not UTF-8: byte 0xff at offset 0"
    assert not parse_json(b"[" * 100_000 + b"]" * 100_000).ok  # too deep: no RecursionError


def test_pretty_json_is_produced_only_as_far_as_it_is_read() -> None:
    value = {"items": [{"n": i, "s": "x" * 20} for i in range(20_000)]}
    full = json.dumps(value, indent=2, ensure_ascii=False)
    pretty = PrettyJson(value)
    first = pretty.take(1000)
    assert first == full[:1000]
    assert not pretty.exhausted
    rest = []
    while not pretty.exhausted:
        rest.append(pretty.take(100_000))
    assert first + "".join(rest) == full
    assert pretty.position == len(full)


def test_hex_and_base64_input_forms() -> None:
    assert parse_hex("de ad be ef") == b"\xde\xad\xbe\xef"
    assert parse_hex("0xDE,0xAD\n:be-ef") == b"\xde\xad\xbe\xef"
    assert parse_hex("") == b""
    with pytest.raises(ValueError, match="odd number"):
        parse_hex("abc")
    with pytest.raises(ValueError, match="'g' is not a hex digit"):
        parse_hex("ag")
    assert parse_base64("3q2+7w==") == b"\xde\xad\xbe\xef"
    assert parse_base64("3q2-7w") == b"\xde\xad\xbe\xef"  # URL-safe, no padding
    assert parse_base64(" 3q2+\n7w== ") == b"\xde\xad\xbe\xef"
    with pytest.raises(ValueError, match="not base64"):
        parse_base64("3q2*")
    with pytest.raises(ValueError, match="off by one"):
        parse_base64("3q2+7")


def test_binary_records_preview_as_a_placeholder_with_the_size() -> None:
    record = MessageRecord(
        time=0.0,
        direction=Direction.IN,
        event="blob",
        payload=b"\x00" * 1_500_000,
        format=PayloadFormat.BINARY,
    )
    assert record.preview() == "<binary, 1500000 bytes>"
    big_json = MessageRecord(
        time=0.0, direction=Direction.IN, event="big", payload=b'"' + b"y" * 2_000_000 + b'"'
    )
    assert len(big_json.preview()) == 160
    assert big_json.preview().endswith("…")


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=5), inner, max_size=4)
    ),
    max_leaves=20,
)


@given(json_values, st.integers(min_value=1, max_value=40))
def test_reindent_matches_json_dumps_indent_for_compact_json(value: object, step: int) -> None:
    compact = json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    pretty = ReindentJson(compact)
    out = []
    while not pretty.exhausted:
        out.append(pretty.take(step))
    assert "".join(out) == json.dumps(value, indent=2, ensure_ascii=False)


def test_reindent_keeps_the_wire_spelling_and_survives_broken_text() -> None:
    assert ReindentJson('{"a":"\\u00e9","n":1.50}').take() == '{\n  "a": "\\u00e9",\n  "n": 1.50\n}'
    broken = ReindentJson('{"a": [1, 2}, "unterminated \\"')
    text = broken.take()
    assert broken.exhausted
    assert text.endswith('"unterminated \\"')
