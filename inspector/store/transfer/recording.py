"""A recording read for replay: the broadcasts of a tab export or of ``listen`` output, in order.

Two NDJSON shapes are recordings (issue #11 item 4):

- a tab export (:mod:`inspector.store.transfer.export`): an optional ``header`` line, then
  ``message`` lines with ``direction`` ``in``/``out``/``system`` and an epoch ``time``; each is
  read with :func:`~inspector.store.transfer.export.record_from`, so ``payload``,
  ``payload_text`` and ``payload_base64`` mean what they mean on import (binary stays binary);
- ``realtime-inspector listen`` output: lines with ``kind``, an ISO-8601 ``time`` and
  ``payload`` (binary as ``{"$binary": "<base64>"}`` with ``"binary": true``); only ``kind``
  ``broadcast`` lines are messages, and they are all received (direction ``in``).

What is not a broadcast (system rows, presence, join and error lines of ``listen``, Frames
lines) is counted in :attr:`Recording.not_messages`, never replayed. A file whose first
non-blank line is neither shape is *not a recording* (:class:`NotARecording`, nothing is sent);
after that, a malformed line is skipped, counted and reported with its number (like an import).

Each :class:`RecordedMessage` is plain data (offset in seconds from the first kept message,
event, payload as a JSON value or bytes, direction), which is what the client's replay engine
takes (:mod:`inspector.client.replay`), so the client never sees the store.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from inspector.store.messages.records import Direction, MessageRecord, PayloadFormat
from inspector.store.transfer.export import (
    FRAME,
    HEADER,
    MAX_ERRORS_KEPT,
    MAX_IMPORT_ROWS,
    MESSAGE,
    listen_message,
    record_from,
)


class NotARecording(ValueError):
    """The file is not an NDJSON recording (its first line says so); nothing may be sent."""


@dataclass(frozen=True, slots=True)
class RecordedMessage:
    """One broadcast of a recording, as the replay engine takes it."""

    #: seconds after the file's first message (never negative, never decreasing in file order).
    offset: float
    event: str
    #: the JSON value, or the raw bytes when ``binary``.
    payload: Any
    binary: bool
    #: ``in`` (received by the recorder) or ``out`` (sent by it).
    direction: str
    #: the channel the row was recorded on ("" when the line named none).
    channel: str
    #: the 1-based line number in the file.
    line: int


@dataclass(slots=True)
class Recording:
    """What :func:`read_recording` kept, and what it left out and why."""

    messages: list[RecordedMessage] = field(default_factory=list)
    #: ``(line number, reason)`` of malformed lines (the first :data:`MAX_ERRORS_KEPT`).
    errors: list[tuple[int, str]] = field(default_factory=list)
    #: malformed lines in all.
    error_count: int = 0
    #: lines that are valid but not broadcasts (system rows, presence, frames, header).
    not_messages: int = 0
    #: channels named in the file, in order of first appearance.
    channels: list[str] = field(default_factory=list)
    #: ``export`` or ``listen``.
    kind: str = ""

    def skipped_text(self) -> str:
        """The left-out lines in words ("" when none)."""
        parts = []
        if self.error_count:
            n = self.error_count
            parts.append(f"{n:,} malformed line{'' if n == 1 else 's'} skipped")
        if self.not_messages:
            parts.append(f"{self.not_messages:,} not broadcasts")
        return ", ".join(parts)


def _shape(data: Any) -> str | None:
    """``export``, ``listen`` or None: what a first line says the file is."""
    if not isinstance(data, dict):
        return None
    kind = data.get("type")
    if kind in (HEADER, MESSAGE, FRAME):
        return "export"
    if kind is None and "kind" in data and "event" in data:
        return "listen"
    if kind is None and "direction" in data and "event" in data:
        return "export"
    return None


class RecordingReader:
    """Reads a recording a line at a time (so a window can show progress and stop);
    :func:`read_recording` in one go."""

    def __init__(self) -> None:
        self.result = Recording()
        self.first_time: float | None = None
        self.last_offset = 0.0
        self.seen_channels: set[str] = set()

    def feed(self, number: int, line: str) -> None:
        """Read line ``number`` (1-based); :class:`NotARecording` when the first non-blank line
        is not a recording line."""
        if not line.strip():
            return
        result = self.result
        try:
            data = json.loads(line)
        except (ValueError, RecursionError) as exc:
            if not result.kind:
                raise NotARecording(f"line {number} is not JSON ({exc})") from None
            self._error(number, f"not JSON: {exc}")
            return
        if not result.kind:
            shape = _shape(data)
            if shape is None:
                raise NotARecording(
                    f"line {number} is neither a tab export line nor a listen line "
                    "(expected a JSON object with type header/message, or kind and event)"
                )
            result.kind = shape
        if len(result.messages) >= MAX_IMPORT_ROWS:
            self._error(number, f"past the first {MAX_IMPORT_ROWS:,} messages")
            return
        try:
            self._line(number, data)
        except (ValueError, TypeError, RecursionError) as exc:
            self._error(number, str(exc) or type(exc).__name__)

    def _line(self, number: int, data: Any) -> None:
        result = self.result
        if not isinstance(data, dict):
            raise ValueError("not a JSON object")
        binary = False
        if result.kind == "listen":
            if "type" in data:
                raise ValueError("a tab export line in listen output")
            if data.get("kind") != "broadcast":
                result.not_messages += 1
                return
            when, channel, event, payload, binary = listen_message(data)
            direction = "in"
        else:
            kind = data.get("type", MESSAGE)
            if kind in (HEADER, FRAME):
                result.not_messages += 1
                return
            if kind != MESSAGE:
                raise ValueError(f"unknown line type {kind!r}")
            record = record_from(data)
            if record.direction is Direction.SYSTEM:
                result.not_messages += 1
                return
            raw = data.get("channel")
            channel = raw if isinstance(raw, str) else ""
            event, when, direction = record.event, record.time, record.direction.label
            binary = record.format is PayloadFormat.BINARY
            if binary:
                payload = record.payload
            elif "payload" in data:
                payload = data["payload"]
            else:  # a text payload that was not JSON goes out as a JSON string
                payload = record.payload.decode("utf-8", "replace")
        if channel not in self.seen_channels:
            self.seen_channels.add(channel)
            result.channels.append(channel)
        if self.first_time is None:
            self.first_time = when
        # A clock set back while recording must not reorder or pile up: never before the last.
        offset = max(self.last_offset, when - self.first_time)
        self.last_offset = offset
        result.messages.append(
            RecordedMessage(offset, event, payload, binary, direction, channel, number)
        )

    def finish(self) -> Recording:
        """What was read; :class:`NotARecording` when nothing but blank lines came."""
        if not self.result.kind:
            raise NotARecording("the file is empty")
        return self.result

    def _error(self, number: int, reason: str) -> None:
        self.result.error_count += 1
        if len(self.result.errors) < MAX_ERRORS_KEPT:
            self.result.errors.append((number, reason))


def read_recording(lines: Iterable[str]) -> Recording:
    """The broadcasts (both directions) of an NDJSON recording, in file order; the replay
    engine chooses among them (direction, event, channel: :func:`inspector.client.replay.select`).

    Raises :class:`NotARecording` when the first non-blank line is not a recording line; other
    bad lines are skipped and listed in ``errors`` with their numbers.
    """
    reader = RecordingReader()
    for number, line in enumerate(lines, 1):
        reader.feed(number, line)
    return reader.finish()


def recording_from_records(records: Iterable[MessageRecord], channel: str) -> Recording:
    """The broadcasts of an imported tab's rows (both directions; system rows counted in
    ``not_messages``), as :func:`read_recording` reads them from a file. Payloads are the
    rows' bytes: JSON rows go out as their JSON value, binary rows as bytes."""
    result = Recording(kind="tab", channels=[channel])
    first: float | None = None
    last = 0.0
    for number, record in enumerate(records, 1):
        if record.direction is Direction.SYSTEM:
            result.not_messages += 1
            continue
        binary = record.format is PayloadFormat.BINARY
        payload: Any = record.payload
        if not binary:
            try:
                payload = json.loads(record.payload)
            except (ValueError, RecursionError):
                payload = record.payload.decode("utf-8", "replace")
        if first is None:
            first = record.time
        last = max(last, record.time - first)
        result.messages.append(
            RecordedMessage(
                last, record.event, payload, binary, record.direction.label, channel, number
            )
        )
    return result
