"""NDJSON export and import of messages and frames, and CSV rows; secrets redacted on the way out.

One JSON object per line. A message line::

    {"type":"message","channel":"room-1","time":1767225600.125,
     "time_iso":"2026-01-01T00:00:00.125Z","direction":"in","event":"chat","size":13,
     "payload":{"text":"hi"},"meta":{"id":"m1"}}

- ``payload`` holds JSON payloads as JSON; ``payload_text`` a text payload that is not JSON;
  ``payload_base64`` a binary one (``payload_hex`` is read too, the first format of this module).
- outgoing rows add ``status`` (the table's words: ``ok 1.8 ms``, ``REST 202 · 3 ms``) and
  ``send`` (transport, ack, state, round trip, HTTP status, error) so that import rebuilds them.

A frame line (the Frames view)::

    {"type":"frame","time":…,"time_iso":…,"direction":"out","opcode":"text","size":92,
     "vsn":"2.0.0","channel":"room-1","topic":"realtime:room-1","event":"phx_join","ref":"1",
     "join_ref":"1","data":"[\\"1\\",\\"1\\",…]"}

with ``data_base64`` for binary frames. Lines without ``type`` are messages.

A message export starts with one header line (issue #10 item 15; files written before it have
none and import as before)::

    {"type":"header","format":1,"app":"realtime-inspector","version":"0.9.0",
     "exported_at":…,"exported_at_iso":…,"profile_url":"https://ref.supabase.co",
     "channels":[{"name":"room-1","self":false,"ack":true,…}],"rows":1234,
     "time_first":…,"time_last":…,"time_first_iso":…,"time_last_iso":…}

The URL is the profile's, never a key or token (the line is redacted like every other). Outages
are ``system`` rows in the message lines (``disconnected``, ``reconnected``, ``rejoined``,
``token expired``, join and channel errors with the server's reason).

Redaction (:mod:`inspector.protocol.redact`, the same table the CLI and the frame tap use):
values of keys named like secrets (``apikey``, ``access_token``, ``token``, ``password``,
``authorization``, ...), ``Bearer`` credentials, ``sb_`` keys and JWT-shaped strings anywhere in
a line are replaced with ``[redacted]``; binary frames get JWT-shaped runs and ``sb_`` keys
masked in place. So an export can be shared,
and a payload that carried a token comes back with ``[redacted]`` where the token was.

Import also reads ``realtime-inspector listen`` output (lines with ``kind``, an ISO-8601
``time``, no ``type``; :func:`listen_message`, which replay's reader uses too): its
``broadcast`` lines become received rows of their channel's tab (sent rows for the
``"direction": "out"`` lines of ``realtime-inspector har``); its other lines (connection,
join, presence, errors) are counted in :attr:`ImportResult.listen_other`, not imported.

Import never raises on a bad line: it is reported with its number and reason and skipped.
An import has limits (QA finding 14): lines over :data:`MAX_LINE_BYTES` are skipped without
being read into memory (the reader's job, ``ui/transfer.py``), only the first
:data:`MAX_IMPORT_CHANNELS` channels are kept (one tab each), and reading stops keeping rows
after :data:`MAX_IMPORT_ROWS`. Everything left out is counted for the summary.
"""

from __future__ import annotations

import base64
import binascii
import csv
import datetime as dt
import io
import json
import math
import urllib.parse
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from inspector.protocol.frames import PHOENIX_TOPIC, channel_name
from inspector.protocol.redact import (
    DEPTH_LIMIT,
    redact_bytes,
    redact_text,
    redact_url,
    redact_value,
)
from inspector.protocol.serializer import escape_surrogates
from inspector.store.frames.frames import BINARY, CLOSE, IN, OPEN, OUT, TEXT, FrameRow
from inspector.store.messages.records import (
    Direction,
    MessageRecord,
    PayloadFormat,
    SendInfo,
    SendState,
    Transport,
    json_bytes,
)
from inspector.store.timefmt import checked_epoch, finite_number, utc_iso

#: The longest line an import reads, in bytes: a 3000 KB payload (the server's limit, §10)
#: as JSON or base64, or a 5 MB frame (§1.5) as base64, fits.
MAX_LINE_BYTES: Final = 8 * 1024 * 1024
#: Channels one import keeps (a read-only tab each); the rows of later channels are counted.
MAX_IMPORT_CHANNELS: Final = 20
#: Rows (messages and frames) one import keeps; later lines are counted, not read.
MAX_IMPORT_ROWS: Final = 1_000_000
#: Bad lines whose number and reason are kept (all of them are counted).
MAX_ERRORS_KEPT: Final = 1000

MESSAGE: Final = "message"
FRAME: Final = "frame"
HEADER: Final = "header"
#: The version of the header line's layout.
HEADER_FORMAT: Final = 1
_DIRECTIONS: Final = {d.label: d for d in Direction}
_OPCODES: Final = (TEXT, BINARY, OPEN, CLOSE)


def iso_time(epoch: float) -> str:
    """``2026-01-01T00:00:00.125Z`` (UTC, milliseconds); ``—`` for a time that is none."""
    return utc_iso(epoch)


def _dumps(data: dict[str, Any]) -> str:
    # Lone surrogates (legal JSON escapes a peer may send) stay escapes, so every line can be
    # written as UTF-8; NaN/Infinity never get here (see _strict_loads).
    return escape_surrogates(json.dumps(data, ensure_ascii=False, separators=(",", ":")))


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"{text} is not a finite number")
    return value


def _strict_loads(data: bytes) -> Any:
    """json.loads without NaN, Infinity or overflowing numbers, which no JSON reader accepts."""
    return json.loads(data, parse_constant=_no_constant, parse_float=_finite)


# ---------------------------------------------------------------------------------- messages


def message_data(record: MessageRecord, channel: str) -> dict[str, Any]:
    """The JSON object of one message line, secrets redacted."""
    out: dict[str, Any] = {
        "type": MESSAGE,
        "channel": channel,
        "time": record.time,
        "time_iso": iso_time(record.time),
        "direction": record.direction.label,
        "event": record.event,
        "size": record.size,
    }
    if record.format is PayloadFormat.BINARY:
        out["payload_base64"] = base64.b64encode(redact_bytes(record.payload)).decode("ascii")
    else:
        try:
            out["payload"] = _strict_loads(record.payload)
        except (ValueError, RecursionError):
            out["payload_text"] = record.payload.decode("utf-8", "replace")
    meta = record.meta_json()
    if meta is not None:
        out["meta"] = meta
    send = record.send
    if send is not None:
        out["status"] = send.status_text()
        out["send"] = {
            "transport": send.transport.value,
            "ack": send.ack,
            "state": send.state.value,
            "round_trip_ms": send.round_trip_ms,
            "http_status": send.http_status,
            "error": send.error,
        }
    redacted: dict[str, Any] = redact_value(out, max_depth=DEPTH_LIMIT)
    return redacted


def message_line(record: MessageRecord, channel: str) -> str:
    """One redacted NDJSON line (no newline) for a message."""
    return _dumps(message_data(record, channel))


def safe_url(url: str) -> str:
    """The URL without user info, query or fragment (where a key or token could hide)."""
    try:
        parts = urllib.parse.urlsplit(url)
        host = parts.hostname or ""
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        return redact_url(url.split("?", 1)[0].split("#", 1)[0])
    if ":" in host:
        host = f"[{host}]"
    return urllib.parse.urlunsplit((parts.scheme, host + port, parts.path, "", ""))


def header_data(
    *,
    app: str,
    version: str,
    exported_at: float,
    profile_url: str | None,
    channels: Sequence[dict[str, Any]],
    times: Sequence[float],
    rows: int,
) -> dict[str, Any]:
    """The JSON object of an export's header line: what was exported, from where, when, and
    the time range of its rows (``times``: the first and last row time of each channel)."""
    finite = [t for t in times if isinstance(t, int | float) and math.isfinite(t)]
    out: dict[str, Any] = {
        "type": HEADER,
        "format": HEADER_FORMAT,
        "app": app,
        "version": version,
        "exported_at": exported_at,
        "exported_at_iso": iso_time(exported_at),
        "profile_url": safe_url(profile_url) if profile_url else None,
        "channels": [dict(c) for c in channels],
        "rows": rows,
        "time_first": min(finite) if finite else None,
        "time_last": max(finite) if finite else None,
    }
    out["time_first_iso"] = iso_time(out["time_first"]) if finite else None
    out["time_last_iso"] = iso_time(out["time_last"]) if finite else None
    redacted: dict[str, Any] = redact_value(out, max_depth=DEPTH_LIMIT)
    return redacted


def header_line(**fields: Any) -> str:
    """One redacted NDJSON header line (no newline); the arguments of :func:`header_data`."""
    return _dumps(header_data(**fields))


def json_array_text(records: Iterable[MessageRecord], channel: str) -> str:
    """The rows as one JSON array of message objects (the NDJSON lines' objects, redacted),
    one object a line."""
    lines = [message_line(record, channel) for record in records]
    return "[\n" + ",\n".join(lines) + "\n]" if lines else "[]"


def export_lines(records: Iterable[MessageRecord], channel: str) -> Iterator[str]:
    """One redacted NDJSON line (without the newline) per record."""
    for record in records:
        yield message_line(record, channel)


def _send_from(raw: Any) -> SendInfo | None:
    if not isinstance(raw, dict):
        return None
    rtt = raw.get("round_trip_ms")
    status = raw.get("http_status")
    error = raw.get("error")
    return SendInfo(
        transport=Transport(raw.get("transport", "websocket")),
        ack=raw.get("ack") is True,
        state=SendState(raw.get("state", "sent")),
        round_trip_ms=finite_number(rtt),
        http_status=status if isinstance(status, int) and not isinstance(status, bool) else None,
        error=error if isinstance(error, str) else None,
    )


def record_from(data: dict[str, Any]) -> MessageRecord:
    """A message line back into a record; ``ValueError`` says what is wrong."""
    direction = _DIRECTIONS.get(data.get("direction", ""))
    if direction is None:
        raise ValueError(f"unknown direction {data.get('direction')!r}")
    event = data.get("event")
    if not isinstance(event, str):
        raise ValueError("event must be a string")
    when = checked_epoch(data.get("time"))  # 1e308, NaN: skipped here, not raised on paint
    if "payload_base64" in data:
        try:
            payload = base64.b64decode(str(data["payload_base64"]), validate=True)
        except (binascii.Error, ValueError) as exc:
            raise ValueError(f"payload_base64 is not base64: {exc}") from None
        fmt = PayloadFormat.BINARY
    elif "payload_hex" in data:
        payload, fmt = bytes.fromhex(str(data["payload_hex"])), PayloadFormat.BINARY
    elif "payload" in data:
        payload, fmt = json_bytes(data["payload"]), PayloadFormat.JSON
    else:
        payload, fmt = str(data.get("payload_text", "")).encode(), PayloadFormat.JSON
    meta = json_bytes(data["meta"]) if data.get("meta") is not None else None
    return MessageRecord(
        time=when,
        direction=direction,
        event=event,
        payload=payload,
        format=fmt,
        meta=meta,
        send=_send_from(data.get("send")),
    )


# ---------------------------------------------------------------------------------- frames


def frame_data(row: FrameRow) -> dict[str, Any]:
    """The JSON object of one frame line, secrets redacted.

    A binary frame is decoded from its masked bytes: its fields are slices of the frame, so a
    secret can straddle them (a topic that ends inside a token and an event that holds the
    rest, neither of which looks like a token alone); masking first hides every piece.
    """
    data = row.data
    masked = redact_bytes(data) if isinstance(data, bytes) else None
    summary = (
        row.summary()
        if masked is None or masked is data
        else FrameRow(row.time, row.direction, row.opcode, row.size, masked, row.vsn).summary()
    )
    out: dict[str, Any] = {
        "type": FRAME,
        "time": row.time,
        "time_iso": iso_time(row.time),
        "direction": row.direction,
        "opcode": row.opcode,
        "size": row.size,
        "vsn": row.vsn,
    }
    if summary.topic is not None:
        out["channel"] = "" if summary.topic == PHOENIX_TOPIC else channel_name(summary.topic)
        out["topic"] = summary.topic
    for key in ("event", "ref", "join_ref", "status", "problem"):
        value = getattr(summary, key)
        if value is not None:
            out[key] = value
    if masked is not None:
        out["data_base64"] = base64.b64encode(masked).decode("ascii")
    else:
        out["data"] = row.shown_text(reveal=False)
    redacted: dict[str, Any] = redact_value(out, max_depth=DEPTH_LIMIT)
    return redacted


def frame_line(row: FrameRow) -> str:
    return _dumps(frame_data(row))


def frame_from(data: dict[str, Any]) -> FrameRow:
    """A frame line back into a row; ``ValueError`` says what is wrong."""
    direction = data.get("direction")
    if direction not in (IN, OUT):
        raise ValueError(f"unknown direction {direction!r}")
    opcode = data.get("opcode")
    if opcode not in _OPCODES:
        raise ValueError(f"unknown opcode {opcode!r}")
    when = checked_epoch(data.get("time"))
    vsn = data.get("vsn")
    if not isinstance(vsn, str):
        raise ValueError("vsn must be a string")
    raw: str | bytes
    if "data_base64" in data:
        try:
            raw = base64.b64decode(str(data["data_base64"]), validate=True)
        except (binascii.Error, ValueError) as exc:
            raise ValueError(f"data_base64 is not base64: {exc}") from None
    else:
        text = data.get("data")
        if not isinstance(text, str):
            raise ValueError("data must be a string")
        raw = text
    size = data.get("size")
    if not isinstance(size, int) or isinstance(size, bool):
        size = len(raw.encode()) if isinstance(raw, str) else len(raw)
    return FrameRow(when, str(direction), str(opcode), size, raw, vsn)


# ---------------------------------------------------------------------------------- listen


def _iso_epoch(value: Any) -> float:
    if not isinstance(value, str):
        raise ValueError("time must be an ISO-8601 text")
    try:
        stamp = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"time {value[:40]!r} is not an ISO-8601 time") from None
    if stamp.tzinfo is None:
        stamp = stamp.replace(tzinfo=dt.UTC)
    return checked_epoch(stamp.timestamp())


def is_listen_line(data: dict[str, Any]) -> bool:
    """Whether a JSON object is a line of ``realtime-inspector listen`` output."""
    return "type" not in data and "kind" in data and "event" in data


def listen_message(data: dict[str, Any]) -> tuple[float, str, str, Any, bool]:
    """(time, channel, event, payload, binary) of a ``listen`` broadcast line; the payload is
    the JSON value, or the bytes of a binary one (``{"$binary": "<base64>"}``)."""
    when = _iso_epoch(data.get("time"))
    event = data.get("event")
    if not isinstance(event, str):
        raise ValueError("event must be a string")
    channel = data.get("channel")
    payload = data.get("payload")
    binary = data.get("binary") is True
    if binary:
        raw = payload.get("$binary") if isinstance(payload, dict) else None
        if not isinstance(raw, str):
            raise ValueError('a binary line needs payload {"$binary": "<base64>"}')
        try:
            payload = base64.b64decode(raw, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise ValueError(f"$binary is not base64: {exc}") from None
    return when, channel if isinstance(channel, str) else "", event, payload, binary


# ---------------------------------------------------------------------------------- import


@dataclass(slots=True)
class ImportResult:
    """What an NDJSON file held: message records by channel, frames, and the bad lines."""

    #: ``(channel, record)`` in file order.
    records: list[tuple[str, MessageRecord]] = field(default_factory=list)
    frames: list[FrameRow] = field(default_factory=list)
    #: ``(line number, reason)`` of the skipped lines (the first :data:`MAX_ERRORS_KEPT`).
    errors: list[tuple[int, str]] = field(default_factory=list)
    #: how many lines were skipped in all.
    error_count: int = 0
    #: channel -> rows not kept: the import already had its :data:`MAX_IMPORT_CHANNELS`.
    dropped_channels: dict[str, int] = field(default_factory=dict)
    #: lines not read: the import already had its :data:`MAX_IMPORT_ROWS` rows.
    unread: int = 0
    #: the export's header line (profile URL, channels, version, time range), or None for a
    #: file written before headers existed.
    header: dict[str, Any] | None = None
    #: rows read from ``listen`` output lines (its broadcasts, as received rows).
    listen_rows: int = 0
    #: ``listen`` output lines that are not broadcasts (connection, join, presence, errors).
    listen_other: int = 0

    def channels(self) -> list[str]:
        """Channel names in order of first appearance."""
        return list(dict.fromkeys(channel for channel, _ in self.records))

    def limits_text(self) -> str:
        """What the limits left out, in words ("" when nothing)."""
        parts = []
        if self.dropped_channels:
            n, rows = len(self.dropped_channels), sum(self.dropped_channels.values())
            parts.append(
                f"{n:,} more channel{'' if n == 1 else 's'} ({rows:,} rows) not opened: "
                f"one import opens at most {MAX_IMPORT_CHANNELS} tabs"
            )
        if self.unread:
            parts.append(
                f"{self.unread:,} line{'' if self.unread == 1 else 's'} after the first "
                f"{MAX_IMPORT_ROWS:,} rows not read"
            )
        return " · ".join(parts)


class Importer:
    """Parses NDJSON lines incrementally (so a long import can show progress and stop), within
    the limits in the module docstring."""

    def __init__(
        self, max_channels: int = MAX_IMPORT_CHANNELS, max_rows: int = MAX_IMPORT_ROWS
    ) -> None:
        self.result = ImportResult()
        self.line_number = 0
        self._max_channels = max_channels
        self._max_rows = max_rows
        self._channels: set[str] = set()

    def feed(self, line: str) -> None:
        """Parse one line (blank lines are skipped; bad ones recorded in ``result.errors``)."""
        self.line_number += 1
        result = self.result
        if not line.strip():
            return
        if len(result.records) + len(result.frames) >= self._max_rows:
            result.unread += 1
            return
        try:
            data = json.loads(line)
            if not isinstance(data, dict):
                raise ValueError("not a JSON object")
            if is_listen_line(data):
                self._listen(data)
                return
            kind = data.get("type", MESSAGE)
            if kind == HEADER:
                if result.header is None:
                    result.header = data
            elif kind == FRAME:
                result.frames.append(frame_from(data))
            elif kind == MESSAGE:
                raw = data.get("channel")
                channel = raw if isinstance(raw, str) else ""
                self._add(channel, record_from(data))
            else:
                raise ValueError(f"unknown line type {kind!r}")
        except (ValueError, TypeError, RecursionError) as exc:
            self._error(str(exc) or type(exc).__name__)

    def _add(self, channel: str, record: MessageRecord) -> bool:
        result = self.result
        if channel not in self._channels:
            if len(self._channels) >= self._max_channels:
                dropped = result.dropped_channels
                dropped[channel] = dropped.get(channel, 0) + 1
                return False
            self._channels.add(channel)
        result.records.append((channel, record))
        return True

    def _listen(self, data: dict[str, Any]) -> None:
        """A ``listen`` line: a broadcast is a received row; anything else is counted."""
        if data.get("kind") != "broadcast":
            self.result.listen_other += 1
            return
        when, channel, event, payload, binary = listen_message(data)
        # ``har`` lines say which way the browser's broadcast went; ``listen`` only receives
        out = data.get("direction") == Direction.OUT.label
        record = MessageRecord(
            time=when,
            direction=Direction.OUT if out else Direction.IN,
            event=event,
            payload=payload if binary else json_bytes(payload),
            format=PayloadFormat.BINARY if binary else PayloadFormat.JSON,
            meta=json_bytes(data["meta"]) if data.get("meta") is not None else None,
        )
        if self._add(channel, record):
            self.result.listen_rows += 1

    def skip(self, reason: str) -> None:
        """Count one line that was not read (the reader found it too long)."""
        self.line_number += 1
        self._error(reason)

    def _error(self, reason: str) -> None:
        self.result.error_count += 1
        if len(self.result.errors) < MAX_ERRORS_KEPT:
            self.result.errors.append((self.line_number, reason))


def import_lines(lines: Iterable[str]) -> ImportResult:
    """Parse NDJSON lines (messages and frames) in one go."""
    importer = Importer()
    for line in lines:
        importer.feed(line)
    return importer.result


# ---------------------------------------------------------------------------------- CSV


def csv_cell(text: str) -> str:
    """A cell with secrets redacted and a leading ``= + - @`` neutralized, so a spreadsheet
    never runs peer data as a formula."""
    text = redact_text(text)
    if text[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + text
    return text


def csv_lines(
    header: Sequence[str], rows: Iterable[Sequence[str]], *, delimiter: str = ","
) -> Iterator[str]:
    """CSV text (with line endings) for a header and rows of cells, cells made safe;
    ``delimiter="\t"`` gives TSV (a cell with a tab, a quote or a line break is quoted)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n", delimiter=delimiter)
    writer.writerow(header)
    yield buffer.getvalue()
    for row in rows:
        buffer.seek(0)
        buffer.truncate()
        writer.writerow([csv_cell(cell) for cell in row])
        yield buffer.getvalue()
