"""Property-based tests: every kind round-trips, and random peer input never raises."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from inspector.protocol.frames import (
    BinaryBroadcast,
    BinaryPush,
    BinaryReply,
    FrameRejected,
    Message,
    UserBroadcast,
    UserBroadcastPush,
)
from inspector.protocol.serializer import VSN1, VSN2, Role, decode, encode

short = st.text(max_size=40).filter(lambda s: len(s.encode()) <= 255)
nonempty = short.filter(lambda s: s != "")
ref = st.none() | nonempty
json_value = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda kids: (
        st.lists(kids, max_size=4) | st.dictionaries(st.text(max_size=8), kids, max_size=4)
    ),
    max_leaves=12,
)
meta = st.sampled_from([b"", b'{"id":"m1"}', b'{"persist":{"ttl":60}}'])


@given(ref, ref, short, short, json_value)
def test_message_roundtrip_both_vsns(
    jr: str | None, rf: str | None, topic: str, ev: str, p: object
) -> None:
    m = Message(jr, rf, topic, ev, p)
    for vsn in (VSN1, VSN2):
        for role in (Role.CLIENT, Role.SERVER):
            assert decode(encode(m, vsn), vsn, role) == m


@given(ref, ref, short, short, meta, st.sampled_from([0, 1]), st.binary(max_size=64))
def test_kind3_roundtrip(
    jr: str | None, rf: str | None, topic: str, ev: str, md: bytes, enc: int, p: bytes
) -> None:
    f = UserBroadcastPush(jr, rf, topic, ev, md, enc, p)
    assert decode(encode(f, VSN2), VSN2, Role.SERVER) == f


@given(short, short, meta, st.sampled_from([0, 1]), st.binary(max_size=64))
def test_kind4_roundtrip(topic: str, ev: str, md: bytes, enc: int, p: bytes) -> None:
    f = UserBroadcast(topic, ev, md, enc, p)
    assert decode(encode(f, VSN2), VSN2, Role.CLIENT) == f


@given(ref, nonempty, short, short, st.binary(max_size=32))
def test_generic_kinds_roundtrip(jr: str | None, rf: str, topic: str, ev: str, p: bytes) -> None:
    assert decode(encode(BinaryPush(jr, rf, topic, ev, p), VSN2), VSN2, Role.SERVER) == BinaryPush(
        jr, rf, topic, ev, p
    )
    assert decode(
        encode(BinaryPush(jr, None, topic, ev, p), VSN2), VSN2, Role.CLIENT
    ) == BinaryPush(jr, None, topic, ev, p)
    assert decode(
        encode(BinaryReply(jr, rf, topic, ev, p), VSN2), VSN2, Role.CLIENT
    ) == BinaryReply(jr, rf, topic, ev, p)
    assert decode(
        encode(BinaryBroadcast(topic, ev, p), VSN2), VSN2, Role.CLIENT
    ) == BinaryBroadcast(topic, ev, p)


@settings(max_examples=500)
@given(st.binary(max_size=300), st.sampled_from([VSN1, VSN2]), st.sampled_from(list(Role)))
def test_random_bytes_never_raise(data: bytes, vsn: str, role: Role) -> None:
    result = decode(data, vsn, role)
    assert result is not None
    if isinstance(result, FrameRejected):
        assert result.reason


@settings(max_examples=500)
@given(st.text(max_size=300), st.sampled_from([VSN1, VSN2]), st.sampled_from(list(Role)))
def test_random_text_never_raises(data: str, vsn: str, role: Role) -> None:
    assert decode(data, vsn, role) is not None


@settings(max_examples=300)
@given(st.lists(json_value, max_size=7) | json_value, st.sampled_from([VSN1, VSN2]))
def test_random_json_never_raises(value: object, vsn: str) -> None:
    import json

    assert decode(json.dumps(value), vsn, Role.CLIENT) is not None


@settings(max_examples=300)
@given(
    st.sampled_from([0, 1, 2, 3, 4]),
    st.lists(st.integers(0, 255), max_size=8),
    st.binary(max_size=40),
)
def test_random_binary_headers_never_raise(kind: int, header: list[int], rest: bytes) -> None:
    data = bytes([kind, *header]) + rest
    for role in Role:
        assert decode(data, VSN2, role) is not None
