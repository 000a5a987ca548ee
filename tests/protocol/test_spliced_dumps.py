"""spliced_dumps: the fan-out's encoding copies long plain strings in, byte for byte the same
text as ``dumps`` (what official clients receive does not change; issue #10 item 4)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from inspector.protocol import server_fanout
from inspector.protocol.serializer import dumps
from inspector.protocol.server_fanout import Fanout, spliced_dumps

LONG = 64 * 1024

long_text = st.builds(
    lambda unit, n: unit * n,
    st.sampled_from(["p", "é🎉", 'a"b', "\\", "\n", "\x01", "\ud800", "\u2028", "x\x7f"]),
    st.integers(LONG // 2, LONG + 10),
)
json_value = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text()
    | long_text,
    lambda kids: (
        st.lists(kids, max_size=4) | st.dictionaries(st.text(max_size=3), kids, max_size=4)
    ),
    max_leaves=12,
)


@settings(max_examples=150, deadline=None)
@given(json_value)
def test_spliced_dumps_is_dumps(value: object) -> None:
    assert spliced_dumps(value) == dumps(value)


@pytest.mark.parametrize(
    "value",
    [
        [
            None,
            None,
            "realtime:t",
            "presence_diff",
            {"joins": {"k": {"metas": [{"pad": "p" * 3_000_000}]}}},
        ],
        {"a": "q" * LONG, "b": ["r" * LONG, "s" * LONG], "c": "t" * LONG},
        [["u" * LONG] * 2] * 200,  # more nodes than the walk takes
        ["v" * LONG, "w" * 10],
    ],
)
def test_spliced_dumps_of_large_values(value: object) -> None:
    assert spliced_dumps(value) == dumps(value)


def test_a_token_met_in_the_text_falls_back_to_dumps(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(server_fanout.secrets, "token_hex", lambda n: "feedfacefeedface")
    for value in (
        ["feedfacefeedface0", "x" * LONG],
        ["x" * LONG, "feedfacefeedface0"],
        {"feedfacefeedface1": "x" * LONG},
    ):
        assert spliced_dumps(value) == dumps(value)


def test_a_presence_diff_fanout_is_the_dumps_text() -> None:
    payload = {"joins": {"k": {"metas": [{"pad": "p" * 200_000, "phx_ref": "r"}]}}, "leaves": {}}
    fanout = Fanout.text("presence_diff", payload)
    assert fanout.for_receiver("2.0.0", "realtime:t") == dumps(
        [None, None, "realtime:t", "presence_diff", payload]
    )
    assert fanout.for_receiver("1.0.0", "realtime:t") == dumps(
        {"topic": "realtime:t", "event": "presence_diff", "payload": payload, "ref": None}
    )
