"""Text views of a payload, computed a piece at a time: hexdump, base64, UTF-8, pretty JSON.

The detail pane shows any payload (issue #5 §2): JSON text, or raw bytes from kind-4 encoding-0
frames and REST octet-stream (docs/realtime-protocol.md §2.3, §6.2). Payloads can be megabytes
(the server allows 3000 KB, frames up to 5 MB, §10), so nothing here formats a whole payload
at once: every view takes a start and a budget and says where it stopped, and pretty JSON comes
from a generator that the caller drains only as far as it shows. Pure: no Qt, no clock.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Final

#: Bytes per hexdump line.
HEX_WIDTH: Final = 16
#: Bytes of hexdump rendered per step (4,096 lines, about 300 KB of text).
HEX_CHUNK: Final = 64 * 1024
#: Characters of text (pretty JSON, UTF-8, base64) rendered per step.
TEXT_CHUNK: Final = 200_000
#: base64 characters per line (MIME width).
B64_LINE: Final = 76


@dataclass(frozen=True, slots=True)
class Piece:
    """One step of a view: its text, and where the next step starts (None when done)."""

    text: str
    #: offset (bytes for hex/base64/UTF-8, characters for JSON) of the next piece, or None.
    next_start: int | None
    #: total size of what is being shown (bytes, or -1 when unknown, as for pretty JSON).
    total: int


def hexdump(data: bytes, start: int = 0, length: int = HEX_CHUNK, width: int = HEX_WIDTH) -> Piece:
    """Offset, ``width`` bytes (16 in two groups of 8, or 8) and an ASCII gutter, like
    ``hexdump -C``. ``start`` is rounded down to a line; at most ``length`` bytes are formatted.
    """
    width = 8 if width < 16 else 16
    start -= start % width
    end = min(len(data), start + max(width, length))
    half = width // 2
    cols = 3 * half - 1
    lines = []
    for offset in range(start, end, width):
        chunk = data[offset : offset + width]
        gutter = "".join(chr(b) if 32 <= b < 127 else "." for b in chunk)
        if width == 16:
            groups = f"{chunk[:half].hex(' '):<{cols}}  {chunk[half:].hex(' '):<{cols}}"
        else:
            groups = f"{chunk.hex(' '):<{cols}}"
        lines.append(f"{offset:08x}  {groups}  |{gutter}|")
    if not data:
        return Piece("(no bytes)", None, 0)
    return Piece("\n".join(lines), end if end < len(data) else None, len(data))


def hexdump_chars(width: int) -> int:
    """Characters in one hexdump line of ``width`` bytes (to pick a width that fits)."""
    return 10 + 3 * width - 1 + (1 if width == 16 else 0) + 2 + width + 2


def base64_view(data: bytes, start: int = 0, length: int = TEXT_CHUNK) -> Piece:
    """Standard base64 in 76-character lines; pieces start on 57-byte (one line) boundaries."""
    per_line = B64_LINE // 4 * 3  # 57 bytes make one 76-character line
    start -= start % per_line
    raw_len = max(per_line, length // B64_LINE * per_line)
    end = min(len(data), start + raw_len)
    encoded = base64.b64encode(data[start:end]).decode("ascii")
    text = "\n".join(encoded[i : i + B64_LINE] for i in range(0, len(encoded), B64_LINE))
    return Piece(text, end if end < len(data) else None, len(data))


@dataclass(frozen=True, slots=True)
class Utf8Check:
    """Whether bytes are valid UTF-8, and where they are not."""

    valid: bool
    #: offset of the first invalid byte, or None.
    error_offset: int | None
    #: the first invalid byte's value, or None.
    error_byte: int | None

    def describe(self) -> str:
        if self.valid or self.error_offset is None or self.error_byte is None:
            return "valid UTF-8"
        return f"not UTF-8: byte 0x{self.error_byte:02x} at offset {self.error_offset:,}"


def check_utf8(data: bytes) -> Utf8Check:
    """Decode strictly once (C speed) and report the first invalid byte."""
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        return Utf8Check(False, exc.start, data[exc.start])
    return Utf8Check(True, None, None)


def utf8_view(data: bytes, start: int = 0, length: int = TEXT_CHUNK) -> Piece:
    """The bytes as UTF-8 text (invalid bytes become U+FFFD), ``length`` bytes at a time.

    A piece never ends inside a multi-byte character: the cut moves back to a lead byte.
    """
    end = min(len(data), start + max(4, length))
    if end < len(data):
        back = 0
        while back < 3 and end - back > start and (data[end - back] & 0xC0) == 0x80:
            back += 1
        end -= back
    text = data[start:end].decode("utf-8", "replace")
    return Piece(text, end if end < len(data) else None, len(data))


#: Why a payload could not be parsed although it may be valid JSON (Python's JSON parser stops
#: at its recursion limit, about 1,000 levels; Elixir's has no such limit).
TOO_DEEP: Final = "more than about 1,000 levels; the JSON itself may be valid"


@dataclass(frozen=True, slots=True)
class JsonCheck:
    """The payload parsed as JSON, or why it is not JSON."""

    ok: bool
    value: Any
    #: one line saying why it is not JSON ("" when ok).
    error: str


def parse_json(data: bytes) -> JsonCheck:
    """Strict UTF-8, then JSON; never raises (peer input, docs/contributing.md)."""
    utf8 = check_utf8(data)
    if not utf8.valid:
        return JsonCheck(False, None, utf8.describe())
    try:
        return JsonCheck(True, json.loads(data), "")
    except json.JSONDecodeError as exc:
        return JsonCheck(False, None, f"not JSON: line {exc.lineno}, column {exc.colno}: {exc.msg}")
    except RecursionError:
        # Valid JSON can nest deeper than Python's parser goes: say that, not "not JSON".
        return JsonCheck(False, None, f"nested too deeply to parse here ({TOO_DEEP})")
    except ValueError as exc:
        return JsonCheck(False, None, f"not JSON: {exc.__class__.__name__}")


class PrettyJson:
    """Indented JSON of a parsed value, produced only as far as it is read.

    ``json.dumps(indent=2)`` runs the pure-Python encoder over the whole value, which takes
    seconds for a few megabytes; ``iterencode`` is the same encoder as a generator, so the view
    pays only for what it shows. :meth:`take` returns the next ``length`` characters.
    """

    def __init__(self, value: Any, indent: int = 2) -> None:
        encoder = json.JSONEncoder(indent=indent, ensure_ascii=False)
        self._chunks: Iterator[str] = encoder.iterencode(value)
        self._carry = ""
        self._position = 0
        self.done = False
        #: set when the value could not be encoded (too deep); the text stops there.
        self.error = ""

    @property
    def position(self) -> int:
        """Characters handed out so far."""
        return self._position

    def take(self, length: int = TEXT_CHUNK) -> str:
        parts = [self._carry]
        size = len(self._carry)
        while size < length and not self.done:
            try:
                chunk = next(self._chunks)
            except StopIteration:
                self.done = True
                break
            except (RecursionError, ValueError) as exc:
                self.done = True
                self.error = f"stopped: {exc.__class__.__name__}"
                break
            parts.append(chunk)
            size += len(chunk)
        text = "".join(parts)
        out, self._carry = text[:length], text[length:]
        self._position += len(out)
        return out

    @property
    def exhausted(self) -> bool:
        """True when every character has been handed out."""
        return self.done and not self._carry


#: JSON tokens for :class:`ReindentJson`: a string (maybe cut off at the end), punctuation, or a
#: run of anything else (numbers, literals, and whatever a broken payload holds).
_JSON_TOKEN: Final = re.compile(r'"(?:[^"\\]|\\.)*(?:"|\\?$)|[{}\[\],:]|[^\s{}\[\],:"]+', re.S)
_CLOSER: Final = {"{": "}", "[": "]"}


class ReindentJson:
    """JSON text re-indented as it came, token by token, without parsing it first.

    For payloads too big to parse on every selection: the cost is that of what is shown, not
    of the payload. Valid compact JSON comes out as ``json.dumps(indent=2)`` would print it,
    except that strings and numbers keep their original spelling (``\\u00e9``, ``1.50``):
    this is the text that went over the wire. Invalid JSON is shown as far as it goes.
    Same interface as :class:`PrettyJson`.
    """

    def __init__(self, text: str, indent: int = 2) -> None:
        self._tokens = _JSON_TOKEN.finditer(text)
        self._indent = " " * indent
        self._depth = 0
        self._peeked: str | None = None
        self._carry = ""
        self._position = 0
        self.done = False

    @property
    def position(self) -> int:
        return self._position

    @property
    def exhausted(self) -> bool:
        return self.done and not self._carry

    def _next(self) -> str | None:
        if self._peeked is not None:
            token, self._peeked = self._peeked, None
            return token
        match = next(self._tokens, None)
        return match.group() if match is not None else None

    def _peek(self) -> str | None:
        if self._peeked is None:
            match = next(self._tokens, None)
            self._peeked = match.group() if match is not None else None
        return self._peeked

    def take(self, length: int = TEXT_CHUNK) -> str:
        parts = [self._carry]
        size = len(self._carry)
        indent = self._indent
        while size < length:
            token = self._next()
            if token is None:
                self.done = True
                break
            if token in _CLOSER:
                if self._peek() == _CLOSER[token]:
                    self._next()
                    out = token + _CLOSER[token]
                else:
                    self._depth += 1
                    out = token + "\n" + indent * self._depth
            elif token in ("}", "]"):
                self._depth = max(0, self._depth - 1)
                out = "\n" + indent * self._depth + token
            elif token == ",":
                out = ",\n" + indent * self._depth
            elif token == ":":
                out = ": "
            else:
                out = token
            parts.append(out)
            size += len(out)
        text = "".join(parts)
        out_text, self._carry = text[:length], text[length:]
        self._position += len(out_text)
        return out_text


# ------------------------------------------------------------------------------ binary input

_HEX_NOISE: Final = re.compile(r"0x|[\s:,_-]", re.IGNORECASE)


def parse_hex(text: str) -> bytes:
    """``de ad be ef``, ``DEADBEEF``, ``0xde,0xad``, ``de:ad``; raises ValueError with a reason."""
    digits = _HEX_NOISE.sub("", text)
    bad = re.search(r"[^0-9a-fA-F]", digits)
    if bad is not None:
        raise ValueError(f"{bad.group()!r} is not a hex digit")
    if len(digits) % 2:
        raise ValueError("odd number of hex digits (each byte is two)")
    return bytes.fromhex(digits)


def parse_base64(text: str) -> bytes:
    """Standard or URL-safe base64, whitespace and missing padding allowed; ValueError if bad."""
    compact = "".join(text.split())
    if not compact:
        return b""
    urlsafe = "-" in compact or "_" in compact
    if re.search(r"[^A-Za-z0-9+/=_-]", compact):
        raise ValueError("not base64: only A-Z a-z 0-9 + / (or - _) and = padding are allowed")
    stripped = compact.rstrip("=")
    if len(stripped) % 4 == 1:
        raise ValueError("not base64: the length is off by one character")
    padded = stripped + "=" * (-len(stripped) % 4)
    try:
        if urlsafe:
            return base64.urlsafe_b64decode(padded)
        return base64.b64decode(padded, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ValueError(f"not base64: {exc}") from exc
