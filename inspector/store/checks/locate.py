"""Which row of a tab shows a message a check saw or sent (issue #12 §4); pure.

The checks runner listens with websockets of its own; the window's tab listens to the same
channel with the window's connection, so the same broadcast is one row in the tab, received a
moment earlier or later. A row matches when it is a received row with the same event and the
same JSON payload (binary: the same bytes), the same ``meta.id`` when both have one, and a
time close to the runner's: the nearest such row within :data:`WINDOW_S` wins.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Iterable
from typing import Any, Final

from inspector.store.messages.records import Direction, MessageRecord, PayloadFormat

#: How far (seconds) a tab's row may be from the runner's time and still be the same message.
WINDOW_S: Final = 5.0
#: A sent message reaches the tab after it left; a row this much earlier is still it (clocks of
#: the same machine, read at slightly different moments).
EARLY_S: Final = 0.05

_MISSING: Final = object()


def _payload(record: MessageRecord) -> Any:
    if record.format is PayloadFormat.BINARY:
        return {"$binary": base64.b64encode(record.payload).decode("ascii")}
    try:
        return json.loads(record.payload)
    except ValueError:
        return _MISSING


def _same_binary(expected: Any, record: MessageRecord) -> bool:
    if not (isinstance(expected, dict) and set(expected) == {"$binary"}):
        return False
    try:
        return base64.b64decode(str(expected["$binary"])) == record.payload
    except (binascii.Error, ValueError):
        return False


def find_row(
    records: Iterable[MessageRecord],
    *,
    event: str,
    payload: Any,
    wall: float,
    message_id: str | None = None,
    sent: bool = False,
) -> MessageRecord | None:
    """The received row nearest in time to ``wall`` (Unix seconds) with this ``event`` and
    ``payload``; ``sent``: the message was sent at ``wall``, so the row cannot be much
    earlier. None when no row matches (evicted, cleared, filtered by the tab's events, or the
    tab was not joined)."""
    low = wall - (EARLY_S if sent else WINDOW_S)
    high = wall + WINDOW_S
    best: MessageRecord | None = None
    best_gap = float("inf")
    for record in records:
        if record.direction is not Direction.IN or record.event != event:
            continue
        if not low <= record.time <= high:
            continue
        gap = abs(record.time - wall)
        if gap >= best_gap:
            continue
        if record.format is PayloadFormat.BINARY:
            if not _same_binary(payload, record):
                continue
        elif _payload(record) != payload:
            continue
        if message_id is not None:
            meta = record.meta_json()
            if isinstance(meta, dict) and "id" in meta and str(meta["id"]) != message_id:
                continue
        best, best_gap = record, gap
    return best
