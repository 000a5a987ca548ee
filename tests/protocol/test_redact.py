"""Redaction never breaks JSON (QA finding 8): :func:`redact_text` on JSON text and
:func:`redact_value` on parsed values hide the secrets and keep everything else."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from inspector.protocol.jwt import CLI_DEMO_EXP, sign
from inspector.protocol.redact import (
    REDACTED,
    may_hold_secret,
    redact_bytes,
    redact_text,
    redact_value,
)

JWT = sign({"role": "anon", "exp": CLI_DEMO_EXP}, "x" * 40)

#: Pieces that the patterns look for, next to the characters JSON has to escape.
_PIECES = st.sampled_from(
    [
        "Authorization: Bearer ",
        "authorization=bearer ",
        "?apikey=",
        "&access_token=",
        '"apikey":',
        "sb_secret_abc",
        "sb_temp_abc",
        "token=",
        "Password: ",
        '"api_key":',
        "Bearer ",
        "&",
        "'",
        JWT,
        '"',
        "\\",
        "\\u",
        ",",
        "}",
        " ",
        "x",
        "é",
    ]
)
_TEXT = st.lists(_PIECES, max_size=8).map("".join)
_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | _TEXT,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_TEXT, inner, max_size=3),
    max_leaves=10,
)


@settings(max_examples=300)
@given(_VALUES)
def test_redact_text_keeps_json_text_json(value: Any) -> None:
    text = json.dumps(value, ensure_ascii=False)
    json.loads(redact_text(text))  # raises if a pattern ate a quote or a backslash


@settings(max_examples=300)
@given(_VALUES)
def test_redact_value_keeps_the_structure_and_hides_jwts(value: Any) -> None:
    out = redact_value(value)
    assert _shape(out) == _shape(value)
    assert JWT not in json.dumps(out)
    if not may_hold_secret(json.dumps(value, ensure_ascii=False)):
        assert out == value  # the cheap test never skips something that would change


def _shape(value: Any) -> Any:
    if isinstance(value, dict):
        return sorted(repr(_shape(v)) for v in value.values())
    if isinstance(value, list):
        return [_shape(v) for v in value]
    return type(value).__name__


def test_own_secrets_always_go_and_short_ones_are_left_alone() -> None:
    value = {"a": f"x{JWT}y", "b": ["k", "ok"], "apikey": "peer"}
    assert redact_value(value, (JWT, "k"), patterns=False) == {
        "a": f"x{REDACTED}y",
        "b": ["k", "ok"],
        "apikey": "peer",
    }
    assert redact_value(value, (JWT,)) == {
        "a": f"x{REDACTED}y",
        "b": ["k", "ok"],
        "apikey": REDACTED,
    }
    assert may_hold_secret(json.dumps(value), (JWT,), patterns=False)
    assert not may_hold_secret('{"b":"k"}', ("k",), patterns=False)


def test_one_table_hides_what_both_old_modules_hid() -> None:
    """The union of the client's and the store's old tables (issue 9), in every casing."""
    for name in ("apikey", "api_key", "access_token", "user_token", "token", "Authorization"):
        assert redact_value({name: "v"}) == {name: REDACTED}
        assert redact_text(f'{{"{name}": "v\\"x"}}') == f'{{"{name}": "{REDACTED}"}}'
    for text in ("sb_temp_abc", "sb_secret_abc", "sb_publishable_abc", JWT):
        assert redact_text(f"k {text} k") == f"k {REDACTED} k"
    assert redact_text("x Bearer abc") == f"x Bearer {REDACTED}"
    assert redact_text("?token=abc&apikey=def#f") == f"?token={REDACTED}&apikey={REDACTED}#f"
    assert redact_text("x-api-key: abc") == f"x-api-key: {REDACTED}"
    assert redact_text("nothing: to hide, token of esteem") == "nothing: to hide, token of esteem"


@settings(max_examples=200)
@given(st.lists(_PIECES | st.binary(max_size=4).map(lambda b: b.decode("latin-1")), max_size=8))
def test_redact_bytes_keeps_every_length_and_hides_named_values(pieces: list[str]) -> None:
    data = "".join(pieces).encode("utf-8", "surrogateescape")
    masked = redact_bytes(data)
    assert len(masked) == len(data)
    assert JWT.encode() not in masked
    secret = b'{"password":"hunter2-x","n":1} Bearer opaque-xyz'
    shown = redact_bytes(secret + data)  # first: a quote in data must not pair with ours
    assert b"hunter2-x" not in shown
    assert b"opaque-xyz" not in shown
    assert len(shown) == len(secret + data)
