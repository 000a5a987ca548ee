"""The sliced batch-body reader gives exactly what ``server_json.loads`` gives (issue #10
item 7): the same value, or the same refusal, for every body; and stops past the cap."""

from __future__ import annotations

import json

import pytest

from inspector.protocol.server_json import MAX_DEPTH, JsonRejected, loads
from inspector.server.batch_body import TooManyMessages, read_batch

MSG = '{"topic":"room","event":"e","payload":{"n":1}}'
DEEP = "[" * (MAX_DEPTH - 2) + "]" * (MAX_DEPTH - 2)
BODIES = [
    '{"messages":[' + ",".join([MSG] * 5) + "]}",
    ' \n{ "messages" : [ ' + " , ".join([MSG] * 3) + ' ] , "x" : 1 } \n',
    '{"messages":[]}',
    "{}",
    "[]",
    '"just a string"',
    '{"messages":"no"}',
    '{"messages":[1,2,null]}',
    '{"a":1,"messages":[' + MSG + '],"messages":[' + MSG + "," + MSG + "]}",  # last key wins
    '{"messages":[' + MSG + ",]}",  # trailing comma
    '{"messages":[' + MSG + "]",  # unterminated
    '{"messages":[' + MSG + "]} trailing",
    '{"messages":[{"topic":"r","event":"e","payload":{"n":NaN}}]}',
    '{"messages":[{"topic":"r","event":"e","payload":{"n":1e999}}]}',
    '{"messages":[{"topic":"\\ud800","event":"e","payload":{}}]}',
    '{"x":Infinity,"messages":[]}',
    '{"\\udc00":1,"messages":[]}',
    '{"messages":[' + DEEP + "]}",  # MAX_DEPTH levels in all: accepted
    '{"messages":[[' + DEEP + "]]}",  # one more: too deep
    '{"messages":[' + "[" * 5000 + "]" * 5000 + "]}",  # recursion
]


def outcome(value: object) -> object:
    return ("value", json.dumps(value, sort_keys=True))


async def _both(raw: bytes) -> tuple[object, object]:
    try:
        expected: object = outcome(loads(raw))
    except JsonRejected as exc:
        expected = ("refused", str(exc))
    try:
        got: object = outcome(await read_batch(raw, 10_000, incremental_from=0))
    except JsonRejected as exc:
        got = ("refused", str(exc))
    return expected, got


@pytest.mark.parametrize("body", BODIES)
async def test_same_answer_as_loads(body: str) -> None:
    expected, got = await _both(body.encode())
    assert got == expected


@pytest.mark.parametrize("raw", [b"\xef\xbb\xbf{}", "{}".encode("utf-16"), b'{"a":"\xff"}'])
async def test_same_answer_for_bytes_that_are_not_utf8(raw: bytes) -> None:
    expected, got = await _both(raw)
    assert got == expected


async def test_stops_past_the_cap() -> None:
    raw = ('{"messages":[' + ",".join([MSG] * 101) + "]}").encode()
    with pytest.raises(TooManyMessages):
        await read_batch(raw, 100, incremental_from=0)
    assert len((await read_batch(raw, 101, incremental_from=0))["messages"]) == 101
