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

The check is cheap in the common case: one ``bytes.translate`` of the text into a small class
map (below) and a few substring scans, each ruled out by a one-byte ``memchr`` where it can be;
only text that may hold a refused value is scanned with a regular expression or parsed a second
time. A 3 MB frame costs about 3 ms on top of ``json.loads`` (a Python ``str.find`` of a needle
whose letters collide with the text's in its skip table costs up to 8 times more).
"""

from __future__ import annotations

import json
import math
import re
from typing import Any, Final

#: Deepest nesting of arrays and objects this server parses (a frame's envelope counts).
MAX_DEPTH: Final = 512

#: The number and depth checks read a class map of the text's bytes (``bytes.translate``): an
#: ASCII digit becomes ``0``, ``e``/``E`` ``e``, ``+`` itself, ``[``/``{`` ``[``, and the bytes
#: that can end a number (JSON punctuation, whitespace, ``.``, ``-``, ``"``) ``,``; every other
#: byte (letters, non-ASCII, ``\``) is deleted. Deleting only ever joins runs, inside strings,
#: so a check can only suspect more, never less, than on the text itself; and the map of a text
#: of mostly letters is tiny, so the substring searches on it cost nothing.
_CLASS_OF: Final = (
    {c: ord("0") for c in b"0123456789"}
    | {c: ord("e") for c in b"eE"}
    | {ord("+"): ord("+")}
    | {c: ord("[") for c in b"[{"}
    | {c: ord(",") for c in b',]}: \t\n\r.-"'}
)
_CLASSES: Final = bytes(_CLASS_OF.get(b, 0) for b in range(256))
_UNCLASSED: Final = bytes(b for b in range(256) if b not in _CLASS_OF)
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
    if isinstance(raw, str):
        try:  # UTF-8 cannot encode a surrogate code point
            data = raw.encode()
        except UnicodeEncodeError:
            return LONE_SURROGATE
    else:
        data = raw
        if b"\xed" in data and _ENCODED_SURROGATE.search(data) is not None:
            return LONE_SURROGATE
    if _lone_escape(data):
        return LONE_SURROGATE
    classes = data.translate(_CLASSES, _UNCLASSED)
    why = _non_finite(raw, data, classes)
    if why is not None:
        return why
    # ``[`` counts every ``[`` and ``{``: how many arrays and objects open at most (depth bound)
    if classes.count(b"[") > MAX_DEPTH and _too_deep(value):
        return TOO_DEEP
    return None


def _lone_escape(data: bytes) -> bool:
    """A lone surrogate written as an escape (``"\\ud800"``, a high one without its low one)."""
    if b"\\" not in data or b"\\u" not in data:
        return False
    if b"\\\\" in data:  # an escaped backslash is no escape: blank it out
        data = data.replace(b"\\\\", b"..")
    return _LONE_ESCAPE_B.search(data) is not None


class _NonFinite(Exception):
    pass


def _constant(name: str) -> Any:
    raise _NonFinite(NOT_A_NUMBER if name == "NaN" else OUT_OF_RANGE)


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise _NonFinite(OUT_OF_RANGE)
    return value


def _non_finite(raw: str | bytes, data: bytes, classes: bytes) -> str | None:
    """NaN, Infinity or an overflowing number anywhere in JSON text that parsed.

    ``data`` is the text's UTF-8 bytes, ``classes`` their class map. A single-byte search
    (``memchr``) rules out most texts before a longer needle is searched for.
    """
    suspect = (
        (b"N" in data and b"NaN" in data)
        or (b"I" in data and b"Infinity" in data)
        or (b"000" in classes and (_LONG in classes or any(e in classes for e in _EXPONENTS)))
    )
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


# ------------------------------------------------------------------------------ size


#: the UTF-8 bytes ``json.dumps(..., ensure_ascii=False)`` writes as themselves in a string
#: (everything but ``"``, ``\`` and the controls below 0x20).
_PLAIN: Final = bytes(b for b in range(256) if b >= 0x20 and b not in b'"\\')
#: the escaped bytes that take two characters (``\n``); the other controls take six (``\u0001``).
_SHORT_ESCAPED: Final = b'"\\\b\f\n\r\t'
#: values with more nodes than this are measured by encoding them (a walk in Python costs more).
_WALK_NODES: Final = 2048


def compact_size(value: Any) -> int:
    """``len(json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode())``.

    For a value ``json.loads`` made; without building the text when it has few nodes, so a
    3 MB string costs one ``bytes.translate`` instead of an escaping copy and an encoding.
    """
    size = 0
    stack = [value]
    nodes = 0
    while stack:
        item = stack.pop()
        nodes += 1
        kind = type(item)
        if kind is str:
            size += _str_size(item)
        elif kind is dict:
            n = len(item)
            size += 2 + n + max(n - 1, 0)  # braces, colons, commas
            nodes += n
            for key, child in item.items():
                if type(key) is not str:
                    return _dumped_size(value)
                size += _str_size(key)
                stack.append(child)
        elif kind is list:
            size += 2 + max(len(item) - 1, 0)
            stack += item
        elif kind is int:
            size += len(int.__repr__(item))
        elif kind is float and math.isfinite(item):
            size += len(float.__repr__(item))
        elif item is None or item is True:
            size += 4
        elif item is False:
            size += 5
        else:
            return _dumped_size(value)
        if nodes > _WALK_NODES:
            return _dumped_size(value)
    return size


def _str_size(text: str) -> int:
    data = text.encode()
    escaped = data.translate(None, _PLAIN)
    if not escaped:
        return len(data) + 2
    long = len(escaped.translate(None, _SHORT_ESCAPED))
    return len(data) + 2 + len(escaped) + 4 * long


def plain_string(text: str) -> bool:
    """Whether JSON writes ``text`` (UTF-8 kept as is) between its quotes unchanged: no ``"``,
    ``\\``, control character or surrogate in it."""
    try:
        data = text.encode()
    except UnicodeEncodeError:
        return False
    return not data.translate(None, _PLAIN)


def _dumped_size(value: Any) -> int:
    return len(json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode())
