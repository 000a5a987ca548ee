"""JSON as the real server reads it: what Jason accepts, Python's ``json`` must refuse too.

The real server parses every text frame, kind-3 metadata, the v1 conversion of kind-3 JSON
payloads and REST bodies with Jason (docs/realtime-protocol.md §2.2, §2.3, §6.2). Python's
``json`` accepts more than Jason does, and what it accepts then cannot be sent on:

- ``NaN``, ``Infinity``, ``-Infinity``: not JSON; Jason fails on the first letter.
- numbers beyond the double range (``1e999``): Python makes ``inf``; Jason's
  ``:erlang.binary_to_float`` fails (``michalmuskala/jason:lib/decoder.ex``, float decoding).
- lone UTF-16 surrogates, as an escape (``"\\ud800"``, ``"\\udc00"``, a high one not followed by
  a low one) or UTF-8-encoded (bytes ``ED A0 80``): Python keeps a code point UTF-8 cannot
  encode; Jason refuses the escape (``escapeu_first`` / ``escape_surrogate``) and the bytes
  (its string scanner matches only valid UTF-8).
- text that is not UTF-8 (a byte order mark, UTF-16/32, which ``json.loads(bytes)`` detects).

So the server drops such a text frame as malformed (§2.2: logged, the connection stays, no
reply), and answers such a REST body 400 as Plug's JSON parser does.

One limit is this server's own, because Python's parser and encoder recurse: JSON nested deeper
than :data:`MAX_DEPTH` levels is refused the same way (Jason has no depth limit). Integers of
more than 4,300 digits are refused too (Python's int/str conversion limit; Erlang has bignums).

The check is cheap in the common case: a few substring scans of the raw text; only text that
may hold a refused value is scanned with a regular expression or parsed a second time.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any, Final

#: Deepest nesting of arrays and objects this server parses (a frame's envelope counts).
MAX_DEPTH: Final = 512

#: Every byte to a class: an ASCII digit to ``0``, ``e``/``E`` to ``e``, ``+`` to itself, any
#: other byte to NUL. The number checks then search a text of four letters, where a needle's
#: characters never collide with the filler in the substring search's skip table (searching the
#: raw text is up to 8 times slower when its filler collides, e.g. ``p`` with ``0``).
_CLASSES: Final = bytes(
    ord("0")
    if chr(b).isascii() and chr(b).isdigit()
    else ord("e")
    if b in b"eE"
    else b
    if b == ord("+")
    else 0
    for b in range(256)
)
#: 200 digits in a row: a mantissa that long can overflow a double even with an exponent of two
#: digits (``9`` * 210 ``e99`` does; it needs 210 integer digits, so 200 is a margin).
_LONG: Final = b"0" * 200
#: an exponent of three digits or more can overflow a double (``e-`` ones only underflow).
_EXPONENTS: Final = (b"e000", b"e+000")
#: a high surrogate escape not followed by a low one, or a low one not preceded by a high one
#: (checked after escaped backslashes are blanked out, so ``"\\ud800"`` is not an escape).
_LONE_ESCAPE_S: Final = re.compile(
    r"\\u[dD][89abAB][0-9a-fA-F]{2}(?!\\u[dD][c-fC-F][0-9a-fA-F]{2})"
    r"|(?<!\\u[dD][89abAB][0-9a-fA-F]{2})\\u[dD][c-fC-F][0-9a-fA-F]{2}"
)
_LONE_ESCAPE_B: Final = re.compile(_LONE_ESCAPE_S.pattern.encode())
#: a surrogate UTF-8-encoded (ED A0..BF ..; never valid UTF-8), or as a code point.
_ENCODED_SURROGATE: Final = re.compile(rb"\xed[\xa0-\xbf]")
_SURROGATE: Final = re.compile("[\ud800-\udfff]")

NOT_UTF8: Final = "JSON text must be UTF-8 without a byte order mark"
LONE_SURROGATE: Final = "a string holds a lone UTF-16 surrogate"
NOT_A_NUMBER: Final = "NaN is not JSON"
OUT_OF_RANGE: Final = "Infinity, or a number beyond the double range, is not JSON"
TOO_DEEP: Final = f"nested deeper than {MAX_DEPTH} levels (a limit of this local server)"


class JsonRejected(ValueError):
    """JSON text the real server's decoder refuses (or this server cannot carry); ``str`` says why."""


def loads(raw: str | bytes) -> Any:
    """Parse JSON text as the real server does; raises :class:`JsonRejected` with a reason."""
    if isinstance(raw, bytes | bytearray | memoryview):
        raw = bytes(raw)
        if json.detect_encoding(raw) != "utf-8":
            raise JsonRejected(NOT_UTF8)
    try:
        value = json.loads(raw)
    except RecursionError:
        raise JsonRejected(TOO_DEEP) from None
    except ValueError as exc:  # includes UnicodeDecodeError
        raise JsonRejected(f"not valid JSON: {exc}") from None
    why = rejection(raw, value)
    if why is not None:
        raise JsonRejected(why)
    return value


def rejection(raw: str | bytes, value: object) -> str | None:
    """Why the real server would refuse JSON text ``raw`` that Python parsed into ``value``.

    None when it would accept it. ``value`` may be the parsed text wrapped in more containers
    (the server passes a decoded frame's fields); only its depth is looked at. Everything else
    is read from the text, so a duplicate key cannot hide a refused value from the check.
    """
    why = _surrogate(raw) or _non_finite(raw)
    if why is not None:
        return why
    if _brackets(raw) > MAX_DEPTH and _too_deep(value):
        return TOO_DEEP
    return None


def _brackets(raw: str | bytes) -> int:
    """How many arrays and objects ``raw`` opens at most (an upper bound of its depth)."""
    if isinstance(raw, str):
        return raw.count("[") + raw.count("{")
    return raw.count(b"[") + raw.count(b"{")


def _surrogate(raw: str | bytes) -> str | None:
    """A lone surrogate anywhere in JSON text that parsed: as an escape, encoded, or literal."""
    if isinstance(raw, str):
        if not raw.isascii() and _SURROGATE.search(raw) is not None:
            return LONE_SURROGATE
        if "\\u" in raw:
            text = raw.replace("\\\\", "..") if "\\\\" in raw else raw
            if _LONE_ESCAPE_S.search(text) is not None:
                return LONE_SURROGATE
        return None
    if b"\xed" in raw and _ENCODED_SURROGATE.search(raw) is not None:
        return LONE_SURROGATE
    if b"\\u" in raw:
        data = raw.replace(b"\\\\", b"..") if b"\\\\" in raw else raw
        if _LONE_ESCAPE_B.search(data) is not None:
            return LONE_SURROGATE
    return None


class _NonFinite(Exception):
    pass


def _constant(name: str) -> Any:
    raise _NonFinite(NOT_A_NUMBER if name == "NaN" else OUT_OF_RANGE)


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise _NonFinite(OUT_OF_RANGE)
    return value


def _non_finite(raw: str | bytes) -> str | None:
    """NaN, Infinity or an overflowing number anywhere in JSON text that parsed."""
    data = raw.encode("utf-8", "surrogatepass") if isinstance(raw, str) else raw
    # Non-ASCII characters become bytes >= 0x80 (class NUL): no digit, no ``e``, and a run of
    # digits they interrupt stays interrupted, so the classes see the runs the text has.
    suspect = b"NaN" in data or b"Infinity" in data
    if not suspect:
        classes = data.translate(_CLASSES)
        suspect = b"000" in classes and (_LONG in classes or any(e in classes for e in _EXPONENTS))
    if not suspect:
        return None
    try:  # parse again with hooks: they see every value, even one a duplicate key replaces
        json.loads(raw, parse_constant=_constant, parse_float=_finite)
    except _NonFinite as exc:
        return str(exc)
    return None


def _too_deep(value: object) -> bool:
    """Whether ``value`` nests more than :data:`MAX_DEPTH` arrays/objects (level by level)."""
    level: list[Any] = [value]
    depth = -1
    while level:
        depth += 1
        if depth >= MAX_DEPTH:  # the containers in ``level`` are nested depth + 1 deep
            return True
        below: list[Any] = []
        for item in level:
            kind = type(item)
            if kind is dict:
                children = item.values()
            elif kind is list or kind is tuple:
                children = item
            else:
                continue
            below += [c for c in children if type(c) in _CONTAINERS]
        level = below
    return False


_CONTAINERS: Final = frozenset((list, tuple, dict))
