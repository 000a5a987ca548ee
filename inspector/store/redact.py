"""Redaction of secrets in text and JSON: keys, tokens, Authorization headers, JWT shapes.

Used for logs, exports and anything shown by default (docs/architecture.md "Settings and
secrets"). Payload data is the user's own and is shown as is in the table; exports and logs
pass through here.
"""

from __future__ import annotations

import re
from typing import Any, Final

REDACTED: Final = "[redacted]"

_JWT = re.compile(r"\beyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*")
_SB_KEY = re.compile(r"\bsb_(?:publishable|secret|temp)_[A-Za-z0-9_-]+")
_QUERY = re.compile(r"(?i)\b(apikey|access_token|user_token|token)=([^&\s\"'#]+)")
_BEARER = re.compile(r"(?i)\b(bearer)\s+([^\s\"',;]+)")
_HEADER = re.compile(
    r"(?i)\b(apikey|authorization|x-api-key)(\"?\s*[:=]\s*\"?)((?:bearer\s+)?)([^\s\"',;}&]+)"
)

#: JSON keys whose string values are always secrets.
SECRET_KEYS: Final = frozenset(
    {"apikey", "access_token", "user_token", "authorization", "x-api-key", "token", "api_key"}
)


def redact_text(text: str) -> str:
    """Replace every secret-looking part of ``text`` with ``[redacted]``."""
    text = _JWT.sub(REDACTED, text)
    text = _SB_KEY.sub(REDACTED, text)
    text = _QUERY.sub(lambda m: f"{m.group(1)}={REDACTED}", text)
    text = _HEADER.sub(
        lambda m: m.group(0) if m.group(4) == REDACTED else f"{m[1]}{m[2]}{m[3]}{REDACTED}", text
    )
    return _BEARER.sub(
        lambda m: m.group(0) if m.group(2) == REDACTED else f"{m.group(1)} {REDACTED}", text
    )


def redact_json(value: Any, depth: int = 0) -> Any:
    """A copy of ``value`` with secret keys and secret-looking strings redacted."""
    if depth > 32:
        return REDACTED
    if isinstance(value, dict):
        return {
            k: (
                REDACTED
                if isinstance(k, str) and k.lower() in SECRET_KEYS and isinstance(v, str) and v
                else redact_json(v, depth + 1)
            )
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [redact_json(v, depth + 1) for v in value]
    if isinstance(value, str):
        return redact_text(value)
    return value


def contains_secret(text: str) -> bool:
    """Whether ``text`` holds something :func:`redact_text` would hide."""
    return redact_text(text) != text
