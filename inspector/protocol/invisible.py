"""Characters a reader cannot see, made visible as ``\\uXXXX`` escapes (pure).

Peer data is shown as text, and some characters change what a reader sees without being seen
themselves: a right-to-left override (U+202E) turns ``evil\\u202egnp.exe`` into what reads as
``evilexe.png``; a zero-width space (U+200B) makes two different strings look the same (QA
finding 7). Every view of peer data (the table's event and payload, the detail pane's JSON and
text views and its header, the JSON tree, the Frames view, presence) passes text through
:func:`reveal`, which writes each such character as the JSON escape of its code point. Inside a
JSON string the escape means the same character, so the JSON view stays the same JSON;
copying a payload still copies the bytes that came.

Revealed: C0 and C1 control characters (the caller may keep line breaks and tabs), every
format character (Unicode category Cf: the bidirectional embeddings, overrides, isolates and
marks, zero-width space, joiner and non-joiner, word joiner, the byte order mark, soft hyphen,
invisible operators, tags...), the line and paragraph separators U+2028/U+2029 (Qt breaks
lines there), lone surrogates (JSON can carry ``"\\ud800"``), and the blank fillers U+034F,
U+115F, U+1160, U+17B4, U+17B5, U+3164 and U+FFA0.

It lives in the pure core because every layer shows peer text: the window's views, and the log
lines and terminal output of the server and the CLI, where :func:`printable` keeps a peer from
writing escape sequences to a developer's terminal or forging a log line (issue #10 item 1).
"""

from __future__ import annotations

import re
from typing import Final

#: Ranges of the characters revealed (Cf from Unicode 14.0 as Python 3.11 has it, see the
#: module docstring); the C0 controls \t, \n and \r are added per call unless kept.
_RANGES: Final = (
    "\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\xad"
    "\u034f\u0600-\u0605\u061c\u06dd\u070f\u0890\u0891\u08e2\u115f\u1160\u17b4\u17b5\u180e"
    "\u200b-\u200f\u2028-\u202e\u2060-\u2064\u2066-\u206f\u3164"
    "\ud800-\udfff\ufeff\uffa0\ufff9-\ufffb"
    "\U000110bd\U000110cd\U00013430-\U00013438\U0001bca0-\U0001bca3\U0001d173-\U0001d17a"
    "\U000e0001\U000e0020-\U000e007f"
)
_MULTILINE: Final = re.compile(f"[{_RANGES}]")
_ONE_LINE: Final = re.compile(f"[{_RANGES}\t\n\r]")

#: What a view says when it revealed characters.
NOTE: Final = (
    "invisible or direction-changing characters are shown as \\uXXXX escapes "
    "(Copy payload copies them as they came)"
)


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    if code <= 0xFFFF:
        return f"\\u{code:04x}"
    code -= 0x10000  # as JSON writes it: a surrogate pair
    return f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}"


def reveal(text: str, *, multiline: bool = True) -> str:
    """``text`` with every hidden character written as ``\\uXXXX``; line breaks and tabs are
    kept when ``multiline`` (a text view), escaped otherwise (a one-line cell)."""
    pattern = _MULTILINE if multiline else _ONE_LINE
    if pattern.search(text) is None:
        return text
    return pattern.sub(_escape, text)


def reveal_count(text: str, *, multiline: bool = True) -> tuple[str, int]:
    """:func:`reveal` and how many characters it escaped."""
    pattern = _MULTILINE if multiline else _ONE_LINE
    if pattern.search(text) is None:
        return text, 0
    return pattern.subn(_escape, text)


def has_hidden(text: str, *, multiline: bool = True) -> bool:
    pattern = _MULTILINE if multiline else _ONE_LINE
    return pattern.search(text) is not None


def printable(value: object, limit: int = 200) -> str:
    """Peer-controlled ``value`` made safe for one log line or terminal line: every hidden or
    control character (ESC, line breaks and tabs included) written as ``\\uXXXX``, and cut to
    ``limit`` characters with an ellipsis, so a long name cannot flood the log."""
    text = value if isinstance(value, str) else repr(value)
    if len(text) > limit:
        text = text[:limit] + "…"
    return reveal(text, multiline=False)
