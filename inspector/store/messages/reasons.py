"""The reason a row carries, for the explanation next to it (issue #15 item 6).

A system row's ``reason``/``message``/``error`` (a join refusal, a close reason, a system
message), or an outgoing row's error (an ack error reply, a REST refusal, a time-out). The
explanation itself comes from the one table, :mod:`inspector.protocol.explain`.
"""

from __future__ import annotations

from inspector.protocol.explain import Explanation, explain

from .records import Direction, MessageRecord, SendState

#: Payload keys of a system row that hold its reason, in the order they are read.
REASON_KEYS = ("reason", "message", "error")
#: Rows larger than this (bytes) are not searched: a reason is a short object.
MAX_REASON_ROW = 64 * 1024


def row_reason(record: MessageRecord) -> str | None:
    """The server's (or the client's) reason text in this row, or None."""
    send = record.send
    if send is not None:
        if send.state is SendState.TIMED_OUT:
            return send.error or "timed out"
        if send.state is SendState.ERROR:
            return send.error
        return None
    if record.direction is not Direction.SYSTEM and record.event != "system":
        return None
    if record.size > MAX_REASON_ROW:
        return None
    try:
        data = record.payload_json()
    except ValueError:
        return None
    if not isinstance(data, dict):
        return None
    for key in REASON_KEYS:
        value = data.get(key)
        if isinstance(value, str) and value:
            return value
    return None


def row_explanation(record: MessageRecord) -> tuple[str, Explanation] | None:
    """The row's reason and its explanation, when the table has one."""
    reason = row_reason(record)
    entry = explain(reason)
    return (reason, entry) if reason is not None and entry is not None else None
