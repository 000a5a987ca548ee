"""Redaction of secrets in text the client shows: keys, tokens, Authorization headers, JWTs.

Used by the frame tap, error messages and anything the CLI prints (docs/contributing.md).
:func:`redact_text` works on any text, JSON text included: it never eats a quote or a
backslash, so JSON stays JSON. :func:`redact_value` works on parsed JSON values (the CLI's
lines), so it can never change their structure.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any, Final

#: Text put in place of a secret.
REDACTED: Final = "[redacted]"

#: JSON keys whose (non-empty string) values are secrets, compared without regard to case.
SECRET_KEYS: Final = frozenset(
    {"apikey", "access_token", "user_token", "authorization", "x-api-key"}
)

_JWT = re.compile(r"eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*")
_TOKEN_FIELD = re.compile(r'("(?:access_token|user_token|apikey)"\s*:\s*)"(?:[^"\\]|\\.)*"')
_QUERY = re.compile(r"((?:^|[?&])(?:apikey|access_token)=)[^&#\s\"\\]*", re.I)
_BEARER = re.compile(r"(authorization\s*[:=]\s*\"?\s*bearer\s+)[^\s\"\\,}]+", re.I)
_SB_KEY = re.compile(r"\bsb_(?:publishable|secret)_[A-Za-z0-9_-]+")
#: Exact secrets shorter than this are not hunted for: they would match ordinary text (a key
#: ``k`` would eat every letter k), and real keys and tokens are far longer.
MIN_SECRET_LENGTH: Final = 8

#: Cheap test for text that may hold something the patterns above (or SECRET_KEYS) match.
_MAYBE = re.compile(
    r"eyJ|sb_(?:publishable|secret)_|(?i:apikey|access_token|user_token|authorization|x-api-key)"
)


def redact_text(text: str) -> str:
    """``text`` with every secret the inspector knows the shape of replaced."""
    if not text:
        return text
    text = _TOKEN_FIELD.sub(lambda m: m.group(1) + f'"{REDACTED}"', text)
    text = _QUERY.sub(lambda m: m.group(1) + REDACTED, text)
    text = _BEARER.sub(lambda m: m.group(1) + REDACTED, text)
    text = _SB_KEY.sub(REDACTED, text)
    return _JWT.sub(REDACTED, text)


def may_hold_secret(text: str, secrets: Sequence[str] = (), *, patterns: bool = True) -> bool:
    """False when :func:`redact_value` surely leaves the value this JSON ``text`` encodes alone.

    ``secrets`` are exact strings (the session's own key and token); they are JWTs or ``sb_``
    keys, whose characters JSON never escapes, so a substring test on the text is enough.
    Secrets shorter than :data:`MIN_SECRET_LENGTH` are ignored.
    """
    if any(len(s) >= MIN_SECRET_LENGTH and s in text for s in secrets):
        return True
    return patterns and _MAYBE.search(text) is not None


def redact_value(value: Any, secrets: Sequence[str] = (), *, patterns: bool = True) -> Any:
    """A copy of the JSON ``value`` with secrets in its strings replaced; structure unchanged.

    Every occurrence of one of ``secrets`` (those of at least :data:`MIN_SECRET_LENGTH`
    characters) becomes ``[redacted]``. With ``patterns`` (the
    default) also: non-empty string values of :data:`SECRET_KEYS`, and inside any string what
    :func:`redact_text` hides (JWT shapes, ``sb_`` keys, ``Authorization: Bearer …``,
    ``apikey=`` / ``access_token=`` query values). Raises ``RecursionError`` for values nested
    deeper than the interpreter's recursion limit allows.
    """
    own = tuple(s for s in secrets if len(s) >= MIN_SECRET_LENGTH)

    def text(s: str) -> str:
        for secret in own:
            if secret in s:
                s = s.replace(secret, REDACTED)
        return redact_text(s) if patterns else s

    def walk(v: Any) -> Any:
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
                    and k.lower() in SECRET_KEYS
                    and isinstance(item, str)
                    and item
                ):
                    out[key] = REDACTED
                else:
                    out[key] = walk(item)
            return out
        if isinstance(v, list | tuple):
            return [walk(item) for item in v]
        return v

    return walk(value)


_JWT_BYTES = re.compile(rb"eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*")
_SB_KEY_BYTES = re.compile(rb"\bsb_(?:publishable|secret)_[A-Za-z0-9_-]+")


def _same_length(match: re.Match[bytes]) -> bytes:
    n = len(match.group(0))
    mark = REDACTED.encode()
    return (mark + b"*" * n)[:n]


def redact_bytes(data: bytes) -> bytes:
    """Binary frames: JWT-shaped runs masked in place, keeping every length (headers stay valid)."""
    if b"eyJ" not in data and b"sb_" not in data:
        return data
    return _SB_KEY_BYTES.sub(_same_length, _JWT_BYTES.sub(_same_length, data))
