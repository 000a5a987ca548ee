"""Annotated hex of binary frames: every header byte and field named, as in §2.3 of the spec.

``annotate(data, direction)`` splits a vsn 2.0.0 binary frame into :class:`HexField` spans
(kind, each length byte, the encoding byte, each string field, the payload) following the
layouts of docs/realtime-protocol.md §2.3. The direction matters for kind 0, whose server form
has no ref. A frame that is cut short or unknown is annotated as far as it goes and the rest is
one ``unparsed`` span with the reason, so a broken frame from a peer is still readable.

``annotated_hex(data, direction)`` renders the spans as text lines for the Frames view.
Pure: no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from inspector.protocol.frames import (
    ENCODING_BINARY,
    ENCODING_JSON,
    KIND_BROADCAST,
    KIND_PUSH,
    KIND_REPLY,
    KIND_USER_BROADCAST,
    KIND_USER_BROADCAST_PUSH,
)

#: Payload bytes shown in hex before the rest is summarized.
PAYLOAD_HEX_BYTES: Final = 256

_KIND_NAMES: Final = {
    KIND_PUSH: "push",
    KIND_REPLY: "reply",
    KIND_BROADCAST: "broadcast",
    KIND_USER_BROADCAST_PUSH: "user broadcast push",
    KIND_USER_BROADCAST: "user broadcast",
}

#: Header length bytes after the kind byte, per (kind, sent by the client).
_HEADERS: Final[dict[tuple[int, bool], tuple[str, ...]]] = {
    (KIND_PUSH, True): ("join_ref", "ref", "topic", "event"),
    (KIND_PUSH, False): ("join_ref", "topic", "event"),
    (KIND_REPLY, False): ("join_ref", "ref", "topic", "status"),
    (KIND_BROADCAST, False): ("topic", "event"),
    (KIND_USER_BROADCAST_PUSH, True): ("join_ref", "ref", "topic", "user_event", "metadata"),
    (KIND_USER_BROADCAST, False): ("topic", "user_event", "metadata"),
}
_ENCODED: Final = (KIND_USER_BROADCAST_PUSH, KIND_USER_BROADCAST)


@dataclass(frozen=True, slots=True)
class HexField:
    """One annotated span of a binary frame."""

    #: ``kind``, ``topic_len``, ``payload_encoding``, ``topic``, ``payload``, ``unparsed``...
    name: str
    offset: int
    length: int
    #: the value for people: a number with its meaning, a quoted string, or a note.
    value: str


def kind_name(kind: int) -> str:
    return _KIND_NAMES.get(kind, "unknown")


def _text(data: bytes) -> str:
    try:
        text = data.decode()
    except UnicodeDecodeError:
        return f"<not UTF-8: {data[:32].hex(' ')}{' …' if len(data) > 32 else ''}>"
    shown = text if len(text) <= 120 else text[:119] + "…"
    return '"' + shown.replace("\\", "\\\\").replace('"', '\\"') + '"'


def annotate(data: bytes, direction: str) -> list[HexField]:
    """The spans of a binary frame; ``direction`` is ``out`` (client to server) or ``in``."""
    if not data:
        return [HexField("unparsed", 0, 0, "empty binary frame")]
    kind = data[0]
    from_client = direction == "out"
    side = "client → server" if from_client else "server → client"
    fields = [HexField("kind", 0, 1, f"{kind} ({kind_name(kind)}, {side})")]
    names = _HEADERS.get((kind, from_client))
    if names is None:
        why = (
            f"kind {kind} is not sent {side} (§2.3)"
            if kind in _KIND_NAMES
            else f"unknown binary kind {kind}"
        )
        return [*fields, _rest(data, 1, why)]
    header_len = 1 + len(names) + (1 if kind in _ENCODED else 0)
    if len(data) < header_len:
        return [
            *fields,
            _rest(data, 1, f"header needs {header_len} bytes, frame has {len(data)}"),
        ]
    lengths = list(data[1 : 1 + len(names)])
    for i, name in enumerate(names):
        fields.append(HexField(f"{name}_len", 1 + i, 1, str(lengths[i])))
    encoding: int | None = None
    if kind in _ENCODED:
        encoding = data[1 + len(names)]
        meaning = {ENCODING_BINARY: "raw bytes", ENCODING_JSON: "JSON"}.get(encoding, "unknown")
        fields.append(HexField("payload_encoding", len(names) + 1, 1, f"{encoding} ({meaning})"))
    offset = header_len
    for name, length in zip(names, lengths, strict=True):
        if offset + length > len(data):
            return [
                *fields,
                _rest(data, offset, f"{name} needs {length} bytes, {len(data) - offset} left"),
            ]
        chunk = data[offset : offset + length]
        fields.append(HexField(name, offset, length, _text(chunk) if length else "(empty)"))
        offset += length
    payload = data[offset:]
    if encoding == ENCODING_JSON or kind in (KIND_PUSH, KIND_REPLY, KIND_BROADCAST):
        what = "JSON text" if encoding == ENCODING_JSON else "raw bytes"
    else:
        what = "raw bytes"
    fields.append(HexField("payload", offset, len(payload), f"{len(payload):,} bytes, {what}"))
    return fields


def _rest(data: bytes, offset: int, why: str) -> HexField:
    return HexField("unparsed", offset, len(data) - offset, why)


def _hex_lines(data: bytes, start: int, length: int, limit: int | None) -> list[str]:
    shown = length if limit is None else min(length, limit)
    lines = []
    for pos in range(start, start + shown, 16):
        chunk = data[pos : min(pos + 16, start + shown)]
        ascii_ = "".join(chr(b) if 32 <= b < 127 else "." for b in chunk)
        lines.append(f"  {pos:08x}  {chunk.hex(' '):<47}  {ascii_}")
    if shown < length:
        lines.append(f"  … {length - shown:,} more bytes")
    return lines


def annotated_hex(data: bytes, direction: str, payload_limit: int = PAYLOAD_HEX_BYTES) -> str:
    """Text lines: one per header field (offset, bytes, name = value), then the payload dump."""
    lines: list[str] = []
    for field in annotate(data, direction):
        if field.name in ("payload", "unparsed"):
            lines.append(f"{field.offset:08x}  {field.name}: {field.value}")
            lines.extend(_hex_lines(data, field.offset, field.length, payload_limit))
            continue
        raw = data[field.offset : field.offset + field.length]
        shown = raw[:8].hex(" ") + (" …" if len(raw) > 8 else "")
        lines.append(f"{field.offset:08x}  {shown:<26} {field.name} = {field.value}")
    return "\n".join(lines)
