"""Serializers for vsn 1.0.0 and 2.0.0, both roles (docs/realtime-protocol.md §2.1-§2.4).

``encode(frame, vsn)`` turns a frame into what goes on the wire: ``str`` for a text frame,
``bytes`` for a binary frame. It raises :class:`EncodeError` for frames that cannot be
expressed (a binary frame in vsn 1.0.0, a field over 255 UTF-8 bytes); those are mistakes of the
local caller, never of the peer.

``decode(data, vsn, role)`` turns what came off the wire into a frame. It never raises on peer
input: anything malformed becomes :class:`~inspector.protocol.frames.FrameRejected` with the raw
data and a one-line reason. ``role`` says who is decoding: a client decodes what servers send
(kinds 0 without ref, 1, 2, 4) and a server decodes what clients send (kinds 0 with ref, 3).
"""

from __future__ import annotations

import json
import re
from enum import Enum
from typing import Final

from .frames import (
    ENCODING_BINARY,
    ENCODING_JSON,
    KIND_BROADCAST,
    KIND_PUSH,
    KIND_REPLY,
    KIND_USER_BROADCAST,
    KIND_USER_BROADCAST_PUSH,
    BinaryBroadcast,
    BinaryPush,
    BinaryReply,
    Decoded,
    Frame,
    FrameRejected,
    Message,
    UserBroadcast,
    UserBroadcastPush,
)

VSN1: Final = "1.0.0"
VSN2: Final = "2.0.0"
SUPPORTED_VSNS: Final = (VSN1, VSN2)

#: Largest frame the real server accepts (§1.5).
MAX_FRAME_BYTES: Final = 5_000_000

_MAX_FIELD: Final = 255


class Role(Enum):
    """Who is decoding: the side that receives the frame."""

    CLIENT = "client"
    SERVER = "server"


class EncodeError(ValueError):
    """A frame the local caller built cannot be put on the wire in this vsn."""


_encode = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode
_loads = json.loads
_SURROGATE = re.compile("[\ud800-\udfff]")


def escape_surrogates(text: str) -> str:
    """JSON ``text`` with every UTF-16 surrogate code point written as a ``\\udXXX`` escape.

    A JSON string may carry a lone surrogate as an escape (``"\\ud800"`` is legal in RFC 8259's
    grammar, and the real server passes kind-3 payloads on unchecked, §2.3). Python parses it into a code point that UTF-8
    cannot encode, so ``json.dumps(..., ensure_ascii=False).encode()`` would raise. In JSON text
    such code points only occur inside strings, where the escape is valid JSON that parses back
    to the same value.
    """
    if text.isascii():  # the common case, and the fastest test
        return text
    try:
        text.encode()  # faster than a regex search, and only surrogates make it fail
        return text
    except UnicodeEncodeError:
        pass
    return _SURROGATE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def _dumps(value: object) -> str:
    return escape_surrogates(_encode(value))


def dumps(value: object) -> str:
    """Compact JSON as the SDKs write it (no spaces, UTF-8 kept as is); always UTF-8 encodable
    (lone surrogates stay escapes, see :func:`escape_surrogates`); ``ValueError`` for NaN and
    infinities, which JSON cannot carry."""
    return _dumps(value)


# ------------------------------------------------------------------------------------- encode


def _field(name: str, value: str | None) -> bytes:
    data = (value or "").encode()
    if len(data) > _MAX_FIELD:
        raise EncodeError(f"{name} is {len(data)} bytes long; binary frames allow at most 255")
    return data


def _meta_bytes(metadata: bytes) -> bytes:
    if len(metadata) > _MAX_FIELD:
        raise EncodeError(
            f"metadata is {len(metadata)} bytes long; binary frames allow at most 255"
        )
    return metadata


def encode(frame: Frame, vsn: str) -> str | bytes:
    """Encode a frame for the wire in protocol version ``vsn`` (§2.1-§2.3)."""
    if isinstance(frame, Message):
        if vsn == VSN2:
            return _dumps([frame.join_ref, frame.ref, frame.topic, frame.event, frame.payload])
        if vsn == VSN1:
            obj: dict[str, object] = {
                "topic": frame.topic,
                "event": frame.event,
                "payload": frame.payload,
                "ref": frame.ref,
            }
            if frame.join_ref is not None:
                obj["join_ref"] = frame.join_ref
            return _dumps(obj)
        raise EncodeError(f"unsupported vsn {vsn!r}")
    if vsn != VSN2:
        raise EncodeError(f"binary frames need vsn 2.0.0, not {vsn}")
    return encode_binary(frame)


def encode_binary(frame: Frame) -> bytes:
    """Encode a binary-kind frame (vsn 2.0.0 only), byte for byte as §2.3 lays it out."""
    if isinstance(frame, UserBroadcastPush):
        jr = _field("join_ref", frame.join_ref)
        ref = _field("ref", frame.ref)
        topic = _field("topic", frame.topic)
        ev = _field("event", frame.user_event)
        meta = _meta_bytes(frame.metadata)
        header = bytes(
            (
                KIND_USER_BROADCAST_PUSH,
                len(jr),
                len(ref),
                len(topic),
                len(ev),
                len(meta),
                frame.encoding,
            )
        )
        return b"".join((header, jr, ref, topic, ev, meta, frame.payload))
    if isinstance(frame, UserBroadcast):
        topic = _field("topic", frame.topic)
        ev = _field("event", frame.user_event)
        meta = _meta_bytes(frame.metadata)
        header = bytes((KIND_USER_BROADCAST, len(topic), len(ev), len(meta), frame.encoding))
        return b"".join((header, topic, ev, meta, frame.payload))
    if isinstance(frame, BinaryPush):
        jr = _field("join_ref", frame.join_ref)
        topic = _field("topic", frame.topic)
        ev = _field("event", frame.event)
        if frame.ref is None:  # server -> client form has no ref
            return b"".join(
                (bytes((KIND_PUSH, len(jr), len(topic), len(ev))), jr, topic, ev, frame.payload)
            )
        ref = _field("ref", frame.ref)
        return b"".join(
            (
                bytes((KIND_PUSH, len(jr), len(ref), len(topic), len(ev))),
                jr,
                ref,
                topic,
                ev,
                frame.payload,
            )
        )
    if isinstance(frame, BinaryReply):
        jr = _field("join_ref", frame.join_ref)
        ref = _field("ref", frame.ref)
        topic = _field("topic", frame.topic)
        st = _field("status", frame.status)
        return b"".join(
            (
                bytes((KIND_REPLY, len(jr), len(ref), len(topic), len(st))),
                jr,
                ref,
                topic,
                st,
                frame.payload,
            )
        )
    if isinstance(frame, BinaryBroadcast):
        topic = _field("topic", frame.topic)
        ev = _field("event", frame.event)
        return b"".join((bytes((KIND_BROADCAST, len(topic), len(ev))), topic, ev, frame.payload))
    raise EncodeError(f"cannot encode {type(frame).__name__} as a binary frame")


# ------------------------------------------------------------------------------------- decode


def _opt_str(value: object) -> str | bool | None:
    """A ref field: a string, None, or False when it has another type."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        # Some hand-written clients send numeric refs; Phoenix echoes them. Keep them as text.
        return str(value)
    return False


def _decode_text(data: str | bytes, vsn: str, role: Role) -> Decoded:
    try:
        obj = _loads(data)
    except (ValueError, RecursionError) as exc:
        return FrameRejected(data, f"text frame is not valid JSON: {exc}")
    if vsn == VSN2:
        if not isinstance(obj, list):
            return FrameRejected(
                data, f"vsn 2.0.0 text frame must be a JSON array, got {_kind(obj)}"
            )
        if len(obj) < 5:
            return FrameRejected(data, f"vsn 2.0.0 array needs 5 elements, got {len(obj)}")
        join_ref, ref, topic, event, payload = obj[0], obj[1], obj[2], obj[3], obj[4]
    else:
        if not isinstance(obj, dict):
            return FrameRejected(
                data, f"vsn 1.0.0 text frame must be a JSON object, got {_kind(obj)}"
            )
        required = ("topic", "event", "payload", "ref")
        missing = [k for k in required if k not in obj]
        if missing:
            return FrameRejected(data, "vsn 1.0.0 frame is missing " + ", ".join(missing))
        join_ref = obj.get("join_ref")
        ref, topic, event, payload = obj["ref"], obj["topic"], obj["event"], obj["payload"]
    if not isinstance(topic, str):
        return FrameRejected(data, f"topic must be a string, got {_kind(topic)}")
    if not isinstance(event, str):
        return FrameRejected(data, f"event must be a string, got {_kind(event)}")
    jr = _opt_str(join_ref)
    if jr is False:
        return FrameRejected(data, f"join_ref must be a string or null, got {_kind(join_ref)}")
    rf = _opt_str(ref)
    if rf is False:
        return FrameRejected(data, f"ref must be a string or null, got {_kind(ref)}")
    return Message(jr, rf, topic, event, payload)  # type: ignore[arg-type]


def _kind(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


class _Truncated(Exception):
    pass


def _take(data: bytes, offset: int, length: int, name: str) -> tuple[str, int]:
    end = offset + length
    if end > len(data):
        raise _Truncated(f"{name} needs {length} bytes at offset {offset}, frame has {len(data)}")
    try:
        return data[offset:end].decode(), end
    except UnicodeDecodeError as exc:
        raise _Truncated(f"{name} is not valid UTF-8 ({exc.reason})") from None


_NAMES = {
    KIND_PUSH: "push",
    KIND_REPLY: "reply",
    KIND_BROADCAST: "broadcast",
    KIND_USER_BROADCAST_PUSH: "user broadcast push",
    KIND_USER_BROADCAST: "user broadcast",
}


def _decode_binary(data: bytes, role: Role) -> Decoded:
    if not data:
        return FrameRejected(data, "empty binary frame")
    kind = data[0]
    n = len(data)
    try:
        if role is Role.SERVER:
            if kind == KIND_USER_BROADCAST_PUSH:
                if n < 7:
                    raise _Truncated(f"kind 3 header needs 7 bytes, frame has {n}")
                jrl, refl, tl, el, ml, enc = data[1], data[2], data[3], data[4], data[5], data[6]
                if enc not in (ENCODING_BINARY, ENCODING_JSON):
                    return FrameRejected(data, f"kind 3 has unknown payload encoding {enc}")
                jr, off = _take(data, 7, jrl, "join_ref")
                ref, off = _take(data, off, refl, "ref")
                topic, off = _take(data, off, tl, "topic")
                ev, off = _take(data, off, el, "event")
                if off + ml > n:
                    raise _Truncated(f"metadata needs {ml} bytes at offset {off}, frame has {n}")
                meta = data[off : off + ml]
                off += ml
                return UserBroadcastPush(jr or None, ref or None, topic, ev, meta, enc, data[off:])
            if kind == KIND_PUSH:
                if n < 5:
                    raise _Truncated(f"kind 0 header needs 5 bytes, frame has {n}")
                jrl, refl, tl, el = data[1], data[2], data[3], data[4]
                jr, off = _take(data, 5, jrl, "join_ref")
                ref, off = _take(data, off, refl, "ref")
                topic, off = _take(data, off, tl, "topic")
                ev, off = _take(data, off, el, "event")
                return BinaryPush(jr or None, ref or None, topic, ev, data[off:])
            name = _NAMES.get(kind)
            if name is not None:
                return FrameRejected(data, f"kind {kind} ({name}) is sent by servers, not clients")
            return FrameRejected(data, f"unknown binary kind {kind}")
        # Role.CLIENT: what a server sends.
        if kind == KIND_USER_BROADCAST:
            if n < 5:
                raise _Truncated(f"kind 4 header needs 5 bytes, frame has {n}")
            tl, el, ml, enc = data[1], data[2], data[3], data[4]
            if enc not in (ENCODING_BINARY, ENCODING_JSON):
                return FrameRejected(data, f"kind 4 has unknown payload encoding {enc}")
            topic, off = _take(data, 5, tl, "topic")
            ev, off = _take(data, off, el, "event")
            if off + ml > n:
                raise _Truncated(f"metadata needs {ml} bytes at offset {off}, frame has {n}")
            meta = data[off : off + ml]
            off += ml
            return UserBroadcast(topic, ev, meta, enc, data[off:])
        if kind == KIND_PUSH:
            if n < 4:
                raise _Truncated(f"kind 0 header needs 4 bytes, frame has {n}")
            jrl, tl, el = data[1], data[2], data[3]
            jr, off = _take(data, 4, jrl, "join_ref")
            topic, off = _take(data, off, tl, "topic")
            ev, off = _take(data, off, el, "event")
            return BinaryPush(jr or None, None, topic, ev, data[off:])
        if kind == KIND_REPLY:
            if n < 5:
                raise _Truncated(f"kind 1 header needs 5 bytes, frame has {n}")
            jrl, refl, tl, sl = data[1], data[2], data[3], data[4]
            jr, off = _take(data, 5, jrl, "join_ref")
            ref, off = _take(data, off, refl, "ref")
            topic, off = _take(data, off, tl, "topic")
            st, off = _take(data, off, sl, "status")
            return BinaryReply(jr or None, ref or None, topic, st, data[off:])
        if kind == KIND_BROADCAST:
            if n < 3:
                raise _Truncated(f"kind 2 header needs 3 bytes, frame has {n}")
            tl, el = data[1], data[2]
            topic, off = _take(data, 3, tl, "topic")
            ev, off = _take(data, off, el, "event")
            return BinaryBroadcast(topic, ev, data[off:])
        if kind == KIND_USER_BROADCAST_PUSH:
            return FrameRejected(
                data, "kind 3 (user broadcast push) is sent by clients, not servers"
            )
        return FrameRejected(data, f"unknown binary kind {kind}")
    except _Truncated as exc:
        return FrameRejected(data, f"truncated kind {kind} frame: {exc}")


def decode(data: str | bytes, vsn: str, role: Role, *, binary: bool | None = None) -> Decoded:
    """Decode one websocket message. Never raises on peer input (§2.2).

    ``binary`` says which opcode carried the data; by default ``bytes`` means a binary frame and
    ``str`` a text frame. A text frame given as ``bytes`` (``binary=False``) is parsed as UTF-8
    JSON without first building a ``str``.
    """
    is_binary = isinstance(data, bytes | bytearray | memoryview) if binary is None else binary
    if len(data) > MAX_FRAME_BYTES:
        return FrameRejected(
            data[:1024], f"frame of {len(data)} bytes exceeds the {MAX_FRAME_BYTES}-byte limit"
        )
    if is_binary:
        raw = data.encode() if isinstance(data, str) else bytes(data)
        if vsn != VSN2:
            return FrameRejected(raw, "binary frame received on a vsn 1.0.0 connection")
        return _decode_binary(raw, role)
    return _decode_text(data, vsn, role)


def negotiate_vsn(vsn: str | None) -> str | None:
    """The serializer for a ``vsn`` query value, or None when the server must answer 403 (§1.2).

    Missing means 1.0.0. Phoenix matches ``~> 1.0.0`` and ``~> 2.0.0``, so any 1.0.x or 2.0.x
    is accepted.
    """
    if vsn is None:
        return VSN1
    parts = vsn.split(".")
    if len(parts) != 3 or not all(p.isdigit() for p in parts):
        return None
    if parts[0] == "1" and parts[1] == "0":
        return VSN1
    if parts[0] == "2" and parts[1] == "0":
        return VSN2
    return None
