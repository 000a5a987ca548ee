"""server_json: the server refuses exactly the JSON the real server's decoder (Jason) refuses.

The property test compares the fast path (substring scans, a regular expression, a second parse
only when needed) with the slow oracle of strict_json.py, written independently.
"""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from strict_json import oracle

from inspector.protocol.server_json import (
    LONE_SURROGATE,
    MAX_DEPTH,
    NOT_A_NUMBER,
    OUT_OF_RANGE,
    TOO_DEEP,
    JsonRejected,
    compact_size,
    loads,
)

HOSTILE = [
    "NaN",
    "-NaN",
    "Infinity",
    "-Infinity",
    "1e999",
    "-1e999",
    "1E+400",
    "1.5e308",
    "1e308",
    "1e-999",
    "1" + "0" * 310 + ".0",
    "1" + "0" * 310,
    "9" * 300 + "e99",
    "1" * 211 + "e98",
    '"\\ud800"',
    '"\\udc00"',
    '"\\uDBFF"',
    '"a\\ud800b"',
    '"\\ud800\\ud800"',
    '"\\udc00\\ud800"',
    '"\\ud83d\\ude00"',
    '"\\uD83D\\uDE00"',
    '"\\u00e9"',
    '"\\\\ud800"',
    '"NaN"',
    '"Infinity e999"',
    '"\ud800"',
    '"é🎉"',
    "0",
    "-0",
    "1.5",
    "null",
    "true",
]

leaf = (
    st.sampled_from(HOSTILE)
    | st.integers().map(str)
    | st.floats(allow_nan=True, allow_infinity=True).map(json.dumps)
    | st.text(max_size=6).map(json.dumps)
    | st.text(st.characters(codec=None, categories=["Cs"]), max_size=2).map(
        lambda s: json.dumps(s, ensure_ascii=False)
    )
)


def _obj(pairs: list[tuple[str, str]]) -> str:
    return "{" + ",".join(f"{k}:{v}" for k, v in pairs) + "}"


key = st.sampled_from(['"a"', '"\\ud800"', '"\\ud83d\\ude00"', '"\ud800"', '"k"'])
json_text = st.recursive(
    leaf,
    lambda kids: (
        st.lists(kids, max_size=4).map(lambda xs: "[" + ",".join(xs) + "]")
        | st.lists(st.tuples(key, kids), max_size=3).map(_obj)
    ),
    max_leaves=10,
)


def _check(raw: str | bytes) -> None:
    try:
        loads(raw)
        accepted = True
    except JsonRejected:
        accepted = False
    assert accepted == oracle(raw), raw


@settings(max_examples=600)
@given(json_text)
def test_fast_path_agrees_with_the_oracle(text: str) -> None:
    _check(text)
    _check(text.encode("utf-8", "surrogatepass"))


@settings(max_examples=60)
@given(st.integers(MAX_DEPTH - 3, MAX_DEPTH + 3), leaf, st.booleans())
def test_depth_limit_agrees_with_the_oracle(depth: int, inner: str, objects: bool) -> None:
    opening, closing = ('{"a":', "}") if objects else ("[", "]")
    _check(opening * depth + inner + closing * depth)


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ('{"n":NaN}', NOT_A_NUMBER),
        ('{"n":-Infinity}', OUT_OF_RANGE),
        ('{"n":1e999}', OUT_OF_RANGE),
        ("[" + "9" * 300 + "e99]", OUT_OF_RANGE),
        ("[" + "1" * 211 + "e99]", OUT_OF_RANGE),
        (b'{"n":-1e999}', OUT_OF_RANGE),
        ('{"s":"\\ud800"}', LONE_SURROGATE),
        (b'{"s":"\xed\xa0\x80"}', LONE_SURROGATE),
        ('{"\\udc00":1}', LONE_SURROGATE),
        ("[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1), TOO_DEEP),
        ("[" * 5000 + "]" * 5000, TOO_DEEP),
    ],
)
def test_reasons(raw: str | bytes, reason: str) -> None:
    with pytest.raises(JsonRejected) as info:
        loads(raw)
    assert str(info.value) == reason


@pytest.mark.parametrize(
    "raw",
    [b"\xef\xbb\xbf{}", '{"a":1}'.encode("utf-16"), b'{"a":"\xff"}', "{", '{"a":1} x', "01"],
)
def test_not_utf8_or_not_json(raw: str | bytes) -> None:
    with pytest.raises(JsonRejected):
        loads(raw)


def test_accepted_values_come_back_parsed() -> None:
    assert loads(b'{"e":"\\ud83d\\ude00","n":1e308,"u":1e-999}') == {
        "e": "😀",
        "n": 1e308,
        "u": 0.0,
    }
    assert loads("[" * MAX_DEPTH + "]" * MAX_DEPTH) is not None


# Numbers next to what the number scan classifies: non-ASCII digits and letters (which must
# neither count as digits nor join two runs of them), ``p`` (which collides with ``0`` in the
# substring search's skip table), exponents with and without signs, long mantissas.
_number = st.builds(
    lambda mantissa, exponent: mantissa + exponent,
    st.sampled_from(["1", "1.5", "-2", "0.000", "9" * 300, "1" + "0" * 308, "4" * 309]),
    st.sampled_from(["", "e000", "e308", "e309", "E+400", "e-999", "e+0400", "E0001", "e99"]),
)
_filler = st.text(alphabet="p٠١é0eE+ 9\u0300", max_size=8)
_number_text = st.lists(
    st.one_of(_number, _filler.map(json.dumps), st.just('"1e999"')), min_size=1, max_size=6
).map(lambda xs: "[" + ",".join(xs) + "]")


@settings(max_examples=400)
@given(_number_text)
def test_number_scan_agrees_with_the_oracle(text: str) -> None:
    _check(text)
    _check(text.encode())


@pytest.mark.parametrize("pad", ["p" * 100_000, "٠" * 50_000, "q1" * 50_000])
def test_large_frames_with_a_refused_number_are_refused(pad: str) -> None:
    for tail, refused in (("1e999", True), ("1e99", False), ('"1e999"', False)):
        raw = json.dumps(["1", "1000", "t", "presence", {"pad": pad}])[:-1] + f",{tail}]"
        _check(raw)
        _check(raw.encode())
        assert _refused(raw) == refused


def _refused(raw: str) -> bool:
    try:
        loads(raw)
    except JsonRejected:
        return True
    return False


json_value = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(st.characters(codec="utf-8")),
    lambda kids: (
        st.lists(kids, max_size=6)
        | st.dictionaries(st.text(st.characters(codec="utf-8"), max_size=4), kids, max_size=5)
    ),
    max_leaves=40,
)


def _dumped(value: object) -> int:
    return len(json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode())


@settings(max_examples=400)
@given(json_value)
def test_compact_size_is_the_size_of_the_compact_encoding(value: object) -> None:
    assert compact_size(value) == _dumped(value)


@pytest.mark.parametrize(
    "value",
    [
        {"pad": "p" * 3_000_000},
        {"s": '"\\\x00\x1f\x7f\n\té🎉' * 1000},
        list(range(5000)),  # more nodes than the walk takes: measured by encoding
        [[[]]] * 3000,
        {str(n): {"k": [n, n / 3, None, True, False]} for n in range(1000)},
    ],
)
def test_compact_size_of_large_values(value: object) -> None:
    assert compact_size(value) == _dumped(value)
