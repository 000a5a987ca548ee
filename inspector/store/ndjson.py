"""NDJSON export and import of a channel's rows, secrets redacted on the way out.

One JSON object per line, as :meth:`MessageRecord.to_dict` builds it plus the channel name.
Import is tolerant: a malformed line is reported with its number and skipped, never raised.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from .records import (
    Direction,
    MessageRecord,
    PayloadFormat,
    SendInfo,
    SendState,
    Transport,
    json_bytes,
)
from .redact import redact_json

_DIRECTIONS = {d.label: d for d in Direction}


def export_lines(records: Iterable[MessageRecord], channel: str) -> Iterator[str]:
    """One redacted NDJSON line (without the newline) per record."""
    for record in records:
        data = {"channel": channel, **record.to_dict()}
        yield json.dumps(redact_json(data), ensure_ascii=False, separators=(",", ":"))


@dataclass(frozen=True, slots=True)
class ImportResult:
    records: list[tuple[str, MessageRecord]]
    #: ``(line number, reason)`` of every skipped line.
    errors: list[tuple[int, str]]


def _record_from(data: dict[str, Any]) -> MessageRecord:
    direction = _DIRECTIONS.get(data.get("direction", ""))
    if direction is None:
        raise ValueError("unknown direction")
    event = data.get("event")
    when = data.get("time")
    if not isinstance(event, str) or not isinstance(when, int | float):
        raise ValueError("event and time are required")
    if "payload_hex" in data:
        payload, fmt = bytes.fromhex(str(data["payload_hex"])), PayloadFormat.BINARY
    elif "payload" in data:
        payload, fmt = json_bytes(data["payload"]), PayloadFormat.JSON
    else:
        payload, fmt = str(data.get("payload_text", "")).encode(), PayloadFormat.JSON
    meta = json_bytes(data["meta"]) if "meta" in data else None
    send = None
    raw_send = data.get("send")
    if isinstance(raw_send, dict):
        rtt = raw_send.get("round_trip_ms")
        status = raw_send.get("http_status")
        error = raw_send.get("error")
        send = SendInfo(
            transport=Transport(raw_send.get("transport", "websocket")),
            ack=raw_send.get("ack") is True,
            state=SendState(raw_send.get("state", "sent")),
            round_trip_ms=float(rtt) if isinstance(rtt, int | float) else None,
            http_status=status if isinstance(status, int) else None,
            error=error if isinstance(error, str) else None,
        )
    return MessageRecord(
        time=float(when),
        direction=direction,
        event=event,
        payload=payload,
        format=fmt,
        meta=meta,
        send=send,
    )


def import_lines(lines: Iterable[str]) -> ImportResult:
    """Parse NDJSON lines back into ``(channel, record)`` pairs."""
    records: list[tuple[str, MessageRecord]] = []
    errors: list[tuple[int, str]] = []
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
            if not isinstance(data, dict):
                raise ValueError("not a JSON object")
            channel = data.get("channel")
            records.append((channel if isinstance(channel, str) else "", _record_from(data)))
        except (ValueError, TypeError, RecursionError) as exc:
            errors.append((number, str(exc) or type(exc).__name__))
    return ImportResult(records, errors)
