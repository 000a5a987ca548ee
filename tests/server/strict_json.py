"""A slow, independent oracle for the JSON the real server's decoder (Jason) accepts.

Parse hooks refuse NaN/Infinity and numbers beyond the double range; every object's pairs (even
those a duplicate key replaces) and the result must re-encode as UTF-8, which a lone surrogate
cannot; nesting is counted recursively against this server's own limit.
"""

from __future__ import annotations

import json
import math
from typing import Any

from inspector.protocol.server_json import MAX_DEPTH


def _no_constant(name: str) -> Any:
    raise ValueError(name)


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(text)
    return value


def _nesting(value: Any) -> int:
    """How deep arrays and objects nest in ``value`` (iterative: no recursion limit)."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, depth = stack.pop()
        children = item.values() if isinstance(item, dict) else item
        if isinstance(item, dict | list):
            deepest = max(deepest, depth)
            stack.extend((child, depth + 1) for child in children)
    return deepest


def oracle(raw: str | bytes) -> bool:
    """True when Jason would accept ``raw`` (and it is within this server's depth limit)."""
    if isinstance(raw, bytes):
        if raw.startswith(b"\xef\xbb\xbf"):
            return False
        try:
            raw = raw.decode("utf-8")  # strict: encoded surrogates are invalid UTF-8 too
        except UnicodeDecodeError:
            return False
    try:
        value = json.loads(
            raw, parse_constant=_no_constant, parse_float=_finite, object_pairs_hook=_pairs
        )
        _utf8(value)
    except (ValueError, RecursionError):
        return False
    return _nesting(value) <= MAX_DEPTH


def _utf8(value: Any) -> None:
    """Raises for a lone surrogate anywhere in ``value`` (UTF-8 cannot encode one)."""
    json.dumps(value, ensure_ascii=False).encode("utf-8")


def _pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    for pair in pairs:  # every pair, also those a duplicate key then replaces
        _utf8(list(pair))
    return dict(pairs)
