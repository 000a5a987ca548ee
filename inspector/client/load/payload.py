"""The payload of a load message: who sent it, its sequence number and when.

Every send carries, as the first key of a JSON object::

    {"load": {"from": "17", "seq": 42, "ts": 1764912345678.123}, "pad": "xxxx…"}

- ``from``: the sender's VU index (a string, so other tools can use any id);
- ``seq``: 1, 2, 3, … per sender and channel, so a receiver finds lost, duplicated and
  out-of-order messages per ``(channel, sender)``;
- ``ts``: the sender's wall clock in Unix milliseconds (fractional) when the message was made;
  the receiver's end-to-end latency is its own wall clock minus ``ts``. Across machines that
  includes the clocks' offset (skew): synchronise them (NTP/chrony, well under a millisecond
  on one network) or read cross-machine latencies as approximate. Negative latencies (a
  receiver's clock behind the sender's) are counted as 0 and reported as ``negative_latency``.
- ``pad``: filler so that the whole JSON text is ``payload_bytes`` long (absent when the
  header alone is that long), or, with a saved message, the expanded template's keys follow.

:func:`read_header` takes the header from the front of the raw bytes without parsing the whole
payload (a 50 KB payload is not decoded per delivery); anything else falls back to JSON.
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from typing import Any, Final

HEADER_KEY: Final = "load"


def header(sender: str, seq: int, ts_ms: float) -> dict[str, Any]:
    return {"from": sender, "seq": seq, "ts": round(ts_ms, 3)}


def header_length(sender: str, seq: int, ts_ms: float) -> int:
    """Length of ``{"load":{"from":…,"seq":…,"ts":…}}`` as compact JSON (ASCII sender)."""
    return 33 + len(sender) + len(str(seq)) + len(repr(ts_ms))


def make_payload(sender: str, seq: int, ts_ms: float, size: int) -> tuple[dict[str, Any], int]:
    """The generated payload and its length: ``size`` bytes of compact JSON text, or just the
    header when that is longer. ``sender`` is ASCII without quotes or backslashes."""
    head = header(sender, seq, ts_ms)
    base = header_length(sender, seq, head["ts"])
    if size <= base + 9:
        return {HEADER_KEY: head}, base
    return {HEADER_KEY: head, "pad": _pad(size - base - 9)}, size


@lru_cache(maxsize=64)
def _pad(n: int) -> str:
    return "x" * n


def with_header(sender: str, seq: int, ts_ms: float, body: Any) -> dict[str, Any]:
    """A saved message's expanded payload with the header put first (it must be an object)."""
    if not isinstance(body, dict):
        raise ValueError("a saved message for a load run must have a JSON object payload")
    out: dict[str, Any] = {HEADER_KEY: header(sender, seq, ts_ms)}
    out.update((k, v) for k, v in body.items() if k != HEADER_KEY)
    return out


#: The compact header this module writes, at the start of the payload.
_COMPACT: Final = re.compile(rb'\{"load":\{"from":"([^"\\]*)","seq":(\d+),"ts":([-+0-9.eE]+)\}')


def read_header(raw: bytes | None, value: Any) -> tuple[str, int, float] | None:
    """``(from, seq, ts)`` of a received payload (raw bytes or parsed JSON), or None when it
    carries no load header. Never raises for what a peer sent.

    The compact form this module writes is read by position from the first bytes; anything
    else (spaces, other key order, escapes) is parsed as JSON."""
    if raw is not None:
        m = _COMPACT.match(raw)
        if m is not None:
            try:
                return m[1].decode(), int(m[2]), float(m[3])
            except ValueError:  # also UnicodeDecodeError
                pass
        try:
            value = json.loads(raw)
        except (ValueError, UnicodeDecodeError, RecursionError):
            return None
    if not isinstance(value, dict):
        return None
    head = value.get(HEADER_KEY)
    if not isinstance(head, dict):
        return None
    who, seq, ts = head.get("from"), head.get("seq"), head.get("ts")
    if not isinstance(who, str) or type(seq) is not int or not isinstance(ts, int | float):
        return None
    if isinstance(ts, bool):
        return None
    return who, seq, float(ts)
