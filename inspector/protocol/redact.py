"""Redaction of secrets: the one table of secret names and shapes, used by every output path.

The frame tap, error messages, the CLI's lines, logs, exports (NDJSON, CSV, frames) and the
copy-as commands all redact through here, so they hide the same things (docs/client.md
"Redaction"):

- values of the names in :data:`SECRET_NAMES` (``apikey``, ``access_token``, ``token``,
  ``password``, ...; without regard to case): as JSON string fields and as ``name=value``
  (URL queries); for header names also ``name: value`` (``Authorization: Bearer …``);
- ``Bearer …`` credentials, anywhere;
- anything shaped like a JWT (``eyJ….….…``) and Supabase keys (``sb_publishable_…``,
  ``sb_secret_…``, ``sb_temp_…``).

:func:`redact_text` works on any text, JSON text included: it never eats a quote or a
backslash, so JSON stays JSON. :func:`redact_value` works on parsed JSON values (the CLI's
lines, exports), so it can never change their structure. :func:`redact_bytes` masks binary
frames in place, keeping every length. Pure: no I/O.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any, Final

#: Text put in place of a secret.
REDACTED: Final = "[redacted]"

#: Names whose values are secrets, lower case (compared without regard to case): JSON keys,
#: URL query parameters and header names.
SECRET_NAMES: Final = frozenset(
    {
        "apikey",
        "api_key",
        "x-api-key",
        "access_token",
        "refresh_token",
        "user_token",
        "token",
        "authorization",
        "password",
    }
)

#: Exact secrets shorter than this are not hunted for: they would match ordinary text (a key
#: ``k`` would eat every letter k), and real keys and tokens are far longer.
MIN_SECRET_LENGTH: Final = 8

#: Characters after ``sb_secret_`` (and the other prefixes) from which an ``sb_`` key is
#: redacted even when glued to a preceding word; real keys are far longer.
SB_KEY_MIN_BODY: Final = 16

#: How deep :func:`redact_value` looks when asked to stop (exports): deeper values are
#: replaced as a whole.
DEPTH_LIMIT: Final = 32

_NAMES: Final = "|".join(re.escape(n) for n in sorted(SECRET_NAMES, key=lambda n: (-len(n), n)))
#: Names that are also header names, redacted after ``:`` as well as ``=``.
_HEADERS: Final = ("apikey", "api_key", "x-api-key", "authorization")
_HEADER_NAMES: Final = "|".join(re.escape(n) for n in _HEADERS)
#: A secret value in free text ends at white space, a quote, a backslash (so a JSON escape is
#: never split) or a separator.
_VALUE: Final = r"[^\s\"'\\,;&#}]+"

#: ``"apikey": "…"``: the whole JSON string (escapes included) goes.
_JSON_FIELD = re.compile(rf'("(?:{_NAMES})"\s*:\s*)"(?:[^"\\]|\\.)*"', re.I)
#: White space, also as JSON escapes (``\t``, ``\n``, ``\u0020``...) at any depth of quoting:
#: a frame's text holds its payload's strings escaped.
_SPACE: Final = r"(?:\s|\\+(?:[tnr]|u00(?:09|0[aAdD]|20)))"
#: What follows a name in ``apikey=…``, ``token=…`` (URL queries, forms).
_QUERY_TAIL: Final = rf"(=)()({_VALUE})"
#: What follows a header name in ``apikey: …``, ``Authorization: Bearer …``.
_HEADER_TAIL: Final = rf"(\s*[:=]\s*)((?:(?:bearer|basic){_SPACE}+)?)({_VALUE})"
#: What follows ``Bearer`` anywhere.
_BEARER_TAIL: Final = rf"({_SPACE}+)({_VALUE})"
_QUERY = re.compile(rf"\b({_NAMES}){_QUERY_TAIL}", re.I)
_HEADER = re.compile(rf"\b({_HEADER_NAMES}){_HEADER_TAIL}", re.I)
_BEARER = re.compile(rf"\b(bearer){_BEARER_TAIL}", re.I)
#: A JWT (or JWE): ``eyJ…`` and every dot-joined segment after it, so that two tokens glued
#: together go whole (a shorter match would leave the second one's signature behind).
_JWT = re.compile(r"eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}(?:\.[A-Za-z0-9_-]*)+")
#: A Supabase key: at a word start, or anywhere once it is as long as a real key (a key glued to
#: a word, ``id0sb_secret_…``, is still a key; ``usb_temp_1`` is not).
_SB_KEY = re.compile(
    rf"\bsb_(?:publishable|secret|temp)_[A-Za-z0-9_-]+"
    rf"|sb_(?:publishable|secret|temp)_[A-Za-z0-9_-]{{{SB_KEY_MIN_BODY},}}"
)
#: URL queries: the whole value up to the next parameter.
_URL_QUERY = re.compile(rf"((?:^|[?&])(?:{_NAMES})=)[^&#]*", re.I)

#: What every pattern above starts with, case-folded: text without any of them (and without
#: ``eyJ``) holds nothing to redact.
_KEYWORDS: Final = ("sb_", "bearer", *sorted(SECRET_NAMES))


def _maybe(text: str) -> bool:
    """Cheap test for text that may hold something the patterns (or SECRET_NAMES) match."""
    if "eyJ" in text:
        return True
    folded = text.casefold()
    return any(keyword in folded for keyword in _KEYWORDS)


# The same shapes for binary frames, searched in a lower-cased copy (same positions; ASCII
# case folding): one pattern per keyword, each starting with its literal and run only when the
# keyword is there, so the regex engine skips ahead fast; the leading \b is checked after.
_JWT_BYTES = re.compile(_JWT.pattern.encode())
_SB_KEY_BYTES = re.compile(rb"sb_(?:publishable|secret|temp)_([A-Za-z0-9_-]+)")
_FIELD_LOWER = re.compile(rf'("(?:{_NAMES})"\s*:\s*")((?:[^"\\]|\\.)+)"'.encode())
_NAMED_LOWER: Final = tuple(
    (name.encode(), re.compile((re.escape(name) + tail).encode()))
    for name, tail in (
        *((n, _QUERY_TAIL) for n in sorted(SECRET_NAMES)),
        *((n, _HEADER_TAIL) for n in _HEADERS),
        ("bearer", _BEARER_TAIL),
    )
)
_WORD_BYTES: Final = frozenset(b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_")
_KEYWORDS_LOWER: Final = (b"eyj", b"sb_", b"bearer", *(n.encode() for n in SECRET_NAMES))


def _named(m: re.Match[str]) -> str:
    if m.group(4) == REDACTED:
        return m.group(0)
    return f"{m.group(1)}{m.group(2)}{m.group(3)}{REDACTED}"


def _bearer(m: re.Match[str]) -> str:
    if m.group(3) == REDACTED:
        return m.group(0)
    return f"{m.group(1)}{m.group(2)}{REDACTED}"


def redact_text(text: str) -> str:
    """``text`` with every secret the inspector knows the shape of replaced by ``[redacted]``."""
    if not text or not _maybe(text):
        return text
    text = _JSON_FIELD.sub(lambda m: m.group(1) + f'"{REDACTED}"', text)
    text = _JWT.sub(REDACTED, text)
    text = _SB_KEY.sub(REDACTED, text)
    text = _QUERY.sub(_named, text)
    text = _HEADER.sub(_named, text)
    return _BEARER.sub(_bearer, text)


def contains_secret(text: str) -> bool:
    """Whether ``text`` holds something :func:`redact_text` would hide."""
    return redact_text(text) != text


def redact_url(url: str) -> str:
    """The URL with the values of secret query parameters (``apikey``, ``access_token``...)
    replaced by ``[redacted]``."""
    return _URL_QUERY.sub(lambda m: m.group(1) + REDACTED, url)


def may_hold_secret(text: str, secrets: Sequence[str] = (), *, patterns: bool = True) -> bool:
    """False when :func:`redact_value` surely leaves the value this JSON ``text`` encodes alone.

    ``secrets`` are exact strings (the session's own key and token); they are JWTs or ``sb_``
    keys, whose characters JSON never escapes, so a substring test on the text is enough.
    Secrets shorter than :data:`MIN_SECRET_LENGTH` are ignored.
    """
    if any(len(s) >= MIN_SECRET_LENGTH and s in text for s in secrets):
        return True
    return patterns and _maybe(text)


def redact_value(
    value: Any,
    secrets: Sequence[str] = (),
    *,
    patterns: bool = True,
    max_depth: int | None = None,
) -> Any:
    """A copy of the JSON ``value`` with secrets in its strings replaced; structure unchanged.

    Every occurrence of one of ``secrets`` (those of at least :data:`MIN_SECRET_LENGTH`
    characters) becomes ``[redacted]``. With ``patterns`` (the default) also: non-empty string
    values of :data:`SECRET_NAMES` keys, and inside any string (keys included) what
    :func:`redact_text` hides. Values nested deeper than ``max_depth`` are replaced whole;
    without it, raises ``RecursionError`` for values nested deeper than the interpreter's
    recursion limit allows.
    """
    own = tuple(s for s in secrets if len(s) >= MIN_SECRET_LENGTH)
    limit = -1 if max_depth is None else max_depth  # -1: no limit

    def text(s: str) -> str:
        for secret in own:
            if secret in s:
                s = s.replace(secret, REDACTED)
        return redact_text(s) if patterns else s

    def walk(v: Any, depth: int) -> Any:
        if depth > limit >= 0:
            return REDACTED
        if isinstance(v, str):
            return text(v)
        if isinstance(v, dict):
            out = {}
            for k, item in v.items():
                key = text(k) if isinstance(k, str) else k
                n = 1
                while key in out:  # keys that redact alike: keep every entry
                    n += 1
                    key = f"{text(k)} ({n})"
                if (
                    patterns
                    and isinstance(k, str)
                    and k.lower() in SECRET_NAMES
                    and isinstance(item, str)
                    and item
                ):
                    out[key] = REDACTED
                else:
                    out[key] = walk(item, depth + 1)
            return out
        if isinstance(v, list | tuple):
            return [walk(item, depth + 1) for item in v]
        return v

    return walk(value, 0)


def _mask(data: bytes) -> bytes:
    """``[redacted]`` cut or padded with ``*`` to the length of ``data``."""
    n = len(data)
    return (REDACTED.encode() + b"*" * n)[:n]


def _starts_word(data: bytes, match: re.Match[bytes]) -> bool:
    """The ``\\b`` the byte patterns leave out: the match does not start inside a word."""
    start = match.start()
    return start == 0 or data[start - 1] not in _WORD_BYTES


def redact_bytes(data: bytes) -> bytes:
    """Binary frames (kind 4 broadcasts carry JSON payloads as bytes, §2.3): every shape
    :func:`redact_text` hides, masked in place with ``[redacted]***`` cut to the secret's
    length, so every length (and a binary frame's header) stays valid."""
    lower = data.lower()
    if not any(keyword in lower for keyword in _KEYWORDS_LOWER):
        return data
    spans = [m.span() for m in _JWT_BYTES.finditer(data)]
    spans += [
        m.span()
        for m in _SB_KEY_BYTES.finditer(data)
        if _starts_word(data, m) or len(m.group(1)) >= SB_KEY_MIN_BODY
    ]
    spans += [m.span(2) for m in _FIELD_LOWER.finditer(lower)]
    for keyword, pattern in _NAMED_LOWER:
        if keyword in lower:
            found = pattern.finditer(lower)
            spans += [m.span(m.lastindex or 0) for m in found if _starts_word(lower, m)]
    if not spans:
        return data
    out = bytearray(data)
    for start, end in spans:
        out[start:end] = _mask(data[start:end])
    return bytes(out)
