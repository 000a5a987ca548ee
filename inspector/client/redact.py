"""Redaction of secrets in text the client shows: keys, tokens, Authorization headers, JWTs.

Used by the frame tap, error messages and anything the CLI prints (docs/contributing.md).
"""

from __future__ import annotations

import re
from typing import Final

#: Text put in place of a secret.
REDACTED: Final = "[redacted]"

_JWT = re.compile(r"eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*")
_TOKEN_FIELD = re.compile(r'("(?:access_token|user_token|apikey)"\s*:\s*)"(?:[^"\\]|\\.)*"')
_QUERY = re.compile(r"((?:^|[?&])(?:apikey|access_token)=)[^&#\s]*", re.I)
_BEARER = re.compile(r"(authorization\s*[:=]\s*\"?\s*bearer\s+)[^\s\",}]+", re.I)
_SB_KEY = re.compile(r"\bsb_(?:publishable|secret)_[A-Za-z0-9_-]+")


def redact_text(text: str) -> str:
    """``text`` with every secret the inspector knows the shape of replaced."""
    if not text:
        return text
    text = _TOKEN_FIELD.sub(lambda m: m.group(1) + f'"{REDACTED}"', text)
    text = _QUERY.sub(lambda m: m.group(1) + REDACTED, text)
    text = _BEARER.sub(lambda m: m.group(1) + REDACTED, text)
    text = _SB_KEY.sub(REDACTED, text)
    return _JWT.sub(REDACTED, text)


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
